"""RECIST 1.1 (and optional iRECIST) response evaluation: ``oncodyn.recist``.

Implements the rules R0-R14 of docs/recist.md, which paraphrase
Eisenhauer EA et al., Eur J Cancer 2009;45:228-247 (RECIST 1.1), Schwartz LH et al., Eur J Cancer
2016;62:132-137, the RECIST working-group FAQ, Seymour L et al., Lancet Oncol 2017;18:e143-e152
(iRECIST) and the FDA 2018 endpoints guidance (PFS censoring). Research and teaching software,
not a clinical decision tool.

Contract (stable names; other modules build on it)
--------------------------------------------------
Input ``lesions`` (pandas, long): one row per (subject_id, tp, lesion_id) with columns

* ``subject_id`` str, ``tp`` int (0 = baseline), ``lesion_id`` str, ``role`` (``TARGET``,
  ``NON-TARGET``, ``NEW``, ``CANDIDATE``) - required;
* ``date`` (ISO str or datetime) and/or ``day`` (integer day offset from the reference date,
  reference = 0; study day = day + 1, R0.2) - one of them per performed time point (either here
  or in ``assessments``);
* ``organ`` str, ``nodal`` bool (default False), ``method`` (``CT``, ``MRI``, ``CHEST_XRAY``,
  ``CALIPER``; default CT), ``slice_mm``, ``ld_mm``, ``sa_mm`` (floats, exact to 0.01 mm),
  ``state`` (empty = measured; ``TOO_SMALL_TO_MEASURE``, ``NOT_EVALUATED``, ``SPLIT``,
  ``COALESCED``, ``PRESENT``, ``ABSENT``, ``UNEQUIVOCAL_PROGRESSION``, ``FURTHER_INCREASE``,
  ``EQUIVOCAL``, ``UNEQUIVOCAL``), ``into`` (coalesced into), ``parent_lesion_id`` (split
  fragments; the parent row has state ``SPLIT``). An empty state means PRESENT for a non-target
  and UNEQUIVOCAL for a new lesion; a missing row of a target or non-target at a performed time
  point means NOT_EVALUATED.

``assessments`` (optional; derived from the lesion rows when absent): subject_id, tp, date, day,
performed (bool), label. ``subjects`` (optional): subject_id, reference_date, death_date,
new_anticancer_therapy_date, symptomatic_deterioration_date, end_of_treatment_date. Without a
reference date, the baseline scan date is used (warning), or day offsets as given.

``evaluate(lesions, *, assessments=None, subjects=None, options=None, engine="auto")``
returns a frozen :class:`RecistResult` with DataFrames

* ``timepoints``: subject_id, tp, label, date, day, performed, target, non_target, new_lesions,
  overall, overall_as_assessed, sod_mm, baseline_sod_mm, nadir_ref_mm, partial_sod_mm,
  pct_change_from_baseline, pct_change_from_nadir (2-decimal display values; comparisons are
  exact integer cross-multiplications, R0.3), excluded_after_new_therapy, in_bor_window, reason
  (words and numbers, e.g. ``"PD: targets PD: sum 78 mm is +23.81% and +15 mm over the nadir
  63 mm (week 6)"``); under iRECIST also overall_recist11 and nlt_sum_mm;
* ``best_response``: subject_id, bor, bor_tp, bor_date, bor_day, confirmed, best_pct_change,
  reason;
* ``pfs``: subject_id, event, date, day, days (= day + pfs_day_offset), reason, dor_event,
  dor_days, response_start_date;
* ``baseline``: per baseline lesion: classification (R1) and ``messages``; ``messages``:
  subject_id, level (error/warning), code (e.g. ``TOO_MANY_TARGETS``), lesion_id, message;
* ``to_frames()`` -> dict of these frames; ``validation_errors(subject_id)`` -> codes.

``evaluate_case(case_dict, options=None)`` evaluates one object of the spec's
``recist_cases.json``; ``case_frames(case_dict)`` gives its canonical frames.
``RecistOptions`` holds the §R12 options (``RecistOptions.from_dict``).
``confirmed_best_response(result)`` gives the ``best_response`` frame of the same evaluation with
``confirmation_required=True`` from ``result``'s time points (no second evaluation).

Engines: the NumPy engine (:mod:`.vectorized`) takes the common RECIST 1.1 case; the row-by-row
reference (:mod:`.timepoint`, :mod:`.best`, :mod:`.endpoints`, :mod:`.irecist`) takes iRECIST,
split/coalesced lesions, equivocal new lesions, multi-date time points, ``faq`` with
confirmation, and R8.5 sequences (``RecistResult.engine`` says which one ran per subject).
Bad input raises :class:`oncodyn.errors.DataError` naming the row (0-based position in the frame)
and column; bad options raise :class:`oncodyn.errors.ConfigError`.
"""

from .cases import case_frames, evaluate_case
from .confirmed import confirmed_best_response
from .engine import RecistResult, evaluate
from .options import MissedVisitCensoring, RecistOptions

__all__ = ["evaluate", "evaluate_case", "case_frames", "confirmed_best_response",
           "RecistResult", "RecistOptions", "MissedVisitCensoring"]
