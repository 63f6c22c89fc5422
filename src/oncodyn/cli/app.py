"""``oncodyn app`` (the local web app) and ``oncodyn report`` (one patient's case report)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import ConfigError


def app_cmd(
    host: Annotated[str, typer.Option("--host", help="Address to serve on. The default serves "
                                      "this computer only; give another address only on a "
                                      "network you trust.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port.")] = 8501,
    max_upload_mb: Annotated[float, typer.Option("--max-upload-mb",
                                                 help="Largest upload accepted, MB.")] = 50.0,
) -> None:
    """Start the local web app (Patient, Scenario, Trial and Radiation pages; English/French).

    Research and teaching software, not a clinical decision tool.
    """
    from ..app import serve, streamlit_command

    streamlit_command(host=host, port=port, max_upload_mb=max_upload_mb)  # checks options
    typer.echo(f"oncodyn app on http://{host}:{port} (Ctrl-C to stop)", err=True)
    code = serve(host=host, port=port, max_upload_mb=max_upload_mb)
    if code not in (0, None):
        raise typer.Exit(code)


def report_cmd(
    input: Annotated[Path, typer.Argument(metavar="INPUT", help="Lesion table (.csv/.parquet) or "
                                          "a folder with lesions.* or SDTM tu.* + tr.*.")],
    subject: Annotated[str, typer.Option("--subject", help="Subject id to report on.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file (.html or .pdf).")],
    lang: Annotated[str, typer.Option("--lang", help="Language: en or fr.")] = "en",
    format: Annotated[str | None, typer.Option("--format", help="html or pdf (default: from "
                                               "the --out extension).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Write one patient's report in plain words: what the scans show, the RECIST result, what
    the model expects next with its uncertainty, and what chemotherapy can and cannot do."""
    from ..report.case_io import write_case_report

    if lang not in ("en", "fr"):
        raise ConfigError(f"--lang must be en or fr, got {lang!r}")
    fmt = format or out.suffix.lower().lstrip(".")
    if fmt not in ("html", "pdf"):
        raise ConfigError(f"--format must be html or pdf (got {fmt!r}); or give --out a .html "
                          "or .pdf name")
    path = write_case_report(input, subject, out, lang=lang, fmt=fmt, force=force)
    typer.echo(f"wrote {path}")
