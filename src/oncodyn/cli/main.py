"""Entry point of the ``oncodyn`` command.

Every sub-command parses its options, calls the public API and writes outputs; nothing else.
User errors (:class:`oncodyn.errors.OncodynError`, missing files) print one clear line and exit
with status 2, never a traceback.
"""

from __future__ import annotations

import sys

import typer

from . import bench, data


def _flags_take_no_value() -> None:
    """Help shows boolean flags as ``--force`` rather than ``--force <bool>``.

    typer's rich help prints every option's type, flags included, which reads as if ``--help``
    or ``--force`` took a value; a flag's type is left out instead (typer internals: the
    ``display_type_rich`` hook of its option class; a no-op where that hook is absent).
    """
    core = getattr(typer, "core", None)
    option = getattr(core, "TyperOption", None)
    original = getattr(option, "display_type_rich", None)
    if original is None or getattr(original, "_oncodyn_flags", False):
        return

    def display_type_rich(self, ctx):  # type: ignore[no-untyped-def]
        return None if getattr(self, "is_flag", False) else original(self, ctx)

    display_type_rich._oncodyn_flags = True  # type: ignore[attr-defined]
    option.display_type_rich = display_type_rich


_flags_take_no_value()

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

    table = Table(title="oncodyn models (parameters, units and sources: docs/models.md)")
    for col in ("name", "kind", "parameters", "closed form"):
        table.add_column(col, no_wrap=col == "name")
    table.add_column("reference", overflow="fold", ratio=1)  # wrapped, never cut
    for name in list_models():
        m = get_model(name)
        table.add_row(name, m.kind, ", ".join(m.param_names), "yes" if m.has_closed_form else "ODE",
                      m.reference)
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
    from . import fit as fit_cli

    app.command("fit")(fit_cli.fit_cmd)
    from . import forecast as forecast_cli

    app.command("forecast")(forecast_cli.forecast_cmd)
    from . import trial as trial_cli

    app.command("trial")(trial_cli.trial)
    app.add_typer(trial_cli.examples_app, name="trials")
    from . import app as app_cli

    app.command("app")(app_cli.app_cmd)
    app.command("report")(app_cli.report_cmd)


_register_optional()


def _one_line(text: str) -> str:
    """A message on one line (stderr carries exactly one line per error)."""
    return " ".join(str(text).split())


def _on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM (e.g. ``kill``, a batch scheduler) ends the run like Ctrl-C: writers clean up."""
    raise KeyboardInterrupt


def run() -> None:
    """Console-script entry: run the app, turning user errors into one-line messages.

    Exit status: 0 success; 2 a user error (one line ``error: ...`` on stderr, no traceback);
    130 interrupted (Ctrl-C or SIGTERM; output folders are written atomically, so nothing
    half-written is left); otherwise the status a command chose.
    """
    import signal

    from ..errors import OncodynError

    def fail(message: str, code: int = 2) -> None:
        typer.secho(f"error: {_one_line(message)}", err=True, fg="red")
        sys.exit(code)

    previous = signal.getsignal(signal.SIGTERM)
    if previous is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        rv = app(standalone_mode=False)  # typer returns 130 on KeyboardInterrupt, and Exit codes
    except OncodynError as exc:
        fail(str(exc))
    except FileNotFoundError as exc:
        fail(f"file not found: {exc.filename or exc}")
    except (typer.Abort, KeyboardInterrupt):
        fail("interrupted", 130)
    except OSError as exc:  # disk full, permission denied, ...: the OS's words and the file
        where = f"file {exc.filename}: " if exc.filename else ""
        fail(f"{where}{exc.strerror or exc}")
    except Exception as exc:  # usage errors and exit codes of click (or typer's vendored click)
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):  # a ClickException
            ctx = getattr(exc, "ctx", None)
            hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            fail(f"{exc.format_message()}{hint}", exc.exit_code)
        if type(exc).__name__ in ("Exit", "Abort") and hasattr(exc, "exit_code"):
            sys.exit(exc.exit_code)
        raise
    finally:
        if previous is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, previous)
    if rv == 130:
        fail("interrupted", 130)
    if isinstance(rv, int) and not isinstance(rv, bool) and rv != 0:
        sys.exit(rv)
    sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    run()
