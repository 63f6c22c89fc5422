"""Calibration of the ``nsclc_docetaxel`` preset (reproducible; run ``calibrate_nsclc_docetaxel``).

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
lesions is not identifiable: 70% patient / 30% lesion (illustrative).

Step 2 - response on POPLAR docetaxel (Gandara 2018 Nat Med supplement, POPLAR_Clinical_Data.csv,
n = 143): the Laleh series only hold lesions with >= 3 readings, i.e. patients who stayed on
study, so they under-represent early progression (selection bias). Starting from the Laleh
medians, the kill per dose, the resistant fraction, the occult emission coefficient and the
growth rate (log/logit scales) are chosen by Nelder–Mead on a fixed-seed virtual arm (common
random numbers) to match ORR, the SD and PD fractions and median PFS. Structural values set by
hand while exploring (patient SD of logit resistant fraction, growth SD, death hazard,
early-exit probability, visit window, SD minimum duration) are tagged [CAL-hand] in the preset.
"""

from __future__ import annotations

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


def poplar_docetaxel_targets(poplar_csv: str | Path) -> dict[str, float]:
    """Observed POPLAR docetaxel arm: n, BCOR fractions (missing counted as NE), median PFS (months)."""
    import pandas as pd

    from ..survival import median_ci

    df = pd.read_csv(poplar_csv, na_values=".")
    for col in ("TRT01P", "BCOR", "PFS", "PFS.CNSR"):
        if col not in df.columns:
            raise DataError(f"missing column {col!r}", file=str(poplar_csv), column=col)
    arm = df[df["TRT01P"] == "Docetaxel"]
    n = len(arm)
    bcor = arm["BCOR"].fillna("NE")
    out = {"n": float(n)}
    for c in ("CR", "PR", "SD", "PD", "NE"):
        out[c] = float((bcor == c).sum())
    m = median_ci(arm["PFS"].to_numpy(float), (arm["PFS.CNSR"].to_numpy(float) == 0))
    out.update(median_pfs=m.median, median_pfs_lo=m.lower, median_pfs_hi=m.upper)
    return out


def calibrate_nsclc_docetaxel(flat_csv: str | Path, poplar_csv: str | Path, *, n_virtual: int = 4000,
                              seed: int = 2024, maxiter: int = 80) -> dict[str, object]:
    """Run both calibration steps; returns the fitted values to paste into the preset's TOML."""
    from scipy.optimize import minimize

    from ..scenarios import load_scenario
    from ..simulate import simulate

    fit = fit_laleh_docetaxel(flat_csv)
    tgt = poplar_docetaxel_targets(poplar_csv)
    n = tgt["n"]
    base = load_scenario("nsclc_docetaxel")
    # structural choices kept from the preset (patient-level heterogeneity of resistance and
    # growth, death hazard, early exit, assessment windows): see the preset's [CAL-hand] tags.
    # The lesion-level SDs come from the Laleh fit (30% share, illustrative split).
    ls = np.sqrt(0.3)
    var = base.variability.model_copy(update={
        "lesion_sd": {"growth": fit.growth_sd * ls, "kill": fit.kill_sd * ls, "resistant": fit.phi_sd_logit * ls}})

    def scenario(x: np.ndarray):
        return base.model_copy(update={
            "growth": base.growth.model_copy(update={"rate_per_day": float(np.exp(x[3]))}),
            "response": base.response.model_copy(update={"kill_per_dose": float(np.exp(x[0])),
                                                         "resistant_fraction": float(1 / (1 + np.exp(-x[1])))}),
            "occult": base.occult.model_copy(update={"emission_coefficient": float(np.exp(x[2]))}),
            "variability": var})

    orr_t = (tgt["CR"] + tgt["PR"]) / n
    pd_t = tgt["PD"] / n
    sd_t = tgt["SD"] / n
    med_t = tgt["median_pfs"] * 365.25 / 12

    def loss(x: np.ndarray) -> float:
        s = simulate(scenario(x), n_patients=n_virtual, seed=seed, keep="summary").summary()
        f = s["best_response_fractions"]
        med = s["median_pfs_days"] or 730.0
        return (((f["CR"] + f["PR"] - orr_t) / 0.02) ** 2 + ((f["PD"] - pd_t) / 0.03) ** 2
                + ((f["SD"] - sd_t) / 0.03) ** 2 + (np.log(med / med_t) / 0.08) ** 2)

    # start: Laleh medians for kill and growth; resistant fraction and emission from the preset
    x0 = np.array([np.log(fit.kill_median), np.log(base.response.resistant_fraction / (1 - base.response.resistant_fraction)),
                   np.log(base.occult.emission_coefficient), np.log(fit.growth_median)])
    simplex = np.vstack([x0, x0 + [0.4, 0, 0, 0], x0 + [0, 0.5, 0, 0], x0 + [0, 0, 1.0, 0], x0 + [0, 0, 0, -0.2]])
    opt = minimize(loss, x0, method="Nelder-Mead",
                   options={"maxiter": maxiter, "xatol": 0.02, "fatol": 0.05, "initial_simplex": simplex})
    sc = scenario(opt.x)
    return {"lesion_fit": fit, "targets": tgt, "loss": float(opt.fun), "x": opt.x.tolist(),
            "growth_rate_per_day": sc.growth.rate_per_day, "kill_per_dose": sc.response.kill_per_dose,
            "resistant_fraction": sc.response.resistant_fraction,
            "emission_coefficient": sc.occult.emission_coefficient,
            "lesion_sd": sc.variability.lesion_sd, "scenario": sc}
