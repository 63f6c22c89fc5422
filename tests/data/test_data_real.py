"""Readers on the real Laleh et al. 2022 files, checked against counts made independently here
with the csv module (and against the figures of shared/data/laleh2022/README-*.md)."""

from __future__ import annotations

import csv
import math
from collections import Counter

import numpy as np
import pytest

from oncodyn.data import CleaningPolicy, read_laleh_s1, read_tumorgrowth_flat, validate_tumour_sizes

S1 = "data/laleh2022/laleh2022_s1_target_lesion_ld.csv"
FLAT = "data/laleh2022/flat_patient_data.csv"
NE = {"NOT EVALUABLE", "NE"}
TSTM = {"TOO SMALL TO MEASURE", "TSTM"}


def _records(path):
    """(line number, row dict) with the csv module; line 1 is the header."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        out = []
        for row in reader:
            out.append((reader.line_num, row))
    return out


@pytest.fixture(scope="module")
def s1_path(shared_file):
    return shared_file(S1)


@pytest.fixture(scope="module")
def s1(s1_path):
    return read_laleh_s1(s1_path)


@pytest.fixture(scope="module")
def s1_expected(s1_path):
    """Independent classification of every S1 record under the default policy."""
    recs = _records(s1_path)
    ne, ts, blank, nodays, dup = [], [], [], [], []
    seen = set()
    kept = []
    for line, r in recs:
        v = " ".join(r["TargetLesionLongDiam_mm"].split()).upper()
        if not r["Treatment_Day"].strip():
            nodays.append(line)
        elif v in NE:
            ne.append(line)
        elif v == "":
            blank.append(line)
        else:
            key = (r["Study_Arm"], r["Patient_Anonmyized"], float(r["Treatment_Day"]))
            if key in seen:
                dup.append(line)
                continue
            seen.add(key)
            if v in TSTM:
                ts.append(line)
            kept.append((line, r))
    return {"records": recs, "ne": ne, "tstm": ts, "blank": blank, "nodays": nodays,
            "dup": dup, "kept": kept}


def test_s1_row_count_matches_file_lines(s1_path, s1, s1_expected):
    # `wc -l` gives 7,726 lines incl. the header; every record is one line
    n_lines = s1_path.read_bytes().count(b"\n")
    assert n_lines == 7726
    assert len(s1_expected["records"]) == n_lines - 1 == 7725
    assert s1.report.rows_read == 7725


def test_s1_counts_equal_independent_counts(s1, s1_expected):
    rep = s1.report
    e = s1_expected
    # independent counts; the literal values are grep counts on the file (studies 1-4; the
    # README's 62/54/7 cover all five studies)
    assert (len(e["ne"]), len(e["tstm"]), len(e["blank"]), len(e["nodays"])) == (50, 51, 7, 0)
    assert rep.dropped_by_reason == {"not_evaluable": len(e["ne"]), "blank_size": len(e["blank"]),
                                     "duplicate_time": len(e["dup"])}
    assert rep.changed_by_reason == {"too_small_to_measure": len(e["tstm"])}
    assert rep.rows_loaded == rep.rows_read - len(e["ne"]) - len(e["blank"]) - len(e["dup"])
    assert rep.rows_read == rep.rows_loaded + rep.rows_dropped
    assert sorted(rep.dropped["source_row"]) == sorted(e["ne"] + e["blank"] + e["dup"])
    assert sorted(rep.changed["source_row"]) == sorted(e["tstm"])
    assert set(rep.changed["new"]) == {5.0}
    assert set(rep.changed["old"]) == {"TOO SMALL TO MEASURE"}
    # coverage: every record loaded or dropped, exactly once
    all_rows = {line for line, _ in e["records"]}
    assert set(s1.source_rows.tolist()) | set(rep.dropped["source_row"]) == all_rows
    assert len(s1.source_rows) + len(rep.dropped) == len(all_rows)


def test_s1_series_and_values(s1, s1_expected):
    table = s1.table
    kept = s1_expected["kept"]
    series = {(r["Study_Arm"].split("_")[1], r["Patient_Anonmyized"]) for _, r in kept}
    assert s1.report.n_series == len(series)
    assert s1.report.n_readings == len(kept)
    # every loaded value equals its raw cell (TSTM -> 5 mm); ids verbatim as text
    raw = dict(kept)
    rows = [raw[line] for line in s1.source_rows.tolist()]
    assert table["study"].tolist() == [r["Study_Arm"].split("_")[1] for r in rows]
    assert table["arm"].tolist() == [r["Study_Arm"].split("_")[3] for r in rows]
    assert table["subject"].tolist() == [r["Patient_Anonmyized"] for r in rows]
    assert table["time"].tolist() == [float(r["Treatment_Day"]) for r in rows]
    assert table["size"].tolist() == [5.0 if r["TargetLesionLongDiam_mm"].upper() in TSTM
                                      else float(r["TargetLesionLongDiam_mm"]) for r in rows]
    assert table["subject"].str.lstrip("-").str.len().max() == 19
    assert set(table["series"]) == {"INV-T001"}
    validate_tumour_sizes(table)  # sorted, unique, typed


def test_s1_reordered_series_counted(s1, s1_expected):
    days: dict = {}
    for _, r in s1_expected["kept"]:
        days.setdefault((r["Study_Arm"], r["Patient_Anonmyized"]), []).append(float(r["Treatment_Day"]))
    unsorted = sum(any(b < a for a, b in zip(d, d[1:], strict=False)) for d in days.values())
    assert s1.report.n_series_reordered == unsorted


def test_s1_policy_variants(s1_path, s1_expected):
    e = s1_expected
    keep_ne = read_laleh_s1(s1_path, policy=CleaningPolicy(not_evaluable="missing", blank="missing"))
    rep = keep_ne.report
    assert rep.rows_loaded == rep.rows_read - len(e["dup"])
    assert rep.n_readings == rep.rows_loaded - len(e["ne"]) - len(e["blank"])
    assert rep.changed_by_reason == {"not_evaluable_missing": len(e["ne"]),
                                     "blank_missing": len(e["blank"]),
                                     "too_small_to_measure": len(e["tstm"])}
    drop_ts = read_laleh_s1(s1_path, policy=CleaningPolicy(too_small="drop"))
    assert drop_ts.report.dropped_by_reason["too_small_dropped"] == len(e["tstm"])
    assert drop_ts.report.changed.empty
    two = read_laleh_s1(s1_path, policy=CleaningPolicy(too_small_mm=2.0))  # jmpost's choice
    assert set(two.report.changed["new"]) == {2.0}


def test_flat_counts_match_readme(shared_file):
    path = shared_file(FLAT)
    res = read_tumorgrowth_flat(path)
    rep = res.report
    recs = _records(path)
    keys = Counter((r["Pt_hashID"], float(r["T_days"])) for _, r in recs)
    n_dup = sum(c - 1 for c in keys.values())
    # README: studies 1-4 here: 7,597 rows, 1,318 series
    assert rep.rows_read == len(recs) == 7597
    assert rep.n_series == 1318
    # same-day duplicates are the only drops (4 pairs in this file: see CleaningPolicy.duplicates)
    assert rep.dropped_by_reason == {"duplicate_time": n_dup}
    assert rep.rows_loaded == 7597 - n_dup
    assert rep.changed.empty
    # README: one series has days out of file order (42 then 37)
    assert rep.n_series_reordered == 1
    # with duplicates averaged nothing changes: every duplicate pair has identical diameters
    mean = read_tumorgrowth_flat(path, policy=CleaningPolicy(duplicates="mean")).report
    assert mean.dropped_by_reason == {"duplicate_time_merged": n_dup} and mean.changed.empty


def test_flat_covariates_follow_readme_formulas(shared_file):
    t = read_tumorgrowth_flat(shared_file(FLAT)).table
    assert list(t.columns) == ["study", "arm", "subject", "series", "time", "size", "t_weeks",
                               "volume", "normvol", "response", "readings"]
    # T_weeks = ceil(T_days/7), values <= 0 replaced by 0.1 (README, Laleh Correct_Time_Vector)
    weeks = np.array([math.ceil(d / 7) if math.ceil(d / 7) > 0 else 0.1 for d in t["time"]])
    np.testing.assert_array_equal(t["t_weeks"].to_numpy(), weeks)
    # Lesion_vol = 0.52 d^3, stored with <= 2 decimals -> abs tol 0.005 (+ float rounding)
    np.testing.assert_allclose(t["volume"], 0.52 * t["size"] ** 3, rtol=0, atol=0.005 + 1e-9)
    # Lesion_normvol = d^3/228^3, stored with 15 significant digits -> rtol 1e-13
    np.testing.assert_allclose(t["normvol"], t["size"] ** 3 / 228.0**3, rtol=1e-13, atol=0)
    assert set(t["response"]) == {"up", "down", "flux"}
    assert t["readings"].min() >= 3


def test_flat_equals_s1_cleaned_the_tumorgrowth_way(s1_path, shared_file):
    """TumorGrowth.jl = S1 minus NE/TSTM/blank rows, series with >= 3 readings (README)."""
    s1 = read_laleh_s1(s1_path, policy=CleaningPolicy(too_small="drop")).table
    n = s1.groupby(["study", "subject"])["time"].transform("size")
    s1 = s1[n >= 3]
    flat = read_tumorgrowth_flat(shared_file(FLAT)).table
    cols = ["study", "arm", "time", "size"]
    assert Counter(map(tuple, s1[cols].to_numpy().tolist())) == \
        Counter(map(tuple, flat[cols].to_numpy().tolist()))
