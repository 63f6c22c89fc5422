"""Canonical lesion table: CSV/Parquet round trip, validation errors naming file/row/column."""

from __future__ import annotations

import pandas as pd
import pytest

from oncodyn.data.lesions import (
    read_assessments,
    read_lesions,
    read_subjects,
    validate_lesions,
    write_lesions,
    write_table,
)
from oncodyn.errors import DataError


def _table() -> pd.DataFrame:
    return pd.DataFrame({
        "subject_id": ["S1", "S1", "S1", "S1", "S1", "S1", "S1"],
        "tp": [0, 0, 0, 1, 1, 1, 1],
        "date": ["2024-01-02", "2024-01-02", "2024-01-02", "2024-02-13", "2024-02-13",
                 "2024-02-13", "2024-02-13"],
        "lesion_id": ["T1", "N1", "NT1", "T1", "N1", "NT1", "NEW1"],
        "role": ["target", "TARGET", "non-target", "TARGET", "TARGET", "NON_TARGET", "new"],
        "organ": ["liver", "lymph node", "bone", "liver", "lymph node", "bone", "brain"],
        "nodal": [False, "yes", None, "0", "Y", None, None],
        "method": ["CT", "ct scan", None, "CT", "CT", None, "MRI"],
        "slice_mm": [5, 5, None, 5, 5, None, None],
        "ld_mm": [23.1, 25.0, None, None, 22.0, None, None],
        "sa_mm": [None, 16.5, None, None, 9.5, None, None],
        "state": [None, None, "present", "too small to measure", None, "PRESENT", "unequivocal"],
    })


def test_validate_normalises_codes_and_types():
    v = validate_lesions(_table())
    assert v["role"].tolist() == ["TARGET", "TARGET", "NON-TARGET", "TARGET", "TARGET",
                                  "NON-TARGET", "NEW"]
    assert v["nodal"].tolist() == [False, True, False, False, True, False, False]
    assert v["method"].tolist()[:2] == ["CT", "CT"]
    assert v.loc[3, "state"] == "TOO_SMALL_TO_MEASURE"
    assert str(v["tp"].dtype) == "Int64"
    assert pd.api.types.is_datetime64_any_dtype(v["date"])
    assert len(v) == len(_table())  # no row dropped


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_round_trip(tmp_path, suffix):
    v = validate_lesions(_table())
    path = write_lesions(_table(), tmp_path / f"lesions{suffix}")
    back = read_lesions(path)
    pd.testing.assert_frame_equal(back, v)
    # exact decimal sizes survive CSV text (23.1 mm stays 23.1, R0.3 needs exact tenths)
    assert back.loc[0, "ld_mm"] == 23.1


def test_extra_columns_kept(tmp_path):
    t = _table().assign(reader="R1")
    back = read_lesions(write_table(t, tmp_path / "x.csv"))
    assert back["reader"].tolist() == ["R1"] * len(t)


@pytest.mark.parametrize(("column", "value", "row", "fragment"), [
    ("ld_mm", -1.0, 3, "negative"),
    ("ld_mm", "abc", 2, "not a number"),
    ("tp", 1.5, 4, "not an integer"),
    ("tp", -1, 1, ">= 0"),
    ("role", "TARGETT", 5, "unknown role"),
    ("state", "GONE", 6, "unknown state"),
    ("date", "2024-13-45", 7, "ISO 8601"),
    ("nodal", "maybe", 2, "boolean"),
    ("subject_id", None, 3, "empty value"),
])
def test_bad_cell_names_file_row_column(tmp_path, column, value, row, fragment):
    t = _table().astype({column: object})
    t.loc[row - 1, column] = value
    p = tmp_path / "bad.csv"
    t.to_csv(p, index=False)
    with pytest.raises(DataError) as info:
        read_lesions(p)
    err = info.value
    assert (err.file, err.row, err.column) == (str(p), row, column)
    assert fragment in str(err)
    assert str(p) in str(err) and f"row {row}" in str(err)


def test_missing_column_and_duplicates(tmp_path):
    with pytest.raises(DataError) as info:
        validate_lesions(_table().drop(columns="role"), file="f.csv")
    assert info.value.column == "role" and info.value.file == "f.csv"
    dup = pd.concat([_table(), _table().iloc[[4]]], ignore_index=True)
    with pytest.raises(DataError) as info:
        validate_lesions(dup)
    assert info.value.row == 8 and "duplicate" in str(info.value)


def test_role_change_and_coalesced_without_into():
    t = _table()
    t.loc[3, "role"] = "NON-TARGET"
    with pytest.raises(DataError, match="changes role") as info:
        validate_lesions(t)
    assert info.value.row == 4
    t = _table()
    t.loc[3, "state"] = "COALESCED"
    with pytest.raises(DataError, match="into") as info:
        validate_lesions(t)
    assert (info.value.row, info.value.column) == (4, "into")


def test_date_or_day_required():
    t = _table().drop(columns="date")
    with pytest.raises(DataError, match="date"):
        validate_lesions(t)
    t["day"] = [1, 1, 1, 43, 43, 43, None]
    with pytest.raises(DataError) as info:
        validate_lesions(t)
    assert info.value.row == 7


def test_companion_tables(tmp_path):
    pd.DataFrame({"subject_id": ["S1", "S1"], "tp": [0, 1], "date": ["2024-01-02", None],
                  "performed": ["yes", "no"], "day": [None, 43]}).to_csv(tmp_path / "a.csv",
                                                                          index=False)
    a = read_assessments(tmp_path / "a.csv")
    assert a["performed"].tolist() == [True, False]
    pd.DataFrame({"subject_id": ["S1"], "reference_date": ["2024-01-01"],
                  "death_date": ["2024-5-01"]}).to_csv(tmp_path / "s.csv", index=False)
    with pytest.raises(DataError) as info:
        read_subjects(tmp_path / "s.csv")
    assert (info.value.row, info.value.column) == (1, "death_date")


def test_unreadable_files(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match="empty"):
        read_lesions(tmp_path / "empty.csv")
    (tmp_path / "x.xlsx").write_text("a")
    with pytest.raises(DataError, match="unknown table format"):
        read_lesions(tmp_path / "x.xlsx")
    with pytest.raises(FileNotFoundError):
        read_lesions(tmp_path / "missing.csv")


def test_failed_write_leaves_nothing(tmp_path):
    bad = _table()
    bad.loc[0, "ld_mm"] = -5
    with pytest.raises(DataError):
        write_lesions(bad, tmp_path / "out.csv")
    assert list(tmp_path.iterdir()) == []
