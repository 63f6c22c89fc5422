"""The conformance contract every registered model passes: :func:`check_model`.

Like scikit-learn's ``parametrize_with_checks``, the checks are generic: they read only the
:class:`~oncodyn.models.Model` spec, so a new model is tested by registering it. The checks are

``parameters``
    names unique identifiers, units/descriptions/sources present, defaults inside the bounds,
    equation and reference present, state names unique.
``shapes``
    ``initial_state``, ``rhs`` and ``closed_form`` return the documented shapes.
``initial``
    at ``t = 0`` the closed form and the ODE path give ``observe(initial_state(p))``.
``closed_vs_ode``
    the closed form equals the ODE path at the defaults and at seeded random draws
    (with zero and with a typical constant exposure for models with inputs).
``batching``
    ``p`` of shape ``(n,)``, ``(B, n)``, ``(B1, B2, n)`` with ``t`` of shape ``(T,)`` gives
    ``(..., T)`` on both paths, and batched numbers equal one-by-one numbers.
``positivity``
    sizes stay finite and > 0 at zero, typical and 10x typical exposure (where the hints allow
    extinction: >= 0 for the closed form, >= -1e-9, the solver's absolute accuracy, for the ODE).
``exposure``
    (models with inputs) a callable constant exposure equals the constant; per-series
    exposures equal one-by-one runs; exposure changes the output; zero exposure reduces to
    the untreated law where a model declares one (:class:`CheckHints` ``untreated``).

Tolerances
----------
The ODE path is integrated with local tolerance ``rtol_solver = rtol / 1000`` (``atol`` 1e-12
on the states). Global error of an adaptive solver grows at most about linearly with the number
of accepted steps (Hairer, Norsett & Wanner, *Solving ODEs I*, sec. II.4); our horizons take
well under 1000 steps, so ``|closed - ode| <= rtol |closed| + 1e-9`` is the contract. Closed-form
batching is compared at ``1e-12`` (it is the same arithmetic, only broadcast differently).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._ode import solve_ode
from ._spec import Model, get_model, list_models

UntreatedMap = Callable[[np.ndarray], tuple[np.ndarray, str, np.ndarray]]
"""``f(p) -> (p_model, growth_model_name, p_growth)``: with parameters ``p_model`` (``p`` with
any constraint the reduction needs, e.g. equal growth rates) and zero exposure the model equals
the registered growth law ``growth_model_name`` at ``p_growth``. Arrays are batched ``(..., n)``."""


@dataclass(frozen=True)
class CheckHints:
    """Per-model settings for :func:`check_model` (all optional).

    Parameters
    ----------
    exposure : float
        A typical constant exposure (the model's input unit) for models with inputs.
    horizon : float
        Last time (days) of the check grid.
    ranges : mapping name -> (low, high)
        Ranges for the random parameter draws; other parameters are drawn log-uniformly
        in ``[default/2, 2 default]`` (kept inside the bounds, see :func:`draw_parameters`).
    untreated : UntreatedMap or None
        Reduction to an untreated growth law at zero exposure.
    allow_extinction : bool
        Sizes may reach exactly 0 (otherwise they must stay > 0).
    """

    exposure: float = 1.0
    horizon: float = 365.0
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    untreated: UntreatedMap | None = None
    allow_extinction: bool = False


_HINTS: dict[str, CheckHints] = {}


def set_check_hints(model_name: str, hints: CheckHints) -> None:
    """Declare the :class:`CheckHints` used by :func:`check_model` for ``model_name``."""
    _HINTS[model_name] = hints


def check_hints(model: str | Model) -> CheckHints:
    """The hints declared for ``model`` (defaults when none were declared)."""
    name = model.name if isinstance(model, Model) else model
    return _HINTS.get(name, CheckHints())


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one named check."""

    name: str
    passed: bool
    message: str = ""


@dataclass(frozen=True)
class CheckReport:
    """All check outcomes for one model."""

    model: str
    results: tuple[CheckResult, ...]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if not r.passed)

    def __str__(self) -> str:
        lines = [f"model {self.model!r}: {'PASSED' if self.passed else 'FAILED'}"]
        for r in self.results:
            lines.append(f"  [{'ok' if r.passed else 'FAIL'}] {r.name}"
                         + (f": {r.message}" if r.message else ""))
        return "\n".join(lines)


