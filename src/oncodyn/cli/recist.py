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
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import ConfigError, DataError


def load_options_toml(path: str | os.PathLike | None) -> Any:
    """Parse a TOML options file into :class:`oncodyn.recist.options.RecistOptions`.

    Keys are the option names of docs/recist.md#r12, either at the top level or inside a
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


def load_input(path: Path, fmt: str = "auto", evaluator: str | None = None,
               sdtm_options: dict[str, Any] | None = None) -> dict[str, Any]:
    """:func:`oncodyn.data.recist_input.load_recist_input` (imported when first used)."""
    from ..data.recist_input import load_recist_input

    return load_recist_input(path, fmt, evaluator, sdtm_options)


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
               fmt: str = "auto", evaluator: str | None = None, studyid: str | None = None,
               plots: bool = True, force: bool = False,
               sdtm_options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Evaluate INPUT and write every output into ``out`` (atomically and exclusively: see
    :mod:`oncodyn.data.outputs`; ``force`` replaces an earlier oncodyn output, never a folder of
    other files). ``studyid``: STUDYID of RS/ADRS/ADTTE, default the SDTM files' own (else
    ``"STUDY"``). Returns a summary."""
    from ..data.outputs import reserve_output_folder

    opts = load_options_toml(options_path)
    # bad, busy or foreign --out: one-line error before reading; the lock is held to the end
    with reserve_output_folder(out, overwrite=force) as folder:
        return _evaluate_and_write(folder, input_path, opts, fmt=fmt, evaluator=evaluator,
                                   studyid=studyid, plots=plots, sdtm_options=sdtm_options)


