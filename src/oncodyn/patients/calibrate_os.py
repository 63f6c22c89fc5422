"""Joint calibration of ``nsclc_docetaxel`` to patient-level POPLAR docetaxel: response, PFS and OS.

Targets (POPLAR docetaxel arm, ``TRT01P == "Docetaxel"``, n = 143; Fehrenbacher L et al. (2016)
Lancet 387:1837, data of Gandara DR et al. (2018) Nat Med 24:1441 supplement). No outcome of any
other docetaxel trial is used.

ONE distance (:func:`poplar_distance`), a sum of squared standardised differences
(virtual - real)^2 / SE_real^2 over:

* best confirmed response split CR/PR/SD/PD/NE and ORR (``BCOR``, missing = NE): binomial SE
  with p~ = (k + 0.5)/(n + 1) so that CR (0/143) has a finite SE;
* the PFS Kaplan–Meier curve at :data:`PFS_DAYS` and the OS curve at :data:`OS_DAYS` (Greenwood SE,
  floored at 0.01);
* OS by best response (PR / SD / PD) and by ECOG (0 / 1): the OS curve of each group at 6 and 12
  months (:data:`GROUP_DAYS`; Greenwood SE of the real group).

The correlations between the terms are ignored (a moment-matching objective). The virtual arm is
simulated with the same seed at every evaluation (common random numbers), so the distance is a
deterministic function of the parameters, minimised by bounded Nelder–Mead (Nelder JA, Mead R
(1965) Comput J 7:308) over :data:`OS_PARAMETERS` from the preset's values. The baseline
covariates' log hazard ratios of metastatic sites, baseline SLD and histology are not free: they
come from a Cox model on the same arm (:func:`poplar_cox_baseline`, statsmodels ``PHReg``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DataError
from .calibrate import (
    DAYS_PER_MONTH,
    RESPONSE_PARAMETERS,
    _fwd,
    _get,
    _inv,
    _set,
    km_days,
    restarted_nelder_mead,
)

CODES5 = ("CR", "PR", "SD", "PD", "NE")
PFS_DAYS = tuple(float(d) for d in km_days()) + (9 * DAYS_PER_MONTH, 12 * DAYS_PER_MONTH)
"""PFS curve days: 6/12/18/24 weeks and the end of each +-7 d visit window, 9 and 12 months."""
OS_DAYS = tuple(m * DAYS_PER_MONTH for m in (2, 4, 6, 9, 12, 15, 18, 21))
"""OS curve days: 2, 4, 6, 9, 12, 15, 18 and 21 months."""
GROUP_DAYS = (6 * DAYS_PER_MONTH, 12 * DAYS_PER_MONTH)
"""OS by best response and by ECOG: the group's curve at 6 and 12 months."""

_TUMOUR = {row[0]: row for row in RESPONSE_PARAMETERS}
OS_PARAMETERS: tuple[tuple[str, str, float, float], ...] = (
    *(_TUMOUR[k] for k in ("response.kill_per_dose", "response.resistant_fraction",
                           "growth.rate_per_day", "occult.emission_coefficient",
                           "variability.patient_sd.growth", "variability.patient_sd.resistant")),
    ("early_exit_prob", "logit", 0.005, 0.15),  # lower bound below the response step's 2%
    _TUMOUR["corr.growth.kill"],
    _TUMOUR["corr.growth.resistant"],
    ("survival.scale_days", "log", 100.0, 5000.0),
    ("survival.shape", "log", 0.5, 3.0),
    ("survival.burden_log_hr", "log", 0.05, 5.0),
    ("covariates.ecog.hazard", "log", 0.5, 4.0),
)
"""Free parameters: (dotted key, scale, lower, upper). Bounds are plausibility limits (the
tumour ones are those of :data:`oncodyn.patients.calibrate.RESPONSE_PARAMETERS`, sourced there):
Weibull scale 100 d to 14 years, shape 0.5-3, burden log hazard ratio 0.05-5 per e-fold burden change, hazard ratio of
ECOG 1 vs 0 between 0.5 and 4. ``covariates.<name>.hazard`` is that covariate's hazard factor of
its second level (the first level is the reference, 1)."""


OS_START: dict[str, float] = {
    "response.kill_per_dose": 0.64054, "response.resistant_fraction": 0.26919,
    "growth.rate_per_day": 0.0084644, "occult.emission_coefficient": 1.9229e-4,
    "variability.patient_sd.growth": 0.702, "variability.patient_sd.resistant": 3.0,
    "early_exit_prob": 0.07703, "corr.growth.kill": 0.3791, "corr.growth.resistant": -0.2631,
    "survival.scale_days": 650.0, "survival.shape": 1.0, "survival.burden_log_hr": 1.5,
    "covariates.ecog.hazard": 1.5,
}
"""Fixed starting point: the preset's tumour values of the previous (PFS/response) calibration
and illustrative survival values, so the result does not depend on the values in the TOML."""