class _Failed(AssertionError):
    pass


def _close(name: str, got: Any, want: Any, rtol: float, atol: float) -> None:
    got, want = np.asarray(got, float), np.asarray(want, float)
    if got.shape != want.shape:
        raise _Failed(f"{name}: shape {got.shape} != expected {want.shape}")
    err = np.abs(got - want)
    bad = ~(err <= rtol * np.abs(want) + atol)
    if np.any(bad):
        i = np.unravel_index(int(np.argmax(np.where(bad, err, -1.0))), err.shape)
        raise _Failed(f"{name}: {int(bad.sum())} of {bad.size} values differ beyond "
                      f"rtol={rtol:g}, atol={atol:g}; worst at index {tuple(int(k) for k in i)}: "
                      f"{got[i]!r} vs {want[i]!r}")


def draw_parameters(model: Model, n: int, rng: np.random.Generator,
                    ranges: Mapping[str, tuple[float, float]] | None = None) -> np.ndarray:
    """``n`` seeded parameter vectors ``(n, n_params)`` near the defaults.

    A parameter with default ``d > 0`` is drawn log-uniformly in ``[lo, hi]`` with
    ``lo = max(d/2, (lower + d)/2)`` and ``hi = min(2d, (d + upper)/2)`` (so draws stay strictly
    inside finite bounds); other defaults uniformly in ``d -/+ max(|d|, 1)/2`` clipped the same
    way. ``ranges`` overrides per name.
    """
    ranges = dict(ranges or {})
    out = np.empty((n, model.n_params))
    for j, par in enumerate(model.parameters):
        if par.name in ranges:
            lo, hi = ranges[par.name]
            out[:, j] = rng.uniform(lo, hi, n)
            continue
        d = par.default
        if d > 0:
            lo, hi = max(d / 2, (par.lower + d) / 2), min(2 * d, (d + par.upper) / 2)
            out[:, j] = np.exp(rng.uniform(math.log(lo), math.log(hi), n))
        else:
            half = max(abs(d), 1.0) / 2
            lo, hi = max(d - half, (par.lower + d) / 2), min(d + half, (d + par.upper) / 2)
            out[:, j] = rng.uniform(lo, hi, n)
    return out


# ---------------------------------------------------------------- the checks
def _check_parameters(model: Model) -> str:
    problems = []
    names = model.param_names
    if len(set(names)) != len(names):
        problems.append(f"duplicate parameter names in {names}")
    for par in model.parameters:
        if not par.name.isidentifier():
            problems.append(f"{par.name!r} is not an identifier")
        if not (par.lower <= par.default <= par.upper):
            problems.append(f"{par.name}: default {par.default} outside [{par.lower}, {par.upper}]")
        if not math.isfinite(par.default):
            problems.append(f"{par.name}: default {par.default} is not finite")
        for attr in ("unit", "description", "source"):
            if not str(getattr(par, attr)).strip():
                problems.append(f"{par.name}: empty {attr}")
    if not model.equation.strip():
        problems.append("empty equation")
    if not model.reference.strip():
        problems.append("empty reference")
    if len(set(model.states)) != len(model.states) or not model.states:
        problems.append(f"state names must be unique and non-empty: {model.states}")
    if problems:
        raise _Failed("; ".join(problems))
    return f"{model.n_params} parameters: {', '.join(names)}"


