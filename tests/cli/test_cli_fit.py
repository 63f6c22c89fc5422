"""``oncodyn fit``: your own file in, parameters, report and plots out (a thin skin over the API)."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest

from oncodyn.cli.main import run
from oncodyn.models import get_model

S1 = "data/laleh2022/laleh2022_s1_target_lesion_ld.csv"


def cli(monkeypatch, capsys, *args):
    """Run the console entry point in-process; return (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["oncodyn", *map(str, args)])
    with pytest.raises(SystemExit) as info:
        run()
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


MAP = "subject=USUBJID,time=ADY,size=AVAL"


def exponential_file(tmp_path, n=12, seed=0):
    """Noise-free exponential series v0 exp(omega t), diameters in mm, a user's column names."""
    rng = np.random.default_rng(seed)
    v0 = rng.uniform(10, 60, n)
    omega = rng.uniform(-0.004, 0.004, n)
    t = np.array([0.0, 42, 84, 126, 168])
    rows = [(f"S{i:02d}", tt, repr(float(v0[i] * np.exp(omega[i] * tt)))) for i in range(n)
            for tt in t]
    path = tmp_path / "mine.csv"
    pd.DataFrame(rows, columns=["USUBJID", "ADY", "AVAL"]).to_csv(path, index=False)
    return path, v0, omega


def test_fit_recovers_the_parameters_of_noise_free_series(monkeypatch, capsys, tmp_path):
    path, v0, omega = exponential_file(tmp_path)
    out = tmp_path / "out"
    code, stdout, err = cli(monkeypatch, capsys, "fit", path, "--model", "exponential",
                            "--map", MAP, "--out", out)
    assert code == 0, err
    params = pd.read_csv(out / "parameters.csv", dtype={"subject": str})
    order = params["subject"].str[1:].astype(int).to_numpy()
    # noise-free data: the least-squares optimum is the truth, up to the solver's tolerance
    np.testing.assert_allclose(params["v0"], v0[order], rtol=1e-6)
    np.testing.assert_allclose(params["omega"], omega[order], rtol=1e-5, atol=1e-9)
    assert (params["status"] == "converged").all()
    pq = pd.read_parquet(out / "parameters.parquet")
    pd.testing.assert_frame_equal(pq[["v0", "omega", "status"]], params[["v0", "omega", "status"]])
    assert {"fit_report.json", "fit_report.md", "individual_fits.png"} <= {p.name for p in
                                                                          out.iterdir()}
    assert "12 series fitted with exponential: 12 converged" in stdout


def test_report_accounts_for_every_row_and_series(monkeypatch, capsys, tmp_path):
    path = tmp_path / "messy.csv"
    path.write_text("USUBJID,ADY,AVAL\n"
                    "A,0,20\nA,40,22\nA,80,25\nA,120,NE\n"     # NE dropped
                    "B,0,30\nB,,31\nB,60,28\nB,90,27\n"        # blank time dropped
                    "C,0,15\n")                               # one reading: too few points
    out = tmp_path / "out"
    code, _, err = cli(monkeypatch, capsys, "fit", path, "--model", "exponential", "--map", MAP,
                       "--out", out)
    assert code == 0, err
    rep = json.loads((out / "fit_report.json").read_text())
    d = rep["data"]
    assert (d["rows_read"], d["rows_loaded"], d["rows_dropped"]) == (9, 7, 2)
    assert d["dropped_by_reason"] == {"missing_time": 1, "not_evaluable": 1}
    assert d["series"] == d["series_fitted"] == 3
    assert rep["fit"]["status_counts"] == {"converged": 2, "too_few_points": 1}
    params = pd.read_csv(out / "parameters.csv")
    assert params.set_index("subject").loc["C", "status"] == "too_few_points"
    assert np.isnan(params.set_index("subject").loc["C", "v0"])
    assert rep["options"]["model"] == "exponential" and rep["model"]["parameters"][0]["name"] == "v0"
    md = (out / "fit_report.md").read_text()
    for heading in ("## Data", "## Model", "## Options", "## Fit",
                    "## Parameters not identified by the data"):
        assert heading in md
    assert "not a clinical decision tool" in md


