"""What the web app's pages call: uploads to canonical frames, RECIST, simulations, doses.

The pages only lay out widgets and results; everything here goes through oncodyn's public API and
raises :class:`oncodyn.errors.OncodynError` (or ``ValueError``) with a message a page can show.
No function here logs data or keeps a file: uploads are written, when a reader needs a path, into
a private temporary folder (mode 0700) that is deleted before the function returns.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, DataError

#: Largest upload the pages accept, in megabytes (``oncodyn app --max-upload-mb`` changes it).
DEFAULT_MAX_UPLOAD_MB = 50

_SUFFIXES = (".csv", ".parquet", ".pq")
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True)
class Upload:
    """One uploaded file: its name as the browser sent it (never used as a path) and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class LesionData:
    """Canonical RECIST input built from uploads or an example, with what was done to it."""

    lesions: Any
    assessments: Any = None
    subjects: Any = None
    source: str = ""
    notes: tuple[str, ...] = ()
    rows_read: int = 0
    format: str = "canonical"
    key: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


def _suffix(name: str) -> str:
    low = name.lower()
    for s in _SUFFIXES:
        if low.endswith(s):
            return ".parquet" if s == ".pq" else s
    raise DataError(f"{_display(name)}: unsupported file type (use .csv or .parquet)")


def _display(name: str) -> str:
    """A file name safe to show: the last path component, odd characters replaced, 80 chars."""
    base = str(name).replace("\\", "/").rsplit("/", 1)[-1]
    return _SAFE.sub("_", base)[:80] or "upload"


def check_sizes(uploads: Sequence[Upload], max_mb: float = DEFAULT_MAX_UPLOAD_MB) -> None:
    """Refuse uploads larger than ``max_mb`` megabytes in total, naming the limit."""
    total = sum(len(u.data) for u in uploads)
    if total > max_mb * 1024 * 1024:
        raise DataError(f"upload of {total / 1024 / 1024:.1f} MB is above the limit of "
                        f"{max_mb:g} MB (start the app with --max-upload-mb to change it)")


def upload_key(uploads: Sequence[Upload]) -> str:
    """A content hash of uploads (names and bytes): the cache key of what is read from them."""
    digest = hashlib.sha256()
    for u in sorted(uploads, key=lambda u: u.name):
        digest.update(u.name.encode("utf-8", "replace") + b"\0" + u.data)
    return digest.hexdigest()


def load_uploads(uploads: Sequence[Upload], *, max_mb: float = DEFAULT_MAX_UPLOAD_MB,
                 evaluator: str | None = None) -> LesionData:
    """Uploaded files -> canonical lesion frames.

    One CSV/Parquet file: a canonical lesion table (:func:`oncodyn.data.lesions.read_lesions`).
    Two or three files named ``tu.*``, ``tr.*`` (and optionally ``dm.*``): an SDTM TU + TR (+ DM)
    set (:func:`oncodyn.data.cdisc.read_sdtm`). Files are written under generated names
    (``lesions.csv``, ``tu.csv``...) in a private temporary folder deleted on return, so no
    user-supplied string is ever used as a path.
    """
    from ..data.cdisc import read_sdtm
    from ..data.lesions import read_lesions

    if not uploads:
        raise DataError("no file uploaded")
    check_sizes(uploads, max_mb)
    key = upload_key(uploads)
    stems = {}
    for u in uploads:
        stem = _display(u.name).lower().split(".", 1)[0]
        stems[stem] = u
    with tempfile.TemporaryDirectory(prefix="oncodyn-app-") as tmp:
        folder = Path(tmp)
        folder.chmod(0o700)
        if {"tu", "tr"} <= set(stems):
            for stem in ("tu", "tr", "dm"):
                if stem in stems:
                    u = stems[stem]
                    (folder / f"{stem}{_suffix(u.name)}").write_bytes(u.data)
            try:
                t = read_sdtm(folder, evaluator=evaluator)
            except DataError as exc:
                raise DataError(_strip_folder(str(exc), folder)) from None
            return LesionData(t.lesions, t.assessments, t.subjects,
                              source="SDTM " + " + ".join(_display(u.name) for u in uploads),
                              notes=tuple(t.notes), rows_read=len(t.lesions), format="sdtm",
                              key=key)
        if len(uploads) != 1:
            raise DataError("upload one lesion table, or an SDTM set named tu.*, tr.* (and dm.*)")
        u = uploads[0]
        path = folder / f"lesions{_suffix(u.name)}"
        path.write_bytes(u.data)
        try:
            les = read_lesions(path)
        except DataError as exc:
            raise DataError(_strip_folder(str(exc), folder, _display(u.name))) from None
        except (ValueError, UnicodeDecodeError, OSError) as exc:
            raise DataError(f"{_display(u.name)}: could not read the file "
                            f"({type(exc).__name__})") from None
        return LesionData(les, source=_display(u.name), rows_read=len(les), key=key)