class _Ctx:
    """Shared inputs of the numerical checks."""

    def __init__(self, model: Model, hints: CheckHints, rtol: float, n_batch: int, seed: int):
        self.model, self.hints, self.rtol = model, hints, rtol
        self.solver = {"rtol": rtol / 1000.0, "atol": 1e-12}
        self.atol = 1e-9
        rng = np.random.default_rng(seed)
        self.t = np.linspace(0.0, hints.horizon, 25)
        self.p = np.vstack([model.defaults, draw_parameters(model, n_batch, rng, hints.ranges)])
        self.rng = rng
        self.has_input = bool(model.inputs)
        self.exposures = (0.0, hints.exposure) if self.has_input else (0.0,)

    def ode(self, p: Any, exposure: Any = None, t: Any = None) -> np.ndarray:
        return solve_ode(self.model, self.t if t is None else t, p, exposure=exposure,
                         **self.solver)

    def closed(self, p: Any, exposure: Any = 0.0, t: Any = None) -> np.ndarray:
        assert self.model.closed_form is not None
        return np.asarray(self.model.closed_form(self.t if t is None else t,
                                                 np.asarray(p, float), exposure, np))


def _check_shapes(c: _Ctx) -> str:
    m, p = c.model, c.p
    y0 = np.asarray(m.initial_state(p, np))
    ns = len(m.states)
    if y0.shape != (p.shape[0], ns):
        raise _Failed(f"initial_state gave shape {y0.shape}, expected {(p.shape[0], ns)}")
    u = np.full(p.shape[0], c.exposures[-1])
    dy = np.asarray(m.rhs(0.0, y0, p, u, np))
    if dy.shape != y0.shape:
        raise _Failed(f"rhs gave shape {dy.shape}, expected {y0.shape}")
    dy_scalar_u = np.asarray(m.rhs(0.0, y0, p, 0.0, np))
    if dy_scalar_u.shape != y0.shape:
        raise _Failed(f"rhs with scalar u gave shape {dy_scalar_u.shape}, expected {y0.shape}")
    size0 = np.asarray(m.observe(y0, np))
    if size0.shape != (p.shape[0],):
        raise _Failed(f"observe gave shape {size0.shape}, expected {(p.shape[0],)}")
    if m.closed_form is not None:
        out = c.closed(p)
        if out.shape != (p.shape[0], c.t.size):
            raise _Failed(f"closed_form gave shape {out.shape}, expected {(p.shape[0], c.t.size)}")
    return f"{ns} state(s): {', '.join(m.states)}"


def _check_initial(c: _Ctx) -> str:
    m = c.model
    want = np.asarray(m.observe(np.asarray(m.initial_state(c.p, np)), np))
    t0 = np.array([0.0])
    for e in c.exposures:
        _close(f"ODE at t=0 (exposure {e:g})", c.ode(c.p, e, t0)[:, 0], want, 1e-14, 0.0)
        if m.closed_form is not None:
            _close(f"closed form at t=0 (exposure {e:g})", c.closed(c.p, e, t0)[:, 0], want,
                   1e-12, 1e-300)
    return "size(0) = observe(initial_state(p))"


def _check_closed_vs_ode(c: _Ctx) -> str:
    if c.model.closed_form is None:
        return "no closed form (ODE only)"
    for e in c.exposures:
        _close(f"closed form vs ODE (exposure {e:g}, rows: defaults then draws)",
               c.closed(c.p, e), c.ode(c.p, e), c.rtol, c.atol)
    return f"{c.p.shape[0]} parameter vectors x {len(c.exposures)} exposure(s)"


