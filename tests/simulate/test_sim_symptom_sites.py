"""Symptom inputs of patients whose only lesion is a non-pathological lymph node.

A node with a short axis < 10 mm at baseline is neither a target nor a non-target (RECIST 1.1
section 3.1), so the patient has no baseline row in ``lesions_frame()``; the tumour is still
there (its burden is > 0) and must still get a site weight. Such patients (role 0, a finite
baseline measurement) once made ``oncodyn simulate nsclc_docetaxel --patients 30000 --seed 1``
stop with "subject ... has no row in the sites frame". The simulator now draws the first lesion
in the measurable range, so the case is rebuilt here on a small cohort: the RECIST roles of a
few patients' baseline lesions are set to 0 exactly as the simulator stored that patient.
"""

from __future__ import annotations

import numpy as np

from oncodyn.scenarios import load_scenario
from oncodyn.simulate import simulate
from oncodyn.simulate.symptoms import baseline_sites, symptom_inputs, symptom_score


def test_patients_without_recist_baseline_lesions_get_symptom_scores():
    res = simulate(load_scenario("nsclc_docetaxel"), n_patients=60, seed=3, keep="all")
    ch = res.chunks[0]
    unrecorded = [0, 7, 21]  # patients whose baseline lesions the reader does not record
    for p in unrecorded:
        ch.role[p] = np.where(ch.role[p] == 3, 3, 0)
    lf = res.lesions_frame()
    assert not set(unrecorded) & set(lf.loc[lf["tp"] == 0, "subject_id"])  # the case holds
    sites = baseline_sites(res)
    assert set(sites["subject_id"]) == set(range(res.n))  # every patient keeps its lesions
    n_present = np.isfinite(ch.scan_meas[:, 0, :]) & (ch.role != 3)
    assert len(sites) == int(n_present.sum())
    inputs = symptom_inputs(res)
    tr = inputs["trajectories"]
    tr = tr[np.isfinite(tr["burden_mm"].to_numpy(dtype=float))]
    scores = symptom_score(**{**inputs, "trajectories": tr})
    assert set(scores["subject_id"]) == set(tr["subject_id"])
    assert set(unrecorded) <= set(scores["subject_id"])
    assert np.isfinite(scores["score"]).all()