def _arm(poplar_csv: str | Path):
    import pandas as pd

    df = pd.read_csv(poplar_csv, na_values=".")
    for col in ("TRT01P", "BCOR", "PFS", "PFS.CNSR", "OS", "OS.CNSR", "ECOGGR"):
        if col not in df.columns:
            raise DataError(f"missing column {col!r}", file=str(poplar_csv), column=col)
    arm = df[df["TRT01P"] == "Docetaxel"]
    for col in ("PFS", "PFS.CNSR", "OS", "OS.CNSR", "ECOGGR"):
        bad = arm[col].isna()
        if bad.any():
            raise DataError(f"missing {col} in the docetaxel arm", file=str(poplar_csv),
                            row=int(arm.index[bad.to_numpy()][0]) + 2, column=col)
    return arm


def _km_at(t, e, days):
    from ..survival import kaplan_meier

    km = kaplan_meier(np.asarray(t, float), np.asarray(e, bool))
    days = np.asarray(days, float)
    idx = np.searchsorted(km.time, days, side="right") - 1
    return km.at(days), np.where(idx >= 0, km.se[np.maximum(idx, 0)], 0.0)


def arm_figures(bor, pfs_days, pfs_event, os_days, os_event, ecog) -> dict[str, np.ndarray]:
    """The distance's figures of one arm (real or virtual), from per-patient arrays.

    ``bor``: best response codes (str); ``ecog``: "0"/"1" (str). Returns fractions, the PFS and
    OS curves and group curves, with Greenwood SEs (``*_se``).
    """
    bor = np.asarray(bor).astype(str)
    ecog = np.asarray(ecog).astype(str)
    n = bor.size
    out: dict[str, np.ndarray] = {"n": np.array(float(n))}
    for c in CODES5:
        out[c] = np.array(float(np.sum(bor == c)) / n)
    out["ORR"] = out["CR"] + out["PR"]
    out["pfs"], out["pfs_se"] = _km_at(pfs_days, pfs_event, PFS_DAYS)
    out["os"], out["os_se"] = _km_at(os_days, os_event, OS_DAYS)
    for name, mask in (("os_PR", bor == "PR"), ("os_SD", bor == "SD"), ("os_PD", bor == "PD"),
                       ("os_ecog0", ecog == "0"), ("os_ecog1", ecog == "1")):
        if mask.any():
            out[name], out[name + "_se"] = _km_at(np.asarray(os_days)[mask], np.asarray(os_event)[mask], GROUP_DAYS)
        else:
            out[name], out[name + "_se"] = np.full(len(GROUP_DAYS), np.nan), np.zeros(len(GROUP_DAYS))
        out[name + "_n"] = np.array(float(mask.sum()))
    return out


def poplar_os_targets(poplar_csv: str | Path) -> dict[str, np.ndarray]:
    """Real POPLAR docetaxel figures of :func:`arm_figures` (BCOR missing = NE; months -> days)."""
    arm = _arm(poplar_csv)
    return arm_figures(arm["BCOR"].fillna("NE").to_numpy(str), arm["PFS"].to_numpy(float) * DAYS_PER_MONTH,
                       arm["PFS.CNSR"].to_numpy() == 0, arm["OS"].to_numpy(float) * DAYS_PER_MONTH,
                       arm["OS.CNSR"].to_numpy() == 0, arm["ECOGGR"].astype(int).astype(str).to_numpy())


def virtual_figures(result) -> dict[str, np.ndarray]:
    """:func:`arm_figures` of a simulated arm (NON-CR/NON-PD counted as SD, RECIST 1.1 DCR)."""
    from ..simulate.recist_arrays import CODES

    bor = np.asarray(CODES, dtype=object)[result.bor]
    bor[bor == "NON-CR/NON-PD"] = "SD"
    names = [c.name for c in result.scenario.covariates]
    j = names.index("ecog")
    ecog = np.asarray(result.scenario.covariates[j].levels)[result.covariates[:, j]]
    return arm_figures(bor.astype(str), result.pfs_days, result.pfs_event, result.os_days, result.os_event, ecog)


def distance_terms(fig: dict[str, np.ndarray], tgt: dict[str, np.ndarray]) -> dict[str, float]:
    """Each group of terms of :func:`poplar_distance` (sum of squared standardised differences)."""
    n = float(tgt["n"])
    terms: dict[str, float] = {}
    for c in (*CODES5, "ORR"):
        k = float(tgt[c]) * n
        p = (k + 0.5) / (n + 1.0)
        terms[c] = float(((fig[c] - tgt[c]) / np.sqrt(p * (1 - p) / n)) ** 2)
    for key in ("pfs", "os", "os_PR", "os_SD", "os_PD", "os_ecog0", "os_ecog1"):
        se = np.maximum(tgt[key + "_se"], 0.01)
        v = np.where(np.isfinite(fig[key]), fig[key], 0.0)
        terms[key] = float((((v - tgt[key]) / se) ** 2).sum())
    return terms


