"""Story demo and ``oncodyn demo``: files, determinism, and the invariants the figures claim."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from oncodyn.report.story_demo import FIGURES, FRENCH_DIR, TABLES, TEXTS, run_story_demo

N = 20


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    out = tmp_path_factory.mktemp("story")
    return run_story_demo(out, seed=3, n_patients=N)


def test_writes_every_expected_file_in_both_languages(story):
    names = {p.relative_to(story.out_dir).as_posix() for p in story.files}
    expected = set(FIGURES) | {f"{FRENCH_DIR}/{f}" for f in FIGURES} | set(TABLES) | set(TEXTS)
    assert names == expected
    for p in story.files:
        assert p.exists() and p.stat().st_size > 0
    for name in expected:
        if name.endswith(".png"):
            assert (story.out_dir / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    en = (story.out_dir / "story_en.md").read_text(encoding="utf-8")
    fr = (story.out_dir / "story_fr.md").read_text(encoding="utf-8")
    assert "not clinical advice" in en and "pas un avis médical" in fr
    for name in FIGURES:
        assert f"`{name}`" in en and f"`{FRENCH_DIR}/{name}`" in fr


def test_same_seed_identical_tables(story):
    from oncodyn.report.story_demo import compute_story

    again = compute_story(seed=3, n_patients=N)
    for name, df in again.tables.items():
        assert df.to_csv(index=False) == (story.out_dir / name).read_text(encoding="utf-8"), name
    assert json.loads(json.dumps(again.facts)) == json.loads(
        (story.out_dir / "story_facts.json").read_text(encoding="utf-8"))


def test_counterfactuals_share_patients_and_rt_acts_only_where_aimed(story):
    b = pd.read_csv(story.out_dir / "brake_burden.csv")
    # relative burden is 1 at day 0 for every patient of both arms (same baseline lesions)
    assert b.loc[0, ["docetaxel_median", "untreated_median", "docetaxel_q25", "untreated_q75"]].tolist() == [1.0] * 4
    les = pd.read_csv(story.out_dir / "lesion_response.csv")
    other = les[les.group == "not aimed at"].pivot(index="day", columns="arm_id", values="median_rel_diameter")
    # lesions outside the field: bit-identical across arms (same draws, no RT effect there)
    assert other.nunique(axis=1, dropna=False).eq(1).all()
    aimed = les[les.group == "aimed at"].pivot(index="day", columns="arm_id", values="share_visible")
    # more dose to the same cells never leaves more of them: boost <= lead-in <= chemo alone,
    # and the radical course (EQD2 58 Gy) <= the 40 Gy lead-in
    assert (aimed["boost"] <= aimed["ebrt40"]).all()
    assert (aimed["ebrt55"] <= aimed["ebrt40"]).all()
    assert (aimed["ebrt40"] <= aimed["chemo"]).all()
    # deaths are switched off in this figure: every lesion is scanned to the end
    assert les.groupby(["arm_id", "group"])["share_visible"].apply(lambda s: s.notna().all()).all()
    facts = json.loads((story.out_dir / "story_facts.json").read_text())
    e = facts["radiotherapy"]["eqd2_10_gy"]
    # EQD2(10) (Fowler 1989 LQ): 20 x 2 Gy = 40 Gy; + 5 x 5 Gy HDR = 25 (5 + 10)/12 = 31.25 Gy;
    # 20 x 2.75 Gy: 55 (2.75 + 10)/12 = 58.4375 Gy
    assert e["ebrt40"] == pytest.approx(40.0, abs=1e-9)
    assert e["boost"] == pytest.approx(71.25, abs=1e-9)
    assert e["ebrt55"] == pytest.approx(58.4375, abs=1e-9)


def test_complete_responses_are_counted_from_the_scans(story):
    facts = json.loads((story.out_dir / "story_facts.json").read_text())
    ns = facts["nsclc"]
    # a best response of CR needs a CR scan, so the share with a CR scan bounds the CR count
    assert ns["share_cr_any_scan"] >= ns["best_response_counts"]["CR"] / N - 1e-12
    en = " ".join((story.out_dir / "story_en.md").read_text(encoding="utf-8").split())
    assert f"CR {ns['best_response_counts']['CR']} in the waterfall" in en


def test_symptom_table_components_add_up_and_neutropenia_is_apart(story):
    s = pd.read_csv(story.out_dir / "symptoms_weekly.csv")
    comps = s[["baseline", "tumour", "neutropenia", "chemotherapy", "radiotherapy"]].sum(axis=1)
    # mean of a clipped sum <= sum of the means; equal where the 0-100 clip never binds
    assert (s.score <= comps + 1e-9).all()
    felt = s[["baseline", "tumour", "chemotherapy", "radiotherapy"]].sum(axis=1)
    assert (s.felt_score <= felt + 1e-9).all()
    un = s[s.arm == "untreated"]
    assert (un[["neutropenia", "chemotherapy", "radiotherapy", "share_neutropenia_g3"]].to_numpy() == 0).all()
    day0 = s[s.day == 0]
    assert np.allclose(day0.change, 0.0) and np.allclose(day0.felt_change, 0.0)
    assert ((s.share_neutropenia_g3 >= 0) & (s.share_neutropenia_g3 <= 1)).all()


def test_treatment_never_shortens_a_virtual_patients_life(story):
    """Same patients, same death thresholds: docetaxel only removes tumour cells, so the
    tumour-driven hazard is never higher treated, and no patient dies earlier treated."""
    s = pd.read_csv(story.out_dir / "survival.csv")
    t = s[s.arm == "docetaxel"].set_index("subject_id").sort_index()
    u = s[s.arm == "untreated"].set_index("subject_id").sort_index()
    assert list(t.index) == list(u.index) == list(range(N))
    assert (t.os_days >= u.os_days - 1e-9).all()
    facts = json.loads((story.out_dir / "story_facts.json").read_text())["survival"]
    for arm in ("docetaxel", "untreated"):
        assert 0.0 <= facts[arm]["alive_2y"] <= 1.0
        assert facts[arm]["os_events"] == int(s[s.arm == arm].os_event.sum())


def test_french_text_follows_french_typography(story):
    fr = (story.out_dir / "story_fr.md").read_text(encoding="utf-8")
    outside_code = re.sub(r"`[^`]*`", "", fr).replace("RECIST 1.1", "")
    assert not re.search(r"\d[ ]?%", outside_code), "a % without a non-breaking space"
    assert "\u00a0%" in fr
    assert not re.search(r"\d\.\d", outside_code), "a decimal point in French"
    assert not re.search(r" [:;]", outside_code), "a breaking space before : or ;"
    assert "fois son diamètre initial" in fr
    for anglicism in ("compte plus tard", "responders", "répondeurs"):
        assert anglicism not in fr


def test_cli_demo_runs_story_and_forecast(tmp_path):
    from typer.testing import CliRunner

    from oncodyn.cli.main import app

    out = tmp_path / "demo"
    res = CliRunner().invoke(app, ["demo", "--out", str(out), "--patients", "12", "--seed", "1"])
    assert res.exit_code == 0, res.output
    assert "outputs written to" in res.output and str(out.resolve()) in res.output.replace("\n", "")
    for name in (*FIGURES, *TABLES, *TEXTS):
        assert (out / name).exists(), name
    for name in FIGURES:
        assert (out / FRENCH_DIR / name).exists(), name
    for name in ("forecast_comparison.csv", "fits.png", "forecast_comparison.png", "README.md"):
        assert (out / "forecasting" / name).exists(), name
    flat = " ".join(res.output.split())
    assert "LOCF beats every law" in flat  # said next to the synthetic table
    assert "responders" not in flat
    assert "median OS" in flat


def test_too_small_cohort_is_a_config_error(tmp_path):
    from oncodyn.errors import ConfigError

    with pytest.raises(ConfigError, match="n_patients"):
        run_story_demo(tmp_path, n_patients=5)
    assert not any(tmp_path.iterdir())
