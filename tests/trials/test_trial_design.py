"""TRIAL.toml validation: clear errors naming the file and the key; examples load by name."""

from __future__ import annotations

import pytest

from oncodyn.errors import ConfigError
from oncodyn.trials.design import arm_scenario, list_examples, load_design

GOOD = """
name = "t"
n_patients = 100
control = "ctl"
[arms.ctl]
scenario = "nsclc_docetaxel"
untreated = true
[arms.exp]
scenario = "nsclc_docetaxel"
ratio = 2
[arms.exp.overrides.chemo]
dose_mg_m2 = 60.0
"""


def _write(tmp_path, text):
    p = tmp_path / "TRIAL.toml"
    p.write_text(text)
    return p


def test_design_arms_sizes_and_overrides(tmp_path):
    d = load_design(_write(tmp_path, GOOD))
    assert (d.control, d.experimental) == ("ctl", "exp")
    assert d.arm_sizes() == (33, 67)  # 1:2 of 100, control rounded to the nearest integer
    assert arm_scenario(d, "ctl").chemo is None
    assert arm_scenario(d, "exp").chemo.dose_mg_m2 == 60.0


@pytest.mark.parametrize(("change", "key"), [
    (("ratio = 2", "ratio = 2\ncolour = 1"), "arms.exp.colour"),
    (('control = "ctl"', 'control = "nope"'), "control"),
    (("n_patients = 100", "n_patients = 1"), "n_patients"),
    (("dose_mg_m2 = 60.0", "dose = 60.0"), "arms.exp.overrides.chemo.dose"),
    (("dose_mg_m2 = 60.0", "dose_mg_m2 = -1.0"), "chemo.dose_mg_m2"),
    (('scenario = "nsclc_docetaxel"\nuntreated', 'scenario = "no_such_preset"\nuntreated'),
     "arms.ctl.scenario"),
    (('name = "t"', 'name = "t"\nprimary = "os"\nendpoints = ["pfs"]'), "primary"),
])
def test_bad_design_names_file_and_key(tmp_path, change, key):
    old, new = change
    assert old in GOOD
    p = _write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ConfigError) as exc:
        d = load_design(p)
        for arm in d.arms:
            arm_scenario(d, arm, source=str(p))
    msg = str(exc.value)
    assert str(p) in msg and key in msg, msg


def test_three_arms_and_bad_toml_are_refused(tmp_path):
    three = GOOD + '[arms.third]\nscenario = "nsclc_docetaxel"\n'
    with pytest.raises(ConfigError, match="exactly 2 arms"):
        load_design(_write(tmp_path, three))
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_design(_write(tmp_path, "name = "))
    with pytest.raises(ConfigError, match="not found"):
        load_design(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="unknown trial example"):
        load_design("no_such_example")


def test_examples_load_by_name_and_compare_docetaxel_with_control_and_reduced_dose():
    names = list_examples()
    assert {"docetaxel_vs_control", "docetaxel_vs_reduced_dose"} <= set(names)
    ctl = load_design("docetaxel_vs_control")
    assert arm_scenario(ctl, ctl.control).chemo is None
    assert arm_scenario(ctl, ctl.experimental).chemo.dose_mg_m2 == 75.0
    red = load_design("docetaxel_vs_reduced_dose")
    assert arm_scenario(red, red.control).chemo.dose_mg_m2 == 60.0
    assert arm_scenario(red, red.experimental).chemo.dose_mg_m2 == 75.0


def test_relative_scenario_path_is_read_from_the_trial_folder(tmp_path):
    from oncodyn.scenarios import scenario_text

    (tmp_path / "mine.toml").write_text(scenario_text("nsclc_docetaxel"))
    p = _write(tmp_path, GOOD.replace('scenario = "nsclc_docetaxel"\nratio', 'scenario = "mine.toml"\nratio'))
    d = load_design(p)
    assert arm_scenario(d, "exp").chemo.dose_mg_m2 == 60.0