def poplar_distance(fig: dict[str, np.ndarray], tgt: dict[str, np.ndarray]) -> float:
    """The calibration distance: the sum of :func:`distance_terms`."""
    return float(sum(distance_terms(fig, tgt).values()))


def poplar_cox_baseline(poplar_csv: str | Path) -> dict[str, tuple[float, float]]:
    """Cox model of OS on the docetaxel arm: log HR (and SE) of ECOG 1, metastatic sites (per site
    above 3), ln(blSLD / 75 mm) and squamous histology (statsmodels ``PHReg``, Efron ties)."""
    from ..survival.estimators import cox

    arm = _arm(poplar_csv)
    X = np.column_stack([arm["ECOGGR"].to_numpy(float) == 1, arm["METSITES"].to_numpy(float) - 3,
                         np.log(arm["blSLD"].to_numpy(float) / 75.0),
                         arm["HIST"].to_numpy(str) == "SQUAMOUS"]).astype(float)
    fit = cox(arm["OS"].to_numpy(float) * DAYS_PER_MONTH, arm["OS.CNSR"].to_numpy() == 0, X)
    names = ("ecog1", "sites", "log_sld", "squamous")
    return {k: (float(b), float(s)) for k, b, s in zip(names, fit.params, fit.se, strict=True)}


def _cov_get(d: dict, key: str) -> float | None:
    if not key.startswith("covariates."):
        return None
    _, name, eff = key.split(".")
    c = next(c for c in d["covariates"] if c["name"] == name)
    return float(c["effects"][eff][1])


def _cov_set(d: dict, key: str, v: float) -> bool:
    if not key.startswith("covariates."):
        return False
    _, name, eff = key.split(".")
    for c in d["covariates"]:
        if c["name"] == name:
            vals = list(c["effects"][eff])
            vals[1] = v
            c["effects"] = {**c["effects"], eff: vals}
    return True


def calibrate_poplar_os(poplar_csv: str | Path, base=None, *, n_virtual: int = 4000, seed: int = 2024,
                        maxfev: int = 420, restarts: int = 1, parameters=OS_PARAMETERS,
                        start: dict[str, float] | None = OS_START) -> dict[str, object]:
    """Minimise :func:`poplar_distance` over ``parameters`` by bounded Nelder–Mead from ``start``
    (None: the values in ``base``, default the installed preset), then ``restarts`` times from
    the optimum with a fresh simplex (at most ``maxfev`` evaluations per run).

    Returns ``values`` (dotted key -> value), ``at_bound`` (keys within 1% of a bound on the
    fitting scale), ``distance``, ``start_distance``, ``terms``, ``figures``, ``targets``,
    ``scenario`` and the evaluation count.
    """
    from ..scenarios import load_scenario
    from ..simulate import simulate
    from .config import scenario_from_dict

    tgt = poplar_os_targets(poplar_csv)
    base = load_scenario("nsclc_docetaxel") if base is None else load_scenario(base)
    d0 = base.model_dump()
    bounds = [(_fwd(lo, tr), _fwd(hi, tr)) for _, tr, lo, hi in parameters]
    lo_b, hi_b = np.array([b[0] for b in bounds]), np.array([b[1] for b in bounds])

    def get(k: str) -> float:
        v = _cov_get(d0, k)
        return _get(d0, k) if v is None else v

    def scenario(x: np.ndarray):
        d = base.model_dump()
        for (k, tr, _, _), xi in zip(parameters, x, strict=True):
            if not _cov_set(d, k, _inv(xi, tr)):
                _set(d, k, _inv(xi, tr))
        return scenario_from_dict(d, source="calibration")

    def figures(x: np.ndarray):
        return virtual_figures(simulate(scenario(x), n_patients=n_virtual, seed=seed, keep="summary"))

    x0 = np.clip([_fwd(start[k] if start is not None and k in start else get(k), tr)
                  for k, tr, _, _ in parameters], lo_b, hi_b)
    start_distance = poplar_distance(figures(x0), tgt)
    step = np.array([0.25 if tr != "fisher" else 0.3 for _, tr, _, _ in parameters])
    x, fun, _, nfev = restarted_nelder_mead(lambda z: poplar_distance(figures(z), tgt), x0, bounds,
                                            step, restarts, maxfev=maxfev)
    fig = figures(x)
    width = hi_b - lo_b
    at_bound = [k for (k, _, _, _), xi, lo, w in zip(parameters, x, lo_b, width, strict=True)
                if xi - lo < 0.01 * w or lo + w - xi < 0.01 * w]
    return {"values": {k: _inv(xi, tr) for (k, tr, _, _), xi in zip(parameters, x, strict=True)},
            "at_bound": at_bound, "distance": fun, "start_distance": start_distance,
            "terms": distance_terms(fig, tgt), "figures": fig, "targets": tgt,
            "scenario": scenario(x), "evaluations": nfev, "n_virtual": n_virtual, "seed": seed}