def test_runaway_carrying_capacity_is_flagged_not_returned_silently(monkeypatch, capsys, tmp_path):
    # exponential growth has no carrying capacity: a Gompertz fit sends v_inf off to a bound
    path, _, _ = exponential_file(tmp_path, n=6, seed=3)
    df = pd.read_csv(path)
    df["AVAL"] = [20 * np.exp(0.004 * t) for t in df["ADY"]]
    df.to_csv(path, index=False)
    out = tmp_path / "out"
    code, _, err = cli(monkeypatch, capsys, "fit", path, "--model", "gompertz", "--map", MAP,
                       "--out", out, "--no-plots")
    assert code == 0, err
    params = pd.read_csv(out / "parameters.csv")
    assert (params["status"] == "not_identifiable").all()
    assert params["unidentified"].str.contains("v_inf").all()
    rep = json.loads((out / "fit_report.json").read_text())
    assert rep["fit"]["non_identifiable"]["v_inf"]["count"] == 6
    assert "`v_inf`: 6 series" in (out / "fit_report.md").read_text()
    assert "warning: v_inf not identified by the data in 6 series" in err


def test_penalty_and_prior_options_are_the_api_options(monkeypatch, capsys, shared_file, tmp_path):
    from oncodyn.data import read_any
    from oncodyn.inference import batch_from_table, fit
    from oncodyn.inference.regularise import empirical_bayes_prior

    src = tmp_path / "s2.csv"  # one study of the real S1 data keeps the test short
    raw = pd.read_csv(shared_file(S1), dtype=str)
    raw[raw["Study_Arm"].str.startswith("Study_2_")].to_csv(src, index=False)
    batch = batch_from_table(read_any(src).table, observable="diameter")
    for extra, kwargs in ((["--penalty", "0.8"], {"penalty": 0.8}),
                          (["--prior", "empirical-bayes"], None),
                          (["--optimiser", "tumorgrowth"],
                           {"optimiser": "tumorgrowth", "penalty": 0.8})):
        out = tmp_path / f"out{extra[0].strip('-')}"
        code, _, err = cli(monkeypatch, capsys, "fit", src, "--model", "logistic", "--out", out,
                           "--no-plots", *extra)
        assert code == 0, err
        if kwargs is None:
            kwargs = {"prior": empirical_bayes_prior(fit("logistic", batch))}
        ref = fit("logistic", batch, **kwargs).to_frame()
        got = pd.read_csv(out / "parameters.csv")
        np.testing.assert_allclose(got[["v0", "v_inf", "omega"]].to_numpy(),
                                   ref[["v0", "v_inf", "omega"]].to_numpy(), rtol=1e-9)
        assert list(got["status"]) == list(ref["status"])
        assert not (out / "individual_fits.png").exists()


def test_fit_reads_a_file_exactly_as_data_inspect(monkeypatch, capsys, shared_file, tmp_path):
    code, _, err = cli(monkeypatch, capsys, "data", "inspect", shared_file(S1), "--ne", "missing",
                       "--json", tmp_path / "inspect.json")
    assert code == 0, err
    code, _, err = cli(monkeypatch, capsys, "fit", shared_file(S1), "--model", "exponential",
                       "--ne", "missing", "--out", tmp_path / "out", "--no-plots")
    assert code == 0, err
    ins = json.loads((tmp_path / "inspect.json").read_text())
    rep = json.loads((tmp_path / "out" / "fit_report.json").read_text())["data"]
    for key in ("format", "rows_read", "rows_loaded", "rows_dropped", "dropped_by_reason",
                "changed_by_reason", "policy"):
        assert rep[key] == ins[key], key
    assert rep["series"] == rep["series_fitted"] == ins["n_series"]


@pytest.mark.parametrize(("args", "needle"), [
    (["--model", "exponential", "--penalty", "0.8"], "penalty needs a model with parameters v0"),
    (["--model", "no_such_law"], "unknown model 'no_such_law'"),
    (["--model", "exponential", "--covariate", "ARM"], "add --population"),
    (["--model", "exponential", "--population", "--covariate", "arm:g"], "NAME:PARAM"),
    (["--model", "stein_gd", "--population", "--covariate", "arm:g"],
     "'arm': the column is empty (map it with --map arm=COLUMN)"),
    (["--model", "exponential", "--map", "subject=USUBJID,time=DAY,size=AVAL"], "column 'DAY'"),
])
def test_bad_options_or_input_one_line_exit_2_nothing_written(monkeypatch, capsys, tmp_path,
                                                              args, needle):
    path, _, _ = exponential_file(tmp_path, n=3)
    if "--map" not in args:
        args = [*args, "--map", MAP]
    out = tmp_path / "out"
    code, _, err = cli(monkeypatch, capsys, "fit", path, "--out", out, *args)
    assert code == 2 and err.startswith("error: ") and needle in err
    assert len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.csv"]  # no folder, no debris


