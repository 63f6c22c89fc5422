"""Symptom burden of a virtual patient: palliation by tumour shrinkage against treatment side effects.

The score
---------
A *symptom burden index* on a 0-100 scale, **higher = worse**, the direction and range of the
symptom scales of the EORTC QLQ-C30 (Aaronson NK et al. (1993) J Natl Cancer Inst 85:365;
Fayers PM et al. (2001) EORTC QLQ-C30 Scoring Manual, 3rd ed.: symptom scales 0-100, a high
score is a high level of symptoms). An ESAS total (Bruera E et al. (1991) J Palliat Care 7:6;
items 0-10) reads on the same scale after multiplication by 10 per item.

Per patient ``i`` and output day ``t`` (days since the start of treatment):

    score = clip(B + T + N + C + A, 0, 100)

* ``B`` baseline (co-morbidity, non-cancer) symptoms, 10 points (**illustrative**).
* ``T`` tumour symptoms: ``T = tumour_points * W_i * g(r)`` with ``r = burden(t) / burden(0)``
  (sum of the true diameters of the visible lesions relative to baseline) and the saturating
  dose-response ``g(r) = 2 r / (1 + r)`` (``g(0) = 0``, ``g(1) = 1``, ``g -> 2``;
  Michaelis-Menten form, **illustrative**). Shrinkage lowers ``T`` (palliation), growth raises
  it. ``W_i`` is the site weight of the patient's baseline lesions: the largest weight of its
  organs plus 0.1 per further distinct organ, capped at 1 (**illustrative**). Organ weights
  (:data:`SITE_WEIGHTS`, **illustrative**) follow the usual symptom sources: bone metastases
  (pain; Coleman RE (2006) Clin Cancer Res 12:6243s: bone pain is the most common symptom of
  bone metastases), brain, liver (pain, fatigue), lung and pleura (dyspnoea, cough), bladder and
  rectum primaries (haematuria, urinary or bowel symptoms) above lymph nodes and adrenals
  (mostly silent).
* ``N`` neutropenia: ``points_per_grade * grade`` (CTCAE v5 grade 1-4 of the cycle's nadir) for
  ``-6 < t - nadir day <= 8`` days (the simulator records toxicity on the nadir day, after the
  dose): the docetaxel label reports a median neutrophil nadir at day 7 and a median duration of
  severe neutropenia of 7 days (Taxotere prescribing information, section 6), so the effect
  spans two weeks around the nadir, the first two weeks of the cycle; the window starts 6 days
  before the nadir because the Friberg nadir comes at least 6.3 days after the dose (so the
  pre-dose row of the dose day never counts). 5 points per grade
  (**illustrative**; grade 4 = 20 points = two MIDs). Overlapping cycles take the worst grade.
* ``C`` non-haematological chemotherapy side effects (fatigue, nausea, alopecia) when the
  patient was on chemotherapy over the preceding output interval (so the pre-treatment
  baseline row carries none), 8 points, a little under one MID (**illustrative**: no single published
  estimate is anchored here).
* ``A`` acute radiotherapy toxicity: ``A = rt_points * x / (x + rt_x50_gy)`` with
  ``x(t) = sum_f d_f exp(-(t - t_f)/rt_tau_days)`` over the fractions ``f`` given before ``t``
  (dose ``d_f`` Gy on day ``t_f``). Acute reactions build up during the course, peak near its
  end and settle over the following weeks (Bentzen SM (2006) Nat Rev Cancer 6:702: acute
  effects arise during and shortly after treatment and mostly heal); 15 points maximum,
  ``x50`` 20 Gy and ``tau`` 14 days are **illustrative**.

Minimal important difference: a change of :data:`MID_POINTS` = 10 points is clinically
meaningful (Osoba D et al. (1998) J Clin Oncol 16:139: changes of 10-20 points were rated
"moderate", 5-10 "a little"). :func:`classify_change` applies it.

Every weight here is **illustrative**: the index shows *how* palliation and side effects trade
off in the simulator, it is not a validated patient-reported outcome. oncodyn is research and
teaching software, not a clinical decision tool.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import DataError
from ._treatment import lesion_slot

#: Minimal important difference on the 0-100 scale (Osoba et al. 1998 J Clin Oncol 16:139).
MID_POINTS = 10.0

#: Organ weights of tumour symptoms, 0-1 (**illustrative**; see the module docstring).
SITE_WEIGHTS: dict[str, float] = {
    "bone": 1.0, "brain": 1.0, "liver": 0.8, "lung": 0.8, "pleura": 0.8, "peritoneum": 0.8,
    "bladder": 0.7, "rectum": 0.7, "other": 0.5, "adrenal": 0.3, "lymph_node": 0.3,
}

#: Columns of the frame returned by :func:`symptom_score`.
SCORE_COLUMNS = ("subject_id", "day", "week", "burden_rel", "site_weight", "baseline", "tumour",
                 "neutropenia", "chemotherapy", "radiotherapy", "score", "change")


@dataclass(frozen=True)
class SymptomParams:
    """Weights of the symptom burden index (all **illustrative**; sources in the module docstring)."""

    baseline_points: float = 10.0
    tumour_points: float = 30.0
    extra_site_points: float = 0.1
    site_weights: dict[str, float] = field(default_factory=lambda: dict(SITE_WEIGHTS))
    default_site_weight: float = 0.5  # used when no ``sites`` frame is given
    neutropenia_points_per_grade: float = 5.0
    neutropenia_days: float = 14.0
    chemo_points: float = 8.0
    rt_points: float = 15.0
    rt_x50_gy: float = 20.0
    rt_tau_days: float = 14.0


def burden_response(r: np.ndarray) -> np.ndarray:
    """Saturating tumour-symptom response ``g(r) = 2 r / (1 + r)`` (``g(1) = 1``; illustrative)."""
    r = np.maximum(np.asarray(r, dtype=float), 0.0)
    return 2.0 * r / (1.0 + r)


def classify_change(change: Any, mid: float = MID_POINTS) -> np.ndarray:
    """"improved" (change <= -mid), "worsened" (>= +mid) or "stable" (Osoba 1998 MID of 10)."""
    c = np.asarray(change, dtype=float)
    return np.where(c <= -mid, "improved", np.where(c >= mid, "worsened", "stable"))


def _need(df: Any, cols: tuple[str, ...], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataError(f"{what} frame lacks required column(s); has {list(df.columns)}",
                        column=missing[0])


def _site_weights(sites: Any, subjects: np.ndarray, p: SymptomParams) -> np.ndarray:
    import pandas as pd

    if sites is None:
        return np.full(subjects.size, p.default_site_weight)
    _need(sites, ("subject_id", "organ"), "sites")
    organ = sites["organ"].astype(str)
    bad = ~organ.isin(list(p.site_weights))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"unknown organ {organ.iloc[i]!r}; allowed: {', '.join(sorted(p.site_weights))}",
                        row=i, column="organ")
    s = pd.DataFrame({"subject_id": sites["subject_id"].to_numpy(), "organ": organ.to_numpy()})
    s["w"] = s["organ"].map(p.site_weights).astype(float)
    g = s.groupby("subject_id").agg(w=("w", "max"), k=("organ", "nunique"))
    w = np.minimum(g["w"] + p.extra_site_points * (g["k"] - 1), 1.0)
    out = w.reindex(subjects)
    if out.isna().any():
        sid = out.index[out.isna().to_numpy()][0]
        raise DataError(f"subject {sid!r} of the trajectories has no row in the sites frame",
                        column="subject_id")
    return out.to_numpy(dtype=float)


#: Days before the nadir at which the neutropenic window opens: just under the 6.3 days from a
#: dose to the earliest Friberg nadir at the docetaxel MTT 84.2 h and gamma 0.145
#: (``oncodyn.simulate._treatment.nadir_days``), so the
#: window is the dose's first two weeks, never its own pre-dose row.
_NADIR_LEAD_DAYS = 6.0


def _toxicity(toxicity: Any) -> Any:
    """(subject_id, day, grade) rows from an events frame or a grade frame."""
    import pandas as pd

    if toxicity is None:
        return pd.DataFrame({"subject_id": [], "day": [], "grade": []})
    if "grade" in toxicity.columns:
        _need(toxicity, ("subject_id", "day", "grade"), "toxicity")
        t = toxicity[["subject_id", "day", "grade"]]
        col = "grade"
    else:
        _need(toxicity, ("subject_id", "day", "event", "value"), "events")
        t = toxicity.loc[toxicity["event"] == "toxicity", ["subject_id", "day", "value"]]
        t = t.rename(columns={"value": "grade"})
        col = "value"
    g = pd.to_numeric(t["grade"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isin(g, (0.0, 1.0, 2.0, 3.0, 4.0))
    if bad.any():
        row = int(t.index[np.flatnonzero(bad)[0]])
        raise DataError(f"toxicity grade must be a CTCAE grade 0-4, got {t['grade'].iloc[np.flatnonzero(bad)[0]]!r}",
                        row=row, column=col)
    return pd.DataFrame({"subject_id": t["subject_id"].to_numpy(), "day": t["day"].to_numpy(dtype=float),
                         "grade": g})


def symptom_score(trajectories: Any, toxicity: Any = None, sites: Any = None, *,
                  radiotherapy: Any = None, params: SymptomParams | None = None) -> Any:
    """Symptom burden index (0-100, higher = worse) per patient and output day.

    Parameters
    ----------
    trajectories
        ``SimulationResult.trajectories_frame()``: subject_id, day, burden_mm and either a
        boolean ``on_chemo`` column or ``treatment`` (``line1``/``line2`` count as on
        chemotherapy). Each subject's earliest day is its baseline (burden > 0 required).
    toxicity
        ``SimulationResult.events_frame()`` (rows with ``event == "toxicity"``, ``value`` = CTCAE
        grade of the cycle's neutrophil nadir, ``day`` = nadir day) or a frame with columns
        subject_id, day (of the nadir), grade. None: no neutropenia.
    sites
        subject_id, organ of the baseline lesions (e.g. ``lesions_frame()`` rows with tp == 0).
        None: every patient gets ``params.default_site_weight``.
    radiotherapy
        Fractions delivered: subject_id, day, dose_gy (see :func:`symptom_inputs`). None: no RT.
    params
        :class:`SymptomParams` (default weights, illustrative).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SCORE_COLUMNS`: the components (points), ``score`` and ``change`` from the
        subject's baseline score, in the row order of ``trajectories`` sorted by subject and day.

    Raises
    ------
    DataError
        Missing columns, non-finite or negative burden, non-positive baseline burden, unknown
        organ, a grade outside 0-4, a subject without sites, or a fraction with dose < 0
        (the message names the row and the column).
    """
    import pandas as pd

    p = params or SymptomParams()
    _need(trajectories, ("subject_id", "day", "burden_mm"), "trajectories")
    if "on_chemo" not in trajectories.columns and "treatment" not in trajectories.columns:
        raise DataError("trajectories frame needs an 'on_chemo' or a 'treatment' column",
                        column="treatment")
    burden = pd.to_numeric(trajectories["burden_mm"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(burden) | (burden < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"burden must be finite and >= 0, got {trajectories['burden_mm'].iloc[i]!r}",
                        row=int(trajectories.index[i]), column="burden_mm")
    if "on_chemo" in trajectories.columns:
        on = trajectories["on_chemo"].to_numpy(dtype=bool)
    else:
        on = trajectories["treatment"].isin(["line1", "line2"]).to_numpy()
    df = pd.DataFrame({"subject_id": trajectories["subject_id"].to_numpy(),
                       "day": pd.to_numeric(trajectories["day"]).to_numpy(dtype=float),
                       "burden": burden, "on": on, "_row": trajectories.index.to_numpy()})
    df = df.sort_values(["subject_id", "day"], kind="stable").reset_index(drop=True)
    base = df.groupby("subject_id", sort=False)["burden"].transform("first").to_numpy()
    if (base <= 0).any():
        i = int(np.flatnonzero(base <= 0)[0])
        raise DataError("baseline burden (first day of the subject) must be > 0",
                        row=int(df["_row"].iloc[i]), column="burden_mm")
    r = df["burden"].to_numpy() / base
    subjects, inv = np.unique(df["subject_id"].to_numpy(), return_inverse=True)
    w = _site_weights(sites, subjects, p)[inv]
    tumour = p.tumour_points * w * burden_response(r)

    # neutropenia: worst grade among nadirs with -6 < day - nadir day <= neutropenia_days - 6
    tox = _toxicity(toxicity)
    neut = np.zeros(len(df))
    if len(tox):
        key = df[["subject_id", "day"]].reset_index().merge(tox, on="subject_id", suffixes=("", "_ev"))
        lag = key["day"].to_numpy() - key["day_ev"].to_numpy()
        key = key[(lag > -_NADIR_LEAD_DAYS) & (lag <= p.neutropenia_days - _NADIR_LEAD_DAYS)]
        if len(key):
            worst = key.groupby("index")["grade"].max()
            neut[worst.index.to_numpy()] = p.neutropenia_points_per_grade * worst.to_numpy()

    # side effects of the interval [previous day, day): the previous row's treatment state
    first = np.r_[True, df["subject_id"].to_numpy()[1:] != df["subject_id"].to_numpy()[:-1]]
    prev_on = np.r_[False, df["on"].to_numpy()[:-1]] & ~first
    chemo = np.where(prev_on, p.chemo_points, 0.0)

    rt = np.zeros(len(df))
    if radiotherapy is not None:
        _need(radiotherapy, ("subject_id", "day", "dose_gy"), "radiotherapy")
        dose = pd.to_numeric(radiotherapy["dose_gy"], errors="coerce").to_numpy(dtype=float)
        badd = ~np.isfinite(dose) | (dose < 0)
        if badd.any():
            i = int(np.flatnonzero(badd)[0])
            raise DataError("fraction dose must be finite and >= 0", row=int(radiotherapy.index[i]),
                            column="dose_gy")
        fx = pd.DataFrame({"subject_id": radiotherapy["subject_id"].to_numpy(),
                           "day_fx": radiotherapy["day"].to_numpy(dtype=float), "dose": dose})
        key = df[["subject_id", "day"]].reset_index().merge(fx, on="subject_id")
        lag = key["day"].to_numpy() - key["day_fx"].to_numpy()
        key = key.assign(x=np.where(lag > 0, key["dose"].to_numpy() * np.exp(-np.maximum(lag, 0) / p.rt_tau_days), 0.0))
        x = key.groupby("index")["x"].sum()
        xs = np.zeros(len(df))
        xs[x.index.to_numpy()] = x.to_numpy()
        rt = p.rt_points * xs / (xs + p.rt_x50_gy)

    base_pts = np.full(len(df), p.baseline_points)
    score = np.clip(base_pts + tumour + neut + chemo + rt, 0.0, 100.0)
    out = pd.DataFrame({
        "subject_id": df["subject_id"].to_numpy(), "day": df["day"].to_numpy(),
        "week": df["day"].to_numpy() / 7.0, "burden_rel": r, "site_weight": w,
        "baseline": base_pts, "tumour": tumour, "neutropenia": neut, "chemotherapy": chemo,
        "radiotherapy": rt, "score": score,
    })
    out["change"] = score - out.groupby("subject_id", sort=False)["score"].transform("first").to_numpy()
    return out


def irradiated_mask(result: Any) -> Any:
    """Which baseline lesions each radiotherapy course of the scenario targets.

    Returns a frame subject_id, lesion_id, organ, irradiated (bool), following the simulator's
    targeting (``target = "primary"``: lesion slot 0, ``L1``; an organ name: visible lesions in
    that organ; ``"all"``: every visible lesion). Needs ``keep="all"``.
    """
    lf = result.lesions_frame()
    b = lf[lf["tp"] == 0][["subject_id", "lesion_id", "organ"]].reset_index(drop=True)
    irr = np.zeros(len(b), dtype=bool)
    for rc in result.scenario.radiation:
        if rc.target == "primary":
            irr |= (b["lesion_id"] == "L1").to_numpy()
        elif rc.target == "all":
            irr[:] = True
        elif lesion_slot(rc.target) is not None:  # one lesion, by id (as the simulator)
            irr |= (b["lesion_id"] == rc.target).to_numpy()
        else:
            irr |= (b["organ"] == rc.target).to_numpy()
    return b.assign(irradiated=irr)


def baseline_sites(result: Any) -> Any:
    """Organs of every lesion present at baseline: subject_id, organ (one row per lesion).

    Every lesion the patient carries at day 0 counts, whatever its RECIST role: a patient whose
    only lesion is a non-pathological node (short axis < 10 mm, RECIST 1.1 section 3.1) has no
    target and no non-target, hence no baseline row in ``lesions_frame()``, but its tumour
    burden and symptoms are real. Occult colonies (new lesions later) are not present yet.
    Needs ``keep="all"``.
    """
    import pandas as pd

    from ..patients.config import ORGANS

    organs = np.asarray(ORGANS)
    frames, offset = [], 0
    for ch in result.chunks:
        if ch.scan_meas is None:
            raise ValueError("lesion measurements were not kept (simulate(..., keep='all'))")
        pi, li = np.nonzero(np.isfinite(ch.scan_meas[:, 0, :]) & (ch.role != 3))
        frames.append(pd.DataFrame({"subject_id": pi + offset, "organ": organs[ch.organ[pi, li]]}))
        offset += ch.n
    return pd.concat(frames, ignore_index=True)


def symptom_inputs(result: Any) -> dict[str, Any]:
    """Frames for :func:`symptom_score` from a ``SimulationResult`` kept with ``keep="all"``.

    * ``trajectories`` with ``on_chemo``: on line 1/2 and, for a fixed number of cycles,
      before the end of the last cycle (``start_day + n_cycles * cycle_days``); dose delays are
      not represented (approximation).
    * ``toxicity``: the events frame (toxicity events carry the CTCAE grade; the simulator
      records grades at or above its protocol threshold only).
    * ``sites``: organs of every lesion present at baseline (:func:`baseline_sites`), RECIST
      role or not.
    * ``radiotherapy``: one row per fraction (day, dose_gy) for each patient with an irradiated
      lesion (:func:`irradiated_mask`), fraction days from
      :class:`oncodyn.models.radiation.Fractionation` as in the simulator.
    """
    import pandas as pd

    from ._treatment import course_schedule

    sc = result.scenario
    tr = result.trajectories_frame()
    on = np.array(tr["treatment"].isin(["line1", "line2"]).to_numpy(), dtype=bool)
    if sc.chemo is None:
        on[:] = False
    elif sc.chemo.n_cycles:
        on &= tr["day"].to_numpy() < sc.chemo.start_day + sc.chemo.n_cycles * sc.chemo.cycle_days
    tr = tr.assign(on_chemo=on)
    sites = baseline_sites(result)
    rt = None
    if sc.radiation:
        irr = irradiated_mask(result)
        rows = []
        for rc in sc.radiation:
            fx = course_schedule(rc)  # Fractionation, or one LDR implant
            if rc.target == "primary":
                sel = irr["lesion_id"] == "L1"
            elif rc.target == "all":
                sel = np.ones(len(irr), dtype=bool)
            else:
                sel = irr["organ"] == rc.target
            subj = np.unique(irr.loc[sel, "subject_id"].to_numpy())
            days = fx.fraction_times()
            rows.append(pd.DataFrame({"subject_id": np.repeat(subj, days.size),
                                      "day": np.tile(days, subj.size),
                                      "dose_gy": np.tile(fx.fraction_doses(), subj.size)}))
        rt = pd.concat(rows, ignore_index=True)
    return {"trajectories": tr, "toxicity": result.events_frame(), "sites": sites, "radiotherapy": rt}


def cohort_symptom_score(result: Any) -> Any:
    """:func:`symptom_score` of a simulated cohort over the patient-weeks on study.

    After death or withdrawal the burden is undefined (NaN) and no score is computed; the
    number of such patient-weeks is ``result.burden.size - len(frame)``.
    """
    inputs = symptom_inputs(result)
    tr = inputs["trajectories"]
    tr = tr[np.isfinite(tr["burden_mm"].to_numpy(dtype=float))]
    return symptom_score(**{**inputs, "trajectories": tr})
