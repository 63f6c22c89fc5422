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


def test_an_sdtm_tu_tr_pair_upload_is_read_as_sdtm(sdtm_pair):
    tu, tr = sdtm_pair
    up = [services.Upload("tu.csv", tu.to_csv(index=False).encode()),
          services.Upload("TR.csv", tr.to_csv(index=False).encode())]
    data = services.load_uploads(up)
    assert data.format == "sdtm"
    res = services.recist_result(data)
    # 50 -> 25 mm is -50 %: partial response (unconfirmed BOR without a later scan)
    assert res.timepoints["overall"].tolist() == ["PR"]
    assert res.timepoints["sod_mm"].tolist() == [25.0]


def test_uploads_leave_no_file_behind_whether_they_are_read_or_refused(tmp_path, monkeypatch,
                                                                       example):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    good = example.lesions.to_csv(index=False).encode()
    services.load_uploads([services.Upload("ok.csv", good)])
    with pytest.raises(DataError):
        services.load_uploads([services.Upload("bad.csv", b"subject_id\nA\n")])
    assert list(tmp_path.iterdir()) == []


def test_garbage_bytes_named_parquet_or_csv_are_a_data_error_naming_the_file():
    for name, payload in (("x.parquet", b"\x00\x01not parquet"),
                          ("y.csv", b"\xff\xfe\x00garbage\x00\x00")):
        with pytest.raises(DataError, match=name.split(".")[0]):
            services.load_uploads([services.Upload(name, payload)])


def test_browser_sent_names_are_shown_sanitised_and_never_used_as_paths(tmp_path, monkeypatch,
                                                                      example):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "t"))
    (tmp_path / "t").mkdir()
    csv = example.lesions.to_csv(index=False).encode()
    data = services.load_uploads([services.Upload("..\\..\\<script>x</script>.csv", csv)])
    assert "<" not in data.source and "/" not in data.source and "\\" not in data.source
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t"]  # nothing written outside


def test_reading_and_evaluating_an_upload_logs_no_patient_data(caplog, capfd, example):
    import logging

    les = example.lesions.assign(subject_id="PATIENT-SECRET-" + example.lesions["subject_id"])
    with caplog.at_level(logging.DEBUG):
        data = services.load_uploads([services.Upload("l.csv", les.to_csv(index=False).encode())])
        services.recist_result(data)
    out, err = capfd.readouterr()
    assert "PATIENT-SECRET" not in caplog.text + out + err


def test_the_report_download_is_the_case_report_in_the_chosen_language(example):
    res = services.recist_result(example)
    sid = res.best_response["subject_id"].iloc[0]
    html = services.case_report_maker(res, sid, "fr", None, "html")()
    page = html.decode("utf-8")
    assert f"Compte rendu\u00a0: patient {sid}" in page and "lang='fr'" in page
    assert "Logiciel de recherche" in page
    pdf = services.case_report_bytes(res, sid, "en", None, "pdf")
    assert pdf[:5] == b"%PDF-"
    with pytest.raises(ConfigError):
        services.case_report_bytes(res, sid, "en", None, "docx")


def test_radiation_schedules_are_written_in_the_pages_language():
    courses = [{"kind": "fractions", "n": 25, "d": 1.8}, {"kind": "ldr", "rate": 0.55, "hours": 60}]
    en = services.radiation_summary(courses, 10.0, "en")
    fr = services.radiation_summary(courses, 10.0, "fr")
    assert [c["schedule"] for c in en["courses"]] == ["25 × 1.8\u00a0Gy",
                                                      "0.55\u00a0Gy/h × 60\u00a0h"]
    assert [c["schedule"] for c in fr["courses"]] == ["25 × 1,8\u00a0Gy",
                                                      "0,55\u00a0Gy/h × 60\u00a0h"]
    assert fr["bed_gy"] == en["bed_gy"]
