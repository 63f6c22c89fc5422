"""Cleaning-policy variants and the generic reader on small hand-made files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oncodyn.data import (
    REASONS,
    TUMOUR_SIZE_COLUMNS,
    CleaningPolicy,
    read_tumour_sizes,
    validate_tumour_sizes,
)
from oncodyn.errors import ConfigError, DataError

HEADER = "subject,series,time,size\n"


def write(tmp_path, body, header=HEADER, name="t.csv"):
    p = tmp_path / name
    p.write_text(header + body, encoding="utf-8")
    return p


def check_accounting(res):
    rep = res.report
    assert rep.rows_read == rep.rows_loaded + rep.rows_dropped
    assert not set(res.source_rows.tolist()) & set(rep.dropped["source_row"])
    assert set(rep.dropped["reason"]) <= set(REASONS) and set(rep.changed["reason"]) <= set(REASONS)


def drops(res):
    return dict(zip(res.report.dropped["source_row"], res.report.dropped["reason"], strict=True))


def test_default_policy_on_each_kind_of_value(tmp_path):
    body = ("a,L1,0,10\n"                      # row 2 kept
            "a,L1,7,NOT EVALUABLE\n"           # 3 dropped
            "a,L1,14,ne\n"                     # 4 dropped (case-insensitive)
            "a,L1,21,too small  to measure\n"  # 5 -> 5 mm
            "a,L1,28,\n"                       # 6 blank
            "a,L1,35,-1\n"                     # 7 negative
            "a,L1,42,500\n"                    # 8 kept (bound inclusive)
            "a,L1,49,500.5\n"                  # 9 absurd
            "a,L1,56,0\n"                      # 10 zero kept
            "a,L1,,12\n"                       # 11 missing time
            "a,L1,x,12\n"                      # 12 bad time
            "a,L1,63,12mm\n"                   # 13 unparseable
            "a,L1,70,nan\n"                    # 14 non-finite
            ",L1,77,12\n"                      # 15 missing subject
            "a,,84,12\n"                       # 16 missing series
            "a,L1,91,inf\n")                   # 17 non-finite
    res = read_tumour_sizes(write(tmp_path, body))
    check_accounting(res)
    assert drops(res) == {3: "not_evaluable", 4: "not_evaluable", 6: "blank_size",
                          7: "negative_size", 9: "absurd_size", 11: "missing_time",
                          12: "bad_time", 13: "unparseable_size", 14: "non_finite_size",
                          15: "missing_subject", 16: "missing_series", 17: "non_finite_size"}
    assert res.source_rows.tolist() == [2, 5, 8, 10]
    assert res.table["size"].tolist() == [10.0, 5.0, 500.0, 0.0]
    ch = res.report.changed
    assert ch.to_dict("records") == [{"source_row": 5, "column": "size", "old": "too small  to measure",
                                      "new": 5.0, "reason": "too_small_to_measure"}]
    assert list(res.table.columns) == list(TUMOUR_SIZE_COLUMNS)
    assert res.table["study"].isna().all()


@pytest.mark.parametrize(("policy", "sizes", "reasons"), [
    (CleaningPolicy(not_evaluable="missing"), [10.0, np.nan, 5.0], {"not_evaluable_missing", "too_small_to_measure"}),
    (CleaningPolicy(too_small="drop"), [10.0], set()),
    (CleaningPolicy(too_small_mm=2.5), [10.0, 2.5], {"too_small_to_measure"}),
    (CleaningPolicy(blank="missing"), [10.0, 5.0, np.nan], {"blank_missing", "too_small_to_measure"}),
])
def test_policy_variants_for_codes(tmp_path, policy, sizes, reasons):
    res = read_tumour_sizes(write(tmp_path, "a,L,0,10\na,L,1,NE\na,L,2,TSTM\na,L,3,\n"), policy=policy)
    check_accounting(res)
    np.testing.assert_array_equal(res.table["size"].to_numpy(), sizes)
    assert set(res.report.changed_by_reason) == reasons
    assert res.report.n_readings == int(np.isfinite(sizes).sum())


def test_zero_and_max_size(tmp_path):
    p = write(tmp_path, "a,L,0,0\na,L,1,30\na,L,2,31\n")
    assert drops(read_tumour_sizes(p, policy=CleaningPolicy(zero="drop"))) == {2: "zero_dropped"}
    assert drops(read_tumour_sizes(p, policy=CleaningPolicy(max_size_mm=30))) == {4: "absurd_size"}
    with pytest.raises(DataError, match=r"row 4.*'size'"):
        read_tumour_sizes(p, policy=CleaningPolicy(max_size_mm=30, absurd="error"))
    with pytest.raises(DataError, match=r"row 2.*'size'"):
        read_tumour_sizes(write(tmp_path, "a,L,0,-3\n"), policy=CleaningPolicy(negative="error"))


def test_duplicates_first_mean_error(tmp_path):
    p = write(tmp_path, "a,L,0,10\na,L,5,20\na,L,0,14\nb,L,0,1\n")
    first = read_tumour_sizes(p)
    check_accounting(first)
    assert drops(first) == {4: "duplicate_time"}
    assert "source row 2" in first.report.dropped["detail"].iloc[0]
    assert first.table["size"].tolist() == [10.0, 20.0, 1.0]
    mean = read_tumour_sizes(p, policy=CleaningPolicy(duplicates="mean"))
    check_accounting(mean)
    assert drops(mean) == {4: "duplicate_time_merged"}
    assert mean.table["size"].tolist() == [12.0, 20.0, 1.0]  # (10 + 14) / 2
    assert mean.report.changed[["source_row", "old", "new", "reason"]].values.tolist() == \
        [[2, "10", 12.0, "duplicate_time_mean"]]
    with pytest.raises(DataError, match=r"row 4.*'time'.*same series and time as row 2"):
        read_tumour_sizes(p, policy=CleaningPolicy(duplicates="error"))


def test_unsorted_series_sorted_and_counted(tmp_path):
    p = write(tmp_path, "b,L,10,1\nb,L,0,2\na,L,5,3\na,L,0,4\na,M,0,5\nb,L,20,6\n")
    res = read_tumour_sizes(p)
    assert res.report.n_series_reordered == 2
    assert res.table[["subject", "series", "time"]].values.tolist() == [
        ["a", "L", 0.0, ], ["a", "L", 5.0], ["a", "M", 0.0], ["b", "L", 0.0], ["b", "L", 10.0],
        ["b", "L", 20.0]]
    assert res.source_rows.tolist() == [5, 4, 6, 3, 2, 7]
    with pytest.raises(DataError, match=r"row 3.*'time'"):
        read_tumour_sizes(p, policy=CleaningPolicy(unsorted="error"))


def test_units_column_and_file_level(tmp_path):
    p = write(tmp_path, "a,L,0,1.5,cm\na,L,1,15,MM\na,L,2,2,in\na,L,3,4,\n",
              header="subject,series,time,size,unit\n")
    res = read_tumour_sizes(p)
    check_accounting(res)
    assert drops(res) == {4: "unknown_unit"}
    assert res.table["size"].tolist() == [15.0, 15.0, 4.0]
    assert res.report.changed_by_reason == {"unit_cm_to_mm": 1}
    assert any("blank units" in n for n in res.report.notes)
    cm = read_tumour_sizes(write(tmp_path, "a,L,0,1.2\na,L,1,NE\n"), size_unit="cm",
                           time_unit="week")
    assert cm.table["size"].tolist() == [12.0]
    assert cm.report.changed_by_reason == {"unit_cm_to_mm": 1}
    wk = read_tumour_sizes(write(tmp_path, "a,L,2,1\n"), time_unit="week")
    assert wk.table["time"].tolist() == [14.0]
    assert any("weeks to days" in n for n in wk.report.notes)


def test_mapping_covariates_optional_columns(tmp_path):
    p = write(tmp_path, " 0001 ,S1,A,-3,12,x,1\n0001,S1,A,40,10,y,2\n",
              header="Patient,Study,Arm,Day,LD_mm,note,visit\n")
    res = read_tumour_sizes(p, columns={"subject": "Patient", "study": "Study", "arm": "Arm",
                                        "time": "Day", "size": "LD_mm"})
    check_accounting(res)
    t = res.table
    assert list(t.columns) == list(TUMOUR_SIZE_COLUMNS) + ["note", "visit"]
    assert t["subject"].tolist() == ["0001", "0001"]  # text, leading zeros kept
    assert t["series"].tolist() == ["1", "1"]
    assert t["visit"].dtype == np.int64 and t["note"].tolist() == ["x", "y"]
    assert res.report.changed_by_reason == {"whitespace_stripped": 1}
    only = read_tumour_sizes(p, columns={"subject": "Patient", "time": "Day", "size": "LD_mm"},
                             covariates={"v": "visit"})
    assert list(only.table.columns) == list(TUMOUR_SIZE_COLUMNS) + ["v"]


def test_malformed_rows_and_blank_lines(tmp_path):
    p = write(tmp_path, "a,L,0,1\na,L,1,2,extra\n\na,L\na,L,3,4\n")
    res = read_tumour_sizes(p)
    check_accounting(res)
    assert drops(res) == {3: "malformed_row", 5: "malformed_row"}
    assert res.source_rows.tolist() == [2, 6]
    assert res.report.rows_read == 4


@pytest.mark.parametrize(("content", "pattern"), [
    ("", r"file is empty"),
    ("subject,time\na,1\n", r"column 'size'"),
    ("subject,time,size,size\n", r"duplicate column"),
    ('subject,time,size\n"a,1,2\n', r"CSV syntax error|column"),
])
def test_bad_files_raise_dataerror_naming_file(tmp_path, content, pattern):
    p = tmp_path / "bad.csv"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=pattern) as info:
        read_tumour_sizes(p)
    assert str(p) in str(info.value)


def test_other_file_errors(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_tumour_sizes(tmp_path / "none.csv")
    with pytest.raises(DataError, match="suffix"):
        read_tumour_sizes(write(tmp_path, "a,L,0,1\n", name="t.xls"))
    bin_ = tmp_path / "b.csv"
    bin_.write_bytes(b"subject,time,size\n\xff\xfe\x00")
    with pytest.raises(DataError, match=r"row 2.*UTF-8|not UTF-8"):
        read_tumour_sizes(bin_)
    pq = tmp_path / "junk.parquet"
    pq.write_bytes(b"not parquet")
    with pytest.raises(DataError, match="Parquet"):
        read_tumour_sizes(pq)
    with pytest.raises(DataError, match="missing_time|blank"):
        read_tumour_sizes(write(tmp_path, "a,L,,1\n"), policy=CleaningPolicy(missing_time="error"))
    with pytest.raises(ConfigError):
        read_tumour_sizes(write(tmp_path, "a,L,0,1\n"), columns={"diameter": "size"})
    with pytest.raises(ConfigError):
        read_tumour_sizes(write(tmp_path, "a,L,0,1\n"), size_unit="inch")


def test_header_only_gives_empty_table(tmp_path):
    res = read_tumour_sizes(write(tmp_path, ""))
    assert res.report.rows_read == res.report.rows_loaded == 0 and res.report.n_series == 0
    assert list(res.table.columns) == list(TUMOUR_SIZE_COLUMNS)


@pytest.mark.parametrize("kwargs", [
    {"duplicates": "last"}, {"too_small_mm": -1}, {"max_size_mm": 0}, {"max_size_mm": float("nan")},
    {"not_evaluable_tokens": ("NE",), "too_small_tokens": ("ne",)}, {"zero": True},
])
def test_bad_policy_is_config_error(kwargs):
    with pytest.raises(ConfigError):
        CleaningPolicy(**kwargs)


def test_policy_to_dict_is_plain():
    d = CleaningPolicy().to_dict()
    assert d["too_small_mm"] == 5.0 and d["max_size_mm"] == 500.0 and d["duplicates"] == "first"
    assert d["not_evaluable_tokens"] == ["NOT EVALUABLE", "NE"]


def _good():
    return pd.DataFrame({"study": ["1", "1", None], "arm": ["1", "1", None], "subject": ["p", "p", "q"],
                         "series": ["L", "L", "L"], "time": [0, 7, 0], "size": [10, 8.5, np.nan],
                         "age": [60, 60, 70]})


def test_validate_accepts_and_normalises():
    out = validate_tumour_sizes(_good())
    assert out["time"].dtype == np.float64 and out["size"].dtype == np.float64
    assert str(out["subject"].dtype) == "str" and out["study"].isna().tolist() == [False, False, True]
    assert list(out.columns) == list(TUMOUR_SIZE_COLUMNS) + ["age"]
    no_study = validate_tumour_sizes(_good().drop(columns=["study", "arm"]).iloc[[0, 1]])
    assert no_study["study"].isna().all()


@pytest.mark.parametrize(("mutate", "row", "column"), [
    (lambda d: d.assign(time=[0, np.nan, 0]), 1, "time"),
    (lambda d: d.assign(time=[0, np.inf, 0]), 1, "time"),
    (lambda d: d.assign(size=[10, -1, 3]), 1, "size"),
    (lambda d: d.assign(size=["10", "x", "3"]), 1, "size"),
    (lambda d: d.assign(time=[True, False, True]), 0, "time"),
    (lambda d: d.assign(subject=["p", None, "q"]), 1, "subject"),
    (lambda d: d.assign(series=["L", " ", "L"]), 1, "series"),
    (lambda d: d.assign(time=[0, 0, 0]), 1, "time"),       # duplicate
    (lambda d: d.assign(time=[7, 0, 0]), 1, "time"),       # unsorted
    (lambda d: d.drop(columns=["size"]), None, "size"),
])
def test_validate_rejects_naming_row_and_column(mutate, row, column):
    with pytest.raises(DataError) as info:
        validate_tumour_sizes(mutate(_good()), file="x.csv")
    err = info.value
    assert (err.row, err.column, err.file) == (row, column, "x.csv")
