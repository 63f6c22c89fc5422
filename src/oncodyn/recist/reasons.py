"""Reasons in words and numbers for every time-point response (issue 3, item 2).

Built column-wise (vectorised string operations) from the time point's codes and exact integer
sums (units of 1/SCALE mm); the same function serves the reference and the NumPy engines, e.g.
``"PD: targets PD: sum 78 mm is +23.81% and +15 mm over the nadir 63 mm (week 6)"``.
"""

from __future__ import annotations

import numpy as np

from .tables import MISSING, SCALE

_FRAC = np.array([""] + [("." + f"{i:02d}").rstrip("0") for i in range(1, 100)], dtype=object)
_FRAC2 = np.array([""] + [f".{i:02d}" for i in range(1, 100)], dtype=object)


def _S(x) -> np.ndarray:
    return np.asarray(x).astype(str).astype(object)


def _mm(u: np.ndarray) -> np.ndarray:
    u = np.where(u == MISSING, 0, u).astype(np.int64)
    a = np.abs(u)
    return np.where(u < 0, "-", "") + _S(a // SCALE) + _FRAC[a % SCALE] + " mm"


def _pct(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ok = (b > 0) & (a != MISSING) & (b != MISSING)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(ok, 100.0 * (a - b) / np.where(ok, b, 1), 0.0)
    h = np.rint(np.abs(v) * 100).astype(np.int64)
    return np.where(v < 0, "-", "+") + _S(h // 100) + _FRAC2[h % 100] + "%"


def _signed_mm(d: np.ndarray) -> np.ndarray:
    return np.where(d >= 0, "+", "") + _mm(d)


def timepoint_reasons(c: dict, when: list) -> np.ndarray:
    """Reason text of every time point of the raw columns ``c`` (see ``frames``)."""
    n = len(c["tp"])
    if n == 0:
        return np.array([], dtype=object)
    g = {k: np.asarray(c[k]) for k in ("overall", "target_rule", "non_target", "nt_rule",
                                       "new_lesions", "overall_as_assessed")}
    sod = np.asarray(c["sod_u"], dtype=np.int64)
    part = np.asarray(c["partial_u"], dtype=np.int64)
    base = np.asarray(c["baseline_u"], dtype=np.int64)
    nad = np.asarray(c["nadir_u"], dtype=np.int64)
    s = np.where(sod != MISSING, sod, part)
    n_ne = np.asarray(c["n_ne"])
    n_t = np.asarray(c["n_t"])
    tr = g["target_rule"]
    t = np.full(n, "", dtype=object)

    def put(rule, build):
        m = np.flatnonzero(tr == rule)
        if m.size:
            t[m] = build(m)

    def vs_nadir(m):
        return _pct(s[m], nad[m]) + " and " + _signed_mm(s[m] - nad[m])

    def vs_base(m):
        return "sum " + _mm(s[m]) + " is " + _pct(s[m], base[m]) + " from baseline " + _mm(base[m])

    put("CR", lambda m: "targets CR: non-nodal targets 0 mm and target nodes < 10 mm (sum "
        + _mm(s[m]) + ")")
    put("REAPPEAR", lambda m: "targets PD: disease reappeared after CR (sum " + _mm(s[m]) + ")")
    put("PD_SUM", lambda m: "targets PD: sum " + _mm(s[m]) + " is " + vs_nadir(m)
        + " over the nadir " + _mm(nad[m]))
    put("PD_PARTIAL", lambda m: "targets PD: sum of evaluable targets (" + _S(n_t[m] - n_ne[m])
        + " of " + _S(n_t[m]) + ") " + _mm(s[m]) + " is " + vs_nadir(m) + " over the nadir "
        + _mm(nad[m]))
    put("NE_INCOMPLETE", lambda m: "targets NE: " + _S(n_ne[m]) + " of " + _S(n_t[m])
        + " not evaluable (partial sum " + _mm(s[m]) + "; no PR/SD from a partial sum)")
    put("NE_NO_BASELINE", lambda m: np.full(m.size, "targets NE: baseline sum incomplete",
                                            dtype=object))
    put("PR", lambda m: "targets PR: " + vs_base(m) + " (<= -30%)")
    put("PR_CONTINUED", lambda m: "targets PR (continuing PR, FAQ policy): " + vs_base(m))
    put("SD", lambda m: "targets SD: " + vs_base(m) + ", " + vs_nadir(m) + " vs the nadir "
        + _mm(nad[m]) + " (neither PR nor PD)")
    ntr, nt = g["nt_rule"], g["non_target"]
    ntx = np.select([ntr == "NT_PROGRESSION", ntr == "REAPPEAR", nt == "NE", nt == "CR",
                     nt == "NON-CR/NON-PD"],
                    ["; non-targets PD: unequivocal progression",
                     "; non-targets PD: present again after CR", "; non-targets NE: not all "
                     "evaluated", "; non-targets CR: all absent",
                     "; non-targets present (non-CR/non-PD)"], "")
    nw = g["new_lesions"]
    nwx = np.select([nw == "YES", nw == "EQUIVOCAL", nw == "NE"],
                    ["; unequivocal new lesion", "; equivocal new lesion (not PD yet)",
                     "; new lesions not assessed"], "")
    rc = np.asarray(c["reclass_tp"])
    reclass = (rc >= 0) & (g["overall"] != g["overall_as_assessed"])
    head = g["overall"].astype(object)
    if reclass.any():
        head = head.copy()
        head[reclass] = ("PD (as assessed " + g["overall_as_assessed"][reclass].astype(object)
                         + "; equivocal new lesion first seen here was confirmed at tp "
                         + _S(rc[reclass]) + ", R6.3)")
    body = t + ntx.astype(object) + nwx.astype(object)
    body = np.where(t == "", np.array([x[2:] for x in body], dtype=object), body) \
        if (t == "").any() else body
    w = " (" + _S(when) + ")"
    out = head + ": " + body + w
    notp = tr == "NOT_PERFORMED"
    out = np.where(notp, "NE: assessment not performed" + w, out)
    return np.asarray(out, dtype=object)
