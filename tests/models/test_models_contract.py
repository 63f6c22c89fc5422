"""Every registered model honours the model contract; the contract itself catches broken models.

The parametrisation reads the registry at collection time, so any model registered later (in
any module imported by ``oncodyn.models``) is checked without editing this file.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import oncodyn.models as om
from oncodyn.models import Model, Parameter, check_model, get_model, list_models
from oncodyn.models.check import CheckHints, run_checks

ALL_MODELS = list_models()


def test_registry_holds_growth_and_response_laws():
    names = set(ALL_MODELS)
    assert set(om.CLASSICAL_LAWS) <= names
    assert {"stein_gd", "stein_gx", "stein_dx", "stein_gdphi", "wang", "claret", "claret_ts",
            "two_population", "simeoni", "norton_simon"} <= names
    assert set(list_models("response")) >= {"claret", "stein_gd", "two_population"}
    for name in list_models("response"):
        assert get_model(name).kind == "response"


@pytest.mark.parametrize("name", ALL_MODELS)
def test_registered_model_passes_contract(name):
    report = check_model(name)
    assert report.passed
    assert {r.name for r in report.results} == {
        "parameters", "shapes", "initial", "closed_vs_ode", "jacobian", "batching", "positivity",
        "exposure"}


@pytest.mark.parametrize("name", ALL_MODELS)
def test_contract_passes_with_other_seed(name):
    check_model(name, seed=12345, n_batch=4)


def test_check_all_models_reports_every_model():
    reports = om.check_all_models(kind="response")
    assert sorted(reports) == list_models("response")


# ------------------------------------------------------------------ broken models must fail
EXP = get_model("exponential")
CLARET = get_model("claret")


def _failed(model, name, **kw):
    report = run_checks(model, **kw)
    failed = {r.name: r.message for r in report.failures}
    assert name in failed, str(report)
    with pytest.raises(AssertionError, match=name):
        check_model(model, **kw)
    return failed[name]


def test_contract_catches_closed_form_off_by_one_percent():
    def closed(t, p, u, xp):
        return 1.01 * EXP.closed_form(t, p, u, xp)

    broken = Model(name="broken_closed", title="x", parameters=EXP.parameters, rhs=EXP.rhs,
                   initial_state=EXP.initial_state, closed_form=closed,
                   equation="x", reference="x")
    msg = _failed(broken, "closed_vs_ode")
    assert "differ" in msg
    assert "initial" in {r.name for r in run_checks(broken).failures}


def test_contract_catches_small_rate_error_only_in_closed_vs_ode():
    # a 1% error in the rate is invisible at t = 0 but not along the curve
    def closed(t, p, u, xp):
        return p[..., 0, None] * xp.exp(1.01 * p[..., 1, None] * t)

    broken = Model(name="broken_rate", title="x", parameters=EXP.parameters, rhs=EXP.rhs,
                   initial_state=EXP.initial_state, closed_form=closed,
                   equation="x", reference="x")
    _failed(broken, "closed_vs_ode")
    assert {r.name for r in run_checks(broken).failures} == {"closed_vs_ode"}


def test_contract_catches_broken_batching():
    def closed(t, p, u, xp):  # uses the first series' parameters for every series
        flat = p.reshape(-1, p.shape[-1])
        return np.broadcast_to(EXP.closed_form(t, flat[0], u, xp), p.shape[:-1] + t.shape[-1:])

    broken = Model(name="broken_batch", title="x", parameters=EXP.parameters, rhs=EXP.rhs,
                   initial_state=EXP.initial_state, closed_form=closed,
                   equation="x", reference="x")
    failures = {r.name for r in run_checks(broken).failures}
    assert "batching" in failures or "closed_vs_ode" in failures
    with pytest.raises(AssertionError):
        check_model(broken)


def test_contract_catches_negative_sizes():
    par = (Parameter("v0", "mm", 10.0, 1e-9, math.inf, "log", "size at 0", "illustrative"),
           Parameter("a", "mm/day", 0.05, 0.0, math.inf, "log", "decline", "illustrative"))

    def closed(t, p, u, xp):
        return p[..., 0, None] - p[..., 1, None] * t

    def rhs(t, y, p, u, xp):
        return -p[..., 1:2] + 0.0 * y

    broken = Model(name="broken_linear_decline", title="x", parameters=par, rhs=rhs,
                   initial_state=lambda p, xp: p[..., 0:1], closed_form=closed,
                   equation="y = v0 - a t", reference="x")
    assert "reached size" in _failed(broken, "positivity")


def test_contract_catches_ignored_exposure_and_missing_metadata():
    def rhs(t, y, p, u, xp):  # forgets the drug term
        return p[..., 1:2] * y

    params = CLARET.parameters[:3] + (Parameter("kd", "1/day", 0.01, 0, 1, "log", "", ""),)
    broken = Model(name="broken_claret", title="x", parameters=params, rhs=rhs,
                   initial_state=CLARET.initial_state, inputs=("exposure",), kind="response")
    hints = CheckHints(exposure=1.0)
    report = run_checks(broken, hints=hints)
    failed = {r.name: r.message for r in report.failures}
    assert "input is ignored" in failed["exposure"]
    # duplicated name 'kd', empty description/source, no equation/reference
    for piece in ("duplicate parameter names", "empty description", "empty source",
                  "empty equation", "empty reference"):
        assert piece in failed["parameters"]


def test_contract_catches_wrong_untreated_reduction():
    # declaring that Claret at zero exposure is *logistic* must fail the exposure check
    def wrong(p):
        q = np.stack([p[..., 0], 2 * p[..., 0], p[..., 1]], axis=-1)
        return p, "logistic", q

    report = run_checks("claret", hints=CheckHints(exposure=0.765, untreated=wrong))
    assert [r.name for r in report.failures] == ["exposure"]
    assert "untreated law 'logistic'" in report.failures[0].message


def test_contract_catches_wrong_state_shapes():
    broken = Model(name="broken_shape", title="x", parameters=EXP.parameters, rhs=EXP.rhs,
                   initial_state=lambda p, xp: p[..., 0], closed_form=EXP.closed_form,
                   equation="x", reference="x")
    assert "initial_state gave shape" in _failed(broken, "shapes")


def test_contract_catches_wrong_analytic_jacobian():
    """A Jacobian off by 1% in one column must fail the finite-difference comparison."""
    gb = get_model("bertalanffy")

    def jac(t, p, u, xp):
        j = gb.jacobian(t, p, u, xp).copy()
        j[..., 2] *= 1.01
        return j

    broken = Model(name="broken_jacobian", title="x", parameters=gb.parameters, rhs=gb.rhs,
                   initial_state=gb.initial_state, closed_form=gb.closed_form, jacobian=jac,
                   equation="x", reference="x")
    msg = _failed(broken, "jacobian")
    assert "omega" in msg
