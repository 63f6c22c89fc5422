"""The one way to define a model: a frozen spec of parameters plus pure functions.

A :class:`Model` holds no data and no solver state. Its functions take the array namespace
``xp`` (``numpy`` by default, ``jax.numpy`` works too) so one definition serves every backend.

Array conventions (batching across series/patients)
---------------------------------------------------
* ``p``: parameters, shape ``(..., n_params)`` in the order of ``Model.parameters``.
* ``t``: times, shape ``(n_t,)`` or ``(..., n_t)`` broadcastable with ``p[..., :1]``.
* ``y``: states, shape ``(..., n_states)``.
* ``u``: the model's input (drug exposure) at time ``t``, broadcastable to the batch shape
  ``p.shape[:-1]``; ``0.0`` for models without inputs.

Signatures
----------
* ``rhs(t, y, p, u, xp) -> dy/dt`` (same shape as ``y``; ``t`` a scalar).
* ``initial_state(p, xp) -> y0`` with shape ``(..., n_states)``.
* ``closed_form(t, p, u, xp) -> size`` with shape ``(..., n_t)``; ``u`` constant in time.
* ``observe(y, xp) -> size``: observed size from states (default: sum of the states).
* ``jacobian(t, p, u, xp) -> d size / d p`` with shape ``(..., n_t, n_params)`` (optional, for
  closed forms; calibration uses it instead of finite differences, and ``check_model`` compares it
  with finite differences).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Transform = Literal["log", "identity", "logit"]
ModelKind = Literal["growth", "response", "pk", "toxicity"]


@dataclass(frozen=True)
class Parameter:
    """One model parameter.

    Parameters
    ----------
    name : str
        Identifier (ASCII), e.g. ``"v0"``.
    unit : str
        Unit, e.g. ``"1/day"``; ``"size"`` means the unit of the data (mm, mm^3, normalised).
    default : float
        Default value; ``source`` says where it comes from (or that it is illustrative).
    lower, upper : float
        Bounds used by calibration (inclusive).
    transform : {"log", "identity", "logit"}
        Unconstrained scale used by optimisers. ``log`` needs ``lower >= 0``; ``logit`` needs finite
        bounds.
    description : str
        Plain-language meaning.
    source : str
        Citation for the default value, or ``"illustrative"``.
    """

    name: str
    unit: str
    default: float
    lower: float = -math.inf
    upper: float = math.inf
    transform: Transform = "log"
    description: str = ""
    source: str = "illustrative"

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"parameter name {self.name!r} is not an identifier")
        if not (self.lower <= self.default <= self.upper):
            raise ValueError(
                f"parameter {self.name}: default {self.default} outside [{self.lower}, {self.upper}]"
            )
        if self.transform == "log" and self.lower < 0:
            raise ValueError(f"parameter {self.name}: log transform needs lower >= 0")
        if self.transform == "logit" and not (
            math.isfinite(self.lower) and math.isfinite(self.upper)
        ):
            raise ValueError(f"parameter {self.name}: logit transform needs finite bounds")


def _sum_states(y: Any, xp: Any) -> Any:
    return xp.sum(y, axis=-1)


@dataclass(frozen=True)
class Model:
    """A tumour-size (or PK/toxicity) model: parameters plus pure functions.

    See the module docstring for the array conventions and signatures.
    """

    name: str
    title: str
    parameters: tuple[Parameter, ...]
    rhs: Callable[..., Any]
    initial_state: Callable[..., Any]
    closed_form: Callable[..., Any] | None = None
    observe: Callable[..., Any] = _sum_states
    jacobian: Callable[..., Any] | None = None
    states: tuple[str, ...] = ("size",)
    inputs: tuple[str, ...] = ()
    kind: ModelKind = "growth"
    equation: str = ""
    reference: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)

    # ------------------------------------------------------------------ conveniences
    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    @property
    def n_params(self) -> int:
        return len(self.parameters)

    @property
    def defaults(self) -> np.ndarray:
        return np.array([p.default for p in self.parameters], dtype=float)

    @property
    def lower(self) -> np.ndarray:
        return np.array([p.lower for p in self.parameters], dtype=float)

    @property
    def upper(self) -> np.ndarray:
        return np.array([p.upper for p in self.parameters], dtype=float)

    @property
    def has_closed_form(self) -> bool:
        return self.closed_form is not None

    def index(self, name: str) -> int:
        try:
            return self.param_names.index(name)
        except ValueError:
            raise KeyError(
                f"model {self.name!r} has no parameter {name!r}; it has {', '.join(self.param_names)}"
            ) from None

    def params(self, **values: float) -> np.ndarray:
        """Parameter vector from the defaults, with some values replaced by keyword."""
        p = self.defaults.copy()
        for k, v in values.items():
            p[self.index(k)] = float(v)
        return p

    def predict(self, t: Any, p: Any, *, exposure: Any = None, method: str = "auto",
                **solver_options: Any) -> np.ndarray:
        """Observed size at times ``t`` for parameters ``p`` (batched).

        ``method="auto"`` uses the closed form when there is one and the exposure is constant
        (``None``, a scalar or one value per series); ``"ode"`` always integrates the ODE.
        A callable ``exposure(t) -> array`` forces the ODE path.
        """
        from ._ode import solve_ode

        p = np.asarray(p, dtype=float)
        use_closed = (
            method in ("auto", "closed")
            and self.closed_form is not None
            and not callable(exposure)
        )
        if method == "closed" and not use_closed:
            raise ValueError(f"model {self.name!r} has no closed form for this exposure")
        if use_closed:
            u = 0.0 if exposure is None else np.asarray(exposure, dtype=float)
            return np.asarray(self.closed_form(np.asarray(t, dtype=float), p, u, np))  # type: ignore[misc]
        return solve_ode(self, t, p, exposure=exposure, **solver_options)


_REGISTRY: dict[str, Model] = {}


def register(model: Model) -> Model:
    """Add a model to the registry (name must be new). Returns the model."""
    if model.name in _REGISTRY and _REGISTRY[model.name] is not model:
        raise ValueError(f"a model named {model.name!r} is already registered")
    _REGISTRY[model.name] = model
    return model


def get_model(name: str | Model) -> Model:
    """The registered model called ``name`` (a Model passes through)."""
    if isinstance(name, Model):
        return name
    try:
        return _REGISTRY[name]
    except KeyError:
        from ..errors import ConfigError

        raise ConfigError(
            f"unknown model {name!r}; registered models: {', '.join(sorted(_REGISTRY))} "
            "(docs/models.md)"
        ) from None


def list_models(kind: ModelKind | None = None) -> list[str]:
    """Names of the registered models, optionally of one kind."""
    return sorted(k for k, m in _REGISTRY.items() if kind is None or m.kind == kind)
