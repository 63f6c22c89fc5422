"""The ``oncodyn`` command line: a thin skin over the public API (typer + rich)."""
