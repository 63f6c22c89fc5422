"""Writers: CSV/Parquet round trips through the readers, and atomic writes."""

from __future__ import annotations

import pandas as pd
import pandas.testing as pdt
import pytest

from oncodyn.data import read_laleh_s1, read_tumour_sizes, write_tumour_sizes
from oncodyn.errors import DataError


@pytest.fixture(scope="module")
def s1_table(shared_file):
    return read_laleh_s1(shared_file("data/laleh2022/laleh2022_s1_target_lesion_ld.csv")).table


def small():
    return pd.DataFrame({"study": ["1", "1", None], "arm": ["2", "2", None],
                         "subject": ["007", "007", "-1234567890123456789"],
                         "series": ["T1", "T1", "T1"], "time": [-3.0, 41.5, 0.0],
                         "size": [12.25, 0.1 + 0.2, 0.0], "note": ["x", "y", "z"],
                         "dose": [1.5, 2.0, 3.25]})


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_round_trip_small(tmp_path, suffix):
    df = small()
    path = write_tumour_sizes(df, tmp_path / f"out{suffix}")
    back = read_tumour_sizes(path)
    assert back.report.rows_read == back.report.rows_loaded == 3
    # exact equality: CSV floats are written with round-trip precision (0.1 + 0.2 survives)
    expected = df.assign(study=df["study"].astype("str"), arm=df["arm"].astype("str"))
    pdt.assert_frame_equal(back.table, expected, check_dtype=False)
    assert back.table["size"].iloc[1] == 0.1 + 0.2


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_round_trip_real_s1(tmp_path, s1_table, suffix):
    path = write_tumour_sizes(s1_table, tmp_path / f"s1{suffix}")
    back = read_tumour_sizes(path)
    assert back.report.rows_dropped == 0 and back.report.changed.empty
    pdt.assert_frame_equal(back.table, s1_table)


def test_invalid_table_writes_nothing_and_keeps_old_file(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old content\n")
    bad = small().assign(time=[5.0, 0.0, 0.0])  # unsorted series
    with pytest.raises(DataError, match="row 1"):
        write_tumour_sizes(bad, target)
    assert target.read_text() == "old content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_failure_during_write_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "out.parquet"

    def boom(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", boom)
    with pytest.raises(DataError, match="No space left"):
        write_tumour_sizes(small(), target)
    assert list(tmp_path.iterdir()) == []


def test_writer_errors(tmp_path):
    with pytest.raises(DataError, match="folder does not exist"):
        write_tumour_sizes(small(), tmp_path / "missing" / "out.csv")
    with pytest.raises(DataError, match="suffix"):
        write_tumour_sizes(small(), tmp_path / "out.xlsx")
