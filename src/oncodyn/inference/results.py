"""Immutable fit results with a per-series status and a human message."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np


class FitStatus(StrEnum):
    """Outcome of one series' fit. Only ``CONVERGED`` counts as success."""

    CONVERGED = "converged"
    MAX_ITER = "max_iter"            # finite best fit, but the optimiser hit its iteration cap
    TOO_FEW_POINTS = "too_few_points"
    FAILED = "failed"                # no start gave a finite loss
    NOT_IDENTIFIABLE = "not_identifiable"  # best fit found, but some parameter is not determined
    #                                        by the points (runaway v_inf, bound, SE blow-up)


@dataclass(frozen=True)
class FitResult:
    """Result of :func:`oncodyn.inference.fit` for a batch of series.

    Arrays have one row per series, in the order of ``ids``. Parameters are on the natural scale.
    ``se`` are asymptotic standard errors from the Jacobian at the optimum (NaN when the model is
    not identifiable from the points, i.e. n_obs <= n_params or a singular information matrix).
    ``loss`` is the residual sum of squares on the fitted scale; ``objective`` the quantity
    minimised (equal to ``loss`` without ``penalty`` or ``prior``). Status ``NOT_IDENTIFIABLE``
    keeps the best-fit parameters (its predictions are usable) but names, in ``unidentified``
    and in the message, the parameters the points do not determine.
    """

    model: Any
    ids: tuple[Any, ...]
    params: np.ndarray
    se: np.ndarray
    loss: np.ndarray
    sigma: np.ndarray
    n_obs: np.ndarray
    loglik: np.ndarray
    aic: np.ndarray
    aicc: np.ndarray
    bic: np.ndarray
    status: tuple[FitStatus, ...]
    message: tuple[str, ...]
    n_iter: np.ndarray
    scale: str
    error: str
    cov_theta: np.ndarray
    theta: np.ndarray
    objective: np.ndarray | None = None  # penalised / prior-augmented loss actually minimised
    unidentified: tuple[tuple[str, ...], ...] = ()  # per series, names of flagged parameters

    @property
    def success(self) -> np.ndarray:
        return np.array([s is FitStatus.CONVERGED for s in self.status])

    def __len__(self) -> int:
        return len(self.ids)

    def predict(self, t: Any, *, exposure: Any = None) -> np.ndarray:
        """Model prediction at times ``t`` ((T,) or (n_series, T)); NaN rows for failed fits."""
        ok = np.all(np.isfinite(self.params), axis=1)
        t = np.asarray(t, float)
        p = np.where(ok[:, None], self.params, self.model.defaults)
        tt = t if t.ndim == 2 else np.broadcast_to(t, (len(self.ids),) + t.shape)
        with np.errstate(all="ignore"):
            out = np.asarray(self.model.predict(tt, p, exposure=exposure), float)
        return np.where(ok[:, None], out, np.nan)

    def to_frame(self) -> Any:
        """One row per series: parameters, standard errors, fit statistics, status and message."""
        import pandas as pd

        d: dict[str, Any] = {"id": list(self.ids)}
        for j, name in enumerate(self.model.param_names):
            d[name] = self.params[:, j]
        for j, name in enumerate(self.model.param_names):
            d[f"se_{name}"] = self.se[:, j]
        d.update(loss=self.loss, sigma=self.sigma, n_obs=self.n_obs, loglik=self.loglik,
                 aic=self.aic, aicc=self.aicc, bic=self.bic,
                 status=[s.value for s in self.status], message=list(self.message),
                 n_iter=self.n_iter,
                 unidentified=[",".join(u) for u in self.unidentified] if self.unidentified
                 else [""] * len(self.ids))
        df = pd.DataFrame(d)
        df.insert(1, "model", self.model.name)
        return df
