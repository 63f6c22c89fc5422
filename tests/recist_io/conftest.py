"""Hand-made SDTM TU/TR/DM example and hand-made RECIST result frames for the I/O tests.

The SDTM study (reference date 2024-01-01 for every subject; visits at day offsets 42, 84, 126):

- 01-001: targets liver 30 mm, lung 20 mm, lymph node SA 20 mm; bone non-target present.
  v2: 15 + 10 + 9 = 34 (-51.4 %) PR; v3: liver too-small-to-measure (5 mm, R3.4) + 8 + 8 = 21 PR;
  v4: 20 + 12 + 9 = 41 >= 1.2 x 21 and +20 mm -> PD. BOR PR (confirmed: PR 42 days later).
- 01-002: lung target 25 mm, liver non-target; v2 target not done -> NE; v3 24 mm (SD) but an
  unequivocal new brain lesion -> PD. BOR PD.
- 01-003: non-target disease only (pleural effusion, lymph node): NON-CR/NON-PD at v2, v3.
- 01-004: liver 4.0 cm (= 40 mm, TRSTRESU cm) + kidney 15 mm = 55; v2 30 + 12 = 42 (-23.6 %) SD.
"""

from __future__ import annotations

import pandas as pd
import pytest

VISITS = {1: ("SCREENING", "2023-12-28"), 2: ("WEEK 6", "2024-02-12"),
          3: ("WEEK 12", "2024-03-25"), 4: ("WEEK 18", "2024-05-06")}


def _tu_rows():
    rows = [
        ("01-001", "T01", "TARGET", "LIVER", 1), ("01-001", "T02", "TARGET", "LUNG", 1),
        ("01-001", "T03", "TARGET", "LYMPH NODE", 1), ("01-001", "NT01", "NON-TARGET", "BONE", 1),
        ("01-002", "T01", "TARGET", "LUNG", 1), ("01-002", "NT01", "NON-TARGET", "LIVER", 1),
        ("01-002", "NEW01", "NEW", "BRAIN", 3),
        ("01-003", "NT01", "NON-TARGET", "PLEURA", 1),
        ("01-003", "NT02", "NON-TARGET", "LYMPH NODE", 1),
        ("01-004", "T01", "TARGET", "LIVER", 1), ("01-004", "T02", "TARGET", "KIDNEY", 1),
    ]
    return [{"STUDYID": "XX", "DOMAIN": "TU", "USUBJID": s, "TUSEQ": i + 1, "TULNKID": lid,
             "TUTESTCD": "TUMIDENT", "TUTEST": "Tumor Identification", "TUORRES": role,
             "TUSTRESC": role, "TULOC": loc, "TUMETHOD": "CT SCAN", "TUEVAL": "INVESTIGATOR",
             "VISITNUM": v, "VISIT": VISITS[v][0], "TUDTC": VISITS[v][1]}
            for i, (s, lid, role, loc, v) in enumerate(rows)]


def _tr(s, v, lid, grp, test, value=None, text=None, unit="mm", stat=None):
    return {"STUDYID": "XX", "DOMAIN": "TR", "USUBJID": s, "TRLNKID": lid, "TRGRPID": grp,
            "TRTESTCD": test, "TRORRES": text if text is not None else
            (None if value is None else str(value)),
            "TRSTRESC": text if text is not None else (None if value is None else str(value)),
            "TRSTRESN": value, "TRSTRESU": unit if value is not None else None,
            "TRSTAT": stat, "TREVAL": "INVESTIGATOR", "VISITNUM": v, "VISIT": VISITS[v][0],
            "TRDTC": VISITS[v][1]}