def _evaluate_and_write(folder: Any, input_path: Path, opts: Any, *, fmt: str,
                        evaluator: str | None, studyid: str | None, plots: bool,
                        sdtm_options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Body of :func:`run_recist` once ``folder`` (an OutputFolder) is reserved."""
    from .. import __version__
    from ..data import cdisc
    from ..data.lesions import write_table
    from ..recist import confirmed_best_response, evaluate
    from ..recist.tables import LESION_COLUMNS, SUBJECT_DATE_COLUMNS

    data = load_input(input_path, fmt, evaluator, sdtm_options)
    if studyid is None:
        studyid = data.get("studyid") or "STUDY"
        if not data.get("studyid") and data["format"] == "sdtm":
            data["notes"].append("STUDYID not found in the input: RS/ADRS/ADTTE use 'STUDY' "
                                 "(pass --studyid)")
    lesions = _engine_frame(data["lesions"], LESION_COLUMNS, "lesions", data["notes"])
    subjects = _engine_frame(data["subjects"], ("subject_id", *SUBJECT_DATE_COLUMNS),
                             "subjects", data["notes"])
    frames = {"lesions": lesions, "assessments": data["assessments"], "subjects": subjects}
    try:
        result = evaluate(lesions, assessments=data["assessments"], subjects=subjects,
                          options=opts)
        # BOR with confirmation required (ADRS CBOR/CRSP), from the same time points; only
        # pr_continuation="faq" makes the time points depend on it, so evaluate again there
        confirmed_br = confirmed_best_response(result)
        if confirmed_br is None:
            confirmed_br = evaluate(
                lesions, assessments=data["assessments"], subjects=subjects,
                options=opts.with_changes(confirmation_required=True)).best_response
    except DataError as exc:
        raise _engine_error(exc, data, frames) from None
    # the lesion rows are not needed past evaluation: release them before the tables are built
    del lesions, frames
    data["lesions"] = None

    subj_for_dates = result.subjects if hasattr(result, "subjects") else subjects
    criteria = "iRECIST" if opts.irecist else "RECIST 1.1"
    # the CDISC tables are built when written, one at a time (RS alone has ~24 records per
    # subject: holding RS, ADRS and ADTTE together would raise the peak memory for nothing)
    tables: dict[str, Any] = {
        "timepoints": result.timepoints, "best_response": result.best_response,
        "pfs": result.pfs,
        "rs": lambda: cdisc.to_rs(result, studyid=studyid, assessments=data["assessments"],
                                  subjects=subj_for_dates, criteria=criteria),
        "adrs": lambda: cdisc.to_adrs(result, studyid=studyid, assessments=data["assessments"],
                                      subjects=subj_for_dates,
                                      confirmed={"best_response": confirmed_br},
                                      criteria=criteria),
        "adtte": lambda: cdisc.to_adtte(result, studyid=studyid, subjects=subj_for_dates),
    }
    baseline = getattr(result, "baseline", None)
    if baseline is not None and hasattr(baseline, "to_csv"):
        tables["baseline"] = baseline
    messages = getattr(result, "messages", None)
    if messages is not None and hasattr(messages, "to_csv"):
        tables["messages"] = messages
    findings = data.get("findings")
    if findings is not None and len(findings):
        tables["sdtm_findings"] = findings  # every imputed date, every study-day disagreement

    files: dict[str, Any] = {}
    for name, df in tables.items():
        files[f"{name}.csv"] = lambda path, df=df: write_table(df() if callable(df) else df,
                                                             path)
        if name in ("timepoints", "best_response", "pfs"):
            files[f"{name}.parquet"] = lambda path, df=df: write_table(df, path)
    if plots:
        files.update(_plot_writers(result))
    run = {"oncodyn_version": __version__, "input": str(input_path),
           "format": data["format"], "files_read": data["files"],
           "options": _options_dict(opts), "notes": data["notes"],
           "not_a_clinical_decision_tool": True}
    files["run.json"] = json.dumps(run, indent=2, default=str) + "\n"
    out = folder.write(files).resolve()
    return {"out": out, "files": sorted(files), "result": result,
            "confirmed_best_response": confirmed_br,
            "notes": data["notes"], "format": data["format"],
            "validation": validation_errors(result),
            "no_tumour_data": tuple(data.get("no_tumour_data") or ()),
            "findings": findings}


def validation_errors(result: Any) -> dict[str, Any]:
    """Baseline validation errors of a result (messages of level ``error``, R2): number of
    subjects, of messages, and messages per code family (``TOO_MANY_TARGETS``...)."""
    m = getattr(result, "messages", None)
    if m is None or not len(m):
        return {"subjects": 0, "messages": 0, "codes": {}}
    err = m[m["level"] == "error"]
    fam = err["code"].astype(str).str.split(":").str[0].value_counts()
    return {"subjects": int(err["subject_id"].nunique()), "messages": len(err),
            "codes": {str(k): int(v) for k, v in fam.items()}}


def _options_dict(opts: Any) -> dict[str, Any]:
    from dataclasses import asdict, is_dataclass

    return asdict(opts) if is_dataclass(opts) else dict(opts)


def _plot_writers(result: Any) -> dict[str, Any]:
    """File name -> writer of the spider, waterfall and swimmer figures (drawn one at a time)."""
    from ..plot.recist import spider, swimmer, waterfall

    draws = {
        "spider.png": lambda: spider(result.timepoints, best_response=result.best_response),
        "waterfall.png": lambda: waterfall(result.best_response),
        "swimmer.png": lambda: swimmer(result.timepoints, result.best_response, result.pfs),
    }

    def writer(draw: Any) -> Any:
        def write(path: Path) -> None:
            ax = draw()
            ax.figure.savefig(path, dpi=130)
        return write

    return {name: writer(draw) for name, draw in draws.items()}


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
    ccounts = info["confirmed_best_response"]["bor"].value_counts()
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
    v = info.get("validation") or {"subjects": 0}
    if v["subjects"]:
        codes = ", ".join(f"{k} x{n}" for k, n in v["codes"].items())
        console.print(f"[red]baseline validation errors:[/red] {v['subjects']} of {n} subjects "
                      f"({v['messages']} messages: {codes}); see messages.csv; --strict makes "
                      "them fail the run")
    missing = info.get("no_tumour_data") or ()
    if missing:
        console.print(f"[yellow]missing:[/yellow] {len(missing)} DM subject(s) without tumour "
                      "data (not in the BOR table above unless --dm-without-tumour-data "
                      "include)")
    f = info.get("findings")
    if f is not None and len(f):
        counts = f["finding"].value_counts()
        console.print("[yellow]SDTM findings:[/yellow] " + ", ".join(
            f"{k} x{int(c)}" for k, c in counts.items()) + " (sdtm_findings.csv)")
    for note in info["notes"]:
        console.print(f"[yellow]note:[/yellow] {note}")


def recist(
    input: Annotated[Path, typer.Argument(
        metavar="INPUT", help="Canonical lesion table (.csv/.parquet), a folder with lesions.* [+ assessments.*, "
             "subjects.*], or an SDTM folder with tu.*, tr.* [+ dm.*].")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (new or empty).")],
    options: Annotated[Path | None, typer.Option(
        "--options", help="TOML file of RECIST options (docs/recist.md#r12).")] = None,
    format: Annotated[str, typer.Option(
        "--format", help="Input format: auto, canonical or sdtm.")] = "auto",
    evaluator: Annotated[str | None, typer.Option(
        "--evaluator", help="SDTM TUEVAL/TREVAL to keep (e.g. INVESTIGATOR).")] = None,
    evaluator_id: Annotated[str | None, typer.Option(
        "--evaluator-id", help="SDTM TUEVALID/TREVALID to keep (one reader, e.g. "
        "'RADIOLOGIST 1'); readers are never pooled.")] = None,
    partial_dates: Annotated[str, typer.Option(
        "--partial-dates", help="SDTM partial dates (2014-01): 'first' or 'last' day of the "
        "month when the study day cannot place them, or 'error'; each imputation is listed "
        "in sdtm_findings.csv.")] = "first",
    repeated_scans: Annotated[str, typer.Option(
        "--repeated-scans", help="Two scans of a lesion under one VISITNUM on different "
        "dates: 'error' or 'split' (one time point per date).")] = "error",
    dm_without_tumour_data: Annotated[str, typer.Option(
        "--dm-without-tumour-data", help="DM subjects without tumour records: 'exclude' "
        "(reported as missing, not in denominators) or 'include' (BOR NE).")] = "exclude",
    strict: Annotated[bool, typer.Option(
        "--strict", help="Exit with status 1 when any subject has a baseline validation "
        "error (outputs are still written).")] = False,
    studyid: Annotated[str | None, typer.Option(
        "--studyid", help="STUDYID for RS/ADRS/ADTTE (default: the SDTM files' STUDYID, "
        "else STUDY).")] = None,
    plots: Annotated[bool, typer.Option("--plots/--no-plots", help="Write PNG figures.")]
    = True,
    force: Annotated[bool, typer.Option("--force", help="Replace an earlier oncodyn output "
                                        "folder at --out (never a folder of other files).")]
    = False,
) -> None:
    """Evaluate RECIST 1.1 responses, BOR and PFS; write tables (CSV + Parquet), SDTM RS,
    ADaM ADRS/ADTTE-style tables and spider/waterfall/swimmer plots."""
    for name, value, allowed in (("--partial-dates", partial_dates, ("first", "last", "error")),
                                 ("--repeated-scans", repeated_scans, ("error", "split")),
                                 ("--dm-without-tumour-data", dm_without_tumour_data,
                                  ("exclude", "include"))):
        if value not in allowed:
            raise ConfigError(f"{name} must be {' or '.join(allowed)} (got {value!r})")
    sdtm = {"evaluator_id": evaluator_id, "partial_dates": partial_dates,
            "repeated_scans": repeated_scans,
            "subjects_without_tumour_data": dm_without_tumour_data}
    info = run_recist(input, out, options_path=options, fmt=format, evaluator=evaluator,
                      studyid=studyid, plots=plots, force=force, sdtm_options=sdtm)
    _summary(info)
    v = info["validation"]
    if strict and v["subjects"]:
        typer.echo(f"error: {v['subjects']} subject(s) have baseline validation errors "
                   "(--strict); outputs written, see messages.csv", err=True)
        raise typer.Exit(1)
