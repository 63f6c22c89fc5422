"""Covariates on typical values: which covariate acts on which parameter, and its coding.

For a parameter with transformed value phi = h(psi) (log for positive parameters, logit for
fractions; :mod:`oncodyn.models` declares the transform of each parameter), a covariate model is
linear on that scale (the standard NLME covariate model, e.g. Monolix and nlmixr2 "mu-referencing";
Lavielle M 2014, *Mixed Effects Models for the Population Approach*, CRC, ch. 3):

    phi_i = mu + sum_c beta_c x_ic + eta_i

* a **continuous** covariate enters centred at its median over the fitted series,
  x = c - median(c), so psi_i = psi_typ exp(beta (c - median)) for a log parameter; with
  ``log=("name",)`` it enters as x = log(c / median(c)) (a power model, psi_typ (c/median)^beta,
  e.g. baseline size);
* a **categorical** covariate (non-numeric values, or named in ``categorical``) is coded by
  indicators of each level except the reference level, the most frequent one (ties: first in
  sorted order), so ``mu`` is the typical value of the reference level.

The coding is fixed by the fitted data and reused for new series (:meth:`Coding.design`); a
level not seen in the fit, or a missing value, is an error that names the covariate and row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ConfigError, DataError


@dataclass(frozen=True)
class Covariates:
    """Covariate values of the series and the covariate model.

    Parameters
    ----------
    values : mapping name -> sequence, or a pandas DataFrame
        One value per series, in the order of the batch's series.
    effects : mapping parameter name -> covariate names
        E.g. ``{"g": ["arm"], "y0": ["baseline"]}``.
    categorical : names of numeric covariates to treat as categorical (e.g. ECOG 0/1/2).
    log : names of positive continuous covariates that enter as log(c / median).
    """

    values: Any
    effects: Mapping[str, Sequence[str]]
    categorical: Sequence[str] = ()
    log: Sequence[str] = ()

    def columns(self) -> dict[str, np.ndarray]:
        return _columns(self.values)


def _columns(values: Any) -> dict[str, np.ndarray]:
    if hasattr(values, "columns"):
        return {str(c): np.asarray(values[c].to_numpy()) for c in values.columns}
    if isinstance(values, Mapping):
        return {str(k): np.asarray(v) for k, v in values.items()}
    raise ConfigError("covariate values must be a DataFrame or a mapping name -> values")


def _is_numeric(a: np.ndarray) -> bool:
    return a.dtype.kind in "iuf" and a.dtype.kind != "b"


@dataclass(frozen=True)
class CovariateTerm:
    """One coded column of the design: ``name`` acts on ``param`` through column ``label``."""

    param: str
    name: str
    label: str
    kind: str                 # "continuous", "log" or "level"
    center: float = 0.0       # median (continuous) or log-median (log)
    level: Any = None         # for "level": the indicator's level


@dataclass(frozen=True)
class Coding:
    """The fitted coding: design columns per parameter, reusable for new series."""

    param_names: tuple[str, ...]
    terms: tuple[CovariateTerm, ...] = ()
    references: Mapping[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.name for t in self.terms))

    def terms_of(self, k: int) -> tuple[CovariateTerm, ...]:
        return tuple(t for t in self.terms if t.param == self.param_names[k])

    def design(self, values: Any, n: int) -> list[np.ndarray]:
        """Design matrices X_k (n, 1 + n_terms_k) per parameter (intercept first)."""
        cols = _columns(values) if self.terms else {}
        out = []
        for k in range(len(self.param_names)):
            x = [np.ones(n)]
            for t in self.terms_of(k):
                x.append(_code(t, cols, n))
            out.append(np.column_stack(x))
        return out


def _check_column(name: str, cols: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    if name not in cols:
        raise DataError(f"covariate {name!r} has no values (columns given: {sorted(cols)})",
                        column=name)
    a = cols[name]
    if a.shape != (n,):
        raise DataError(f"covariate {name!r} has {a.size} values for {n} series", column=name)
    missing = np.flatnonzero([_missing(v) for v in a])
    if missing.size:
        raise DataError(f"covariate {name!r} is missing for {missing.size} series (first: "
                        f"series {missing[0]})", row=int(missing[0]), column=name)
    return a


def _missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        return bool(v != v)  # NaN, pd.NA-like
    except (TypeError, ValueError):
        return False


def _code(t: CovariateTerm, cols: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    a = _check_column(t.name, cols, n)
    if t.kind == "level":
        return (a == t.level).astype(float)
    x = a.astype(float)
    if t.kind == "log":
        bad = np.flatnonzero(~(x > 0))
        if bad.size:
            raise DataError(f"covariate {t.name!r} enters as log(c/median) but has a value "
                            f"<= 0 ({x[bad[0]]})", row=int(bad[0]), column=t.name)
        return np.log(x) - t.center
    return x - t.center


def build_coding(covariates: Covariates | None, param_names: Sequence[str], n: int) -> Coding:
    """Fix the coding (centres, levels, reference levels) from the fitted series' values."""
    names = tuple(param_names)
    if covariates is None:
        return Coding(names)
    if not isinstance(covariates, Covariates):
        raise ConfigError("covariates must be an oncodyn.population.Covariates "
                          "(values + effects), got " + type(covariates).__name__)
    cols = covariates.columns()
    terms: list[CovariateTerm] = []
    refs: dict[str, Any] = {}
    for param, cov_names in covariates.effects.items():
        if param not in names:
            raise ConfigError(f"covariate effect on unknown parameter {param!r}; the model's "
                              f"parameters are {', '.join(names)}")
        if isinstance(cov_names, str):
            cov_names = [cov_names]
        for name in cov_names:
            a = _check_column(name, cols, n)
            categorical = name in covariates.categorical or not _is_numeric(a)
            if categorical:
                levels, counts = np.unique(a.astype(str) if a.dtype.kind == "O" else a,
                                           return_counts=True)
                if a.dtype.kind == "O":
                    levels = np.array(sorted(set(a.tolist()), key=str), dtype=object)
                    counts = np.array([np.sum(a == lv) for lv in levels])
                if levels.size < 2:
                    raise DataError(f"categorical covariate {name!r} has one level only "
                                    f"({levels[0]!r}): its effect cannot be estimated",
                                    column=name)
                ref = levels[int(np.argmax(counts))]
                refs[name] = _plain(ref)
                for lv in levels:
                    if lv != ref:
                        terms.append(CovariateTerm(param, name, f"{name}[{_plain(lv)}]",
                                                   "level", level=_plain(lv)))
            elif name in covariates.log:
                x = a.astype(float)
                if np.any(~(x > 0)):
                    bad = int(np.flatnonzero(~(x > 0))[0])
                    raise DataError(f"covariate {name!r} enters as log(c/median) but has a "
                                    f"value <= 0 ({x[bad]})", row=bad, column=name)
                terms.append(CovariateTerm(param, name, f"log({name}/{np.median(x):.4g})",
                                           "log", center=float(np.log(np.median(x)))))
            else:
                x = a.astype(float)
                if np.ptp(x) == 0:
                    raise DataError(f"continuous covariate {name!r} is constant: its effect "
                                    "cannot be estimated", column=name)
                med = float(np.median(x))
                terms.append(CovariateTerm(param, name, f"{name}-{med:.4g}", "continuous",
                                           center=med))
    return Coding(names, tuple(terms), refs)


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v