def _strip_folder(msg: str, folder: Path, shown: str | None = None) -> str:
    """Error messages name the generated temp file: show the user's file name instead."""
    out = msg.replace(str(folder) + "/", "")
    if shown is not None:
        out = re.sub(r"lesions\.(csv|parquet)", shown, out)
    return out


def example_lesions(n_patients: int = 24, seed: int = 3) -> LesionData:
    """A bundled example: the scans of ``n_patients`` virtual NSCLC patients on docetaxel.

    Generated by the simulator (preset ``nsclc_docetaxel``, seeded), so no data file ships: the
    same seed always gives the same table.
    """
    from ..simulate import simulate

    res = simulate("nsclc_docetaxel", n_patients=n_patients, seed=seed, keep="all")
    les = res.lesions_frame()
    les = les.assign(subject_id=("VP-" + les["subject_id"].astype(str).str.zfill(3)))
    return LesionData(les, source="nsclc_docetaxel", rows_read=len(les), format="example",
                      key=f"example-{n_patients}-{seed}",
                      extra={"n": n_patients, "seed": seed, "preset": "nsclc_docetaxel"})


def recist_result(data: LesionData, options: Mapping[str, Any] | None = None) -> Any:
    """RECIST 1.1 evaluation of the data (:func:`oncodyn.recist.evaluate`)."""
    from ..recist import evaluate

    return evaluate(data.lesions, assessments=data.assessments, subjects=data.subjects,
                    options=dict(options or {}))


# ---------------------------------------------------------------------------- radiation
def radiation_summary(courses: Sequence[Mapping[str, Any]], alpha_beta: float,
                      lang: str = "en") -> dict[str, Any]:
    """BED and EQD2 of each course and their sum (linear-quadratic model).

    ``courses``: dicts with ``kind`` ``"fractions"`` (``n``, ``d`` Gy) or ``"ldr"`` (``rate``
    Gy/h, ``hours``). Formulas and sources: :mod:`oncodyn.models.radiation` (Fowler 1989; Dale
    1985 for LDR). Summing BED over courses assumes full repair between them. ``lang``: the
    language of the ``schedule`` labels ("25 × 1.8 Gy", "25 × 1,8 Gy").
    """
    from ..models import radiation as rt
    from ..report.typography import quantity

    objs, labels = [], []
    for c in courses:
        if c["kind"] == "fractions":
            objs.append(rt.Fractionation(int(c["n"]), float(c["d"])))
            label = f"{int(c['n'])} × " + quantity(float(c["d"]), "Gy", lang,
                                                   _digits(float(c["d"])))
        elif c["kind"] == "ldr":
            objs.append(rt.ContinuousLDR(float(c["rate"]), float(c["hours"])))
            label = (quantity(float(c["rate"]), "Gy/h", lang, _digits(float(c["rate"])))
                     + " × " + quantity(float(c["hours"]), "h", lang,
                                        _digits(float(c["hours"]))))
        else:
            raise ConfigError(f"unknown course kind {c['kind']!r}")
        labels.append((c.get("name", label), label))
    summed = rt.summed_bed(objs, alpha_beta)
    rows = [{"course": name, "schedule": label, **r}
            for (name, label), r in zip(labels, summed["courses"], strict=True)]
    return {"alpha_beta_gy": alpha_beta, "courses": rows, "bed_gy": summed["bed_gy"],
            "eqd2_gy": summed["eqd2_gy"]}


def _digits(x: float) -> int:
    """Decimals needed to write ``x`` as typed (at most 3): 2 -> 0, 1.8 -> 1, 0.05 -> 2."""
    for k in range(4):
        if abs(round(x, k) - x) < 1e-9:
            return k
    return 3


# ---------------------------------------------------------------------------- scenarios
SCHEDULES = ("q6w", "q8w", "q9w", "q6w_then_q9w", "q12w")
POLICIES = ("stop_at_pd", "continue", "switch_at_pd", "holiday_after_response", "adaptive")


def scenario_settings(name: str) -> dict[str, Any]:
    """The editable settings of a preset (what the Scenario page shows as widgets)."""
    from ..scenarios import load_scenario

    sc = load_scenario(name)
    chemo = sc.chemo
    return {
        "preset": name,
        "dose_mg_m2": float(chemo.dose_mg_m2) if chemo is not None else 0.0,
        "cycle_days": int(chemo.cycle_days) if chemo is not None else 21,
        "n_cycles": int(chemo.n_cycles) if chemo is not None else 0,
        "imaging": sc.imaging.schedule if isinstance(sc.imaging.schedule, str) else "q6w",
        "policy": sc.policy.kind,
        "radiation": [{"name": r.name, "modality": r.modality,
                       "dose_per_fraction_gy": float(r.dose_per_fraction_gy),
                       "n_fractions": int(r.n_fractions)} for r in sc.radiation],
    }


