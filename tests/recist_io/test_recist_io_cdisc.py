"""SDTM TU/TR -> canonical -> evaluate -> SDTM RS / ADaM ADRS / ADTTE (hand-made study in
conftest.py; the expected codes are worked out by hand from RECIST 1.1 there)."""

from __future__ import annotations

import pandas as pd
import pytest

from oncodyn.data.cdisc import from_sdtm, read_sdtm, to_adrs, to_adtte, to_rs
from oncodyn.errors import DataError
from oncodyn.recist import evaluate


def _run(sdtm, **opts):
    tu, tr, dm = sdtm
    t = from_sdtm(tu, tr, dm=dm)
    res = evaluate(t.lesions, assessments=t.assessments, subjects=t.subjects, options=opts)
    return t, res


def test_tu_tr_mapping(sdtm):
    tu, tr, dm = sdtm
    t = from_sdtm(tu, tr, dm=dm)
    les = t.lesions.set_index(["subject_id", "tp", "lesion_id"])
    # node judged by short axis (LPERP), TULOC "LYMPH NODE" -> nodal
    assert les.loc[("01-001", 0, "T03"), "nodal"]
    assert les.loc[("01-001", 0, "T03"), "sa_mm"] == 20.0
    assert les.loc[("01-001", 2, "T01"), "state"] == "TOO_SMALL_TO_MEASURE"
    assert les.loc[("01-002", 1, "T01"), "state"] == "NOT_EVALUATED"
    assert les.loc[("01-002", 2, "NEW01"), "state"] == "UNEQUIVOCAL"
    assert les.loc[("01-004", 0, "T01"), "ld_mm"] == 40.0  # 4.0 cm
    assert les.loc[("01-001", 0, "T01"), "method"] == "CT"
    # every TR lesion record is kept: 4 x 4 (01-001) + 7 + 6 + 4 = 33; SUMDIAM x 4 dropped
    assert len(t.lesions) == 33
    assert any("SUMDIAM x4" in n for n in t.notes)
    # VISITNUM 1..4 -> tp 0..3; label = VISIT
    a = t.assessments[t.assessments["subject_id"] == "01-001"]
    assert a["tp"].tolist() == [0, 1, 2, 3] and a["label"].tolist()[0] == "SCREENING"
    assert t.subjects["reference_date"].eq(pd.Timestamp("2024-01-01")).all()


def test_round_trip_rs_codes(sdtm):
    t, res = _run(sdtm)
    rs = to_rs(res, studyid="XX", assessments=t.assessments, subjects=t.subjects)
    got = {(r.USUBJID, r.VISITNUM, r.RSTESTCD): r.RSSTRESC for r in rs.itertuples()}
    nn = "NON-CR/NON-PD"
    expected = {
        # 01-001: 34/70 = -51.4 % PR; 21/70 PR (TSTM = 5 mm); 41 vs nadir 21: +95 %, +20 mm PD
        ("01-001", 2, "TRGRESP"): "PR", ("01-001", 2, "NTRGRESP"): nn,
        ("01-001", 2, "NEWLPROG"): "N", ("01-001", 2, "OVRLRESP"): "PR",
        ("01-001", 3, "OVRLRESP"): "PR", ("01-001", 4, "TRGRESP"): "PD",
        ("01-001", 4, "OVRLRESP"): "PD",
        # 01-002: target not done -> NE; then SD sum but unequivocal new lesion -> PD
        ("01-002", 2, "TRGRESP"): "NE", ("01-002", 2, "OVRLRESP"): "NE",
        ("01-002", 3, "TRGRESP"): "SD", ("01-002", 3, "NEWLPROG"): "Y",
        ("01-002", 3, "OVRLRESP"): "PD",
        # 01-003: non-target only
        ("01-003", 2, "NTRGRESP"): nn, ("01-003", 2, "OVRLRESP"): nn,
        # 01-004: 42/55 = -23.6 % SD
        ("01-004", 2, "TRGRESP"): "SD", ("01-004", 2, "OVRLRESP"): "SD",
    }
    for key, val in expected.items():
        assert got[key] == val, key
    # no target-response record for the non-target-only subject, none for non-targets of 01-004
    assert not ((rs.USUBJID == "01-003") & (rs.RSTESTCD == "TRGRESP")).any()
    assert not ((rs.USUBJID == "01-004") & (rs.RSTESTCD == "NTRGRESP")).any()
    best = rs[rs.RSTESTCD == "BESTRSP"].set_index("USUBJID")["RSSTRESC"].to_dict()
    assert best == {"01-001": "PR", "01-002": "PD", "01-003": nn, "01-004": "SD"}
    # RSDY: 2024-02-12 is 42 days after 2024-01-01 -> study day 43 (no day 0)
    assert rs[(rs.USUBJID == "01-004") & (rs.RSTESTCD == "OVRLRESP")]["RSDY"].item() == 43
    assert (rs.groupby("USUBJID")["RSSEQ"].apply(lambda s: s.tolist() == list(
        range(1, len(s) + 1)))).all()
    assert set(rs["DOMAIN"]) == {"RS"} and set(rs["RSCAT"]) == {"RECIST 1.1"}


