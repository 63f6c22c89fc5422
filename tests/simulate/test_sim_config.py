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
