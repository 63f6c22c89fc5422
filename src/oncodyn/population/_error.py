"""Residual-error models on the measurement scale, with left-censoring (the M3 rule).

Observation model (``f`` = model prediction, ``y`` = measured size in the data's unit, mm for
diameters/SLD):

* ``additive``:      y = f + a e,                 sd = a;
* ``proportional``:  y = f + b f e,               sd = b |f|;
* ``combined``:      y = f + sqrt(a^2 + b^2 f^2) e, sd = sqrt(a^2 + b^2 f^2)
  (Monolix "combined2", nlmixr2 ``combined2``),

with e ~ N(0, 1) independent across readings.

Censoring (Beal 2001, J Pharmacokinet Pharmacodyn 28:481, method M3): a reading below the
limit ``lloq`` (zeros included) is not used as a value; it contributes the probability
P(Y < lloq | f) = Phi((lloq - f)/sd) to the likelihood. Inside SAEM the censored readings are
imputed at each iteration from the normal distribution truncated above at ``lloq`` before the
residual-error update (Samson A, Lavielle M, Mentre F 2006, Comput Stat Data Anal 51:1562).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.special import log_ndtr, ndtr, ndtri

ErrorKind = Literal["additive", "proportional", "combined"]
ERROR_KINDS: tuple[str, ...] = ("additive", "proportional", "combined")
_LOG2PI = float(np.log(2.0 * np.pi))


def error_params(kind: str) -> tuple[str, ...]:
    """Names of the residual-error parameters of ``kind`` (a: additive sd, b: proportional)."""
    return {"additive": ("a",), "proportional": ("b",), "combined": ("a", "b")}[kind]


@dataclass(frozen=True)
class ErrorModel:
    """A residual-error model with its parameter values.

    Attributes
    ----------
    kind : {"additive", "proportional", "combined"}
    a : float
        Additive standard deviation (data unit, e.g. mm); 0 when ``kind == "proportional"``.
    b : float
        Proportional standard deviation (dimensionless, 0.1 = 10%); 0 when additive.
    """

    kind: str
    a: float = 0.0
    b: float = 0.0

    def sd(self, f: np.ndarray) -> np.ndarray:
        """Standard deviation of a reading whose prediction is ``f``."""
        f = np.asarray(f, float)
        with np.errstate(over="ignore", invalid="ignore"):
            return self._sd(f)

    def _sd(self, f: np.ndarray) -> np.ndarray:
        if self.kind == "additive":
            return np.full_like(f, self.a)
        if self.kind == "proportional":
            return self.b * np.abs(f)
        return np.sqrt(self.a**2 + (self.b * f) ** 2)

    def as_dict(self) -> dict[str, float]:
        return {k: float(getattr(self, k)) for k in error_params(self.kind)}

    def sample(self, f: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Readings drawn around predictions ``f`` (no censoring applied)."""
        with np.errstate(invalid="ignore", over="ignore"):
            return f + self.sd(f) * rng.standard_normal(np.shape(f))


def obs_loglik(y: np.ndarray, f: np.ndarray, sd: np.ndarray, valid: np.ndarray,
               cens: np.ndarray, lloq: np.ndarray) -> np.ndarray:
    """Log-likelihood of each reading (0 where not ``valid``; -inf where f is not finite).

    Uncensored: log N(y; f, sd^2). Censored (``cens``): log Phi((lloq - f)/sd) (M3).
    """
    with np.errstate(all="ignore"):
        z = (y - f) / sd
        ll = -0.5 * _LOG2PI - np.log(sd) - 0.5 * z * z
        if np.any(cens):
            ll = np.where(cens, log_ndtr((lloq - f) / sd), ll)
    ll = np.where(valid, ll, 0.0)
    ll[np.isnan(ll) | (ll == np.inf)] = -np.inf  # non-finite prediction, sd = 0
    return ll