def test_adrs_and_adtte(sdtm):
    t, res = _run(sdtm)
    _, conf = _run(sdtm, confirmation_required=True)
    adrs = to_adrs(res, studyid="XX", assessments=t.assessments, subjects=t.subjects,
                   confirmed=conf)
    ovr = adrs[adrs.PARAMCD == "OVR"]
    assert len(ovr) == 3 + 2 + 2 + 1  # one per post-baseline visit
    p = adrs.set_index(["USUBJID", "PARAMCD"])
    assert p.loc[("01-001", "BOR"), "AVALC"] == "PR" and p.loc[("01-001", "BOR"), "AVAL"] == 2
    # PR at day 42 confirmed by PR at day 84 (>= 28 days later, R8.3)
    assert p.loc[("01-001", "CBOR"), "AVALC"] == "PR"
    assert p.loc[("01-001", "RSP"), "AVALC"] == "Y" and p.loc[("01-002", "RSP"), "AVALC"] == "N"
    assert p.loc[("01-002", "BOR"), "AVAL"] == 5
    assert p.loc[("01-003", "BOR"), "AVAL"] == 4
    assert p.loc[("01-001", "PD"), "ADT"] == "2024-05-06"
    assert p.loc[("01-004", "PD"), "AVALC"] == "N"
    assert p.loc[("01-001", "BOR"), "ADY"] == 43

    tte = to_adtte(res, studyid="XX", subjects=t.subjects).set_index(["USUBJID", "PARAMCD"])
    # PFS days = event date - reference + 1 (R10.3): 2024-05-06 - 2024-01-01 = 126 -> 127
    assert tte.loc[("01-001", "PFS"), "AVAL"] == 127 and tte.loc[("01-001", "PFS"), "CNSR"] == 0
    assert tte.loc[("01-002", "PFS"), "AVAL"] == 85
    # censored at the last adequate assessment (R10.4): 01-004 on 2024-02-12 -> 43
    assert tte.loc[("01-004", "PFS"), "CNSR"] == 1 and tte.loc[("01-004", "PFS"), "AVAL"] == 43
    # DoR of 01-001: from the first PR 2024-02-12 to PD 2024-05-06 = 84 days + 1
    assert tte.loc[("01-001", "DURRSP"), "AVAL"] == 85
    assert ("01-004", "DURRSP") not in tte.index


def test_split_and_merged_links():
    tu = pd.DataFrame({"USUBJID": "S", "TULNKID": ["T01", "T02", "T03"],
                       "TUORRES": "TARGET", "TULOC": ["LIVER", "LUNG", "LUNG"]})
    rows = []
    for lid, v, val in [("T01", 1, 30), ("T02", 1, 20), ("T03", 1, 15),
                        ("T01.1", 2, 12), ("T01.2", 2, 9), ("T02/T03", 2, 30)]:
        rows.append({"USUBJID": "S", "TRLNKID": lid, "TRTESTCD": "LDIAM", "TRSTRESN": val,
                     "TRSTRESU": "mm", "VISITNUM": v, "TRDTC": f"2024-0{v}-10"})
    t = from_sdtm(tu, pd.DataFrame(rows))
    les = t.lesions.set_index(["tp", "lesion_id"])
    assert les.loc[(1, "T01"), "state"] == "SPLIT"
    assert les.loc[(1, "T01.1"), "parent_lesion_id"] == "T01"
    assert les.loc[(1, "T02"), "ld_mm"] == 30
    assert les.loc[(1, "T03"), "state"] == "COALESCED" and les.loc[(1, "T03"), "into"] == "T02"
    # the engine sums the fragments (R3.5) and the merged mass once (R3.6): 12 + 9 + 30 = 51
    res = evaluate(t.lesions)
    assert res.timepoints["sod_mm"].item() == pytest.approx(51.0, abs=1e-9)


