"""Story demo and ``oncodyn demo``: files, determinism, and the invariants the figures claim."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from oncodyn.report.story_demo import FIGURES, TABLES, TEXTS, run_story_demo

N = 20


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    out = tmp_path_factory.mktemp("story")
    return run_story_demo(out, seed=3, n_patients=N)


def test_writes_every_expected_file(story):
    names = {p.name for p in story.files}
    assert names == set(FIGURES) | set(TABLES) | set(TEXTS)
    for p in story.files:
        assert p.exists() and p.stat().st_size > 0
    for name in FIGURES:
        assert (story.out_dir / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    en = (story.out_dir / "story_en.md").read_text(encoding="utf-8")
    fr = (story.out_dir / "story_fr.md").read_text(encoding="utf-8")
    assert "not clinical advice" in en and "pas un avis médical" in fr
    for name in FIGURES:
        assert name in en and name in fr


def test_same_seed_identical_tables(story, tmp_path):
    again = run_story_demo(tmp_path, seed=3, n_patients=N)
    for name in TABLES:
        assert (again.out_dir / name).read_bytes() == (story.out_dir / name).read_bytes(), name


def test_counterfactuals_share_patients_and_rt_acts_only_where_aimed(story):
    b = pd.read_csv(story.out_dir / "brake_burden.csv")
    # relative burden is 1 at day 0 for every patient of both arms (same baseline lesions)
    assert b.loc[0, ["docetaxel_median", "untreated_median", "docetaxel_q25", "untreated_q75"]].tolist() == [1.0] * 4
    les = pd.read_csv(story.out_dir / "lesion_response.csv")
    other = les[les.group == "not aimed at"].pivot(index="day", columns="arm", values="median_rel_diameter")
    # lesions outside the field: bit-identical across arms (same draws, no RT effect there)
    assert other.nunique(axis=1, dropna=False).eq(1).all()
    aimed = les[les.group == "aimed at"].pivot(index="day", columns="arm", values="share_visible")
    # more dose to the same cells never leaves more of them: boost <= EBRT <= chemo alone
    assert (aimed["+ external beam + HDR boost"] <= aimed["+ external beam"]).all()
    assert (aimed["+ external beam"] <= aimed["chemotherapy alone"]).all()
    facts = json.loads((story.out_dir / "story_facts.json").read_text())
    # EQD2(10): 20 x 2 Gy = 40 Gy; + 5 x 5 Gy HDR = 25 (5 + 10)/12 = 31.25 Gy (Fowler 1989 LQ)
    assert facts["radiotherapy"]["eqd2_10_ebrt_gy"] == pytest.approx(40.0, abs=1e-9)
    assert facts["radiotherapy"]["eqd2_10_ebrt_plus_hdr_gy"] == pytest.approx(71.25, abs=1e-9)


def test_symptom_table_components_add_up(story):
    s = pd.read_csv(story.out_dir / "symptoms_weekly.csv")
    comps = s[["baseline", "tumour", "neutropenia", "chemotherapy", "radiotherapy"]].sum(axis=1)
    # mean of a clipped sum <= sum of the means; equal where the 0-100 clip never binds
    assert (s.score <= comps + 1e-9).all()
    un = s[s.arm == "untreated"]
    assert (un[["neutropenia", "chemotherapy", "radiotherapy"]].to_numpy() == 0).all()
    day0 = s[s.day == 0]
    assert np.allclose(day0.change, 0.0)


def test_too_small_cohort_is_a_config_error(tmp_path):
    from oncodyn.errors import ConfigError

    with pytest.raises(ConfigError, match="n_patients"):
        run_story_demo(tmp_path, n_patients=5)
    assert not any(tmp_path.iterdir())


def test_cli_demo_runs_story_and_forecast(tmp_path):
    from typer.testing import CliRunner

    from oncodyn.cli.main import app

    out = tmp_path / "demo"
    res = CliRunner().invoke(app, ["demo", "--out", str(out), "--patients", "12", "--seed", "1"])
    assert res.exit_code == 0, res.output
    assert "outputs written to" in res.output and str(out.resolve()) in res.output.replace("\n", "")
    for name in (*FIGURES, *TABLES, *TEXTS):
        assert (out / name).exists(), name
    for name in ("forecast_comparison.csv", "fits.png", "forecast_comparison.png"):
        assert (out / "forecasting" / name).exists(), name
