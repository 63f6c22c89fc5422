"""Real baseline covariates: whole patient rows resampled from the POPLAR patient file.

Source: POPLAR (Fehrenbacher L et al. (2016) Lancet 387:1837), patient-level clinical data of
Gandara DR et al. (2018) Nat Med 24:1441 supplement (``POPLAR_Clinical_Data.csv``, 287 rows,
both arms: docetaxel and atezolizumab; the baseline is measured before randomisation, so both
arms are one baseline pool). Columns used: ``blSLD`` (baseline sum of longest diameters of the
target lesions, mm), ``ECOGGR``, ``METSITES``, ``HIST``, ``BAGE``, ``SEX``, ``PRIORTX``,
``TOBHX``, ``TRT01P`` (arm filter). Rows are drawn with replacement, whole rows (the joint
distribution of the covariates is kept). Rows with a missing or invalid value in a used column
are dropped and reported (:attr:`BaselinePool.dropped`); none are in the shared copy.

Lesions consistent with the sampled SLD (:func:`lesions_from_baseline`): the patient gets
``min(METSITES, max_lesions)`` visible lesions; ``n_t`` of them are measurable targets (at most 5,
at most 2 per organ, and as many as the SLD allows at 10 mm each, 15 mm short axis for nodes),
whose diameters sum to the sampled SLD: each target gets its RECIST minimum plus a log-normal
share of the rest. The other lesions are non-measurable (5-10 mm; nodes 10-15 mm short axis), so
RECIST target selection picks the planned targets and the baseline sum equals the SLD up to the
measurement error.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import ConfigError, DataError

#: POPLAR column -> baseline variable.
COLUMNS = {"blSLD": "sld_mm", "ECOGGR": "ecog", "METSITES": "metastatic_sites", "HIST": "histology",
           "BAGE": "age", "SEX": "sex", "PRIORTX": "prior_therapies", "TOBHX": "tobacco"}
#: Categorical baseline variables (a scenario covariate with this name takes its level from the row).
CATEGORICAL = ("ecog", "histology", "sex", "prior_therapies", "tobacco")


@dataclass(frozen=True)
class BaselinePool:
    """Baseline rows kept from the file (arrays of equal length) and the rows dropped."""

    file: str
    arms: tuple[str, ...]
    sld_mm: np.ndarray
    ecog: np.ndarray             # str
    metastatic_sites: np.ndarray  # int
    histology: np.ndarray        # str
    age: np.ndarray
    sex: np.ndarray
    prior_therapies: np.ndarray  # str
    tobacco: np.ndarray
    source_row: np.ndarray       # 1-based line in the file (header = line 1)
    dropped: tuple[tuple[int, str, str], ...]  # (line, column, reason)

    @property
    def n(self) -> int:
        return int(self.sld_mm.size)

    def column(self, name: str) -> np.ndarray:
        return getattr(self, name)


def baseline_search_dirs() -> list[Path]:
    """Folders searched for a baseline file given by name, in order: ``$ONCODYN_DATA_DIR`` (and
    its ``poplar/`` and ``trials/``), the user data folder where ``oncodyn data fetch poplar``
    puts it (:func:`oncodyn.data.fetch.default_data_dir` ``/poplar``), ``$ONCODYN_SHARED/data/trials``,
    ``shared/data/trials`` and ``../shared/data/trials`` from the working folder, and the
    development layout beside the source tree."""
    from ..data.fetch import default_data_dir

    dirs: list[Path] = []
    if os.environ.get("ONCODYN_DATA_DIR"):
        env = Path(os.environ["ONCODYN_DATA_DIR"])
        dirs += [env, env / "poplar", env / "trials"]
    dirs.append(default_data_dir() / "poplar")
    if os.environ.get("ONCODYN_SHARED"):
        dirs.append(Path(os.environ["ONCODYN_SHARED"]) / "data" / "trials")
    cwd = Path.cwd()
    dirs += [cwd / "shared" / "data" / "trials", cwd.parent / "shared" / "data" / "trials"]
    dirs.append(Path(__file__).resolve().parents[3].parent / "shared" / "data" / "trials")
    return list(dict.fromkeys(dirs))


def find_baseline_file(name: str) -> Path | None:
    """A path, or a file name found in :func:`baseline_search_dirs`; None when absent."""
    p = Path(name)
    if p.is_file():
        return p
    for d in baseline_search_dirs():
        if (d / p.name).is_file():
            return d / p.name
    return None


def resolve_baseline_file(name: str) -> Path:
    """:func:`find_baseline_file`, or a ConfigError naming the folders searched."""
    found = find_baseline_file(name)
    if found is None:
        dirs = ", ".join(str(d) for d in baseline_search_dirs())
        raise ConfigError(f"baseline.file {name!r} not found (looked in: {dirs}); the POPLAR "
                          "patient file (Gandara 2018 Nat Med supplement) is needed for "
                          "baseline.source = 'poplar': 'oncodyn data fetch poplar --from PATH', "
                          "set ONCODYN_DATA_DIR, or give its path")
    return found


class BaselineFallbackWarning(UserWarning):
    """A scenario asked for POPLAR baselines but the file is not on this computer."""


@lru_cache(maxsize=8)
def load_baseline_pool(path: str, arms: tuple[str, ...]) -> BaselinePool:
    """Read the POPLAR file, keep the rows of ``arms``, drop (and report) incomplete rows."""
    import pandas as pd

    try:
        df = pd.read_csv(path, na_values=".", dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read the baseline file ({exc})", file=path) from None
    for col in (*COLUMNS, "TRT01P"):
        if col not in df.columns:
            raise DataError(f"missing column {col!r}", file=path, column=col)
    line = np.arange(len(df)) + 2
    keep = df["TRT01P"].isin(arms).to_numpy()
    if not keep.any():
        raise DataError(f"no row with TRT01P in {list(arms)}", file=path, column="TRT01P")
    df, line = df[keep].reset_index(drop=True), line[keep]
    bad = np.zeros(len(df), dtype=bool)
    dropped: list[tuple[int, str, str]] = []
    num = {}
    for col in ("blSLD", "METSITES", "BAGE"):
        v = pd.to_numeric(df[col].str.strip(), errors="coerce").to_numpy(float)
        ok = np.isfinite(v) & (v > 0 if col != "METSITES" else v >= 1)
        for i in np.flatnonzero(~ok & ~bad):
            dropped.append((int(line[i]), col, f"missing or invalid value {df[col].iloc[i]!r}"))
        bad |= ~ok
        num[col] = v
    for col in ("ECOGGR", "HIST", "SEX", "PRIORTX", "TOBHX"):
        v = df[col].fillna("").str.strip()
        ok = (v != "").to_numpy()
        for i in np.flatnonzero(~ok & ~bad):
            dropped.append((int(line[i]), col, "missing value"))
        bad |= ~ok
    k = ~bad
    txt = {c: df[c].fillna("").str.strip().to_numpy(dtype=object)[k] for c in ("ECOGGR", "HIST", "SEX", "PRIORTX", "TOBHX")}
    return BaselinePool(
        file=str(path), arms=tuple(arms), sld_mm=num["blSLD"][k], ecog=txt["ECOGGR"],
        metastatic_sites=num["METSITES"][k].astype(int), histology=txt["HIST"], age=num["BAGE"][k],
        sex=txt["SEX"], prior_therapies=txt["PRIORTX"], tobacco=txt["TOBHX"], source_row=line[k],
        dropped=tuple(dropped))


def pool_for(scenario) -> BaselinePool | None:
    """The baseline pool of a scenario with ``baseline.source = "poplar"``.

    The POPLAR file is public journal supplementary material whose licence is unclear, so it does
    not ship with oncodyn. When it cannot be found, and the scenario does not insist
    (``baseline.required = false``, the default), the parametric baseline of the scenario is used
    instead and a :class:`BaselineFallbackWarning` says so (the preset was calibrated with the
    POPLAR rows: results then differ somewhat); ``baseline.required = true`` makes it an error.
    """
    b = scenario.baseline
    found = find_baseline_file(b.file)
    if found is None:
        if getattr(b, "required", False):
            resolve_baseline_file(b.file)  # raises with the folders searched
        import warnings

        warnings.warn(f"{FALLBACK_NOTE} (scenario {scenario.name!r}, file {b.file!r})",
                      BaselineFallbackWarning, stacklevel=3)
        return None
    return load_baseline_pool(str(found), tuple(b.arms))


FALLBACK_NOTE = ("POPLAR baseline file not found on this computer: baselines drawn from the "
                 "scenario's parametric model instead (results differ from the POPLAR-calibrated "
                 "preset; 'oncodyn data fetch poplar --from PATH' installs the file)")


def baseline_source(scenario) -> str:
    """What a scenario's baselines will be drawn from here: 'parametric', or 'poplar: PATH', or
    'parametric (fallback: POPLAR file not found)'."""
    b = scenario.baseline
    if b.source != "poplar":
        return "parametric"
    found = find_baseline_file(b.file)
    return f"poplar: {found}" if found is not None else "parametric (fallback: POPLAR file not found)"


def lesions_from_baseline(sld: np.ndarray, n_vis: np.ndarray, organ: np.ndarray, organ_idx: np.ndarray,
                          node: int, sd_log: float, rng: np.random.Generator) -> np.ndarray:
    """Diameters (n, Lv) of visible lesions whose measurable targets sum to ``sld``.

    ``organ`` (n, Lv) is modified in place so that no organ holds more than 2 planned targets
    (RECIST 1.1: at most 2 per organ; a third is moved to the next organ of ``organ_idx`` with
    room). Slots ``>= n_vis`` are returned as 0.
    """
    n, Lv = organ.shape
    n_t_max = np.minimum(n_vis, 5)
    lut = np.full(int(max(organ.max(initial=0), organ_idx.max())) + 1, -1)
    lut[organ_idx] = np.arange(len(organ_idx))
    # at most 2 targets per organ among the first n_t_max slots
    for j in range(1, min(Lv, 5)):
        used = np.stack([(organ[:, :j] == o).sum(axis=1) for o in organ_idx], axis=1)  # (n, n_org)
        cur = lut[organ[:, j]]
        full = (cur >= 0) & (used[np.arange(n), np.maximum(cur, 0)] >= 2)
        if full.any():
            room = used < 2
            # next organ with room, cyclically after the current one
            order = (np.arange(len(organ_idx))[None, :] - cur[:, None]) % len(organ_idx)
            pick = np.argmin(np.where(room, order, 10**6), axis=1)
            organ[full, j] = organ_idx[pick[full]]
    thr = np.where(organ == node, 15.0, 10.0)
    # number of targets: as many as fit (RECIST minimum each), at least 1
    cum_thr = np.cumsum(thr[:, :5], axis=1)
    fits = (cum_thr <= sld[:, None]) & (np.arange(min(Lv, 5))[None, :] < n_t_max[:, None])
    n_t = np.maximum(fits.sum(axis=1), 1)
    is_t = np.arange(Lv)[None, :] < n_t[:, None]
    # a slot-0 node with SLD < 15 mm cannot be measurable: read it as its short axis >= 10 mm
    thr0 = np.where(is_t, thr, 0.0)
    rest = np.maximum(sld - thr0.sum(axis=1), 0.0)
    w = np.exp(sd_log * rng.standard_normal((n, Lv))) * is_t
    share = w / np.maximum(w.sum(axis=1, keepdims=True), 1e-300)
    diam = np.where(is_t, thr0 + rest[:, None] * share, 0.0)
    # slot-0 node below 15 mm (SLD < 15): the whole SLD on it
    small = (n_t == 1) & (thr[:, 0] > sld)
    diam[small, 0] = sld[small]
    # non-measurable lesions beyond the targets
    u = rng.random((n, Lv))
    nonm = np.where(organ == node, 10.0 + 5.0 * u, 5.0 + 5.0 * u) * 0.999
    vis = np.arange(Lv)[None, :] < n_vis[:, None]
    return np.where(is_t, diam, np.where(vis, nonm, 0.0))
