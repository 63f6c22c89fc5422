"""What the pages call: uploads -> canonical frames (no user string used as a path), sizes,
errors a page can show, BED/EQD2 sums."""

from __future__ import annotations

import io

import numpy as np
import pytest

from oncodyn.app import services
from oncodyn.errors import ConfigError, DataError


@pytest.fixture(scope="module")
def example():
    return services.example_lesions(n_patients=8, seed=2)


def test_the_bundled_example_is_the_same_for_the_same_seed(example):
    again = services.example_lesions(n_patients=8, seed=2)
    assert example.lesions.equals(again.lesions)
    assert example.key == again.key
    assert example.lesions["subject_id"].nunique() == 8


def test_a_csv_and_a_parquet_upload_give_the_same_lesion_table(example):
    csv = example.lesions.to_csv(index=False).encode()
    buf = io.BytesIO()
    example.lesions.to_parquet(buf, index=False)
    a = services.load_uploads([services.Upload("../../etc/passwd.csv", csv)])
    b = services.load_uploads([services.Upload("x.parquet", buf.getvalue())])
    assert len(a.lesions) == len(b.lesions) == len(example.lesions)
    assert a.source == "passwd.csv"  # the path part of a browser-sent name is never used
    assert a.key != b.key
    ra, rb = services.recist_result(a), services.recist_result(b)
    assert ra.best_response["bor"].tolist() == rb.best_response["bor"].tolist()


def test_a_bad_file_gives_a_data_error_naming_the_users_file_not_the_temp_file():
    bad = b"subject_id,tp,lesion_id,role,day,ld_mm\nA,zero,T1,TARGET,0,12\n"
    with pytest.raises(DataError) as info:
        services.load_uploads([services.Upload("mine.csv", bad)])
    msg = str(info.value)
    assert "mine.csv" in msg and "tmp" not in msg and "oncodyn-app-" not in msg


def test_uploads_above_the_limit_are_refused_with_the_limit_in_the_message():
    big = services.Upload("big.csv", b"x" * (1024 * 1024 + 1))
    with pytest.raises(DataError, match="above the limit of 1 MB"):
        services.load_uploads([big], max_mb=1)


def test_unsupported_types_and_ambiguous_sets_are_refused():
    with pytest.raises(DataError, match="unsupported file type"):
        services.load_uploads([services.Upload("a.xlsx", b"1")])
    with pytest.raises(DataError, match="upload one lesion table"):
        services.load_uploads([services.Upload("a.csv", b"1"), services.Upload("b.csv", b"2")])


def test_radiation_sum_matches_the_linear_quadratic_formula():
    # BED = n d (1 + d/(a/b)); 25 x 1.8 Gy + 4 x 7 Gy at a/b = 10 (Fowler 1989)
    res = services.radiation_summary([{"kind": "fractions", "n": 25, "d": 1.8},
                                      {"kind": "fractions", "n": 4, "d": 7.0}], 10.0)
    bed = 25 * 1.8 * (1 + 1.8 / 10) + 4 * 7 * (1 + 7 / 10)
    assert res["bed_gy"] == pytest.approx(bed, rel=1e-12)
    assert res["eqd2_gy"] == pytest.approx(bed / 1.2, rel=1e-12)
    with pytest.raises(ConfigError):
        services.radiation_summary([{"kind": "fractions", "n": 1, "d": 2}], float("nan"))


def test_continuous_ldr_bed_tends_to_the_acute_value_for_a_very_short_implant():
    # g(mu T) -> 1 as T -> 0 (Dale 1985): BED -> D (1 + D/(a/b)) for the same total dose D
    res = services.radiation_summary([{"kind": "ldr", "rate": 600.0, "hours": 0.01}], 3.0)
    d = 6.0
    assert res["bed_gy"] == pytest.approx(d * (1 + d / 3.0), rel=1e-2)


def test_scenario_settings_round_trip_and_bad_values_name_the_setting():
    s = services.scenario_settings("nsclc_docetaxel")
    sc = services.build_scenario(s)
    assert sc.chemo.dose_mg_m2 == s["dose_mg_m2"]
    with pytest.raises(ConfigError, match="cycle_days"):
        services.build_scenario({**s, "cycle_days": 0})
    res = services.run_scenario({**s, "dose_mg_m2": 60.0}, 30, 4)
    assert res.n == 30 and res.scenario.chemo.dose_mg_m2 == 60.0
    assert np.isfinite(res.summary()["orr"])