def poplar_comparison(result, poplar_csv: str | Path, level: float = 0.95) -> list[dict[str, object]]:
    """Each calibration figure, virtual (``result``) next to real POPLAR docetaxel with its CI.

    Rows ``{"figure", "real", "real_lo", "real_hi", "virtual", "virtual_lo", "virtual_hi"}``:
    fractions with Clopper–Pearson (real) and Wilson (virtual) CIs; Kaplan–Meier points with
    pointwise Greenwood (plain) CIs; medians (months) with Brookmeyer–Crowley CIs.
    """
    from statistics import NormalDist

    from ..simulate.recist_arrays import CODES
    from ..survival import clopper_pearson_ci, median_ci, wilson_ci

    z = NormalDist().inv_cdf(0.5 + level / 2)
    tgt, fig = poplar_os_targets(poplar_csv), virtual_figures(result)
    n_r, n_v = int(tgt["n"]), result.n
    rows: list[dict[str, object]] = []
    for c in (*CODES5, "ORR"):
        k_r, k_v = round(float(tgt[c]) * n_r), round(float(fig[c]) * n_v)
        rows.append({"figure": f"{c} fraction", "real": k_r / n_r, "real_lo": clopper_pearson_ci(k_r, n_r, level)[0],
                     "real_hi": clopper_pearson_ci(k_r, n_r, level)[1], "virtual": k_v / n_v,
                     "virtual_lo": wilson_ci(k_v, n_v, level)[0], "virtual_hi": wilson_ci(k_v, n_v, level)[1]})
    for key, days in (("pfs", PFS_DAYS), ("os", OS_DAYS), ("os_PR", GROUP_DAYS), ("os_SD", GROUP_DAYS),
                      ("os_PD", GROUP_DAYS), ("os_ecog0", GROUP_DAYS), ("os_ecog1", GROUP_DAYS)):
        for j, d in enumerate(days):
            s, se, v, vse = (float(np.asarray(x)[j]) for x in (tgt[key], tgt[key + "_se"], fig[key], fig[key + "_se"]))
            rows.append({"figure": f"{key.upper()} KM at {d / DAYS_PER_MONTH:.1f} mo", "real": s,
                         "real_lo": s - z * se, "real_hi": s + z * se, "virtual": v,
                         "virtual_lo": v - z * vse, "virtual_hi": v + z * vse})
    arm = _arm(poplar_csv)
    bor_r = arm["BCOR"].fillna("NE").to_numpy(str)
    ecog_r = arm["ECOGGR"].astype(int).astype(str).to_numpy()
    bor_v = np.asarray(CODES, dtype=object)[result.bor]
    bor_v[bor_v == "NON-CR/NON-PD"] = "SD"
    j = [c.name for c in result.scenario.covariates].index("ecog")
    ecog_v = np.asarray(result.scenario.covariates[j].levels)[result.covariates[:, j]]
    real_t = {"pfs": (arm["PFS"].to_numpy(float) * DAYS_PER_MONTH, arm["PFS.CNSR"].to_numpy() == 0),
              "os": (arm["OS"].to_numpy(float) * DAYS_PER_MONTH, arm["OS.CNSR"].to_numpy() == 0)}
    virt_t = {"pfs": (result.pfs_days, result.pfs_event), "os": (result.os_days, result.os_event)}
    groups = [("all", None, None), ("PR", bor_r == "PR", bor_v == "PR"), ("SD", bor_r == "SD", bor_v == "SD"),
              ("PD", bor_r == "PD", bor_v == "PD"), ("ECOG 0", ecog_r == "0", ecog_v == "0"),
              ("ECOG 1", ecog_r == "1", ecog_v == "1")]
    for ep in ("pfs", "os"):
        for name, mr, mv in groups:
            if ep == "pfs" and name != "all":
                continue
            tr, er = (x if mr is None else x[mr] for x in real_t[ep])
            tv, ev = (x if mv is None else x[mv] for x in virt_t[ep])
            a, b = median_ci(tr, er, level), median_ci(tv, ev, level)
            rows.append({"figure": f"median {ep.upper()} ({name}), months", "real": _mo(a.median),
                         "real_lo": _mo(a.lower), "real_hi": _mo(a.upper), "virtual": _mo(b.median),
                         "virtual_lo": _mo(b.lower), "virtual_hi": _mo(b.upper)})
    return rows


def _mo(days: float) -> float | None:
    return float(days) / DAYS_PER_MONTH if np.isfinite(days) else None
