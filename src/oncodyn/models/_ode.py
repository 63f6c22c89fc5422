"""ODE path for every model: one ``solve_ivp`` call integrates a whole batch of series.

The batch is stacked into one state vector, so the cost of the Python call overhead is paid once
per batch, not once per series (SciPy ``solve_ivp``; Virtanen et al. 2020, Nat Methods 17:261).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ._spec import Model


def solve_ode(
    model: Model,
    t: Any,
    p: Any,
    *,
    exposure: Any = None,
    y0: Any = None,
    t0: float = 0.0,
    method: str = "LSODA",
    rtol: float = 1e-9,
    atol: float = 1e-12,
    return_states: bool = False,
) -> np.ndarray:
    """Integrate ``model`` from ``t0`` for a batch of parameter vectors.

    Parameters
    ----------
    t : array, shape ``(n_t,)`` or ``(..., n_t)``
        Output times (>= ``t0``); per-series times are merged into one grid internally.
    p : array, shape ``(..., n_params)``
    exposure : None, float, array of shape ``p.shape[:-1]``, or callable ``u(t) -> array``
        Model input (drug exposure). Constant values are broadcast over time.
    y0 : optional initial states ``(..., n_states)``; default ``model.initial_state(p)``.
    return_states : bool
        Return the states ``(..., n_t, n_states)`` instead of the observed size ``(..., n_t)``.
    """
    from scipy.integrate import solve_ivp  # imported here: keeps `import oncodyn` light

    p = np.asarray(p, dtype=float)
    batch_shape = p.shape[:-1]
    pb = p.reshape(-1, p.shape[-1])
    nb = pb.shape[0]
    t = np.asarray(t, dtype=float)
    per_series = t.ndim > 1
    if per_series:
        tb = np.broadcast_to(t, batch_shape + t.shape[-1:]).reshape(nb, -1)
        grid = np.unique(tb[np.isfinite(tb)])
    else:
        grid = np.unique(t)
    if grid.size and grid[0] < t0 - 1e-12:
        raise ValueError(f"output times must be >= t0={t0}; got {grid[0]}")
    y_init = model.initial_state(pb, np) if y0 is None else np.asarray(y0, float).reshape(nb, -1)
    y_init = np.broadcast_to(y_init, (nb, len(model.states))).astype(float)
    ns = y_init.shape[1]

    if callable(exposure):
        u_fun: Callable[[float], Any] = exposure
    else:
        u_const = 0.0 if exposure is None else np.broadcast_to(
            np.asarray(exposure, float), batch_shape).reshape(nb)

        def u_fun(_t: float) -> Any:
            return u_const

    def f(tt: float, yy: np.ndarray) -> np.ndarray:
        y = yy.reshape(nb, ns)
        u = np.asarray(u_fun(tt), dtype=float)
        if u.ndim and u.size == nb:
            u = u.reshape(nb)
        return np.asarray(model.rhs(tt, y, pb, u, np), dtype=float).reshape(-1)

    if grid.size == 0:
        states = np.empty((nb, 0, ns))
    else:
        t_end = float(grid[-1])
        if t_end <= t0:
            states = np.repeat(y_init[:, None, :], grid.size, axis=1)
        else:
            sol = solve_ivp(f, (t0, t_end), y_init.reshape(-1), method=method,
                            t_eval=grid[grid >= t0], rtol=rtol, atol=atol)
            if not sol.success:
                raise RuntimeError(f"ODE solver failed for model {model.name!r}: {sol.message}")
            ys = sol.y.T.reshape(-1, nb, ns).transpose(1, 0, 2)  # (nb, n_grid, ns)
            n_at_t0 = int(np.sum(grid < t0))
            states = ys if n_at_t0 == 0 else np.concatenate(
                [np.repeat(y_init[:, None, :], n_at_t0, axis=1), ys], axis=1)
    if per_series:
        idx = np.searchsorted(grid, np.where(np.isfinite(tb), tb, grid[0] if grid.size else 0))
        states = np.take_along_axis(states, idx[:, :, None], axis=1)
        states = np.where(np.isfinite(tb)[:, :, None], states, np.nan)
        out_t_shape = tb.shape[1:]
    else:
        idx = np.searchsorted(grid, t.reshape(-1))
        states = states[:, idx, :]
        out_t_shape = t.shape
    states = states.reshape(batch_shape + out_t_shape + (ns,))
    if return_states:
        return states
    return np.asarray(model.observe(states, np))
