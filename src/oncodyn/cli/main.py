"""Entry point of the ``oncodyn`` command.

Every sub-command parses its options, calls the public API and writes outputs; nothing else.
User errors (:class:`oncodyn.errors.OncodynError`, missing files) print one clear line and exit
with status 2, never a traceback.
"""

from __future__ import annotations

import sys

import typer

from . import bench, data

app = typer.Typer(
    name="oncodyn",
    help="Tumour dynamics under treatment: models, calibration, forecasting, RECIST 1.1 and "
    "virtual trials. Research and teaching software, not a clinical decision tool.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(data.app, name="data")
app.add_typer(bench.app, name="bench")


@app.command("models")
def models_cmd() -> None:
    """List the registered models with their parameters and sources."""
    from rich.console import Console
    from rich.table import Table

    from ..models import get_model, list_models

    table = Table(title="oncodyn models")
    for col in ("name", "kind", "parameters", "closed form", "reference"):
        table.add_column(col)
    for name in list_models():
        m = get_model(name)
        table.add_row(name, m.kind, ", ".join(m.param_names), "yes" if m.has_closed_form else "ODE",
                      m.reference[:70])
    Console().print(table)


def _register_optional() -> None:
    """Sub-commands living in their own modules (one concept per module)."""
    from . import demo

    app.command("demo")(demo.demo)
    from .simulate import scenarios_app
    from .simulate import simulate as simulate_cmd

    app.command("simulate")(simulate_cmd)
    app.add_typer(scenarios_app, name="scenarios")
    from . import recist as recist_cli

    app.command("recist")(recist_cli.recist)
    from . import radiation

    app.add_typer(radiation.app, name="radiation")


_register_optional()


def run() -> None:
    """Console-script entry: run the app, turning user errors into one-line messages."""
    from ..errors import OncodynError

    try:
        app(standalone_mode=False)
    except OncodynError as exc:
        typer.secho(f"error: {exc}", err=True, fg="red")
        sys.exit(2)
    except FileNotFoundError as exc:
        typer.secho(f"error: file not found: {exc.filename or exc}", err=True, fg="red")
        sys.exit(2)
    except (typer.Abort, KeyboardInterrupt):
        typer.secho("aborted", err=True)
        sys.exit(130)
    except Exception as exc:  # usage errors and exit codes of click (or typer's vendored click)
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):  # a ClickException
            ctx = getattr(exc, "ctx", None)
            hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            typer.secho(f"error: {exc.format_message()}{hint}", err=True, fg="red")
            sys.exit(exc.exit_code)
        if type(exc).__name__ in ("Exit", "Abort") and hasattr(exc, "exit_code"):
            sys.exit(exc.exit_code)
        raise
    sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    run()