def test_errors_name_file_row_column(sdtm):
    tu, tr, dm = sdtm
    files = {"tu": "tu.csv", "tr": "tr.csv", "dm": "dm.csv"}
    bad = tr.copy()
    bad.loc[5, "TRLNKID"] = "T99"
    with pytest.raises(DataError) as info:
        from_sdtm(tu, bad, files=files)
    assert (info.value.file, info.value.row, info.value.column) == ("tr.csv", 6, "TRLNKID")
    bad = tr.copy()
    bad.loc[2, "TRDTC"] = "2024-02"
    with pytest.raises(DataError, match="partial") as info:  # imputed by default
        from_sdtm(tu, bad, files=files, partial_dates="error")
    assert (info.value.row, info.value.column) == (3, "TRDTC")
    bad = tr.copy()
    bad.loc[0, "TRSTRESU"] = "in"
    with pytest.raises(DataError, match="unit") as info:
        from_sdtm(tu, bad, files=files)
    assert (info.value.row, info.value.column) == (1, "TRSTRESU")
    bad_tu = tu.copy()
    bad_tu.loc[1, "TUORRES"] = bad_tu.loc[1, "TUSTRESC"] = "MAYBE"
    with pytest.raises(DataError) as info:
        from_sdtm(bad_tu, tr, files=files)
    assert (info.value.file, info.value.row) == ("tu.csv", 2)
    two = pd.concat([tr, tr.assign(TREVAL="INDEPENDENT ASSESSOR")], ignore_index=True)
    with pytest.raises(DataError, match="several evaluators") as info:
        from_sdtm(tu, two, files=files)
    assert info.value.column == "TREVAL"
    # choosing the stream keeps exactly the investigator records
    t = from_sdtm(tu, two, evaluator="INVESTIGATOR")
    assert len(t.lesions) == 33 and any("other evaluators" in n for n in t.notes)
    with pytest.raises(DataError, match="no DM record"):
        from_sdtm(tu, tr, dm=dm.iloc[:2], files=files)


def test_read_sdtm_folder(sdtm, tmp_path):
    tu, tr, dm = sdtm
    tu.to_csv(tmp_path / "tu.csv", index=False)
    tr.to_parquet(tmp_path / "tr.parquet")
    dm.to_csv(tmp_path / "dm.csv", index=False)
    t = read_sdtm(tmp_path)
    assert len(t.lesions) == 33 and t.subjects is not None
    (tmp_path / "tu.csv").unlink()
    with pytest.raises(DataError, match="no tu"):
        read_sdtm(tmp_path)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_canonical_file_round_trip_gives_same_results(sdtm, tmp_path, suffix):
    from oncodyn.data.lesions import read_lesions, write_lesions

    t, res = _run(sdtm)
    back = read_lesions(write_lesions(t.lesions, tmp_path / f"l{suffix}"))
    res2 = evaluate(back, assessments=t.assessments, subjects=t.subjects)
    pd.testing.assert_frame_equal(res.timepoints, res2.timepoints)
    pd.testing.assert_frame_equal(res.best_response, res2.best_response)
    pd.testing.assert_frame_equal(res.pfs, res2.pfs)


def test_adrs_window_after_new_therapy(sdtm):
    tu, tr, dm = sdtm
    t = from_sdtm(tu, tr, dm=dm)
    subjects = t.subjects.assign(new_anticancer_therapy_date=pd.NaT)
    subjects.loc[subjects.subject_id == "01-002", "new_anticancer_therapy_date"] = (
        pd.Timestamp("2024-03-01"))
    res = evaluate(t.lesions, assessments=t.assessments, subjects=subjects)
    adrs = to_adrs(res, assessments=t.assessments, subjects=subjects)
    ovr = adrs[(adrs.USUBJID == "01-002") & (adrs.PARAMCD == "OVR")]
    # the week-12 PD (2024-03-25) follows new therapy (2024-03-01): outside the window (R8.1)
    assert ovr["ANL01FL"].fillna("").tolist() == ["Y", ""]
    pd_row = adrs[(adrs.USUBJID == "01-002") & (adrs.PARAMCD == "PD")]
    assert pd_row["AVALC"].item() == "N"