def build_scenario(settings: dict[str, Any]) -> Any:
    """A validated :class:`oncodyn.patients.Scenario` from a preset and the page's settings.

    Raises :class:`oncodyn.errors.ConfigError` naming the setting that is not valid.
    """
    from ..patients.config import scenario_from_dict
    from ..scenarios import load_scenario

    sc = load_scenario(settings["preset"])
    data = sc.model_dump()
    if data.get("chemo") is not None:
        data["chemo"].update(dose_mg_m2=settings["dose_mg_m2"], cycle_days=settings["cycle_days"],
                             n_cycles=settings["n_cycles"])
    data["imaging"]["schedule"] = settings["imaging"]
    data["policy"]["kind"] = settings["policy"]
    by_name = {r["name"]: r for r in settings.get("radiation", [])}
    if not settings.get("keep_radiation", True):
        data["radiation"] = []
    else:
        for r in data.get("radiation", []):
            if r["name"] in by_name and r["modality"] != "ldr":
                r["dose_per_fraction_gy"] = by_name[r["name"]]["dose_per_fraction_gy"]
                r["n_fractions"] = by_name[r["name"]]["n_fractions"]
    return scenario_from_dict(data, source=f"preset {settings['preset']} with the page's settings")


def run_scenario(settings: dict[str, Any], n_patients: int, seed: int) -> Any:
    """Simulate ``n_patients`` under the settings (all outputs kept for the figures)."""
    from ..simulate import simulate

    if not (1 <= int(n_patients) <= 20_000):
        raise ConfigError(f"number of patients must be between 1 and 20000, got {n_patients}")
    return simulate(build_scenario(settings), n_patients=int(n_patients), seed=int(seed),
                    keep="all")


# ---------------------------------------------------------------------------- case report
def case_facts(result: Any, subject: str) -> dict[str, Any]:
    from ..report.case import case_facts as facts

    return facts(result, subject)


def case_report_html(result: Any, subject: str, lang: str, population: Any = None) -> str:
    """The same report as ``oncodyn report --format html`` for one subject of a RECIST result."""
    from ..report.case import case_html
    from ..report.case_io import forecast_for_case

    fc, why = forecast_for_case(result, subject, population)
    return case_html(case_facts(result, subject), lang, fc, why)


def case_report_bytes(result: Any, subject: str, lang: str, population: Any = None,
                      fmt: str = "html") -> bytes:
    """The report of ``oncodyn report --format html|pdf`` for one subject, as bytes."""
    from ..report.case import case_pdf

    if fmt == "html":
        return case_report_html(result, subject, lang, population).encode("utf-8")
    if fmt == "pdf":
        from ..report.case_io import forecast_for_case

        fc, why = forecast_for_case(result, subject, population)
        return case_pdf(case_facts(result, subject), lang, fc, why)
    raise ConfigError(f"format must be html or pdf, got {fmt!r}")


def case_report_maker(result: Any, subject: str, lang: str, population: Any = None,
                      fmt: str = "html") -> Any:
    """A function of no argument writing the report (a download button calls it on click)."""
    return lambda: case_report_bytes(result, subject, lang, population, fmt)


# ---------------------------------------------------------------------------- trials
def trial_design(arms: Sequence[Mapping[str, Any]], n_per_arm: int, seed: int) -> Any:
    """A two-arm :class:`oncodyn.trials.design.TrialDesign` from the Trial page's arms.

    ``arms``: two dicts ``{"label", "preset", "dose_scale"}``; the first is the control arm.
    ``dose_scale`` multiplies the preset's chemotherapy dose; 0 means untreated (no
    chemotherapy, no radiotherapy).
    """
    from ..scenarios import load_scenario
    from ..trials.design import design_from_dict

    if len(arms) != 2:
        raise ConfigError("a trial needs two arms")
    if not (2 <= int(n_per_arm) <= 5000):
        raise ConfigError(f"patients per arm must be between 2 and 5000, got {n_per_arm}")
    cfg: dict[str, Any] = {}
    for arm in arms:
        sc = load_scenario(arm["preset"])
        scale = float(arm["dose_scale"])
        entry: dict[str, Any] = {"scenario": arm["preset"], "label": str(arm["label"])}
        if scale <= 0:
            entry["untreated"] = True
        elif sc.chemo is not None and scale != 1.0:
            entry["overrides"] = {"chemo": {"dose_mg_m2": round(sc.chemo.dose_mg_m2 * scale, 3)}}
        cfg[str(arm["label"])] = entry
    return design_from_dict({"name": "app_trial", "n_patients": 2 * int(n_per_arm),
                             "seed": int(seed), "control": str(arms[0]["label"]),
                             "endpoints": ["orr", "pfs", "os"], "primary": "os",
                             "arms": cfg}, source="trial page")


def run_two_arm_trial(arms: Sequence[Mapping[str, Any]], n_per_arm: int, seed: int) -> Any:
    """One virtual trial (:func:`oncodyn.trials.run.run_trial`, no replicates)."""
    from ..trials.run import run_trial

    return run_trial(trial_design(arms, n_per_arm, seed), replicates=0)