def _check_jacobian(c: _Ctx) -> str:
    """Analytic Jacobian (when given) equals central finite differences of the closed form.

    Central differences with relative step h have truncation error O(h^2) and rounding error
    O(eps/h); with h = 1e-6 both are below ~1e-9 relative, so we compare at rtol 1e-5.
    """
    m = c.model
    if m.jacobian is None or m.closed_form is None:
        return "no analytic Jacobian"
    for e in c.exposures:
        u = np.full(c.p.shape[0], e)
        jac = np.asarray(m.jacobian(c.t, c.p, u, np))
        want_shape = (c.p.shape[0], c.t.size, m.n_params)
        if jac.shape != want_shape:
            raise _Failed(f"jacobian gave shape {jac.shape}, expected {want_shape}")
        for j in range(m.n_params):
            h = 1e-6 * np.maximum(np.abs(c.p[:, j]), 1e-3)
            pp, pm = c.p.copy(), c.p.copy()
            pp[:, j] += h
            pm[:, j] -= h
            fd = (np.asarray(m.closed_form(c.t, pp, u, np))
                  - np.asarray(m.closed_form(c.t, pm, u, np))) / (2 * h[:, None])
            scale = np.max(np.abs(fd), axis=1, keepdims=True) + 1e-300
            _close(f"d size / d {m.param_names[j]} (exposure {e:g})", jac[..., j] / scale,
                   fd / scale, 1e-5, 1e-5)
    return "analytic Jacobian = central finite differences"


def _check_batching(c: _Ctx) -> str:
    m, n = c.model, c.model.n_params
    p6 = c.p[:6] if c.p.shape[0] >= 6 else np.resize(c.p, (6, n))
    e = c.exposures[-1]
    paths: list[tuple[str, Callable[..., np.ndarray], float]] = [("ODE", c.ode, c.rtol)]
    if m.closed_form is not None:
        paths.append(("closed form", c.closed, 1e-12))
    for label, fn, tol in paths:
        single = np.stack([fn(p6[i], e) for i in range(6)])
        if single.shape != (6, c.t.size):
            raise _Failed(f"{label}: p of shape ({n},) gave {single.shape[1:]}, "
                          f"expected ({c.t.size},)")
        for shape in ((6,), (2, 3)):
            got = fn(p6.reshape(shape + (n,)), e)
            if got.shape != shape + (c.t.size,):
                raise _Failed(f"{label}: p of shape {shape + (n,)} gave {got.shape}, "
                              f"expected {shape + (c.t.size,)}")
            _close(f"{label}: batch {shape} vs one-by-one", got.reshape(6, -1), single, tol,
                   c.atol if tol > 1e-12 else 0.0)
    return "(n,), (6, n), (2, 3, n) agree with one-by-one"


def _check_positivity(c: _Ctx) -> str:
    exposures = c.exposures + ((10 * c.hints.exposure,) if c.has_input else ())
    outs = []
    for e in exposures:
        outs.append(("ODE", e, c.ode(c.p, e)))
        if c.model.closed_form is not None:
            outs.append(("closed form", e, c.closed(c.p, e)))
    for label, e, y in outs:
        if not np.all(np.isfinite(y)):
            raise _Failed(f"{label} (exposure {e:g}) gave non-finite sizes")
        low = float(np.min(y))
        # where extinction is allowed, the ODE path may undershoot 0 by its absolute accuracy
        floor = -c.atol if label == "ODE" else 0.0
        ok = low >= floor if c.hints.allow_extinction else low > 0
        if not ok:
            raise _Failed(f"{label} (exposure {e:g}) reached size {low!r} "
                          f"({f'< {floor:g}' if c.hints.allow_extinction else '<= 0'})")
    return f"exposures {', '.join(f'{e:g}' for e in exposures)}"


