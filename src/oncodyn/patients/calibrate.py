"""Calibration of the ``nsclc_docetaxel`` preset (reproducible; run ``calibrate_nsclc_docetaxel``).

The preset's frozen values now come from the joint response/PFS/OS calibration to POPLAR
(:mod:`oncodyn.patients.calibrate_os`), started from this module's step-2 optimum; step 1 below
still gives the lesion-level SDs. This module's step 2 (response and PFS, deaths at a constant
hazard) is kept as the earlier, reproducible pipeline.

Step 1 - lesion dynamics on the docetaxel lesion series of Laleh et al. 2022 (PLoS Comput Biol
18:e1009822; TumorGrowth.jl flat file: study 2 arm 1 = POPLAR docetaxel, study 4 arm 1 = OAK
docetaxel; first target lesion per patient, longest diameter in mm, ``T_days``).
The simulator's lesion model under exponential growth and q3w log-kill averages to the
two-population curve (the "gdphi" form of Stein WD et al. 2008, tumgr)

    V(t) = V0 [(1 - phi) exp((g - kappa/21) t) + phi exp(g t)],   d(t) = (6 V / pi)^(1/3)

with g the specific growth rate (1/day), kappa the log-kill per dose and phi the resistant
fraction. Each lesion is fitted by maximum a posteriori least squares (log-normal priors at the
current population values, residual SD sqrt(1.7^2 + (0.06 d)^2) mm from Oxnard 2011 / Yoon
2016), and the population medians and SDs are updated from the individual estimates: the
iterative two-stage method (Steimer JL et al. (1984) Drug Metab Rev 15:265), 6 iterations.
The data hold one lesion per patient, so the split of the variance between patients and
lesions is not identifiable: 70% patient / 30% lesion (illustrative). This form has no dying-cell
compartment (the simulator's ``dying.half_life_days`` -> 0 limit): killed cells vanish at once,
so the step-1 kill and growth are apparent (net) rates; only the lesion-level SDs are carried to
the preset, and step 2 fits the POPLAR endpoints with the preset's dying compartment in place.

Step 2 - response on POPLAR docetaxel (Gandara 2018 Nat Med supplement, POPLAR_Clinical_Data.csv,
n = 143): the Laleh series only hold lesions with >= 3 readings, i.e. patients who stayed on
study, so they under-represent early progression (selection bias). Step 2
(:func:`calibrate_poplar_response`) fits, from the fixed start :data:`RESPONSE_START`, the kill per
dose, resistant fraction, growth rate, occult emission coefficient, patient SDs of log growth and
logit resistant fraction, growth-kill and growth-resistance correlations, death hazard and early
exit probability (log/logit/Fisher scales, plausibility bounds in :data:`RESPONSE_PARAMETERS`) by
bounded Nelder–Mead on a fixed-seed 4000-patient virtual arm (common random numbers), for each
minimum SD duration in :data:`MIN_SD_GRID`. The objective (:func:`response_loss`) sums squared
differences scaled by the real arm's SEs: the KM PFS at 6/12/18/24 weeks and at the end of each
+-7 d visit window, the ORR/SD/PD/NE fractions and the median PFS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError


@dataclass(frozen=True)
class LesionFit:
    """Population lesion-dynamics estimates (medians and log-scale SDs; logit for phi)."""

    growth_median: float
    growth_sd: float
    kill_median: float
    kill_sd: float
    phi_median: float
    phi_sd_logit: float
    n_lesions: int
    n_measurements: int
    diam_median_mm: float
    diam_sd_log: float


def _series(flat_csv: Path, arms: tuple[str, ...]) -> list[tuple[np.ndarray, np.ndarray]]:
    import pandas as pd

    df = pd.read_csv(flat_csv)
    for col in ("Pt_hashID", "Study_Arm", "T_days", "Lesion_diam"):
        if col not in df.columns:
            raise DataError(f"missing column {col!r}", file=str(flat_csv), column=col)
    df = df[df["Study_Arm"].isin(arms)]
    out = []
    for _, g in df.groupby("Pt_hashID", sort=True):
        g = g.sort_values("T_days")
        t = np.maximum(g["T_days"].to_numpy(float), 0.0)
        d = g["Lesion_diam"].to_numpy(float)
        if d[0] > 0 and len(d) >= 3:
            out.append((t, d))
    return out


def _model_d(theta: np.ndarray, t: np.ndarray) -> np.ndarray:
    d0, phi, g, kap = np.exp(theta[0]), 1 / (1 + np.exp(-theta[1])), np.exp(theta[2]), np.exp(theta[3])
    v = (1 - phi) * np.exp((g - kap / 21.0) * t) + phi * np.exp(g * t)
    return d0 * np.cbrt(v)


def fit_laleh_docetaxel(flat_csv: str | Path, *, arms: tuple[str, ...] = ("Study_2_Arm_1", "Study_4_Arm_1"),
                        iterations: int = 6) -> LesionFit:
    """Iterative two-stage fit of the two-population lesion model to Laleh 2022 docetaxel series."""
    from scipy.optimize import least_squares

    series = _series(Path(flat_csv), arms)
    if not series:
        raise DataError(f"no lesion series with >= 3 readings in arms {arms}", file=str(flat_csv))
    # starting population: growth ln2/83 d (Tubiana 1989), kill 0.5 per dose, phi 0.3 (illustrative)
    mu = np.array([0.0, np.log(0.3 / 0.7), np.log(0.0084), np.log(0.5)])
    sd = np.array([np.inf, 1.5, 1.0, 1.0])
    est = np.zeros((len(series), 4))
    for _ in range(iterations):
        for i, (t, d) in enumerate(series):
            prior_mu = mu.copy()
            prior_mu[0] = np.log(d[0])

            def res(th: np.ndarray, t=t, d=d, pm=prior_mu) -> np.ndarray:
                pred = _model_d(th, t)
                s = np.sqrt(1.7**2 + (0.06 * np.maximum(d, pred)) ** 2)
                pri = (th[1:] - pm[1:]) / sd[1:]
                return np.concatenate([(d - pred) / s, pri])

            x0 = est[i] if est[i].any() else prior_mu
            est[i] = least_squares(res, x0, method="trf", max_nfev=200).x
        mu[1:] = est[:, 1:].mean(axis=0)
        sd[1:] = np.maximum(est[:, 1:].std(axis=0, ddof=1), 0.05)
    d0 = np.array([d[0] for _, d in series])
    return LesionFit(
        growth_median=float(np.exp(mu[2])), growth_sd=float(sd[2]),
        kill_median=float(np.exp(mu[3])), kill_sd=float(sd[3]),
        phi_median=float(1 / (1 + np.exp(-mu[1]))), phi_sd_logit=float(sd[1]),
        n_lesions=len(series), n_measurements=int(sum(len(t) for t, _ in series)),
        diam_median_mm=float(np.median(d0)), diam_sd_log=float(np.log(d0).std(ddof=1)),
    )


DAYS_PER_MONTH = 365.25 / 12
"""Days per month used to convert POPLAR PFS (months) to days (Julian year / 12 = 30.4375)."""

KM_WEEKS = (6, 12, 18, 24)
"""Weeks at which the calibration compares progression-free proportions (the q6w scan days)."""

WINDOW_DAYS = 7
"""The objective also reads S(t) one week after each scan day, at the end of the visit window
(POPLAR assessment dates scatter about +-7 d around the nominal day; the median is decided by
S after the window, not at the nominal day)."""

CODES = ("CR", "PR", "SD", "PD", "NE")


def km_days() -> np.ndarray:
    """Evaluation days of the KM objective: 6/12/18/24 weeks and the end of each visit window."""
    return np.array(sorted({7 * w + o for w in KM_WEEKS for o in (0, WINDOW_DAYS)}), dtype=float)


def poplar_docetaxel_targets(poplar_csv: str | Path) -> dict[str, object]:
    """Observed POPLAR docetaxel arm (Fehrenbacher L et al. (2016) Lancet 387:1837; data from
    Gandara DR et al. (2018) Nat Med 24:1441 supplement).

    Returns n, the best-confirmed-response counts (``BCOR``, missing counted as NE), the
    median PFS in months and days with its Brookmeyer–Crowley 95% CI, and the Kaplan–Meier PFS
    with its Greenwood SE at :func:`km_days` (``km_days``, ``km_surv``, ``km_se``).
    """
    import pandas as pd

    from ..survival import kaplan_meier, median_ci

    df = pd.read_csv(poplar_csv, na_values=".")
    for col in ("TRT01P", "BCOR", "PFS", "PFS.CNSR"):
        if col not in df.columns:
            raise DataError(f"missing column {col!r}", file=str(poplar_csv), column=col)
    arm = df[df["TRT01P"] == "Docetaxel"]
    if arm.empty:
        raise DataError("no row with TRT01P == 'Docetaxel'", file=str(poplar_csv), column="TRT01P")
    for col in ("PFS", "PFS.CNSR"):
        bad = arm[col].isna()
        if bad.any():
            raise DataError(f"missing {col} in the docetaxel arm", file=str(poplar_csv),
                            row=int(arm.index[bad.to_numpy()][0]) + 2, column=col)  # +2: header, 1-based
    n = len(arm)
    bcor = arm["BCOR"].fillna("NE")
    out: dict[str, object] = {"n": float(n)}
    for c in CODES:
        out[c] = float((bcor == c).sum())
    t = arm["PFS"].to_numpy(float) * DAYS_PER_MONTH
    e = arm["PFS.CNSR"].to_numpy(float) == 0
    m = median_ci(t, e)
    out.update(median_pfs=m.median / DAYS_PER_MONTH, median_pfs_lo=m.lower / DAYS_PER_MONTH,
               median_pfs_hi=m.upper / DAYS_PER_MONTH, median_pfs_days=m.median,
               median_pfs_lo_days=m.lower, median_pfs_hi_days=m.upper)
    km = kaplan_meier(t, e)
    days = km_days()
    idx = np.searchsorted(km.time, days, side="right") - 1
    out["km_days"] = days
    out["km_surv"] = km.at(days)
    out["km_se"] = np.where(idx >= 0, km.se[np.maximum(idx, 0)], 0.0)
    return out


def virtual_arm_figures(result) -> dict[str, object]:
    """Calibration figures of a simulated arm: response fractions, median PFS (days), KM at :func:`km_days`."""
    from ..survival import kaplan_meier

    s = result.summary()
    f = s["best_response_fractions"]
    km = kaplan_meier(result.pfs_days, result.pfs_event)
    return {"ORR": f["CR"] + f["PR"], **{c: f[c] for c in CODES},
            "median_pfs_days": s["median_pfs_days"], "km_surv": km.at(km_days())}


# free parameters of the response step: (name, transform, lower, upper on the natural scale).
# Bounds are plausibility limits, not fitted values: kill 0.1-2 log per dose (Laleh ITS median
# 0.44); resistant fraction 1-60%; growth 0.003-0.02 /d (volume doubling 35-230 d, Friberg S,
# Mattson S (1997) J Surg Oncol 65:284); emission coefficient 1e-8-1e-3; patient SD of log growth
# 0.2-1.2 and of logit resistant fraction 0.3-3; death/withdrawal hazard 2e-4-3e-3 /d (about 7%
# to 67% a year); early exit before the first scan 2-15%.
RESPONSE_PARAMETERS: tuple[tuple[str, str, float, float], ...] = (
    ("response.kill_per_dose", "log", 0.1, 2.0),
    ("response.resistant_fraction", "logit", 0.01, 0.6),
    ("growth.rate_per_day", "log", 0.003, 0.02),
    ("occult.emission_coefficient", "log", 1e-8, 1e-3),
    ("variability.patient_sd.growth", "log", 0.2, 1.2),
    ("variability.patient_sd.resistant", "log", 0.3, 3.0),
    ("death_hazard_per_day", "log", 2e-4, 3e-3),
    ("early_exit_prob", "logit", 0.02, 0.15),
    ("corr.growth.kill", "fisher", -0.6, 0.6),
    ("corr.growth.resistant", "fisher", -0.6, 0.6),
)
"""Free parameters of :func:`calibrate_poplar_response`: (key, scale, lower, upper).

