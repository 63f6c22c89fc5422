"""``oncodyn data ...``: inspect tumour-size files, fetch public data sets.

Thin: parse options, call :mod:`oncodyn.data`, print or write. ``oncodyn.data`` (pandas) is
imported inside the commands so that ``oncodyn --help`` stays fast.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from ..errors import ConfigError

app = typer.Typer(help="Tumour-size data: inspect files, fetch public data sets.", no_args_is_help=True)


class Format(StrEnum):
    auto = "auto"
    generic = "generic"
    laleh_s1 = "laleh-s1"
    tumorgrowth = "tumorgrowth"
    tumorgrowth_nested = "tumorgrowth-nested"


class Dataset(StrEnum):
    laleh2022 = "laleh2022"
    poplar = "poplar"


# ---- input options shared by `data inspect`, `fit` and `forecast` (one set of flags) ----------
FORMAT_OPT = typer.Option(Format.auto, "--format", "-f",
                          help="File layout; auto = detect from the header (and list cells).")
MAP_OPT = typer.Option(
    None, "--map", help="Your column names: canonical=source pairs, comma-separated, e.g. "
    "'subject=USUBJID,time=ADY,size=AVAL' (canonical names: study, arm, subject, series, time, "
    "size, unit); selects the generic format.")
TSTM_OPT = typer.Option("5", "--tstm", help="TOO SMALL TO MEASURE: a size in mm (RECIST 1.1 "
                        "practice: 5 mm, Eisenhauer et al. 2009) or 'drop'.")
NE_OPT = typer.Option("drop", "--ne", help="NOT EVALUABLE / NE: 'drop' or 'missing'.")
BLANK_OPT = typer.Option("drop", "--blank", help="Blank sizes: 'drop' or 'missing'.")
DUPLICATES_OPT = typer.Option("first", "--duplicates",
                              help="Same time twice in a series: 'first', 'mean' or 'error'.")
ZERO_OPT = typer.Option("keep", "--zero", help="0 mm sizes: 'keep' (lesion gone) or 'drop'.")
MAX_SIZE_OPT = typer.Option(None, "--max-size",
                            help="Sizes above this (mm) are dropped (default 500).")
TIME_UNIT_OPT = typer.Option("day", "--time-unit", help="Generic format: 'day' or 'week'.")
SIZE_UNIT_OPT = typer.Option("mm", "--size-unit", help="Generic format: 'mm' or 'cm'.")
SEP_OPT = typer.Option(None, "--sep", help="CSV field separator: ',', ';' or 'tab' (default: "
                       "detected from the header line).")
DECIMAL_OPT = typer.Option(None, "--decimal", help="Decimal mark: '.' or ',' (default ',' for "
                           "';'-separated files, as spreadsheets of comma-decimal locales write).")


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


def read_input(file: Path, *, format: Format = Format.auto, mapping: str | None = None,
               tstm: str = "5", ne: str = "drop", blank: str = "drop", duplicates: str = "first",
               zero: str = "keep", max_size: float | None = None, time_unit: str = "day",
               size_unit: str = "mm", sep: str | None = None, decimal: str | None = None) -> Any:
    """Read a tumour-size file as every command does: the options above -> ``read_any``."""
    from ..data import read_any

    policy = _policy(tstm, ne, blank, duplicates, max_size, zero)
    columns = _parse_map(mapping) if mapping else None
    fmt = format.value if isinstance(format, Format) else str(format)
    if columns is not None and fmt == "auto":
        fmt = "generic"
    return read_any(file, format=fmt, policy=policy, time_unit=time_unit, size_unit=size_unit,
                    columns=columns, sep=_sep(sep), decimal=decimal)


def _sep(sep: str | None) -> str | None:
    if sep is None:
        return None
    return {"tab": "\t", "\\t": "\t", "semicolon": ";", "comma": ","}.get(sep.strip().lower(), sep)


def _write_json(path: Path, payload: dict) -> None:
    from ..data.writers import write_atomic

    try:
        text = json.dumps(payload, indent=2, allow_nan=False, default=str)
    except ValueError as exc:  # pragma: no cover - to_dict maps NaN to null
        raise ConfigError(f"report not JSON-serialisable: {exc}") from None
    write_atomic(path, lambda fh: fh.write((text + "\n").encode("utf-8")))


def check_output_file(path: Path, *, suffixes: tuple[str, ...] | None = None) -> None:
    """Fail before any work when ``path`` cannot be written (bad suffix, folder, no parent)."""
    from ..errors import DataError

    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise DataError(f"output file suffix must be one of {', '.join(suffixes)}", file=str(path))
    if path.is_dir():
        raise DataError("output path is a folder, not a file", file=str(path))
    if not path.parent.is_dir():
        raise DataError("output folder does not exist", file=str(path.parent))


@app.command("inspect")
def inspect(
    file: Path = typer.Argument(..., help="CSV or Parquet file of tumour sizes."),
    format: Format = FORMAT_OPT,
    json_out: Path | None = typer.Option(None, "--json", help="Write the full report (JSON) here."),
    out: Path | None = typer.Option(None, "--out", help="Write the cleaned canonical table here "
                                    "(.csv or .parquet, atomically)."),
    tstm: str = TSTM_OPT,
    ne: str = NE_OPT,
    blank: str = BLANK_OPT,
    duplicates: str = DUPLICATES_OPT,
    zero: str = ZERO_OPT,
    max_size: float | None = MAX_SIZE_OPT,
    time_unit: str = TIME_UNIT_OPT,
    size_unit: str = SIZE_UNIT_OPT,
    mapping: str | None = MAP_OPT,
    sep: str | None = SEP_OPT,
    decimal: str | None = DECIMAL_OPT,
) -> None:
    """Read FILE with the cleaning policy and print what was read, loaded, changed and dropped."""
    from rich.console import Console

    if json_out is not None:
        check_output_file(json_out)
    if out is not None:
        check_output_file(out, suffixes=(".csv", ".parquet", ".pq"))
    result = read_input(file, format=format, mapping=mapping, tstm=tstm, ne=ne, blank=blank,
                        duplicates=duplicates, zero=zero, max_size=max_size,
                        time_unit=time_unit, size_unit=size_unit, sep=sep, decimal=decimal)
    report = result.report
    Console().print(report.rich_table())
    if json_out is not None:
        _write_json(json_out, report.to_dict())
        typer.echo(f"report written to {json_out}")
    if out is not None:
        from ..data import write_tumour_sizes

        write_tumour_sizes(result.table, out, max_size_mm=report.policy.max_size_mm)
        typer.echo(f"cleaned table ({report.rows_loaded} rows) written to {out}")


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
    """Fetch a public data set and verify it: laleh2022 (PLOS S1 Data, downloaded) or poplar
    (the POPLAR patient file for the simulator's baselines, from a local copy: --from)."""
    import warnings

    from ..data.fetch import PLOS_S1_URL, UnverifiedDataWarning, fetch_laleh2022, fetch_poplar

    if dataset is Dataset.poplar:
        if source is None:
            raise ConfigError("poplar: give the CSV export of the POPLAR sheet with --from PATH "
                              "(its licence is not stated, so oncodyn does not download it)")
        if url is not None:
            raise ConfigError("poplar: --url is not used (give a local copy with --from)")
        result = fetch_poplar(source, dest, sha256=sha256, verify=verify)
        for message in result.warnings:
            typer.secho(f"warning: {message}", err=True, fg="yellow")
        typer.echo(f"poplar: sha256 {result.sha256} "
                   f"({'verified' if result.verified else 'NOT verified'})")
        typer.echo(f"written: {result.path}")
        return
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
