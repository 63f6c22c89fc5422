"""Flags for parameters that a series' points do not determine (practical non-identifiability).

A least-squares fit can have a finite, converged loss while one parameter runs along a flat
valley: a Gompertz or logistic carrying capacity ``v_inf`` of 1e304 mm^3 fits a series that never
bends as well as any large value. Such fits are never reported as plain successes; a series gets
status ``NOT_IDENTIFIABLE`` (its best-fit curve is kept, predictions are usable) and a message
naming the parameters and the rule that fired:

* **runaway capacity**: ``v_inf`` > ``VINF_RUNAWAY`` (100) times the largest observation. The
  growth laws with a carrying capacity only bend once V approaches v_inf; at 100x the largest
  value, over the observed range the curve differs from the v_inf -> infinity limit by an amount
  the data cannot see (for the logistic, the relative slowing is V / v_inf <= 1%). The multiple is
  a stated convention of this package (illustrative, not from a paper);
* **at a bound**: a free parameter within 1e-6 (unconstrained scale) of its bound, including the
  +-460 guard of log-transformed parameters (exp(460) ~ 1e200, ``_transform.LOG_GUARD``);
* **singular information matrix**: no standard errors although there are more points than
  parameters (condition number > 1e14, see :func:`oncodyn.inference.fit`);
* **SE blow-up**: an asymptotic SE above ``SE_BLOWUP`` (10) on the unconstrained scale, i.e. a
  95% Wald interval spanning more than a factor exp(39) for a log-transformed parameter
  (Raue et al. 2009 Bioinformatics 25:1923 call such parameters practically non-identifiable).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from . import _transform as tr
from ._batch import SeriesBatch
from .results import FitResult, FitStatus

VINF_RUNAWAY = 100.0
"""v_inf above this multiple of a series' largest observation is flagged (see module doc)."""
SE_BLOWUP = 10.0
"""Standard error on the unconstrained scale above which a parameter is flagged."""


def flag_unidentified(result: FitResult, data: SeriesBatch, free: np.ndarray) -> FitResult:
    """Copy of ``result`` where series with undetermined parameters get ``NOT_IDENTIFIABLE``."""
    model = result.model
    names = model.param_names
    b = len(result)
    valid = data.mask & np.isfinite(data.y)
    with np.errstate(all="ignore"):
        ymax = np.max(np.where(valid, np.abs(data.y), 0.0), axis=1, initial=0.0)
    tlo, thi = tr.theta_bounds(model)
    theta = result.theta
    with np.errstate(invalid="ignore"):
        sd_theta = np.sqrt(np.diagonal(result.cov_theta, axis1=1, axis2=2))
    i_vinf = model.index("v_inf") if "v_inf" in names else None
    status = list(result.status)
    message = list(result.message)
    flagged: list[tuple[str, ...]] = []
    k_free = free.size
    for i in range(b):
        if status[i] not in (FitStatus.CONVERGED, FitStatus.MAX_ITER):
            flagged.append(())
            continue
        why: dict[str, str] = {}
        if i_vinf is not None and i_vinf in free and ymax[i] > 0:
            ratio = result.params[i, i_vinf] / ymax[i]
            if ratio > VINF_RUNAWAY:
                why["v_inf"] = (f"v_inf = {result.params[i, i_vinf]:.3g} is {ratio:.3g} x the "
                                f"largest observation (> {VINF_RUNAWAY:g} x)")
        for j in free:
            near = (theta[i, j] - tlo[j] <= 1e-6) or (thi[j] - theta[i, j] <= 1e-6)
            if near and names[j] not in why:
                why[names[j]] = f"{names[j]} at its bound ({result.params[i, j]:.3g})"
        if result.n_obs[i] > k_free:
            sd = sd_theta[i, free]
            if not np.all(np.isfinite(sd)):
                for j in free:
                    why.setdefault(names[j], f"{names[j]}: singular information matrix")
            else:
                for j, s in zip(free, sd, strict=True):
                    if s > SE_BLOWUP and names[j] not in why:
                        why[names[j]] = f"{names[j]}: SE {s:.3g} on the transformed scale " \
                                        f"(> {SE_BLOWUP:g})"
        flagged.append(tuple(why))
        if why:
            tail = message[i]
            status[i] = FitStatus.NOT_IDENTIFIABLE
            message[i] = ("not identifiable from these points: " + "; ".join(why.values())
                          + "; the curve is the best fit but these parameters are arbitrary "
                          "(try penalty=0.8, a prior, fixed=..., or a simpler law) [" + tail + "]")
    return replace(result, status=tuple(status), message=tuple(message),
                   unidentified=tuple(flagged))
