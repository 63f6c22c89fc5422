"""Synthetic lesion-level cohorts for benchmarks and property tests (illustrative data only).

Every number here is **illustrative** (not fitted to any trial): per-patient log-size slopes
N(-0.004, 0.006)/day, 1-5 targets (about 20 % nodal), 0-3 non-targets, visits every 42 days
(RECIST's common 6-week schedule), about 5 % missed visits, 3 % not-evaluated targets, 5 % of
small lesions "too small to measure", 0.5 % unequivocal new lesions per visit, some deaths and new
therapies. Randomness only through the given ``numpy.random.Generator``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def generate_cohort(n_patients: int, rng: np.random.Generator, visits: int = 8,
                    with_dates: bool = False) -> dict[str, pd.DataFrame]:
    """Frames ``lesions``, ``assessments`` and ``subjects`` of a synthetic cohort."""
    P, V = n_patients, visits
    nt = rng.integers(1, 6, P)                       # targets per patient
    nn = rng.integers(0, 4, P)                       # non-targets per patient
    slope = rng.normal(-0.004, 0.006, P)
    days = np.concatenate([np.full((P, 1), -7), 42 * np.arange(1, V + 1)[None, :]
                           + rng.integers(-3, 4, (P, V))], 1)
    performed = np.ones((P, V + 1), bool)
    performed[:, 1:] = rng.random((P, V)) > 0.05
    K = 5
    nodal = rng.random((P, K)) < 0.2
    base = np.where(nodal, rng.integers(150, 400, (P, K)), rng.integers(100, 800, (P, K)))
    noise = rng.normal(0, 0.05, (P, V + 1, K))
    noise[:, 0, :] = 0
    t = np.maximum(days, 0)[:, :, None]
    size = base[:, None, :] * np.exp(slope[:, None, None] * t + noise)
    size = np.round(size).astype(np.int64)           # tenths of mm
    gone = (size < 60) & ~nodal[:, None, :] & (rng.random(size.shape) < 0.3)
    size = np.where(gone, 0, size)
    state = np.full(size.shape, "", dtype=object)
    tstm = (size > 0) & (size < 60) & ~nodal[:, None, :] & (rng.random(size.shape) < 0.5)
    state[tstm] = "TOO_SMALL_TO_MEASURE"
    ne = rng.random(size.shape) < 0.03
    ne[:, 0, :] = False
    state[ne] = "NOT_EVALUATED"
    pi, vi, ki = np.nonzero((np.arange(K)[None, None, :] < nt[:, None, None])
                            & performed[:, :, None])
    s_ = size[pi, vi, ki] / 10.0
    st_ = state[pi, vi, ki]
    nod_ = nodal[pi, ki]
    meas = st_ == ""
    tgt = pd.DataFrame({
        "subject_id": np.char.add("P", pi.astype(str)), "tp": vi, "day": days[pi, vi],
        "lesion_id": np.char.add("T", (ki + 1).astype(str)), "role": "TARGET",
        "organ": np.where(nod_, "lymph node", np.array(["liver", "lung", "adrenal gland",
                                                        "bone", "spleen"])[ki]),
        "nodal": nod_, "method": "CT", "slice_mm": 5.0,
        "ld_mm": np.where(meas & ~nod_, s_, np.nan), "sa_mm": np.where(meas & nod_, s_, np.nan),
        "state": st_})
    # non-targets
    M = 3
    nstate = rng.choice(np.array(["PRESENT", "ABSENT", "NOT_EVALUATED", "UNEQUIVOCAL_PROGRESSION"],
                                 dtype=object), p=[0.86, 0.08, 0.03, 0.03], size=(P, V + 1, M))
    nstate[:, 0, :] = "PRESENT"
    pi, vi, mi = np.nonzero((np.arange(M)[None, None, :] < nn[:, None, None])
                            & performed[:, :, None])
    ntf = pd.DataFrame({
        "subject_id": np.char.add("P", pi.astype(str)), "tp": vi, "day": days[pi, vi],
        "lesion_id": np.char.add("NT", (mi + 1).astype(str)), "role": "NON-TARGET",
        "organ": "peritoneum", "nodal": False, "method": "CT", "slice_mm": 5.0,
        "ld_mm": np.nan, "sa_mm": np.nan, "state": nstate[pi, vi, mi]})
    # new lesions
    newm = (rng.random((P, V + 1)) < 0.005) & performed
    newm[:, 0] = False
    pi, vi = np.nonzero(newm)
    nwf = pd.DataFrame({
        "subject_id": np.char.add("P", pi.astype(str)), "tp": vi, "day": days[pi, vi],
        "lesion_id": np.char.add("NL", vi.astype(str)), "role": "NEW", "organ": "brain",
        "nodal": False, "method": "CT", "slice_mm": 5.0, "ld_mm": np.nan, "sa_mm": np.nan,
        "state": "UNEQUIVOCAL"})
    lesions = pd.concat([tgt, ntf, nwf], ignore_index=True)
    lesions["subject_id"] = lesions["subject_id"].astype(object)
    pa, va = np.nonzero(np.ones((P, V + 1), bool))
    assessments = pd.DataFrame({"subject_id": np.char.add("P", pa.astype(str)).astype(object),
                                "tp": va, "day": days[pa, va], "performed": performed[pa, va],
                                "label": np.where(va == 0, "baseline",
                                                  np.char.add("week ", (6 * va).astype(str)))})
    ref = pd.Timestamp("2024-01-01")
    death = np.where(rng.random(P) < 0.1, rng.integers(10, 42 * V, P), -1)
    ther = np.where(rng.random(P) < 0.05, rng.integers(30, 42 * V, P), -1)
    subjects = pd.DataFrame({
        "subject_id": np.char.add("P", np.arange(P).astype(str)).astype(object),
        "reference_date": ref,
        "death_date": pd.to_datetime(np.where(death >= 0, ref.value + death * 86400 * 10**9,
                                              np.datetime64("NaT").astype(np.int64))),
        "new_anticancer_therapy_date": pd.to_datetime(np.where(
            ther >= 0, ref.value + ther * 86400 * 10**9, np.datetime64("NaT").astype(np.int64))),
    })
    if with_dates:
        lesions["date"] = ref + pd.to_timedelta(lesions.pop("day"), unit="D")
    return {"lesions": lesions, "assessments": assessments, "subjects": subjects}