def _tr_rows():
    T, N, W = "TARGET", "NON-TARGET", "NEW"
    r = []
    # 01-001
    for v, (a, b, c) in {1: (30, 20, 20), 2: (15, 10, 9), 3: (None, 8, 8), 4: (20, 12, 9)}.items():
        if a is None:
            r.append(_tr("01-001", v, "T01", T, "LDIAM", text="TOO SMALL TO MEASURE"))
        else:
            r.append(_tr("01-001", v, "T01", T, "LDIAM", a))
        r.append(_tr("01-001", v, "T02", T, "LDIAM", b))
        r.append(_tr("01-001", v, "T03", T, "LPERP", c))
        r.append(_tr("01-001", v, "NT01", N, "TUMSTATE", text="PRESENT"))
        r.append(_tr("01-001", v, "T01", T, "SUMDIAM", 999))  # derived record: dropped
    # 01-002
    r.append(_tr("01-002", 1, "T01", T, "LDIAM", 25))
    r.append(_tr("01-002", 1, "NT01", N, "TUMSTATE", text="PRESENT"))
    r.append(_tr("01-002", 2, "T01", T, "LDIAM", stat="NOT DONE"))
    r.append(_tr("01-002", 2, "NT01", N, "TUMSTATE", text="PRESENT"))
    r.append(_tr("01-002", 3, "T01", T, "LDIAM", 24))
    r.append(_tr("01-002", 3, "NT01", N, "TUMSTATE", text="PRESENT"))
    r.append(_tr("01-002", 3, "NEW01", W, "TUMSTATE", text="UNEQUIVOCAL"))
    # 01-003
    for v in (1, 2, 3):
        r.append(_tr("01-003", v, "NT01", N, "TUMSTATE", text="PRESENT"))
        r.append(_tr("01-003", v, "NT02", N, "TUMSTATE", text="PRESENT"))
    # 01-004 (liver in cm)
    r.append(_tr("01-004", 1, "T01", T, "LDIAM", 4.0, unit="cm"))
    r.append(_tr("01-004", 1, "T02", T, "LDIAM", 15))
    r.append(_tr("01-004", 2, "T01", T, "LDIAM", 30))
    r.append(_tr("01-004", 2, "T02", T, "LDIAM", 12))
    return r


@pytest.fixture()
def sdtm():
    """(tu, tr, dm) DataFrames of the hand-made study."""
    tu = pd.DataFrame(_tu_rows())
    tr = pd.DataFrame(_tr_rows())
    dm = pd.DataFrame({"STUDYID": "XX", "USUBJID": ["01-001", "01-002", "01-003", "01-004"],
                       "RFSTDTC": "2024-01-01", "DTHDTC": None})
    return tu, tr, dm


@pytest.fixture()
def result_frames():
    """Hand-made frames in the shape of ``RecistResult`` (4 subjects), for plot tests."""
    d = pd.Timestamp
    tps = pd.DataFrame([
        # subject, tp, date, day, overall, pct
        ("A", 0, d("2024-01-01"), 1, None, None),
        ("A", 1, d("2024-02-12"), 43, "PR", -40.0), ("A", 2, d("2024-03-25"), 85, "PR", -50.0),
        ("A", 3, d("2024-05-06"), 127, "PD", -10.0),
        ("B", 0, d("2024-01-01"), 1, None, None),
        ("B", 1, d("2024-02-12"), 43, "SD", 5.0), ("B", 2, d("2024-03-25"), 85, "PD", 30.0),
        ("C", 0, d("2024-01-01"), 1, None, None),
        ("C", 1, d("2024-02-12"), 43, "NON-CR/NON-PD", None),
        ("D", 0, d("2024-01-01"), 1, None, None),
        ("D", 1, d("2024-02-12"), 43, "CR", -100.0), ("D", 2, d("2024-03-25"), 85, "CR", -100.0),
    ], columns=["subject_id", "tp", "date", "day", "overall", "pct_change_from_baseline"])
    best = pd.DataFrame({
        "subject_id": ["A", "B", "C", "D"], "bor": ["PR", "PD", "NON-CR/NON-PD", "CR"],
        "bor_tp": [1, 2, 1, 1], "bor_date": [d("2024-02-12"), d("2024-03-25"),
                                             d("2024-02-12"), d("2024-02-12")],
        "confirmed": [False] * 4, "best_pct_change": [-50.0, 30.0, None, -100.0],
        "reason": [""] * 4})
    pfs = pd.DataFrame({
        "subject_id": ["A", "B", "C", "D"], "event": [True, True, False, True],
        "date": [d("2024-05-06"), d("2024-03-25"), d("2024-02-12"), d("2024-06-01")],
        "days": [127, 85, 43, 153], "reason": ["PD", "PD", "CENSORED", "DEATH"]})
    return tps, best, pfs
