"""``oncodyn bench popfit``: SAEM on a simulated Stein-Fojo population, timed, with recovery.

The population: ``patients`` series of ``stein_gd`` with 8 scans each (baseline and every 6
weeks, days 0-294), typical values and inter-individual variances of the docetaxel arm of
Struemper 2025 (CPT Pharmacometrics Syst Pharmacol 14:1006, Tables 2-3, via nlmixr2lib:
KG 0.01822/wk, KS 0.03566/wk, SLD0 86.07 mm; variances 0.8715, 0.9174, 0.2645, diagonal part)
and its combined residual error (additive variance 6.324 mm^2, proportional variance 0.01276).

JSON keys (stable): ``patients``, ``wall_s`` (fit_population, all included: starting values,
SAEM, EBEs, standard errors, -2LL), ``iterations`` (K1 + K2), ``minus2ll``,
``theta_rel_error`` and ``omega_rel_error`` (per parameter, estimate/truth - 1),
plus ``sample_theta_rel_error`` (how far the simulated patients' own mean log parameters
fall from the truth: sampling error, omega/sqrt(N)), ``sigma_rel_error``, ``status``, ``baseline_individual_fit_s`` (the individual
least-squares fits of the same series, :func:`oncodyn.inference.fit`, timed in the same run)
and ``ratio_to_individual_fit`` (wall_s / that baseline); with ``--replicates R``,
``replicates`` (:func:`replicates`: mean errors over R further populations, their SEs, the
largest errors and the 95% interval coverage); with ``--real``, ``real_data``
(:func:`real_data`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import typer

from ..inference import fit as individual_fit
from ..population import ErrorModel, fit_population, simulate_population

THETA = {"y0": 86.07, "g": 0.01822 / 7, "d": 0.03566 / 7}
OMEGA = {"y0": 0.2645, "g": 0.8715, "d": 0.9174}
ERROR = ErrorModel("combined", a=float(np.sqrt(6.324)), b=float(np.sqrt(0.01276)))
SCANS = np.arange(8) * 42.0


def run(patients: int = 1000, *, seed: int = 0, json_out: str | Path | None = None,
        progress: Any = None, n_iter: int | tuple[int, int] = (300, 200)) -> dict[str, Any]:
    """Simulate, fit and time; returns (and optionally writes) the JSON record."""
    from .forecast import _write_json

    sim = simulate_population("stein_gd", THETA, OMEGA, ERROR, SCANS, patients, seed=seed)
    t0 = time.perf_counter()
    individual_fit("stein_gd", sim.batch, error="additive")
    base = time.perf_counter() - t0
    t0 = time.perf_counter()
    fit = fit_population("stein_gd", sim.batch, error="combined", seed=seed, n_iter=n_iter,
                         progress=progress)
    wall = time.perf_counter() - t0
    names = fit.param_names
    om = np.diag(fit.omega)
    # the drawn patients' own typical values (mean of their true log parameters): a finite
    # sample deviates from THETA by omega/sqrt(N) (e.g. 1.6% for y0 at N = 1000)
    sample_mu = np.log(sim.params).mean(axis=0)
    out = {
        "patients": int(patients),
        "wall_s": round(wall, 3),
        "iterations": int(fit.trace.k1 + fit.trace.k2),
        "minus2ll": float(fit.minus2ll),
        "theta_rel_error": {nm: float(fit.theta[k] / THETA[nm] - 1) for k, nm in enumerate(names)},
        "omega_rel_error": {nm: float(om[k] / OMEGA[nm] - 1) for k, nm in enumerate(names)},
        "sample_theta_rel_error": {nm: float(np.exp(sample_mu[k]) / THETA[nm] - 1)
                                   for k, nm in enumerate(names)},
        "sigma_rel_error": {"a": float(fit.sigma["a"] / ERROR.a - 1),
                            "b": float(fit.sigma["b"] / ERROR.b - 1)},
        "minus2ll_se": float(fit.minus2ll_se),
        "status": fit.status,
        "messages": list(fit.messages),
        "baseline_individual_fit_s": round(base, 3),
        "ratio_to_individual_fit": round(wall / base, 2) if base > 0 else None,
        "seed": seed,
    }
    if json_out is not None:
        _write_json(out, json_out)
    return out


def replicates(n_rep: int, patients: int = 1000, *, seed: int = 0,
               n_iter: int | tuple[int, int] = (300, 200)) -> dict[str, Any]:
    """Recovery over ``n_rep`` independent simulated populations (seeds seed+1 .. seed+n_rep):
    mean relative error of typical values and variances with its standard error across
    replicates (bias), the largest single-replicate error, and the coverage of the 95% Wald
    intervals of the typical values."""
    names = tuple(THETA)
    th = np.array([THETA[k] for k in names])
    om = np.array([OMEGA[k] for k in names])
    rt, ro, cov = [], [], []
    for r in range(1, n_rep + 1):
        sim = simulate_population("stein_gd", THETA, OMEGA, ERROR, SCANS, patients, seed=seed + r)
        fit = fit_population("stein_gd", sim.batch, error="combined", seed=seed + r,
                             n_iter=n_iter)
        rt.append(fit.theta / th - 1)
        ro.append(np.diag(fit.omega) / om - 1)
        ci = fit.theta_ci(0.95)
        cov.append((ci[:, 0] <= th) & (th <= ci[:, 1]))
    rt_a, ro_a = np.array(rt), np.array(ro)
    sem = (lambda a: a.std(axis=0, ddof=1) / np.sqrt(len(a))) if n_rep > 1 else (  # noqa: E731
        lambda a: np.full(a.shape[1], np.nan))

    def per(a: np.ndarray) -> dict[str, float]:
        return {nm: float(v) for nm, v in zip(names, a, strict=True)}

    return {"n_rep": n_rep, "patients": patients,
            "theta_mean_rel_error": per(rt_a.mean(axis=0)), "theta_mean_rel_error_se": per(sem(rt_a)),
            "theta_max_abs_rel_error": per(np.abs(rt_a).max(axis=0)),
            "omega_mean_rel_error": per(ro_a.mean(axis=0)), "omega_mean_rel_error_se": per(sem(ro_a)),
            "omega_max_abs_rel_error": per(np.abs(ro_a).max(axis=0)),
            "theta_ci95_coverage": per(np.mean(cov, axis=0))}


def bench_popfit(
    patients: int = typer.Option(1000, "--patients", min=10, help="Simulated patients."),
    json_out: Path = typer.Option(Path("bench-popfit.json"), "--json",
                                  help="Where to write the JSON result."),
    seed: int = typer.Option(0, help="Seed of the simulation and of SAEM."),
    iterations: int = typer.Option(500, "--iterations", min=10,
                                   help="SAEM iterations (60% exploration, 40% smoothing)."),
    n_rep: int = typer.Option(0, "--replicates", min=0, help="Also fit this many further "
                              "simulated populations and report the mean errors (bias) and "
                              "the 95% interval coverage."),
    real: Path | None = typer.Option(None, "--real", help="Also fit the docetaxel and "
                                     "atezolizumab arms of this TumorGrowth.jl flat CSV "
                                     "(Laleh 2022) and compare with published estimates."),
) -> None:
    """SAEM population fit of a simulated Stein-Fojo population (8 scans per patient)."""
    if real is not None and not Path(real).is_file():
        from ..errors import DataError

        raise DataError("file not found", file=str(real))
    n_iter = (300, 200) if iterations == 500 else iterations
    out = run(patients, seed=seed, json_out=None, progress=True, n_iter=n_iter)
    if n_rep:
        out["replicates"] = replicates(n_rep, patients, seed=seed, n_iter=n_iter)
        rep = out["replicates"]
        typer.echo(f"{n_rep} replicates: mean theta error " + ", ".join(
            f"{k} {100 * v:+.1f}% (SE {100 * rep['theta_mean_rel_error_se'][k]:.1f}%)"
            for k, v in rep["theta_mean_rel_error"].items()) + "; mean omega error " + ", ".join(
            f"{k} {100 * v:+.1f}%" for k, v in rep["omega_mean_rel_error"].items())
            + "; 95% CI coverage " + ", ".join(
            f"{k} {v:.2f}" for k, v in rep["theta_ci95_coverage"].items()))
    if real is not None:
        out["real_data"] = real_data(real, seed=seed)
        typer.echo(real_data_markdown(out["real_data"]))
    from .forecast import _write_json

    _write_json(out, json_out)
    th = ", ".join(f"{k} {100 * v:+.1f}%" for k, v in out["theta_rel_error"].items())
    om = ", ".join(f"{k} {100 * v:+.1f}%" for k, v in out["omega_rel_error"].items())
    sm = ", ".join(f"{k} {100 * v:+.1f}%" for k, v in out["sample_theta_rel_error"].items())
    typer.echo(f"{out['patients']} patients, {out['iterations']} SAEM iterations: "
               f"{out['wall_s']:.2f} s ({out['ratio_to_individual_fit']:.1f} x the individual "
               f"fits, {out['baseline_individual_fit_s']:.2f} s); -2LL {out['minus2ll']:.1f}; "
               f"theta error {th} (the simulated patients' own means: {sm}); omega error "
               f"{om}; status {out['status']}")
    typer.echo(f"wrote {json_out}")


# ---------------------------------------------------------------- cross-check vs statsmodels
def _linear_closed(t: Any, p: Any, u: Any, xp: Any) -> Any:
    return p[..., 0, None] + p[..., 1, None] * t


def loglinear_model() -> Any:
    """Exponential growth written on log size, z = a + k t, with identity transforms, so that
    normal random effects on (a, k) make it a linear mixed model (not registered)."""
    from ..models import Model, Parameter

    return Model(
        name="loglinear", title="exponential growth on log size (linear in time)",
        parameters=(Parameter("a", "log mm", 3.5, transform="identity",
                              description="log size at t = 0"),
                    Parameter("k", "1/day", 0.0, transform="identity",
                              description="exponential growth rate")),
        rhs=lambda t, y, p, u, xp: p[..., 1:2] + 0.0 * y,
        initial_state=lambda p, xp: p[..., 0:1], closed_form=_linear_closed,
        equation="log y = a + k t", reference="linear mixed model (Laird & Ware 1982)")


def crosscheck_mixedlm(n: int = 300, scans: int = 6, *, seed: int = 3) -> dict[str, Any]:
    """SAEM (full Omega, additive error) vs statsmodels MixedLM (ML, random intercept and
    slope) on the same simulated log-size data. Time is given to MixedLM in units of 100
    days (its optimiser fails on a slope variance of 1e-5 /day^2); estimates are mapped back.

    Returns both sets of estimates, standard errors and -2LL (MixedLM's is exact for this
    model; SAEM's is the importance-sampling estimate with its Monte Carlo SE).
    """
    import pandas as pd
    import statsmodels.formula.api as smf

    from ..inference import SeriesBatch

    rng = np.random.default_rng(seed)
    t = np.tile(np.arange(scans) * 42.0, (n, 1))
    cov = np.array([[0.09, -0.0002], [-0.0002, 1e-5]])
    re = rng.standard_normal((n, 2)) @ np.linalg.cholesky(cov).T
    z = (3.6 + re[:, :1]) + (-0.002 + re[:, 1:]) * t + 0.1 * rng.standard_normal((n, scans))
    batch = SeriesBatch(tuple(range(n)), t, z, np.full(n, scans))
    fit = fit_population(loglinear_model(), batch, error="additive", omega="full", seed=seed)
    df = pd.DataFrame({"id": np.repeat(np.arange(n), scans), "t": t.ravel() / 100.0,
                       "z": z.ravel()})
    m = smf.mixedlm("z ~ t", df, groups="id", re_formula="~t").fit(reml=False)
    scale = np.array([[1.0, 100.0], [100.0, 1e4]])
    cre = np.asarray(m.cov_re) / scale
    se = fit.se
    return {
        "n": n, "scans": scans,
        "saem": {"a": float(fit.theta[0]), "k": float(fit.theta[1]),
                 "se_a": se["mu_a"], "se_k": se["mu_k"],
                 "omega_a": float(fit.omega[0, 0]), "omega_k": float(fit.omega[1, 1]),
                 "omega_ak": float(fit.omega[0, 1]), "sigma2": fit.sigma["a"] ** 2,
                 "minus2ll": fit.minus2ll, "minus2ll_se": fit.minus2ll_se},
        "mixedlm": {"a": float(m.fe_params.iloc[0]), "k": float(m.fe_params.iloc[1]) / 100,
                    "se_a": float(m.bse_fe.iloc[0]), "se_k": float(m.bse_fe.iloc[1]) / 100,
                    "omega_a": float(cre[0, 0]), "omega_k": float(cre[1, 1]),
                    "omega_ak": float(cre[0, 1]), "sigma2": float(m.scale),
                    "minus2ll": float(-2 * m.llf), "converged": bool(m.converged)},
    }


# ---------------------------------------------------------------- real data (Laleh 2022)
ARMS = {"POPLAR docetaxel": ("2", "1", "docetaxel"), "OAK docetaxel": ("4", "1", "docetaxel"),
        "OAK atezolizumab": ("4", "2", "atezolizumab")}
"""Arms of the Laleh 2022 data (study 2 = POPLAR, study 4 = OAK; arm 1 = docetaxel, arm 2 =
atezolizumab, in the Study_Arm labels of Laleh et al. 2022 PLOS Comput Biol 18:e1009822 S1
Data)."""
LLOQ_MM = 5.0
"""Readings below 5 mm (zeros: lesion gone) are censored (M3): RECIST 1.1 gives 5 mm to a
target "too small to measure" (Eisenhauer 2009 Eur J Cancer 45:228; docs/recist.md#r3-4),
so smaller values are below what is measured reliably."""


def real_data(path: str | Path, *, models: tuple[str, ...] = ("stein_gd", "claret_ts"),
              arms: tuple[str, ...] = tuple(ARMS), seed: int = 0, n_iter: int | tuple[int, int] = (300, 200),
              progress: Any = None) -> dict[str, Any]:
    """Population fits of the docetaxel and atezolizumab arms of the Laleh 2022 lesion series,
    set beside published estimates (:mod:`oncodyn.population.published`).

    Combined residual error, censoring below :data:`LLOQ_MM`, all parameters random (diagonal
    Omega). Rates are reported per week. Returns a JSON-ready dict: per arm and model the
    estimates with SEs and 95% intervals, Omega, sigma, shrinkage, -2LL, status, and the
    published values with the ratio ours/published; plus ``comparisons``: log-ratios (with SE)
    of typical values between the two docetaxel arms (replication) and between atezolizumab and
    docetaxel in OAK.
    """
    import oncodyn.data as odata

    from ..inference import SeriesBatch
    from ..population.published import PUBLISHED

    table = odata.read_tumorgrowth_flat(path).table
    out: dict[str, Any] = {"data": str(path), "lloq_mm": LLOQ_MM, "fits": {}}
    fits = {}
    unknown = [a for a in arms if a not in ARMS]
    if unknown:
        from ..errors import ConfigError

        raise ConfigError(f"unknown arm(s) {unknown}; known: {', '.join(ARMS)}")
    for label in arms:
        study, arm, drug = ARMS[label]
        sub = table[(table["study"] == study) & (table["arm"] == arm)]
        batch = SeriesBatch.from_frame(sub)
        for name in models:
            if progress:
                progress(f"{label} {name}")
            fit = fit_population(name, batch, error="combined", lloq=LLOQ_MM, seed=seed,
                                 n_iter=n_iter)
            fits[(label, name)] = fit
            out["fits"][f"{label} | {name}"] = _real_record(fit, drug, PUBLISHED)
    comps = {}
    for name in models:
        pairs = {"OAK vs POPLAR docetaxel": ("OAK docetaxel", "POPLAR docetaxel"),
                 "OAK atezolizumab vs docetaxel": ("OAK atezolizumab", "OAK docetaxel")}
        for what, (a, b) in pairs.items():
            fa, fb = fits.get((a, name)), fits.get((b, name))
            if fa is None or fb is None:
                continue
            diff = fa.mu - fb.mu
            se = np.sqrt(fa.mu_se**2 + fb.mu_se**2)
            comps[f"{name}: {what}"] = {
                nm: {"log_ratio": float(diff[k]), "se": float(se[k]),
                     "ratio": float(np.exp(diff[k])),
                     "ci95": [float(np.exp(diff[k] - 1.96 * se[k])),
                              float(np.exp(diff[k] + 1.96 * se[k]))]}
                for k, nm in enumerate(fa.param_names)}
    out["comparisons"] = comps
    return out


def _real_record(fit: Any, drug: str, published: dict) -> dict[str, Any]:
    per_week = np.array([1.0 if p.unit in ("mm", "size") else 7.0 for p in fit.model.parameters])
    names = fit.param_names
    ci = fit.theta_ci()
    rec: dict[str, Any] = {
        "n_series": fit.n_series, "n_obs": fit.n_obs, "n_censored": fit.n_censored,
        "theta_per_week": {nm: float(fit.theta[k] * per_week[k]) for k, nm in enumerate(names)},
        "se_per_week": {nm: float(fit.theta_se[k] * per_week[k]) for k, nm in enumerate(names)},
        "ci95_per_week": {nm: [float(ci[k, 0] * per_week[k]), float(ci[k, 1] * per_week[k])]
                          for k, nm in enumerate(names)},
        "omega": {nm: float(fit.omega[k, k]) for k, nm in enumerate(names)},
        "sigma": fit.sigma, "shrinkage": {nm: float(fit.shrinkage[k])
                                          for k, nm in enumerate(names)},
        "minus2ll": fit.minus2ll, "aic": fit.aic, "bic": fit.bic, "status": fit.status,
        "messages": list(fit.messages), "published": [],
    }
    for pub in published.get((fit.model.name, drug), ()):
        rec["published"].append({
            "source": pub.source, "drug": pub.drug, "theta_per_week": pub.theta_per_week,
            "omega": pub.omega, "note": pub.note,
            "ratio_ours_to_published": {
                nm: rec["theta_per_week"][nm] / v for nm, v in pub.theta_per_week.items()
                if nm in rec["theta_per_week"]}})
    return rec


def real_data_markdown(res: dict[str, Any]) -> str:
    """The real-data comparison as a Markdown table (per week; ours [95% CI] | published)."""
    lines = ["| arm | model | parameter | oncodyn (95% CI) | omega^2 | published | source |",
             "|---|---|---|---|---|---|---|"]
    for key, rec in res["fits"].items():
        arm, model = key.split(" | ")
        pub = rec["published"][0] if rec["published"] else None
        for nm, v in rec["theta_per_week"].items():
            lo, hi = rec["ci95_per_week"][nm]
            pv = "" if pub is None else f"{pub['theta_per_week'].get(nm, float('nan')):.4g}"
            src = "" if pub is None else pub["source"].split(" CPT")[0].split(" Clin")[0]
            lines.append(f"| {arm} | {model} | {nm} | {v:.4g} ({lo:.4g}-{hi:.4g}) | "
                         f"{rec['omega'][nm]:.3f} | {pv} | {src} |")
    return "\n".join(lines)
