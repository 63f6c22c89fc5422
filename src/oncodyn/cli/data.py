"""``oncodyn data ...`` commands (being written)."""

import typer

app = typer.Typer(help="Tumour-size data: inspect files, fetch public data sets.", no_args_is_help=True)