def impute_censored(y: np.ndarray, f: np.ndarray, sd: np.ndarray, cens: np.ndarray,
                    lloq: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``y`` with censored readings replaced by draws from N(f, sd^2) truncated above at lloq."""
    if not np.any(cens):
        return y
    with np.errstate(all="ignore"):
        pmax = ndtr((lloq - f) / sd)
        u = rng.uniform(size=np.shape(f)) * np.maximum(pmax, 1e-300)
        draw = f + sd * ndtri(np.clip(u, 1e-300, 1.0 - 1e-16))
        draw = np.minimum(draw, lloq)
    return np.where(cens & np.isfinite(draw), draw, y)


def mstep_error(kind: str, y: np.ndarray, f: np.ndarray, w: np.ndarray,
                start: tuple[float, float]) -> tuple[float, float]:
    """Maximum-likelihood (a, b) for completed readings ``y`` given predictions ``f``.

    ``w`` weights each reading (1/number of chains, 0 for padding). Additive and proportional
    have closed forms (mean squared (weighted) residual); combined is maximised by damped
    Newton steps on (log a, log b) from ``start``.
    """
    r = np.where(w > 0, y - f, 0.0)
    n = float(w.sum())
    if kind == "additive":
        return float(np.sqrt(np.sum(w * r * r) / n)), 0.0
    if kind == "proportional":
        with np.errstate(all="ignore"):
            q = np.where(w > 0, r / np.abs(f), 0.0)
        return 0.0, float(np.sqrt(np.sum(w * q * q) / n))
    sel = w > 0
    r2, f2, ww = (r * r)[sel], (f * f)[sel], w[sel]

    def parts(x: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        a2, b2 = np.exp(2 * x[0]), np.exp(2 * x[1])
        v = a2 + b2 * f2
        val = float(np.sum(ww * (np.log(v) + r2 / v)))
        fv = ww * (1.0 / v - r2 / v**2)
        fvv = ww * (-1.0 / v**2 + 2 * r2 / v**3)
        v0, v1 = 2 * a2, 2 * b2 * f2
        g = np.array([np.sum(fv * v0), np.sum(fv * v1)])
        h = np.array([[np.sum(fvv * v0 * v0 + fv * 2 * v0), np.sum(fvv * v0 * v1)],
                      [0.0, np.sum(fvv * v1 * v1 + fv * 2 * v1)]])
        h[1, 0] = h[0, 1]
        return val, g, h

    # damped Newton on (log a, log b) (closed-form derivatives; a few steps from the start)
    x = np.log(np.maximum(np.asarray(start, float), 1e-8))
    val, g, h = parts(x)
    lam = 1e-3
    for _ in range(50):
        w_eig = np.linalg.eigvalsh(h)
        shift = max(0.0, -w_eig[0]) + lam * max(1.0, abs(w_eig[-1]))
        step = -np.linalg.solve(h + shift * np.eye(2), g)
        step = np.clip(step, -1.0, 1.0)
        x_new = np.clip(x + step, -25.0, 10.0)
        val_new, g_new, h_new = parts(x_new)
        if np.isfinite(val_new) and val_new <= val:
            done = val - val_new <= 1e-12 * abs(val)
            x, val, g, h = x_new, val_new, g_new, h_new
            lam *= 0.1
            if done:
                break
        else:
            lam *= 10.0
            if lam > 1e8:
                break
    a, b = np.exp(x)
    return float(a), float(b)


TOO_SMALL_MM = 5.0
"""Censoring limit of tumour diameters (and sums of diameters) in population fits, mm.

Readings below it (0 mm when a lesion vanished) are left-censored (M3 rule, Beal SL 2001, J
Pharmacokinet Pharmacodyn 28:481): 5 mm is the size RECIST 1.1 records for a lesion too small
to measure (Eisenhauer EA et al. 2009, Eur J Cancer 45:228, appendix I) and the default of
:class:`oncodyn.data.CleaningPolicy`. Without censoring, exact zeros under a proportional error
make the likelihood degenerate (typical growth rates collapse towards 0).
"""


def size_lloq(observable: str = "diameter") -> float:
    """:data:`TOO_SMALL_MM` on the scale of ``observable``: mm, or the volume (mm^3) of a sphere
    of that diameter."""
    if observable == "diameter":
        return TOO_SMALL_MM
    if observable == "volume":
        from ..models.geometry import sphere_volume

        return float(sphere_volume(TOO_SMALL_MM))
    raise ValueError(f"observable must be 'diameter' or 'volume', got {observable!r}")
