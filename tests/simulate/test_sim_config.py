"""Bad scenario files give a ConfigError naming the key and the allowed values."""

from __future__ import annotations

import pytest

from oncodyn.errors import ConfigError
from oncodyn.scenarios import load_scenario


def _write(tmp_path, text):
    p = tmp_path / "s.toml"
    p.write_text(text)
    return p


def test_bad_choice_names_key_and_allowed(tmp_path):
    p = _write(tmp_path, '[policy]\nkind = "sometimes"\n')
    with pytest.raises(ConfigError) as e:
        load_scenario(p)
    msg = str(e.value)
    assert "policy.kind" in msg and "'adaptive'" in msg and "'switch_at_pd'" in msg and str(p) in msg


def test_unknown_key_lists_allowed_keys(tmp_path):
    p = _write(tmp_path, '[chemo]\ndose = 75\n')
    with pytest.raises(ConfigError) as e:
        load_scenario(p)
    assert "chemo.dose" in str(e.value) and "dose_mg_m2" in str(e.value)


def test_out_of_range_and_bad_toml(tmp_path):
    with pytest.raises(ConfigError, match="response.resistant_fraction"):
        load_scenario(_write(tmp_path, "[response]\nresistant_fraction = 1.5\n"))
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_scenario(_write(tmp_path, "[response\n"))
    with pytest.raises(ConfigError, match="radiation target 'kidney' not allowed; allowed: primary"):
        load_scenario(_write(tmp_path, '[[radiation]]\ntarget = "kidney"\n'))


@pytest.mark.parametrize("drug", ["pemetrexed", "unobtainium"])
def test_drug_without_parameter_table_is_refused_listing_supported(tmp_path, drug):
    with pytest.raises(ConfigError) as e:
        load_scenario(_write(tmp_path, f'[chemo]\ndrug = "{drug}"\n'))
    msg = str(e.value)
    assert "chemo.drug" in msg and "supported drugs: docetaxel" in msg
    assert f"'{drug}_illustrative'" in msg  # says how to run it with one's own values


def test_illustrative_drug_cannot_borrow_docetaxel_pk(tmp_path):
    load_scenario(_write(tmp_path, '[chemo]\ndrug = "pemetrexed_illustrative"\n'))
    with pytest.raises(ConfigError, match="docetaxel's PK model"):
        load_scenario(_write(tmp_path, '[chemo]\ndrug = "x_illustrative"\npk = "docetaxel_3cpt"\n'))


@pytest.mark.parametrize("text, key", [
    ("[growth]\nrate_per_day = inf\n", "growth.rate_per_day"),
    ("[growth]\nrate_per_day = nan\n", "growth.rate_per_day"),
    ("[growth]\nrate_per_day = 7.0\n", "growth.rate_per_day"),       # per week as per day
    ("[chemo]\ndose_mg_m2 = 1e12\n", "chemo.dose_mg_m2"),
    ("[chemo]\ndose_mg_m2 = inf\n", "chemo.dose_mg_m2"),
    ("[second_line]\ndose_mg_m2 = 1e12\n", "second_line.dose_mg_m2"),
    ("[imaging]\nmeasurement_cv = inf\n", "imaging.measurement_cv"),
])
def test_non_finite_or_absurd_numbers_are_refused(tmp_path, text, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_scenario(_write(tmp_path, text))


def test_radiation_accepts_one_lesion_by_id(tmp_path):
    sc = load_scenario(_write(tmp_path, '[[radiation]]\ntarget = "L2"\n'))
    assert sc.radiation[0].target == "L2"
    with pytest.raises(ConfigError, match=r"lesion ids run L1\.\.L6"):
        load_scenario(_write(tmp_path, '[[radiation]]\ntarget = "L7"\n'))
    with pytest.raises(ConfigError, match="a lesion id L1..L6"):
        load_scenario(_write(tmp_path, '[[radiation]]\ntarget = "L0"\n'))


@pytest.mark.parametrize("text", ['[chemo]\ndrug = "pemetrexed"\n', "[growth]\nrate_per_day = inf\n",
                                  "[chemo]\ndose_mg_m2 = 1e12\n"])
def test_cli_refuses_bad_scenario_in_one_line_before_work(tmp_path, capsys, monkeypatch, text):
    import sys

    from oncodyn.cli.main import run

    p = _write(tmp_path, text)
    monkeypatch.setattr(sys, "argv", ["oncodyn", "simulate", str(p), "--out", str(tmp_path / "o"),
                                      "--no-plots"])
    with pytest.raises(SystemExit) as e:
        run()
    err = capsys.readouterr().err
    assert e.value.code == 2 and len(err.strip().splitlines()) == 1 and str(p) in err
    assert not (tmp_path / "o").exists()