def test_existing_output_is_kept_without_force(monkeypatch, capsys, tmp_path):
    path, _, _ = exponential_file(tmp_path, n=3)
    out = tmp_path / "out"
    assert cli(monkeypatch, capsys, "fit", path, "--model", "exponential", "--map", MAP,
               "--out", out, "--no-plots")[0] == 0
    before = (out / "parameters.csv").read_bytes()
    code, _, err = cli(monkeypatch, capsys, "fit", path, "--model", "power_law", "--map", MAP,
                       "--out", out, "--no-plots")
    assert code == 2 and "--force" in err
    assert (out / "parameters.csv").read_bytes() == before
    code, _, err = cli(monkeypatch, capsys, "fit", path, "--model", "power_law", "--map", MAP,
                       "--out", out, "--no-plots", "--force")
    assert code == 0, err
    assert "power_law" in (out / "parameters.csv").read_text()


@pytest.mark.slow
def test_population_fit_recovers_typical_values_and_covariate_effect(monkeypatch, capsys,
                                                                     tmp_path):
    """60 simulated Stein g/d series, 6 scans, 5% proportional error, arm B doubling g-ish:
    every estimate within 4 of its reported standard errors of the truth."""
    m = get_model("stein_gd")
    rng = np.random.default_rng(11)
    n, t = 60, np.array([0.0, 42, 84, 126, 168, 210])
    arm = np.where(np.arange(n) % 2 == 0, "A", "B")
    mu = np.log([60.0, 0.002, 0.01])
    effect = 0.5  # log-scale effect of arm B on g
    phi = mu + rng.normal(0, [0.3, 0.4, 0.4], (n, 3))
    phi[:, 1] += effect * (arm == "B")
    f = m.predict(np.broadcast_to(t, (n, t.size)), np.exp(phi))
    y = f * (1 + 0.05 * rng.standard_normal(f.shape))
    rows = [(f"P{i:03d}", t[j], repr(float(y[i, j])), arm[i]) for i in range(n)
            for j in range(t.size)]
    path = tmp_path / "sim.csv"
    pd.DataFrame(rows, columns=["USUBJID", "ADY", "AVAL", "ARM"]).to_csv(path, index=False)
    out = tmp_path / "out"
    code, _, err = cli(monkeypatch, capsys, "fit", path, "--model", "stein_gd", "--map", MAP,
                       "--population", "--covariate", "ARM:g", "--out", out, "--no-plots")
    assert code == 0, err
    pop = json.loads((out / "fit_report.json").read_text())["population"]
    se = pop["se"]
    for k, name in enumerate(("y0", "g", "d")):
        est = np.log(pop["theta"][name])
        assert abs(est - mu[k]) < 4 * se[f"mu_{name}"], name
    assert abs(pop["covariate_effects"]["ARM[B] on g"] - effect) < 4 * se["beta_g_ARM[B]"]
    for key in ("omega", "sigma", "minus2ll", "aic", "bic", "shrinkage"):
        assert key in pop
    names = {p.name for p in out.iterdir()}
    assert {"population.csv", "population.parquet", "individual_ebe.csv",
            "population_trace.csv", "population_residuals.csv", "parameters.csv"} <= names
    res = pd.read_csv(out / "population_residuals.csv")
    assert len(res) == n * t.size and {"pred", "ipred", "iwres", "npde"} <= set(res.columns)
    # NPDE of a correct model are N(0, 1): mean within 4 SE (360 readings, 60 series)
    assert abs(res["npde"].mean()) < 4 / np.sqrt(n)
    ebe = pd.read_csv(out / "individual_ebe.csv")
    assert len(ebe) == n and {"y0", "g", "d"} <= set(ebe.columns)
    md = (out / "fit_report.md").read_text()
    assert "## Population fit" in md and "minus2ll" in md


def test_cleaned_parquet_from_inspect_fits_like_the_source(monkeypatch, capsys, tmp_path):
    path, _, _ = exponential_file(tmp_path, n=5)
    clean = tmp_path / "clean.parquet"
    assert cli(monkeypatch, capsys, "data", "inspect", path, "--map", MAP, "--out", clean)[0] == 0
    for src, extra, out in ((path, ["--map", MAP], "a"), (clean, [], "b")):
        code, _, err = cli(monkeypatch, capsys, "fit", src, "--model", "exponential", *extra,
                           "--out", tmp_path / out, "--no-plots")
        assert code == 0, err
    a = pd.read_parquet(tmp_path / "a" / "parameters.parquet")
    b = pd.read_parquet(tmp_path / "b" / "parameters.parquet")
    pd.testing.assert_frame_equal(a[["subject", "v0", "omega"]], b[["subject", "v0", "omega"]])