``corr.a.b`` is the patient-level correlation of the random effects a and b
(``variability.patient_corr``); with the third correlation at 0, |rho| <= 0.6 for both keeps
the matrix positive definite. Growth-kill correlation: Norton L, Simon R (1977) Cancer Treat Rep
61:1307 (faster-growing tumours are more chemosensitive)."""

RESPONSE_START: dict[str, float] = {
    "response.kill_per_dose": 0.67353, "response.resistant_fraction": 0.16053,
    "growth.rate_per_day": 0.011836, "occult.emission_coefficient": 2.1824e-4,
    "variability.patient_sd.growth": 0.8, "variability.patient_sd.resistant": 3.0,
    "death_hazard_per_day": 0.0008, "early_exit_prob": 0.12,
    "corr.growth.kill": 0.0, "corr.growth.resistant": 0.0,
}
"""Fixed starting point (the preset's values before the KM-based calibration: Laleh ITS start
plus a first POPLAR step on ORR/SD/PD/median only), so the calibration does not depend on the
values currently stored in the TOML."""

MIN_SD_GRID: tuple[int, ...] = (42, 45, 49)
"""Candidate minimum SD durations (days from baseline; RECIST 1.1 leaves it to the protocol,
Eisenhauer 2009 section 4.4, commonly 6-8 weeks): an integer rule, so searched on a grid."""


_RE = ("growth", "kill", "resistant")  # order of the patient random effects (patient_corr)


def _fwd(v: float, tr: str) -> float:
    if tr == "log":
        return float(np.log(v))
    if tr == "logit":
        return float(np.log(v / (1 - v)))
    return float(np.arctanh(v))  # "fisher": correlation


def _inv(x: float, tr: str) -> float:
    if tr == "log":
        return float(np.exp(x))
    if tr == "logit":
        return float(1 / (1 + np.exp(-x)))
    return float(np.tanh(x))


def restarted_nelder_mead(loss: Callable[[np.ndarray], float], x0: np.ndarray,
                          bounds: list[tuple[float, float]], step: np.ndarray, restarts: int,
                          **limits: int) -> tuple[np.ndarray, float, int, int]:
    """Bounded Nelder–Mead (Nelder JA, Mead R (1965) Comput J 7:308; scipy ``minimize``) from
    ``x0``, then ``restarts`` times from the optimum with a fresh simplex of ``step`` along each
    axis (clipped to ``bounds``; a standard remedy for simplex collapse on a piecewise-constant
    objective). ``limits``: ``maxiter`` and/or ``maxfev`` per run; tolerances 0.01 on x and f.

    Returns (x, loss at x, iterations, evaluations) summed over the runs.
    """
    from scipy.optimize import minimize

    lo_b, hi_b = np.array([b[0] for b in bounds]), np.array([b[1] for b in bounds])
    x, nit, nfev = x0, 0, 0
    for _ in range(1 + max(int(restarts), 0)):
        simplex = np.clip(np.vstack([x] + [x + np.eye(x.size)[i] * step[i] for i in range(x.size)]),
                          lo_b, hi_b)
        opt = minimize(loss, x, method="Nelder-Mead", bounds=bounds,
                       options={**limits, "xatol": 0.01, "fatol": 0.01, "initial_simplex": simplex})
        x, nit, nfev = opt.x, nit + int(opt.nit), nfev + int(opt.nfev)
    return x, float(opt.fun), nit, nfev


def _corr_index(path: str) -> tuple[int, int] | None:
    """``"corr.growth.kill"`` -> indices in ``variability.patient_corr`` (None for other keys)."""
    if not path.startswith("corr."):
        return None
    a, b = path.split(".")[1:]
    return _RE.index(a), _RE.index(b)


def _get(d: dict, path: str) -> float:
    ij = _corr_index(path)
    if ij is not None:
        return float(d["variability"]["patient_corr"][ij[0]][ij[1]])
    for k in path.split("."):
        d = d[k]
    return float(d)  # type: ignore[arg-type]


def _set(d: dict, path: str, v: float) -> None:
    ij = _corr_index(path)
    if ij is not None:
        c = [list(r) for r in d["variability"]["patient_corr"]]
        c[ij[0]][ij[1]] = c[ij[1]][ij[0]] = v
        d["variability"]["patient_corr"] = c
        return
    ks = path.split(".")
    for k in ks[:-1]:
        d = d[k]
    d[ks[-1]] = v


def response_loss(fig: dict[str, object], tgt: dict[str, object]) -> float:
    """Weighted least-squares distance of a virtual arm to the POPLAR targets.

    Each term is (virtual - real)^2 / SE_real^2, the SE being the real arm's sampling error:
    Greenwood SE of the KM PFS at :func:`km_days`, binomial SE sqrt(p(1-p)/n) for the ORR, SD,
    PD and NE fractions, and the Brookmeyer–Crowley 95% CI half-width / 1.96 for the median PFS
    (a moment-matching objective; the correlation between the KM points is ignored).
    """
    n = float(tgt["n"])  # type: ignore[arg-type]
    km_r, km_se = np.asarray(tgt["km_surv"]), np.asarray(tgt["km_se"])
    loss = float((((np.asarray(fig["km_surv"]) - km_r) / km_se) ** 2).sum())
    real = {"ORR": (tgt["CR"] + tgt["PR"]) / n, "SD": tgt["SD"] / n, "PD": tgt["PD"] / n,  # type: ignore[operator]
            "NE": tgt["NE"] / n}  # type: ignore[operator]
    for k, p in real.items():
        loss += ((float(fig[k]) - p) / np.sqrt(p * (1 - p) / n)) ** 2  # type: ignore[arg-type]
    med = fig["median_pfs_days"] or 730.0
    se_med = (float(tgt["median_pfs_hi_days"]) - float(tgt["median_pfs_lo_days"])) / (2 * 1.96)  # type: ignore[arg-type]
    loss += ((float(med) - float(tgt["median_pfs_days"])) / se_med) ** 2  # type: ignore[arg-type]
    return loss


def calibrate_poplar_response(poplar_csv: str | Path, base=None, *, n_virtual: int = 4000, seed: int = 2024,
                              maxiter: int = 400, parameters=RESPONSE_PARAMETERS,
                              start: dict[str, float] | None = RESPONSE_START,
                              min_sd_grid: tuple[int, ...] = MIN_SD_GRID,
                              restarts: int = 1) -> dict[str, object]:
    """Step 2: fit the response/progression parameters of a scenario to the POPLAR docetaxel arm.

    Minimises :func:`response_loss` (KM PFS at 6/12/18/24 weeks and at the end of each visit
    window, ORR, SD, PD and NE fractions, median PFS) over ``parameters`` (log/logit scales,
    box-bounded by plausibility limits) with bounded Nelder–Mead (Nelder JA, Mead R (1965)
    Comput J 7:308) on a virtual arm of ``n_virtual`` patients simulated with the same ``seed``
    at every evaluation (common random numbers, so the objective is deterministic).

    Parameters
    ----------
    poplar_csv : POPLAR_Clinical_Data.csv
    base : starting Scenario (default: the ``nsclc_docetaxel`` preset as installed)
    n_virtual, seed : virtual arm size and seed of every evaluation
    maxiter : Nelder–Mead iterations per run
    parameters : (dotted key, "log"|"logit"|"fisher", lower, upper) tuples
    start : starting values (default :data:`RESPONSE_START`; None = the values in ``base``)
    min_sd_grid : ``imaging.min_sd_days`` values tried (one fit each; the lowest loss wins;
        empty = keep ``base``'s value)
    restarts : Nelder–Mead restarts from the optimum with a fresh simplex (a standard remedy
        for simplex collapse on a piecewise-constant objective)

    Returns
    -------
    dict with ``values`` (dotted key -> fitted value), ``loss``, ``start_loss``, ``targets``,
    ``figures`` (virtual arm at the optimum) and ``scenario``.
    """
    from ..scenarios import load_scenario
    from ..simulate import simulate
    from .config import scenario_from_dict

    tgt = poplar_docetaxel_targets(poplar_csv)
    base = load_scenario("nsclc_docetaxel") if base is None else load_scenario(base)
    bounds = [(_fwd(lo, tr), _fwd(hi, tr)) for _, tr, lo, hi in parameters]
    lo_b, hi_b = np.array([b[0] for b in bounds]), np.array([b[1] for b in bounds])
    step = np.array([0.3 if tr == "log" else 0.4 for _, tr, _, _ in parameters])

    def scenario(x: np.ndarray, min_sd: int):
        d = base.model_dump()
        for (k, tr, _, _), xi in zip(parameters, x, strict=True):
            _set(d, k, _inv(xi, tr))
        d["imaging"]["min_sd_days"] = int(min_sd)
        return scenario_from_dict(d, source="calibration")

    def figures(x: np.ndarray, min_sd: int) -> dict[str, object]:
        res = simulate(scenario(x, min_sd), n_patients=n_virtual, seed=seed, keep="summary")
        return virtual_arm_figures(res)

    d0 = base.model_dump()
    vals0 = {k: (start[k] if start is not None and k in start else _get(d0, k)) for k, _, _, _ in parameters}
    x0 = np.clip([_fwd(vals0[k], tr) for k, tr, _, _ in parameters], lo_b, hi_b)
    grid = tuple(min_sd_grid) or (int(base.imaging.min_sd_days),)
    runs = []
    for min_sd in grid:
        def loss(x: np.ndarray, min_sd: int = min_sd) -> float:
            return response_loss(figures(x, min_sd), tgt)

        start_loss = loss(x0.copy())
        x, fun, nit, nfev = restarted_nelder_mead(loss, x0.copy(), bounds, step, restarts,
                                                  maxiter=maxiter)
        runs.append({"min_sd_days": int(min_sd), "x": x, "loss": fun, "start_loss": start_loss,
                     "iterations": nit, "evaluations": nfev})
    best = min(runs, key=lambda r: r["loss"])
    x, min_sd = best["x"], best["min_sd_days"]
    values: dict[str, float] = {k: _inv(xi, tr) for (k, tr, _, _), xi in zip(parameters, x, strict=True)}
    values["imaging.min_sd_days"] = min_sd
    return {"values": values, "loss": best["loss"], "start_loss": best["start_loss"],
            "iterations": best["iterations"], "evaluations": best["evaluations"],
            "grid": [{k: v for k, v in r.items() if k != "x"} for r in runs], "targets": tgt,
            "figures": figures(x, min_sd), "scenario": scenario(x, min_sd), "n_virtual": n_virtual, "seed": seed}


def calibrate_nsclc_docetaxel(flat_csv: str | Path, poplar_csv: str | Path, *, n_virtual: int = 4000,
                              seed: int = 2024, maxiter: int = 400) -> dict[str, object]:
    """Run both calibration steps; returns the fitted values to paste into the preset's TOML.

    Step 1 (:func:`fit_laleh_docetaxel`) gives the lesion-level SDs (30% share of the ITS SDs,
    illustrative split) and the starting kill and growth; step 2
    (:func:`calibrate_poplar_response`) fits the response/progression parameters to POPLAR.
    """
    from ..scenarios import load_scenario

    fit = fit_laleh_docetaxel(flat_csv)
    base = load_scenario("nsclc_docetaxel")
    ls = np.sqrt(0.3)
    d = base.model_dump()
    d["variability"]["lesion_sd"] = {"growth": fit.growth_sd * ls, "kill": fit.kill_sd * ls,
                                     "resistant": fit.phi_sd_logit * ls}
    from .config import scenario_from_dict

    start = scenario_from_dict(d, source="calibration start")
    out = calibrate_poplar_response(poplar_csv, start, n_virtual=n_virtual, seed=seed, maxiter=maxiter)
    out["lesion_fit"] = fit
    out["lesion_sd"] = d["variability"]["lesion_sd"]
    return out
