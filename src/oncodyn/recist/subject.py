"""Per-subject view of the prepared frames, used by the row-by-row reference engine (internal)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .tables import Prepared


def _day(x) -> int | None:
    return None if x is None or pd.isna(x) else int(x)


@dataclass
class Visit:
    """One post-baseline (or baseline) assessment of one subject."""

    tp: int
    day_first: int | None
    day_last: int | None
    performed: bool
    label: str


@dataclass
class SubjectData:
    """All records of one subject (integer sizes in units of 1/SCALE mm, -1 = missing)."""

    subject_id: str
    reference_date: object
    targets: list = field(default_factory=list)      # [(lesion_id, nodal)] sorted by id
    non_targets: list = field(default_factory=list)  # [lesion_id]
    visits: list = field(default_factory=list)       # [Visit] post-baseline, sorted by tp
    meas: dict = field(default_factory=dict)         # (tp, lid) -> (state, ld_u, sa_u, into)
    children: dict = field(default_factory=dict)     # (tp, parent) -> [(state, ld_u, sa_u)]
    new: dict = field(default_factory=dict)          # tp -> [(lid, state, ld_u, sa_u, nodal, organ)]
    death_day: int | None = None
    therapy_day: int | None = None
    sympt_day: int | None = None
    eot_day: int | None = None
    baseline_day: int | None = None


def split_subjects(p: Prepared, subject_ids=None) -> dict[str, SubjectData]:
    """Group the prepared frames by subject (only ``subject_ids`` when given)."""
    les = p.lesions
    asm = p.assessments
    sub = p.subjects
    if subject_ids is not None:
        keep = set(subject_ids)
        les = les[les["subject_id"].isin(keep)]
        asm = asm[asm["subject_id"].isin(keep)]
        sub = sub[sub["subject_id"].isin(keep)]
    out: dict[str, SubjectData] = {}
    for r in sub.itertuples(index=False):
        out[r.subject_id] = SubjectData(
            r.subject_id, r.reference_date, death_day=_day(r.death_day),
            therapy_day=_day(r.new_anticancer_therapy_day),
            sympt_day=_day(r.symptomatic_deterioration_day), eot_day=_day(r.end_of_treatment_day))
    for r in asm.itertuples(index=False):
        s = out[r.subject_id]
        v = Visit(int(r.tp), _day(r.day_first), _day(r.day_last), bool(r.performed), r.label)
        if v.tp == 0:
            s.baseline_day = v.day_first
        else:
            s.visits.append(v)
    cols = ["subject_id", "tp", "lesion_id", "role", "nodal", "state", "ld_u", "sa_u", "into",
            "parent_lesion_id", "organ"]
    seen_t: dict[str, dict] = {}
    seen_nt: dict[str, dict] = {}
    for sid, tp, lid, role, nodal, state, ld, sa, into, parent, organ in \
            les[cols].itertuples(index=False, name=None):
        s = out[sid]
        tp = int(tp)
        if parent:
            s.children.setdefault((tp, parent), []).append((state, int(ld), int(sa), bool(nodal)))
        elif role == "TARGET":
            seen_t.setdefault(sid, {})[lid] = bool(nodal)
            s.meas[(tp, lid)] = (state, int(ld), int(sa), into)
        elif role == "NON-TARGET":
            seen_nt.setdefault(sid, {})[lid] = True
            s.meas[(tp, lid)] = (state, int(ld), int(sa), into)
        elif role == "NEW":
            s.new.setdefault(tp, []).append((lid, state, int(ld), int(sa), bool(nodal), organ))
    for sid, s in out.items():
        s.targets = sorted(seen_t.get(sid, {}).items())
        s.non_targets = sorted(seen_nt.get(sid, {}))
        s.visits.sort(key=lambda v: v.tp)
    return out


def subject_flags(p: Prepared) -> pd.DataFrame:
    """Per subject: does it need the row-by-row engine (splits, coalescence, equivocal new
    lesions, a time point with several scan dates)? Used to route subjects (see vectorized)."""
    les = p.lesions
    rare = ((les["parent_lesion_id"] != "") | les["state"].isin(["SPLIT", "COALESCED", "EQUIVOCAL"]))
    rare = rare.to_numpy()
    if "_sc" in les.columns and len(les):
        # per subject code (integer, fast); names come from each subject's first row
        sc = les["_sc"].to_numpy()
        first = np.full(int(sc.max()) + 1, -1, np.int64)
        first[sc[::-1]] = np.arange(len(sc))[::-1]
        used = first >= 0
        any_rare = np.zeros(len(first), bool)
        any_rare[sc[rare]] = True
        r = pd.Series(any_rare[used], index=les["subject_id"].take(first[used]).to_numpy())
        r = r.sort_index()
    else:
        r = pd.Series(rare, index=les["subject_id"]).groupby(level=0).any()
    a = p.assessments
    multi = pd.Series((a["day_first"] != a["day_last"]).to_numpy() &
                      a["day_first"].notna().to_numpy(), index=a["subject_id"]).groupby(level=0).any()
    return pd.DataFrame({"rare": r, "multi_date": multi}).fillna(False).astype(bool)
