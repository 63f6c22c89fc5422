"""``oncodyn bench ...``: the benchmarks named in the issues, each writing stable JSON keys."""

import typer

app = typer.Typer(help="Benchmarks with JSON output (figures compared from run to run).",
                  no_args_is_help=True)
