"""Spider / waterfall / swimmer: artists, not pixels (frames from conftest.result_frames)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from oncodyn.plot import BOR_COLORS, spider, swimmer, waterfall  # noqa: E402


def _gid(ax, prefix):
    arts = list(ax.lines) + list(ax.patches) + list(ax.collections)
    return [a for a in arts if (a.get_gid() or "").startswith(prefix)]


def _ref_y(ax, gid):
    (line,) = [ln for ln in ax.lines if ln.get_gid() == gid]
    ys = np.asarray(line.get_ydata(), dtype=float)
    return float(ys[0]), float(ys[-1])


def test_spider(result_frames):
    tps, best, _ = result_frames
    ax = spider(tps, best_response=best)
    assert isinstance(ax, Axes)
    lines = {ln.get_gid(): ln for ln in _gid(ax, "subject:")}
    # C has no % change (non-target only): no line; A, B, D have one each
    assert sorted(lines) == ["subject:A", "subject:B", "subject:D"]
    x, y = lines["subject:A"].get_data()
    assert list(y) == [0.0, -40.0, -50.0, -10.0] and list(x) == [1.0, 43.0, 85.0, 127.0]
    assert _ref_y(ax, "ref:-30") == (-30.0, -30.0) and _ref_y(ax, "ref:20") == (20.0, 20.0)
    assert matplotlib.colors.to_hex(lines["subject:D"].get_color()) == BOR_COLORS["CR"].lower()
    # overall-PD points marked: A at day 127, B at day 85
    pd_marks = _gid(ax, "marker:progression")
    assert sorted(float(m.get_xdata()[0]) for m in pd_marks) == [85.0, 127.0]
    lo, hi = ax.get_ylim()
    assert lo <= -30 and hi >= 20


def test_spider_stops_at_first_pd(result_frames):
    import pandas as pd

    tps, best, _ = result_frames
    later = pd.DataFrame([{"subject_id": "B", "tp": 3, "date": pd.Timestamp("2024-05-06"),
                           "day": 127, "overall": "PD", "pct_change_from_baseline": 45.0}])
    tps = pd.concat([tps, later], ignore_index=True)

    def ys(ax):
        (ln,) = [ln for ln in ax.lines if ln.get_gid() == "subject:B"]
        return list(ln.get_ydata())

    assert ys(spider(tps)) == [0.0, 5.0, 30.0]
    assert ys(spider(tps, after_pd=True)) == [0.0, 5.0, 30.0, 45.0]


def test_waterfall(result_frames):
    _, best, _ = result_frames
    ax = waterfall(best)
    bars = list(ax.containers[0])
    assert len(bars) == 3  # C has no best % change
    heights = [b.get_height() for b in bars]
    assert heights == sorted(heights, reverse=True) == [30.0, -50.0, -100.0]
    colors = [matplotlib.colors.to_hex(b.get_facecolor()) for b in bars]
    assert colors == [BOR_COLORS[c].lower() for c in ("PD", "PR", "CR")]
    assert _ref_y(ax, "ref:-30") == (-30.0, -30.0) and _ref_y(ax, "ref:20") == (20.0, 20.0)
    for gid in ("ref:-30", "ref:20"):
        (ln,) = [ln for ln in ax.lines if ln.get_gid() == gid]
        assert ln.get_linestyle() == "--"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["B", "A", "D"]
    assert "1 subject(s) without a % change" in ax.get_xlabel()


def test_swimmer(result_frames):
    tps, best, pfs = result_frames
    ax = swimmer(tps, best, pfs)
    bars = {p.get_gid(): p for p in _gid(ax, "subject:")}
    assert len(bars) == 4
    # bar length = max(last assessment day, pfs days): D dies on day 153 after its last scan
    assert bars["subject:D"].get_width() == 153 and bars["subject:C"].get_width() == 43
    assert [t.get_text() for t in ax.get_yticklabels()] == ["C", "B", "A", "D"]
    (resp,) = _gid(ax, "marker:response")
    assert sorted(resp.get_offsets()[:, 0].tolist()) == [43.0, 43.0]  # A (PR), D (CR)
    (prog,) = _gid(ax, "marker:progression")
    assert sorted(prog.get_offsets()[:, 0].tolist()) == [85.0, 127.0]
    (death,) = _gid(ax, "marker:death")
    assert death.get_offsets()[:, 0].tolist() == [153.0]
    (ongoing,) = _gid(ax, "marker:ongoing")
    assert len(ongoing.get_offsets()) == 1  # only C is censored


def test_existing_axes_and_pngs(result_frames, tmp_path):
    from matplotlib.figure import Figure

    tps, best, pfs = result_frames
    fig = Figure(figsize=(12, 4))
    axes = fig.subplots(1, 3)
    assert spider(tps, ax=axes[0], lw=2) is axes[0]
    assert waterfall(best, ax=axes[1]) is axes[1]
    assert swimmer(tps, best, pfs, ax=axes[2]) is axes[2]
    fig.savefig(tmp_path / "all.png")
    assert (tmp_path / "all.png").stat().st_size > 10_000


def test_lazy_import():
    import subprocess
    import sys

    code = ("import sys, oncodyn.plot; print('matplotlib' in sys.modules, "
            "'pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[0] == "False"


def test_irecist_codes_use_recist_colours(result_frames):
    _, best, _ = result_frames
    best = best.assign(bor=["iPR", "iCPD", "NON-iCR/NON-iUPD", "iCR"])
    bars = list(waterfall(best).containers[0])
    colors = [matplotlib.colors.to_hex(b.get_facecolor()) for b in bars]
    assert colors == [BOR_COLORS[c].lower() for c in ("PD", "PR", "CR")]


def test_cohort_plots_draw_a_stated_random_sample(result_frames):
    """Past MAX_* lanes a cohort figure draws a seeded random sample and says so in its title."""
    import numpy as np

    from oncodyn.plot.recist import spider, swimmer, waterfall

    tps, br, pfs = result_frames
    n = br["subject_id"].nunique()
    assert n >= 3
    ax = swimmer(tps, br, pfs, max_subjects=2, rng=np.random.default_rng(1))
    bars = [p for p in ax.patches if str(p.get_gid()).startswith("subject:")]
    assert len(bars) == 2
    assert f"random sample of 2 of {n} subjects" in ax.get_title()
    again = swimmer(tps, br, pfs, max_subjects=2, rng=np.random.default_rng(1))
    assert [p.get_gid() for p in again.patches] == [p.get_gid() for p in ax.patches]
    ax = spider(tps, best_response=br, max_subjects=1)
    assert len([ln for ln in ax.lines if str(ln.get_gid()).startswith("subject:")]) <= 1
    assert "random sample of 1 of" in ax.get_title()
    ax = waterfall(br, max_subjects=2)
    assert len(ax.patches) <= 2 and "random sample of 2 of" in ax.get_title()
    full = swimmer(tps, br, pfs, max_subjects=None)
    assert "random sample" not in full.get_title()
    assert len([p for p in full.patches if str(p.get_gid()).startswith("subject:")]) == n
