"""Virtual metastatic patients: lesions, covariates, between-patient and between-lesion variability,
and occult (sub-detection) metastases.

Model of one patient
--------------------
* ``1 + Poisson(n_lesions_mean - 1)`` visible lesions (capped at ``max_lesions``), each in an organ
  drawn from ``organ_probs`` (slot 0 may be a fixed primary organ); lymph-node lesions are
  "nodal" and their modelled diameter is the RECIST short axis. Slot 0 is drawn from the
  log-normal size distribution truncated to the RECIST measurable range (>= 10 mm, nodes
  >= 15 mm; Eisenhauer 2009 Eur J Cancer 45:228) so every virtual patient is trial-eligible.
* Each lesion has a sensitive (S) and a resistant (R) volume, a specific growth rate ``g``
  (1/day) and a log-kill per reference dose ``kill``. Parameters are log-normal with a patient
  random effect (multivariate normal with the configured correlations) plus an independent
  lesion random effect; the resistant fraction is logit-normal:

      log g_ij = log g_pop + log f_cov,i + eta_i^g + eps_ij^g     (same for kill)
      logit phi_ij = logit phi_pop + log f_cov,i + eta_i^phi + eps_ij^phi

  (the usual NLME log-normal IIV, e.g. Claret 2009 J Clin Oncol 27:4103; Struemper 2025 CPT
  Pharmacometrics Syst Pharmacol 14:1006 Table 2 report correlated log-normal KG/KS).
* Categorical covariates (cancer type, stage, ECOG, sensitivity class...) multiply growth, kill,
  resistant odds, the metastatic emission coefficient and the death hazard.
* ``baseline.source = "poplar"``: each patient is one POPLAR row resampled whole (SLD, ECOG,
  metastatic sites, histology, age, sex, prior therapies; :mod:`oncodyn.patients.baseline`): the
  lesion count is the row's metastatic sites (capped at ``max_lesions``), the targets' diameters
  sum to its SLD (:func:`oncodyn.patients.baseline.lesions_from_baseline`), covariates named like
  a baseline variable take the row's level. The other draws are unchanged.
* Occult metastases (Iwata K, Kawasaki K, Shigesada N (2000) J Theor Biol 203:177): colonies
  emitted at rate ``m * x_p^alpha`` by a source of ``x_p`` cells growing at rate ``g`` have, at any
  time, a power-law size distribution: the expected number larger than ``x`` cells is
  ``Lambda(x) = m * x_p^alpha / (alpha * g) * x^(-alpha)`` (derived for exponential growth of
  source and colonies; Iwata's Gompertz law reduces to it far from the plateau). We sample the
  ``n_slots`` largest colonies below the detection size exactly from this Poisson process
  (unit-rate spacings in ``y = Lambda(x) - Lambda(x_det)``). They grow and respond like the
  patient's lesions and surface as RECIST *new lesions* when they pass the detection diameter.
  Colonies emitted *during* follow-up are neglected: from one cell they need
  ``ln(x_det)/g`` days (about 1,800 d at g = 0.01/d) to be seen, beyond a 2-year horizon.
  Defaults m = 5.3e-8 /(cell^alpha d), alpha = 2/3 are Iwata's hepatocellular values (Iwata et al.
  2000, as quoted in a public re-implementation; the paper's table is unverified); presets override m (illustrative/calibrated, see their notes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, logit, ndtr, ndtri

from ..errors import ConfigError
from ..models.geometry import sphere_diameter as sphere_diameter  # re-exported
from ..models.geometry import sphere_volume as sphere_volume
from .baseline import CATEGORICAL, lesions_from_baseline, pool_for
from .config import ORGANS, Scenario

LN_TO_NODE = ORGANS.index("lymph_node")


@dataclass(frozen=True)
class Cohort:
    """A chunk of virtual patients as arrays (patients x lesion slots).

    Slots ``[0, max_lesions)`` are visible lesions (``present`` masks the empty ones); the last
    ``n_occult`` slots hold occult colonies. Volumes in mm^3, rates per day.
    """

    present: np.ndarray      # (n, L) bool
    occult: np.ndarray       # (L,) bool
    organ: np.ndarray        # (n, L) int8 index into ORGANS
    nodal: np.ndarray        # (n, L) bool
    sens0: np.ndarray        # (n, L) sensitive volume at day 0
    res0: np.ndarray         # (n, L) resistant volume at day 0
    growth: np.ndarray       # (n, L) specific growth rate (1/day)
    kill: np.ndarray         # (n, L) log-kill of sensitive cells per reference dose
    covariates: np.ndarray   # (n, n_cov) level index
    cl_factor: np.ndarray    # (n,) clearance multiplier (log-normal)
    tox_factor: np.ndarray   # (n,) Friberg slope multiplier (log-normal)
    hazard_factor: np.ndarray  # (n,) product of the covariates' death-hazard ratios
    sites: np.ndarray        # (n,) number of metastatic sites (POPLAR METSITES or lesion count)
    sld0: np.ndarray         # (n,) baseline SLD, mm (POPLAR blSLD or sum of visible diameters)
    baseline_row: np.ndarray | None = None  # (n,) row of the baseline pool (source "poplar")

    @property
    def n(self) -> int:
        return int(self.present.shape[0])


def _trunc_lognormal(rng: np.random.Generator, median: float, sd: float, lower: np.ndarray) -> np.ndarray:
    """Log-normal draws conditioned on ``x >= lower`` (inverse-CDF sampling)."""
    mu = np.log(median)
    if sd == 0:
        return np.maximum(median, lower)
    p_lo = ndtr((np.log(lower) - mu) / sd)
    u = p_lo + rng.random(lower.shape) * (1.0 - p_lo)
    return np.exp(mu + sd * ndtri(np.clip(u, 1e-12, 1 - 1e-12)))


def sample_cohort(scenario: Scenario, n: int, rng: np.random.Generator) -> Cohort:
    """Draw ``n`` virtual patients of a scenario (all randomness from ``rng``)."""
    pc, var, oc = scenario.patients, scenario.variability, scenario.occult
    Lv, Lo = pc.max_lesions, oc.n_slots
    L = Lv + Lo
    organ_idx = np.array([ORGANS.index(o) for o in pc.organs], dtype=np.int8)
    probs = np.asarray(pc.organ_probs, dtype=float)

    # baseline rows resampled jointly from the POPLAR file (baseline.source = "poplar")
    pool = rows = None
    if scenario.baseline.source == "poplar":
        pool = pool_for(scenario)  # None: file absent, parametric fallback (warned)
        if pool is not None:
            rows = rng.integers(0, pool.n, size=n).astype(np.int32)

    # covariates -> multiplicative factors
    fac = {k: np.ones(n) for k in ("growth", "kill", "resistant", "emission", "hazard")}
    cov = np.zeros((n, len(scenario.covariates)), dtype=np.int8)
    for j, c in enumerate(scenario.covariates):
        if pool is not None and c.name in CATEGORICAL:
            vals = pool.column(c.name)
            missing = sorted(set(vals) - set(c.levels))
            if missing:
                raise ConfigError(f"covariates: {c.name!r} levels {c.levels} lack the value(s) "
                                  f"{missing} found in {pool.file}")
            lev = np.array([c.levels.index(v) for v in vals])[rows]
        else:
            lev = rng.choice(len(c.levels), size=n, p=np.asarray(c.probs))
        cov[:, j] = lev
        for k, v in c.effects.items():
            fac[k] *= np.asarray(v)[lev]

    # lesion count, organs, sizes
    n_vis = np.minimum(1 + rng.poisson(max(pc.n_lesions_mean - 1.0, 0.0), size=n), Lv)
    if pool is not None:  # one visible lesion per metastatic site (capped at max_lesions)
        n_vis = np.clip(pool.metastatic_sites[rows], 1, Lv)
    present = np.zeros((n, L), dtype=bool)
    present[:, :Lv] = np.arange(Lv)[None, :] < n_vis[:, None]
    organ = organ_idx[rng.choice(len(probs), size=(n, L), p=probs)]
    if pc.primary_organ is not None:
        organ[:, 0] = ORGANS.index(pc.primary_organ)
    nodal = organ == LN_TO_NODE
    mu, sd = np.log(pc.diam_median_mm), pc.diam_sd_log
    diam = np.exp(mu + sd * rng.standard_normal((n, L)))
    thr0 = np.where(nodal[:, 0], 15.0, 10.0)
    diam[:, 0] = _trunc_lognormal(rng, pc.diam_median_mm, sd, thr0)
    diam = np.minimum(diam, pc.diam_max_mm)
    if pool is not None:  # targets summing to the sampled SLD (lesions_from_baseline)
        diam[:, :Lv] = lesions_from_baseline(pool.sld_mm[rows], n_vis, organ[:, :Lv], organ_idx,
                                             LN_TO_NODE, sd, rng)
        nodal = organ == LN_TO_NODE

    # random effects: patient (correlated) + lesion
    names = ("growth", "kill", "resistant")
    psd = np.array([var.patient_sd.get(k, 0.0) for k in names])
    lsd = np.array([var.lesion_sd.get(k, 0.0) for k in names])
    corr = np.asarray(var.patient_corr, dtype=float)
    chol = np.linalg.cholesky(corr + 1e-12 * np.eye(3))
    eta = (rng.standard_normal((n, 3)) @ chol.T) * psd
    eps = rng.standard_normal((n, L, 3)) * lsd
    r, resp = scenario.growth, scenario.response
    growth = r.rate_per_day * fac["growth"][:, None] * np.exp(eta[:, None, 0] + eps[..., 0])
    kill = resp.kill_per_dose * fac["kill"][:, None] * np.exp(eta[:, None, 1] + eps[..., 1])
    phi = expit(logit(resp.resistant_fraction) + np.log(fac["resistant"])[:, None]
                + eta[:, None, 2] + eps[..., 2])

    vol = sphere_volume(diam)
    vol[:, :Lv] = np.where(present[:, :Lv], vol[:, :Lv], 0.0)

    # occult colonies (Iwata power law), sizes in cells
    if Lo:
        cells = vol[:, :Lv].sum(axis=1) * oc.cells_per_mm3
        a = oc.emission_exponent
        g_pat = r.rate_per_day * fac["growth"] * np.exp(eta[:, 0])
        c = oc.emission_coefficient * fac["emission"] * cells**a / (a * g_pat)
        x_det = sphere_volume(scenario.imaging.new_lesion_detection_mm) * oc.cells_per_mm3
        y = np.cumsum(rng.exponential(size=(n, Lo)), axis=1)
        with np.errstate(divide="ignore", over="ignore"):
            x = (y / c[:, None] + x_det ** (-a)) ** (-1.0 / a)
        ok = x >= 1.0
        present[:, Lv:] = ok
        vol[:, Lv:] = np.where(ok, x / oc.cells_per_mm3, 0.0)
    occult = np.zeros(L, dtype=bool)
    occult[Lv:] = True

    chemo = scenario.chemo
    cl_cv = chemo.cl_cv if chemo is not None else 0.0
    tox_sd = chemo.toxicity.slope_sd_log if chemo is not None else 0.0
    cl_factor = np.exp(np.sqrt(np.log1p(cl_cv**2)) * rng.standard_normal(n))
    tox_factor = np.exp(tox_sd * rng.standard_normal(n))
    if pool is not None:
        sites, sld0 = pool.metastatic_sites[rows].astype(float), pool.sld_mm[rows]
    else:
        sites, sld0 = n_vis.astype(float), np.where(present[:, :Lv], diam[:, :Lv], 0.0).sum(axis=1)
    return Cohort(present, occult, organ, nodal, vol * (1 - phi), vol * phi, growth, kill,
                  cov, cl_factor, tox_factor, fac["hazard"], sites, sld0, rows)