def _check_exposure(c: _Ctx) -> str:
    m = c.model
    if not c.has_input:
        return "no inputs"
    e, done = c.hints.exposure, []
    const = c.ode(c.p, e)
    _close("ODE with callable constant exposure vs constant",
           c.ode(c.p, lambda _t: e), const, c.rtol, c.atol)
    if m.closed_form is not None:
        _close("closed form vs ODE with callable constant exposure",
               c.closed(c.p, e), c.ode(c.p, lambda _t: e), c.rtol, c.atol)
    done.append("callable == constant")
    per = e * np.linspace(0.5, 2.0, c.p.shape[0])
    one = np.stack([c.ode(c.p[i], per[i]) for i in range(c.p.shape[0])])
    _close("ODE with per-series exposure vs one-by-one", c.ode(c.p, per), one, c.rtol, c.atol)
    if m.closed_form is not None:
        _close("closed form with per-series exposure vs one-by-one", c.closed(c.p, per),
               np.stack([c.closed(c.p[i], per[i]) for i in range(c.p.shape[0])]), 1e-12, 0.0)
    done.append("per-series exposure")
    zero = c.ode(c.p, 0.0)
    if not np.any(np.abs(const - zero) > 1e3 * (c.rtol * np.abs(zero) + c.atol)):
        raise _Failed(f"exposure {e:g} does not change the output: the input is ignored")
    done.append("exposure has an effect")
    if c.hints.untreated is not None:
        p_model, growth_name, p_growth = c.hints.untreated(c.p)
        growth = get_model(growth_name)
        ref = growth.predict(c.t, p_growth, rtol=c.solver["rtol"], atol=1e-12)
        _close(f"ODE at zero exposure vs untreated law {growth_name!r}",
               c.ode(p_model, 0.0), ref, c.rtol, c.atol)
        if m.closed_form is not None:
            _close(f"closed form at zero exposure vs untreated law {growth_name!r}",
                   c.closed(p_model, 0.0), ref, c.rtol, c.atol)
        done.append(f"zero exposure == {growth_name}")
    return "; ".join(done)


def run_checks(model: str | Model, *, rtol: float = 1e-6, n_batch: int = 8, seed: int = 0,
               hints: CheckHints | None = None) -> CheckReport:
    """Run every check on ``model`` and return the :class:`CheckReport` (never raises for a
    failing check; each failure is recorded with its message)."""
    m = get_model(model)
    h = check_hints(m) if hints is None else hints
    results: list[CheckResult] = []

    def run(name: str, fn: Callable[..., str], *args: Any) -> None:
        try:
            results.append(CheckResult(name, True, fn(*args)))
        except Exception as exc:  # a broken model must not hide the other checks
            msg = str(exc) if isinstance(exc, _Failed) else f"{type(exc).__name__}: {exc}"
            results.append(CheckResult(name, False, msg))

    run("parameters", _check_parameters, m)
    try:
        ctx = _Ctx(m, h, rtol, n_batch, seed)
    except Exception as exc:
        results.append(CheckResult("setup", False, f"{type(exc).__name__}: {exc}"))
        return CheckReport(m.name, tuple(results))
    for name, fn in (("shapes", _check_shapes), ("initial", _check_initial),
                     ("closed_vs_ode", _check_closed_vs_ode), ("jacobian", _check_jacobian),
                     ("batching", _check_batching),
                     ("positivity", _check_positivity), ("exposure", _check_exposure)):
        run(name, fn, ctx)
    return CheckReport(m.name, tuple(results))


def check_model(model: str | Model, *, rtol: float = 1e-6, n_batch: int = 8, seed: int = 0,
                hints: CheckHints | None = None) -> CheckReport:
    """Assert that ``model`` honours the model contract (see the module docstring).

    Parameters
    ----------
    model : Model or registered name
    rtol : float
        Relative tolerance of closed form vs ODE; the solver runs at ``rtol / 1000``.
    n_batch : int
        Number of seeded random parameter draws besides the defaults.
    seed : int
        Seed of the ``numpy.random.Generator`` used for the draws.
    hints : CheckHints, optional
        Overrides the hints declared with :func:`set_check_hints`.

    Returns
    -------
    CheckReport
        When every check passed.

    Raises
    ------
    AssertionError
        Listing every failed check with its message.
    """
    report = run_checks(model, rtol=rtol, n_batch=n_batch, seed=seed, hints=hints)
    if not report.passed:
        raise AssertionError(str(report))
    return report


def check_all_models(kind: str | None = None, **options: Any) -> dict[str, CheckReport]:
    """Run :func:`check_model` on every registered model (of one ``kind``); raise one
    AssertionError naming every failing model."""
    reports = {name: run_checks(name, **options) for name in list_models(kind)}  # type: ignore[arg-type]
    failed = [r for r in reports.values() if not r.passed]
    if failed:
        raise AssertionError("\n".join(str(r) for r in failed))
    return reports
