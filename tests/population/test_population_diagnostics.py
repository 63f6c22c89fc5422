"""Diagnostics of a population fit: NPDE, pcVPC, residual table, and their plots."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from oncodyn.population import fit_population  # noqa: E402
from oncodyn.population.diagnostics import npde, pcvpc, residual_table  # noqa: E402


@pytest.fixture(scope="module")
def fitted(moderate_population):
    sim, fit = moderate_population
    return fit, sim.batch.subset(np.arange(500))


@pytest.fixture(scope="module")
def misspecified(fitted):
    # growth-only Stein law fitted to growth-regression data: a wrong structural model
    _, batch = fitted
    return fit_population("stein_gx", batch, seed=1, n_iter=(100, 60)), batch


def test_npde_are_standard_normal_under_the_true_model(fitted):
    fit, batch = fitted
    z = npde(fit, batch, n_rep=500, seed=1)
    z = z[np.isfinite(z)]
    assert z.size == 500 * 8
    # N(0,1) under the model: mean SE 1/sqrt(n), variance SE sqrt(2/n); 4 SE tolerances, plus
    # 8/500 for the variance (covariances estimated from 500 simulations)
    assert abs(z.mean()) < 4 / np.sqrt(z.size)
    assert abs(z.var() - 1) < 4 * np.sqrt(2 / z.size) + 8 / 500


def test_npde_detect_a_wrong_structural_model(misspecified):
    fit, batch = misspecified
    z = npde(fit, batch, n_rep=300, seed=1)
    z = z[np.isfinite(z)]
    assert abs(z.mean()) > 10 / np.sqrt(z.size) or z.var() > 1 + 10 * np.sqrt(2 / z.size)


def test_pcvpc_observed_percentiles_within_simulated_bands(fitted):
    fit, batch = fitted
    v = pcvpc(fit, batch, bins=8, n_rep=200, seed=2)
    assert v.observed.shape == v.sim_lo.shape == (8, 3)
    assert v.n_obs.sum() == 500 * 8
    assert np.all(v.sim_lo <= v.sim_mid) and np.all(v.sim_mid <= v.sim_hi)
    # 24 percentiles, each outside its 95% band with probability ~0.05 under the model:
    # P(Binomial(24, 0.05) > 5) = 0.003
    assert v.outside() <= 5


def test_pcvpc_flags_a_wrong_structural_model(misspecified):
    fit, batch = misspecified
    v = pcvpc(fit, batch, bins=8, n_rep=100, seed=2)
    assert v.outside() > 5


def test_residual_table_has_one_row_per_reading(fitted):
    fit, batch = fitted
    df = residual_table(fit, batch, n_rep=100)
    assert len(df) == int(batch.n.sum())
    assert list(df.columns) == ["id", "time", "observed", "censored", "pred", "ipred", "iwres",
                                "npde"]
    np.testing.assert_allclose(df["ipred"].to_numpy(), fit.ipred[batch.mask])
    # IWRES ~ N(0,1)-like under the model; EBE fits shrink them somewhat (variance < 1)
    assert 0.5 < df["iwres"].var() < 1.1


def test_diagnostic_plots_draw_their_artists(fitted):
    import matplotlib.pyplot as plt

    from oncodyn import plot

    fit, batch = fitted
    df = residual_table(fit, batch, n_rep=50)
    ax = plot.vpc(pcvpc(fit, batch, n_rep=50))
    assert len(ax.collections) == 3 and len(ax.lines) == 6
    ax = plot.obs_vs_pred(df, which="pred")
    assert ax.get_xscale() == "log" and "PRED" in ax.get_xlabel()
    ax = plot.npde_vs_time(df)
    assert ax.get_ylabel() == "NPDE" and len(ax.lines) == 5
    ax = plot.individual_fit(fit, batch, 0)
    assert [ln.get_label() for ln in ax.lines][:3] == ["individual (EBE)", "population (typical)",
                                                       "observed"]
    axes = plot.individual_fits(fit, batch, [0, 1, 2, 3, 4], ncols=3)
    assert axes.shape == (2, 3) and not axes[1, 2].get_visible()
    ax = plot.saem_trace(fit)
    assert len(ax.lines) == 4  # 3 parameters + the phase marker
    plt.close("all")
