"""``oncodyn recist INPUT --out DIR``: RECIST 1.1 evaluation of lesion-level data.

Reads a canonical lesion table (or SDTM TU/TR), evaluates it with :func:`oncodyn.recist.evaluate`,
and writes time-point responses, best overall response, PFS, SDTM RS, ADaM ADRS/ADTTE-style
tables and spider/waterfall/swimmer figures. Everything is written into a temporary folder next
to ``--out`` and moved into place only when every output succeeded, so a failure leaves no
half-written output folder.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import ConfigError, DataError

_CANONICAL_STEMS = ("lesions", "assessments", "subjects")
_SUFFIXES = (".csv", ".parquet", ".pq")


def load_options_toml(path: str | os.PathLike | None) -> Any:
    """Parse a TOML options file into :class:`oncodyn.recist.options.RecistOptions`.

    Keys are the option names of RECIST.md §R12, either at the top level or inside a
    ``[recist]`` table; ``missed_visit_censoring`` is a sub-table ``{enabled, max_missed}``.

    Raises
    ------
    ConfigError
        Invalid TOML, an unknown key (the message names it and lists the allowed keys) or a bad
        value; the message starts with the file name.
    """
    import tomllib

    from ..recist.options import RecistOptions

    if path is None:
        return RecistOptions()
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"options file not found: {p}")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: invalid TOML: {exc}") from None
    if set(data) == {"recist"} and isinstance(data["recist"], dict):
        data = data["recist"]
    try:
        return RecistOptions.from_dict(data)
    except ConfigError as exc:
        raise ConfigError(f"{p}: {exc}") from None
    except TypeError as exc:  # e.g. a sub-table where a value was expected
        raise ConfigError(f"{p}: {exc}") from None


def _pick(folder: Path, stem: str) -> Path | None:
    for suffix in _SUFFIXES:
        p = folder / f"{stem}{suffix}"
        if p.exists():
            return p
    return None


def load_input(path: Path, fmt: str = "auto", evaluator: str | None = None) -> dict[str, Any]:
    """Load INPUT as canonical frames: ``lesions``, ``assessments``, ``subjects``, ``notes``,
    ``files`` (what was read) and ``format``.

    ``canonical``: a lesion file, or a folder with ``lesions.*`` and optional
    ``assessments.*``/``subjects.*``. ``sdtm``: a folder with ``tu.*``, ``tr.*``, optional
    ``dm.*``. ``auto`` decides from what is there.
    """
    from ..data import cdisc
    from ..data.lesions import read_assessments, read_lesions, read_subjects

    if fmt not in ("auto", "canonical", "sdtm"):
        raise ConfigError(f"--format must be auto, canonical or sdtm (got {fmt!r})")
    if not path.exists():
        raise FileNotFoundError(2, "No such file", str(path))
    if fmt == "auto":
        if path.is_dir():
            fmt = "sdtm" if cdisc._find(path, "tu") and cdisc._find(path, "tr") else "canonical"
        else:
            fmt = "canonical"
    if fmt == "sdtm":
        if not path.is_dir():
            raise DataError("SDTM input must be a folder holding tu.* and tr.* (and dm.*)",
                            file=str(path))
        t = cdisc.read_sdtm(path, evaluator=evaluator)
        return {"format": "sdtm", "lesions": t.lesions, "assessments": t.assessments,
                "subjects": t.subjects, "notes": list(t.notes),
                "files": {"lesions": str(cdisc._find(path, "tr"))}}
    files: dict[str, str] = {}
    if path.is_dir():
        les = _pick(path, "lesions")
        if les is None:
            raise DataError("folder has no lesions.csv / lesions.parquet (canonical input) "
                            "nor tu.* + tr.* (SDTM input)", file=str(path))
        files["lesions"] = str(les)
        asm, sub = _pick(path, "assessments"), _pick(path, "subjects")
    else:
        les, asm, sub = path, None, None
        files["lesions"] = str(path)
    out = {"format": "canonical", "lesions": read_lesions(les), "assessments": None,
           "subjects": None, "notes": [], "files": files}
    if asm is not None:
        out["assessments"] = read_assessments(asm)
        files["assessments"] = str(asm)
    if sub is not None:
        out["subjects"] = read_subjects(sub)
        files["subjects"] = str(sub)
    return out


def _engine_error(exc: DataError, data: dict[str, Any], frames: dict[str, Any]) -> DataError:
    """Re-attach the file name to an engine DataError (the engine names 0-based frame rows).

    Canonical input: the frame rows are the file's data rows, so row = engine row + 1. SDTM
    input: the canonical rows were built from several TR records, so the message names the
    subject, time point and lesion instead of a TR row.
    """
    msg = str(exc)
    if exc.row is not None or exc.column is not None:
        msg = msg.split(": ", 1)[-1]
    col, files = exc.column, data["files"]
    which = "lesions"
    for name in ("subjects", "assessments"):
        df = frames.get(name)
        if df is not None and col is not None and col in df.columns and (
                col not in frames["lesions"].columns):
            which = name
    row = None if exc.row is None else exc.row + 1
    df = frames.get(which)
    if row is not None and df is not None and row <= len(df):
        rec = df.iloc[row - 1]
        where = ", ".join(f"{k} {rec[k]}" for k in ("subject_id", "tp", "lesion_id")
                          if k in df.columns)
        msg = f"{msg} ({where})"
    if data["format"] == "sdtm":
        return DataError(msg, file=files.get("lesions"), column=col)
    return DataError(msg, file=files.get(which, files.get("lesions")), row=row, column=col)


def _engine_frame(df: Any, allowed: tuple[str, ...], name: str, notes: list[str]) -> Any:
    """The columns the engine accepts; other columns are reported in ``notes``."""
    if df is None:
        return df
    extra = [c for c in df.columns if c not in allowed]
    if extra:
        notes.append(f"{name}: column(s) not used by the RECIST engine: {', '.join(extra)}")
    return df[[c for c in df.columns if c in allowed]]


def run_recist(input_path: Path, out: Path, *, options_path: Path | None = None,
               fmt: str = "auto", evaluator: str | None = None, studyid: str = "STUDY",
               plots: bool = True, force: bool = False) -> dict[str, Any]:
    """Evaluate INPUT and write every output into ``out`` (atomically). Returns a summary."""
    from .. import __version__
    from ..data import cdisc
    from ..data.lesions import write_table
    from ..recist import evaluate
    from ..recist.tables import LESION_COLUMNS, SUBJECT_DATE_COLUMNS

    opts = load_options_toml(options_path)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not force)):
        raise ConfigError(f"output folder {out} exists and is not empty (use --force to "
                          "overwrite its files)")
    data = load_input(input_path, fmt, evaluator)
    lesions = _engine_frame(data["lesions"], LESION_COLUMNS, "lesions", data["notes"])
    subjects = _engine_frame(data["subjects"], ("subject_id", *SUBJECT_DATE_COLUMNS),
                             "subjects", data["notes"])
    frames = {"lesions": lesions, "assessments": data["assessments"], "subjects": subjects}
    try:
        result = evaluate(lesions, assessments=data["assessments"], subjects=subjects,
                          options=opts)
        confirmed = result if opts.confirmation_required else evaluate(
            lesions, assessments=data["assessments"], subjects=subjects,
            options=opts.with_changes(confirmation_required=True))
    except DataError as exc:
        raise _engine_error(exc, data, frames) from None

    subj_for_dates = result.subjects if hasattr(result, "subjects") else subjects
    criteria = "iRECIST" if opts.irecist else "RECIST 1.1"
    tables = {
        "timepoints": result.timepoints, "best_response": result.best_response,
        "pfs": result.pfs,
        "rs": cdisc.to_rs(result, studyid=studyid, assessments=data["assessments"],
                          subjects=subj_for_dates, criteria=criteria),
        "adrs": cdisc.to_adrs(result, studyid=studyid, assessments=data["assessments"],
                              subjects=subj_for_dates, confirmed=confirmed,
                              criteria=criteria),
        "adtte": cdisc.to_adtte(result, studyid=studyid, subjects=subj_for_dates),
    }
    baseline = getattr(result, "baseline", None)
    if baseline is not None and hasattr(baseline, "to_csv"):
        tables["baseline"] = baseline
    messages = getattr(result, "messages", None)
    if messages is not None and hasattr(messages, "to_csv"):
        tables["messages"] = messages

    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        written = []
        for name, df in tables.items():
            written.append(write_table(df, tmp / f"{name}.csv").name)
            if name in ("timepoints", "best_response", "pfs"):
                written.append(write_table(df, tmp / f"{name}.parquet").name)
        if plots:
            written += _write_plots(result, tmp)
        run = {"oncodyn_version": __version__, "input": str(input_path),
               "format": data["format"], "files_read": data["files"],
               "options": _options_dict(opts), "notes": data["notes"],
               "not_a_clinical_decision_tool": True}
        (tmp / "run.json").write_text(json.dumps(run, indent=2, default=str) + "\n")
        written.append("run.json")
        if not out.exists():
            os.replace(tmp, out)
        else:
            for name in written:
                os.replace(tmp / name, out / name)
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {"out": out, "files": sorted(written), "result": result, "confirmed": confirmed,
            "notes": data["notes"], "format": data["format"]}


def _options_dict(opts: Any) -> dict[str, Any]:
    from dataclasses import asdict, is_dataclass

    return asdict(opts) if is_dataclass(opts) else dict(opts)


def _write_plots(result: Any, folder: Path) -> list[str]:
    from ..plot.recist import spider, swimmer, waterfall

    names = []
    for name, draw in (
        ("spider", lambda: spider(result.timepoints, best_response=result.best_response)),
        ("waterfall", lambda: waterfall(result.best_response)),
        ("swimmer", lambda: swimmer(result.timepoints, result.best_response, result.pfs)),
    ):
        ax = draw()
        ax.figure.savefig(folder / f"{name}.png", dpi=130)
        names.append(f"{name}.png")
    return names


def _summary(info: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    res = info["result"]
    br = res.best_response
    n = len(br)
    console = Console()
    console.print(f"[bold]{res.options.criteria} results written to[/bold] {info['out']}")
    t = Table(title=f"Best overall response ({n} subjects)")
    t.add_column("BOR")
    t.add_column("n", justify="right")
    t.add_column("%", justify="right")
    t.add_column("confirmed BOR n", justify="right")
    counts = br["bor"].value_counts()
    ccounts = info["confirmed"].best_response["bor"].value_counts()
    cats = ["CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE"]
    cats += sorted((set(counts.index) | set(ccounts.index)) - set(cats))  # iRECIST codes
    for cat in cats:
        if cat in counts.index or cat in ccounts.index:
            k = int(counts.get(cat, 0))
            t.add_row(cat, str(k), f"{100 * k / n:.1f}" if n else "-",
                      str(int(ccounts.get(cat, 0))))
    console.print(t)
    orr = int(br["bor"].isin(["CR", "PR", "iCR", "iPR"]).sum())
    events = int(res.pfs["event"].astype(bool).sum())
    console.print(f"objective response (CR+PR): {orr}/{n}; PFS events: {events}/{len(res.pfs)}"
                  f"; files: {', '.join(info['files'])}")
    for note in info["notes"]:
        console.print(f"[yellow]note:[/yellow] {note}")


def recist(
    input: Annotated[Path, typer.Argument(
        metavar="INPUT", help="Canonical lesion table (.csv/.parquet), a folder with lesions.* [+ assessments.*, "
             "subjects.*], or an SDTM folder with tu.*, tr.* [+ dm.*].")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (new or empty).")],
    options: Annotated[Path | None, typer.Option(
        "--options", help="TOML file of RECIST options (RECIST.md R12).")] = None,
    format: Annotated[str, typer.Option(
        "--format", help="Input format: auto, canonical or sdtm.")] = "auto",
    evaluator: Annotated[str | None, typer.Option(
        "--evaluator", help="SDTM TUEVAL/TREVAL to keep (e.g. INVESTIGATOR).")] = None,
    studyid: Annotated[str, typer.Option("--studyid", help="STUDYID for RS/ADRS/ADTTE.")]
    = "STUDY",
    plots: Annotated[bool, typer.Option("--plots/--no-plots", help="Write PNG figures.")]
    = True,
    force: Annotated[bool, typer.Option("--force", help="Overwrite files in a non-empty "
                                                        "output folder.")] = False,
) -> None:
    """Evaluate RECIST 1.1 responses, BOR and PFS; write tables (CSV + Parquet), SDTM RS,
    ADaM ADRS/ADTTE-style tables and spider/waterfall/swimmer plots."""
    info = run_recist(input, out, options_path=options, fmt=format, evaluator=evaluator,
                      studyid=studyid, plots=plots, force=force)
    _summary(info)
