"""Reasons in words and numbers for every time-point response.

Built column-wise (vectorised string operations in Arrow's C++ kernels: numbers are cast to text
and pieces joined element-wise, no per-row Python) from the time point's codes and exact integer
sums (units of 1/SCALE mm); the same function serves the reference and the NumPy engines, e.g.
``"PD: targets PD: sum 78 mm is +23.81% and +15 mm over the nadir 63 mm (week 6)"``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .tables import MISSING, SCALE

_FRAC = pa.array([""] + [("." + f"{i:02d}").rstrip("0") for i in range(1, 100)], pa.string())
_FRAC2 = pa.array([""] + [f".{i:02d}" for i in range(1, 100)], pa.string())


def _j(*parts):
    """Element-wise concatenation of Arrow string arrays and ``str`` scalars."""
    return pc.binary_join_element_wise(*parts, "")


def _S(x):
    """Text of an integer array (or an object array of ``str``) as an Arrow string array."""
    if isinstance(x, pd.api.extensions.ExtensionArray):
        return pa.array(x).cast(pa.string())
    x = np.asarray(x)
    if x.dtype == object:
        try:
            return pa.array(x, pa.string())
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return pa.array(x.astype(str), pa.string())
    return pc.cast(pa.array(x), pa.string())


def _sign(mask: np.ndarray, yes: str, no: str):
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), yes, no)


def _mm(u: np.ndarray) -> list:
    """Pieces of ``"<size> mm"`` (joined by the caller, so each row is built once)."""
    u = np.where(u == MISSING, 0, u).astype(np.int64)
    a = np.abs(u)
    return [_sign(u < 0, "-", ""), _S(a // SCALE), _FRAC.take(pa.array(a % SCALE)), " mm"]


def _pct(a: np.ndarray, b: np.ndarray) -> list:
    ok = (b > 0) & (a != MISSING) & (b != MISSING)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(ok, 100.0 * (a - b) / np.where(ok, b, 1), 0.0)
    h = np.rint(np.abs(v) * 100).astype(np.int64)
    return [_sign(v < 0, "-", "+"), _S(h // 100), _FRAC2.take(pa.array(h % 100)), "%"]


def _signed_mm(d: np.ndarray) -> list:
    return [_sign(d >= 0, "+", ""), *_mm(d)]


def _matcher(values: np.ndarray):
    """``eq(v)`` = boolean mask ``values == v``, compared on integer codes (fast)."""
    if not isinstance(values, pd.api.extensions.ExtensionArray):
        values = np.asarray(values, dtype=object)
    codes, uniques = pd.factorize(values)
    index = {u: i for i, u in enumerate(uniques)}
    return lambda v: codes == index.get(v, -2)


def timepoint_reasons(c: dict, when) -> pd.api.extensions.ExtensionArray:
    """Reason text of every time point of the raw columns ``c`` (see ``frames``).

    Returns a pandas string array (dtype ``str``) with one reason per time point.
    """
    n = len(c["tp"])
    if n == 0:
        return pd.array(np.array([], dtype=object), dtype="str")
    g = {k: c[k] if isinstance(c[k], pd.api.extensions.ExtensionArray)
         else np.asarray(c[k], dtype=object)
         for k in ("overall", "target_rule", "non_target", "nt_rule", "new_lesions",
                   "overall_as_assessed")}
    sod = np.asarray(c["sod_u"], dtype=np.int64)
    part = np.asarray(c["partial_u"], dtype=np.int64)
    base = np.asarray(c["baseline_u"], dtype=np.int64)
    nad = np.asarray(c["nadir_u"], dtype=np.int64)
    s = np.where(sod != MISSING, sod, part)
    n_ne = np.asarray(c["n_ne"])
    n_t = np.asarray(c["n_t"])
    tr = _matcher(g["target_rule"])
    pieces, rows = [], []

    def put(rule, build):
        m = np.flatnonzero(tr(rule))
        if m.size:
            parts = build(m)
            # all-literal pieces (no array) are broadcast to the rows of the rule
            if not any(isinstance(x, (pa.Array, pa.ChunkedArray)) for x in parts):
                parts = [pa.array(["".join(parts)], pa.string()).take(
                    pa.array(np.zeros(m.size, np.int64)))]
            pieces.append(_j(*parts))
            rows.append(m)

    def vs_nadir(m):
        return [*_pct(s[m], nad[m]), " and ", *_signed_mm(s[m] - nad[m])]

    def vs_base(m):
        return ["sum ", *_mm(s[m]), " is ", *_pct(s[m], base[m]), " from baseline ",
                *_mm(base[m])]

    put("CR", lambda m: ["targets CR: non-nodal targets 0 mm and target nodes < 10 mm (sum ",
                         *_mm(s[m]), ")"])
    put("REAPPEAR", lambda m: ["targets PD: disease reappeared after CR (sum ", *_mm(s[m]),
                               ")"])
    put("PD_SUM", lambda m: ["targets PD: sum ", *_mm(s[m]), " is ", *vs_nadir(m),
                             " over the nadir ", *_mm(nad[m])])
    put("PD_PARTIAL", lambda m: ["targets PD: sum of evaluable targets (", _S(n_t[m] - n_ne[m]),
                                 " of ", _S(n_t[m]), ") ", *_mm(s[m]), " is ", *vs_nadir(m),
                                 " over the nadir ", *_mm(nad[m])])
    put("NE_INCOMPLETE", lambda m: ["targets NE: ", _S(n_ne[m]), " of ", _S(n_t[m]),
                                    " not evaluable (partial sum ", *_mm(s[m]),
                                    "; no PR/SD from a partial sum)"])
    put("NE_NO_BASELINE", lambda m: ["targets NE: baseline sum incomplete"])
    put("PR", lambda m: ["targets PR: ", *vs_base(m), " (<= -30%)"])
    put("PR_CONTINUED", lambda m: ["targets PR (continuing PR, FAQ policy): ", *vs_base(m)])
    put("SD", lambda m: ["targets SD: ", *vs_base(m), ", ", *vs_nadir(m), " vs the nadir ",
                         *_mm(nad[m]), " (neither PR nor PD)"])
    # scatter the per-rule pieces back to time-point order ("" where no target rule applies)
    covered = np.zeros(n, bool)
    for m in rows:
        covered[m] = True
    rest = np.flatnonzero(~covered)
    pieces.append(pa.array([""], pa.string()).take(pa.array(np.zeros(rest.size, np.int64))))
    rows.append(rest)
    order = np.concatenate(rows)
    inv = np.empty(n, np.int64)
    inv[order] = np.arange(n)
    t = pa.concat_arrays([p.combine_chunks() if isinstance(p, pa.ChunkedArray) else p
                          for p in pieces]).take(pa.array(inv))
    ntr, nt = _matcher(g["nt_rule"]), _matcher(g["non_target"])
    ntx = pa.array(["", "; non-targets PD: unequivocal progression",
                    "; non-targets PD: present again after CR",
                    "; non-targets NE: not all evaluated", "; non-targets CR: all absent",
                    "; non-targets present (non-CR/non-PD)"], pa.string()).take(pa.array(
        np.select([ntr("NT_PROGRESSION"), ntr("REAPPEAR"), nt("NE"), nt("CR"),
                   nt("NON-CR/NON-PD")], [1, 2, 3, 4, 5], 0)))
    nw = _matcher(g["new_lesions"])
    nwx = pa.array(["", "; unequivocal new lesion", "; equivocal new lesion (not PD yet)",
                    "; new lesions not assessed"], pa.string()).take(pa.array(
        np.select([nw("YES"), nw("EQUIVOCAL"), nw("NE")], [1, 2, 3], 0)))
    rc = np.asarray(c["reclass_tp"])
    reclass = rc >= 0
    head = g["overall"]
    if reclass.any():
        head = np.asarray(head, dtype=object).copy()
        reclass &= head != np.asarray(g["overall_as_assessed"], dtype=object)
        head[reclass] = [f"PD (as assessed {a}; equivocal new lesion first seen here was "
                         f"confirmed at tp {r}, R6.3)"
                         for a, r in zip(g["overall_as_assessed"][reclass], rc[reclass],
                                         strict=True)]
    body = _j(t, ntx, nwx)
    empty = pc.equal(t, "").to_numpy(zero_copy_only=False)
    if empty.any():
        body = pc.if_else(pa.array(empty), pc.utf8_slice_codeunits(body, start=2), body)
    w = _S(np.asarray(when, dtype=object))
    out = _j(_S(head), ": ", body, " (", w, ")")
    notp = tr("NOT_PERFORMED")
    if notp.any():
        out = pc.if_else(pa.array(notp), _j("NE: assessment not performed (", w, ")"), out)
    return pd.array(pc.cast(out, pa.large_string()), dtype="str")
