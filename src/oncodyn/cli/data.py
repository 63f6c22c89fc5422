"""``oncodyn data ...``: inspect tumour-size files, fetch public data sets.

Thin: parse options, call :mod:`oncodyn.data`, print or write. ``oncodyn.data`` (pandas) is
imported inside the commands so that ``oncodyn --help`` stays fast.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer

from ..errors import ConfigError

app = typer.Typer(help="Tumour-size data: inspect files, fetch public data sets.", no_args_is_help=True)


class Format(StrEnum):
    auto = "auto"
    generic = "generic"
    laleh_s1 = "laleh-s1"
    tumorgrowth = "tumorgrowth"


class Dataset(StrEnum):
    laleh2022 = "laleh2022"


def _policy(tstm: str, ne: str, blank: str, duplicates: str, max_size: float | None, zero: str):
    from ..data import CleaningPolicy

    kwargs: dict = {"not_evaluable": ne, "blank": blank, "duplicates": duplicates, "zero": zero}
    if tstm.strip().lower() == "drop":
        kwargs["too_small"] = "drop"
    else:
        try:
            kwargs["too_small_mm"] = float(tstm)
        except ValueError:
            raise ConfigError(f"--tstm must be a size in mm or 'drop', got {tstm!r}") from None
    if max_size is not None:
        kwargs["max_size_mm"] = max_size
    return CleaningPolicy(**kwargs)


def _write_json(path: Path, payload: dict) -> None:
    from ..data.writers import write_atomic

    try:
        text = json.dumps(payload, indent=2, allow_nan=False, default=str)
    except ValueError as exc:  # pragma: no cover - to_dict maps NaN to null
        raise ConfigError(f"report not JSON-serialisable: {exc}") from None
    write_atomic(path, lambda fh: fh.write((text + "\n").encode("utf-8")))


@app.command("inspect")
def inspect(
    file: Path = typer.Argument(..., help="CSV or Parquet file of tumour sizes."),
    format: Format = typer.Option(Format.auto, "--format", "-f",
                                  help="File layout; auto = detect from the header."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the full report (JSON) here."),
    tstm: str = typer.Option("5", "--tstm", help="TOO SMALL TO MEASURE: a size in mm (RECIST 1.1 "
                             "practice 5 mm, spec/RECIST.md R3.4) or 'drop'."),
    ne: str = typer.Option("drop", "--ne", help="NOT EVALUABLE / NE: 'drop' or 'missing'."),
    blank: str = typer.Option("drop", "--blank", help="Blank sizes: 'drop' or 'missing'."),
    duplicates: str = typer.Option("first", "--duplicates",
                                   help="Same time twice in a series: 'first', 'mean' or 'error'."),
    zero: str = typer.Option("keep", "--zero", help="0 mm sizes: 'keep' (lesion gone) or 'drop'."),
    max_size: float | None = typer.Option(None, "--max-size",
                                          help="Sizes above this (mm) are dropped (default 500)."),
    time_unit: str = typer.Option("day", "--time-unit", help="Generic format: 'day' or 'week'."),
    size_unit: str = typer.Option("mm", "--size-unit", help="Generic format: 'mm' or 'cm'."),
    mapping: str | None = typer.Option(
        None, "--map", help="Generic format: canonical=source column pairs, comma-separated, "
        "e.g. 'subject=USUBJID,time=ADY,size=AVAL' (canonical names: study, arm, subject, "
        "series, time, size, unit)."),
) -> None:
    """Read FILE with the cleaning policy and print what was read, loaded, changed and dropped."""
    from rich.console import Console

    from ..data import read_any

    policy = _policy(tstm, ne, blank, duplicates, max_size, zero)
    columns = _parse_map(mapping) if mapping else None
    fmt = format.value
    if columns is not None and fmt == "auto":
        fmt = "generic"
    result = read_any(file, format=fmt, policy=policy, time_unit=time_unit,
                      size_unit=size_unit, columns=columns)
    report = result.report
    Console().print(report.rich_table())
    if json_out is not None:
        _write_json(json_out, report.to_dict())
        typer.echo(f"report written to {json_out}")


def _parse_map(text: str) -> dict[str, str]:
    from ..errors import ConfigError

    out: dict[str, str] = {}
    for part in text.split(","):
        if "=" not in part:
            raise ConfigError(f"--map: expected canonical=column pairs, got {part.strip()!r}")
        key, col = (x.strip() for x in part.split("=", 1))
        if not key or not col:
            raise ConfigError(f"--map: empty name in {part.strip()!r}")
        out[key] = col
    return out


@app.command("fetch")
def fetch(
    dataset: Dataset = typer.Argument(..., help="Data set to fetch."),
    source: Path | None = typer.Option(None, "--from", help="Use this local copy (xlsx or CSV "
                                       "form) instead of downloading."),
    dest: Path | None = typer.Option(None, "--dest", help="Folder to write into "
                                     "(default $ONCODYN_DATA_DIR or ~/.cache/oncodyn, + /laleh2022)."),
    url: str | None = typer.Option(None, "--url", help="Download from this URL (http(s):// or "
                                   "file://) instead of the PLOS address."),
    sha256: str | None = typer.Option(None, "--sha256", help="Expected SHA-256 of the source file."),
    verify: bool = typer.Option(True, "--verify/--no-verify",
                                help="Refuse a file whose checksum does not match (default)."),
) -> None:
    """Download the Laleh et al. 2022 S1 Data (PLOS Comput Biol 18(2):e1009822) and verify it."""
    import warnings

    from ..data.fetch import PLOS_S1_URL, UnverifiedDataWarning, fetch_laleh2022

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnverifiedDataWarning)  # printed below from the result
        result = fetch_laleh2022(dest, source=source, url=url or PLOS_S1_URL, sha256=sha256,
                                 verify=verify)
    for message in result.warnings:
        typer.secho(f"warning: {message}", err=True, fg="yellow")
    status = "verified" if result.verified else "NOT verified"
    typer.echo(f"{dataset.value}: {result.source_format} from {result.source}")
    typer.echo(f"sha256 {result.sha256} ({status})")
    typer.echo(f"written: {result.path}")
