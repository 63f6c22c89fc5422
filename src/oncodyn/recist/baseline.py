"""Baseline measurability (R1) and target-selection checks (R2) of RECIST 1.1.

Source: Eisenhauer EA et al., Eur J Cancer 2009;45:228-247, sections 3.1-3.3 (measurability: 10 mm
on CT/MRI with slices <= 5 mm, 2 x slice thickness otherwise, 10 mm by caliper, 20 mm on chest
X-ray; nodes: short axis >= 15 mm measurable, 10 to < 15 mm pathological non-measurable, < 10 mm
normal) and section 3.3 (at most 5 targets, at most 2 per organ); Schwartz LH et al., Eur J Cancer
2016;62:132-137 and the RECIST FAQ (all lymph nodes count as one organ; paired organs are one).
All thresholds are inclusive (R1.5) and compared in integer hundredths of a mm (R0.3).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .tables import MISSING, SCALE

MAX_TARGETS = 5  #: RECIST 1.1 section 3.3.1
MAX_PER_ORGAN = 2  #: RECIST 1.1 section 3.3.1
NODE_MEASURABLE_U = 15 * SCALE  #: short axis >= 15 mm (R1.2)
NODE_PATHOLOGICAL_U = 10 * SCALE  #: short axis >= 10 mm (R1.2)
_PREFIXES = ("left ", "right ", "bilateral ", "both ")
_PLURALS = {"lungs": "lung", "kidneys": "kidney", "ovaries": "ovary", "adrenals": "adrenal gland",
            "adrenal glands": "adrenal gland", "breasts": "breast", "lymph nodes": "lymph node"}


def organ_group(organ: str, nodal: bool) -> str:
    """Organ used for the per-organ cap (R2.2): all nodes -> "lymph node"; paired organs merged."""
    if nodal:
        return "lymph node"
    o = organ.strip().lower()
    for p in _PREFIXES:
        if o.startswith(p):
            o = o[len(p):]
    return _PLURALS.get(o, o)


def min_measurable_units(method: np.ndarray, slice_mm: np.ndarray) -> np.ndarray:
    """Minimum measurable LD of a non-nodal lesion (R1.1), in integer units.

    CT/MRI: 10 mm when slices are <= 5 mm (or unknown), else 2 x slice thickness; caliper 10 mm;
    chest X-ray 20 mm.
    """
    sl = np.asarray(slice_mm, dtype=float)
    thick = np.isfinite(sl) & (sl > 5.0)
    ct = np.where(thick, np.rint(2.0 * np.where(thick, sl, 0.0) * SCALE), 10 * SCALE)
    out = np.where(method == "CHEST_XRAY", 20 * SCALE, np.where(method == "CALIPER", 10 * SCALE,
                                                                 ct))
    return out.astype(np.int64)


def classify(lesions: pd.DataFrame) -> pd.DataFrame:
    """Per-lesion baseline classification (R1) of the tp-0 rows of a prepared lesion table.

    Returns a frame with subject_id, lesion_id, role, organ, organ_group, nodal, method,
    slice_mm, ld_mm, sa_mm, min_measurable_mm and classification (``MEASURABLE``,
    ``NON_MEASURABLE``, ``NON_MEASURABLE_PATHOLOGICAL_NODE``, ``NORMAL_NODE``).
    """
    cols = ["subject_id", "lesion_id", "role", "organ", "nodal", "method", "slice_mm", "ld_mm",
            "sa_mm", "ld_u", "sa_u", "state"]
    b = lesions.loc[((lesions["tp"] == 0) & (lesions["parent_lesion_id"] == "")
                     & (lesions["role"] != "NEW")).to_numpy(), cols]
    nodal = b["nodal"].to_numpy()
    ld = b["ld_u"].to_numpy()
    sa = b["sa_u"].to_numpy()
    mn = min_measurable_units(b["method"].to_numpy(), b["slice_mm"].to_numpy())
    cls = np.where(
        nodal,
        np.where(sa == MISSING, "NON_MEASURABLE_PATHOLOGICAL_NODE",
                 np.where(sa >= NODE_MEASURABLE_U, "MEASURABLE",
                          np.where(sa >= NODE_PATHOLOGICAL_U, "NON_MEASURABLE_PATHOLOGICAL_NODE",
                                   "NORMAL_NODE"))),
        np.where((ld != MISSING) & (ld >= mn), "MEASURABLE", "NON_MEASURABLE"))
    oc, ou = pd.factorize(b["organ"].to_numpy())
    gmap = np.array([organ_group(o, False) for o in ou] + [""], dtype=object)
    groups = np.where(nodal, "lymph node", gmap[oc])
    return pd.DataFrame({
        "subject_id": b["subject_id"].to_numpy(), "lesion_id": b["lesion_id"].to_numpy(),
        "role": b["role"].to_numpy(), "organ": b["organ"].to_numpy(), "organ_group": groups,
        "nodal": nodal, "method": b["method"].to_numpy(), "slice_mm": b["slice_mm"].to_numpy(),
        "ld_mm": b["ld_mm"].to_numpy(), "sa_mm": b["sa_mm"].to_numpy(),
        "min_measurable_mm": np.where(nodal, NODE_MEASURABLE_U, mn) / SCALE,
        "classification": cls.astype(object),
        "state": b["state"].to_numpy(),
    })


def validate(lesions: pd.DataFrame, assessments: pd.DataFrame, subjects: pd.DataFrame,
             baseline_max_days_before: int) -> tuple[pd.DataFrame, list]:
    """Classify baseline lesions and check the target selection (R2.1-R2.4, R2.6, R1.6, R6.5).

    Returns
    -------
    baseline : DataFrame
        ``classify`` output plus ``messages`` (codes about that lesion, ``;``-joined).
    messages : list of (subject_id, level, code, lesion_id, text)
        ``level`` is ``"error"`` for the spec's validation errors (``TOO_MANY_TARGETS``,
        ``TOO_MANY_TARGETS_IN_ORGAN:<organ>``, ``NODAL_TARGET_TOO_SMALL:<id>``,
        ``NONNODAL_TARGET_TOO_SMALL:<id>``, ``TARGET_MISSING_AT_BASELINE:<id>``) and
        ``"warning"`` for advice (solitary measurable lesion, baseline timing, small new node).
    """
    base = classify(lesions)
    msgs: list = []
    per_lesion: dict[tuple[str, str], list[str]] = {}

    def add(sid, level, code, lid, text):
        msgs.append((sid, level, code, lid, text))
        if lid:
            per_lesion.setdefault((sid, lid), []).append(code)

    t = base[base["role"] == "TARGET"]
    small = t[(t["classification"] != "MEASURABLE")]
    for sid, lid, nodal, mm, ld, sa, _state in zip(small["subject_id"], small["lesion_id"],
                                                  small["nodal"], small["min_measurable_mm"],
                                                  small["ld_mm"], small["sa_mm"], small["state"], strict=False):
        if nodal:
            add(sid, "error", f"NODAL_TARGET_TOO_SMALL:{lid}", lid,
                f"nodal target {lid}: short axis {sa:g} mm < 15 mm (R2.4)")
        else:
            add(sid, "error", f"NONNODAL_TARGET_TOO_SMALL:{lid}", lid,
                f"target {lid}: longest diameter {ld:g} mm < minimum {mm:g} mm (R1.1, R2.4)")
    counts = t.groupby("subject_id").size()
    for sid, n in counts[counts > MAX_TARGETS].items():
        add(sid, "error", "TOO_MANY_TARGETS", "", f"{n} targets > {MAX_TARGETS} (R2.1)")
    per_org = t.groupby(["subject_id", "organ_group"]).size()
    for (sid, org), n in per_org[per_org > MAX_PER_ORGAN].items():
        add(sid, "error", f"TOO_MANY_TARGETS_IN_ORGAN:{org}", "",
            f"{n} targets in organ {org!r} > {MAX_PER_ORGAN} (R2.1, R2.2)")
    # targets never seen at baseline
    tmask = ((lesions["role"] == "TARGET") & (lesions["parent_lesion_id"] == "")).to_numpy().copy()
    if "_sc" in lesions.columns:
        # integer-coded prefilter: only lesions whose first row is after baseline are named
        key = (lesions["_sc"].to_numpy().astype(np.int64)
               * (int(lesions["_lc"].max()) + 1 if len(lesions) else 1)
               + lesions["_lc"].to_numpy())
        kc, _ = pd.factorize(key)
        has0 = np.zeros(kc.max() + 1 if len(kc) else 0, bool)
        has0[kc[tmask & (lesions["tp"].to_numpy() == 0)]] = True
        tmask &= ~has0[kc]
    tl = lesions.loc[tmask, ["subject_id", "lesion_id", "tp"]]
    first = tl.groupby(["subject_id", "lesion_id"])["tp"].min()
    for (sid, lid), _tp0 in first[first > 0].items():
        add(sid, "error", f"TARGET_MISSING_AT_BASELINE:{lid}", lid,
            f"target {lid} has no baseline (tp 0) row (R2.4)")
    meas = base[base["classification"] == "MEASURABLE"].groupby("subject_id").size()
    for sid, _n in meas[meas == 1].items():
        add(sid, "warning", "SOLITARY_MEASURABLE_LESION", "",
            "solitary measurable lesion: confirm by cytology/histology (R1.6)")
    # baseline timing (R2.6)
    b0 = assessments[assessments["tp"] == 0]
    d0 = b0["day_first"].to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        late_or_early = (d0 > 0) | (-d0 > baseline_max_days_before)  # NaN -> False
    b0 = b0[late_or_early]
    for sid, day in zip(b0["subject_id"], b0["day_first"], strict=False):
        if day > 0:
            add(sid, "warning", "BASELINE_AFTER_REFERENCE", "",
                f"baseline scan {int(day)} days after the reference date (R2.6)")
        elif -day > baseline_max_days_before:
            add(sid, "warning", "BASELINE_TOO_EARLY", "",
                f"baseline scan {int(-day)} days before the reference date > "
                f"{baseline_max_days_before} (R2.6)")
    nn = lesions[(lesions["role"] == "NEW") & lesions["nodal"] & (lesions["sa_u"] != MISSING)
                 & (lesions["sa_u"] < NODE_PATHOLOGICAL_U)]
    for sid, lid, tp in zip(nn["subject_id"], nn["lesion_id"], nn["tp"], strict=False):
        add(sid, "warning", f"NEW_NODE_BELOW_10MM:{lid}", lid,
            f"new node {lid} at tp {tp} flagged with short axis < 10 mm (R6.5)")
    named = np.zeros(len(base), bool)
    if per_lesion:
        named = base["subject_id"].isin({sid for sid, _ in per_lesion}).to_numpy()
    text = np.full(len(base), "", dtype=object)
    text[named] = [";".join(per_lesion.get((s, lid), [])) for s, lid in
                   zip(base["subject_id"][named], base["lesion_id"][named], strict=False)]
    base["messages"] = text
    return base.drop(columns=["state"]), msgs
