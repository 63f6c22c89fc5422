"""Scenario configuration (TOML) for the virtual-patient simulator, validated with pydantic.

One scenario = a virtual population (lesions, covariates, variability, occult disease), the
treatments (chemotherapy regimen, radiotherapy courses, second line), the imaging schedule and
the adaptive policy. Every field has a default documented in the preset files
(``oncodyn/scenarios/*.toml``) with its source or the word "illustrative".

Errors are raised as :class:`oncodyn.errors.ConfigError` naming the key path (for example
``policy.kind``) and, for choices, the allowed values. Unknown keys are errors (a typo must not
be silently ignored).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import ConfigError

ORGANS = ("lung", "liver", "lymph_node", "adrenal", "bone", "pleura", "brain", "bladder",
          "rectum", "peritoneum", "other")


#: Drugs with a parameter table: the chemotherapy defaults (``chemo.cl_l_h_m2``, ``chemo.pk``,
#: ``chemo.toxicity``, ``response.kill_per_dose``) are this drug's values, with their sources.
DRUGS: dict[str, str] = {
    "docetaxel": "PK: CL 21.7 L/h/m2 from the docetaxel label, or the Ozawa K et al. (2007) Cancer "
                 "Sci 98:1985 Table 2 three-compartment model (chemo.pk); neutropenia: Friberg LE "
                 "et al. (2002) J Clin Oncol 20:4713 with Kloft 2006 docetaxel values; kill: "
                 "calibrated on the Laleh 2022 docetaxel lesion series (preset nsclc_docetaxel)",
}
#: Suffix of a drug name whose parameters the scenario sets itself (no table; illustrative).
ILLUSTRATIVE_SUFFIX = "_illustrative"
#: Largest accepted dose per administration, mg/m^2: above the largest standard cytotoxic dose
#: per m^2 (high-dose methotrexate, up to 12 g/m^2); a bound against unit slips (g vs mg,
#: cumulative vs per dose), ILLUSTRATIVE.
MAX_DOSE_MG_M2 = 20_000.0
#: Largest accepted exponential growth rate, 1/day (a doubling time of 0.69 day, far faster than
#: any human tumour: volume doubling times are weeks to months, Laleh 2022 ITS fits ~0.01/day);
#: ILLUSTRATIVE bound against unit slips (per week, per month written as per day).
MAX_RATE_PER_DAY = 1.0


class _Strict(BaseModel):
    # allow_inf_nan=False: inf and nan are refused for every float key (rate_per_day = inf ...)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Covariate(_Strict):
    """A categorical patient covariate (cancer type, stage, ECOG, sensitivity class...).

    ``effects`` maps a parameter name (``growth``, ``kill``, ``resistant``, ``emission``, or
    ``hazard``: the death hazard of :class:`SurvivalCfg`, i.e. a hazard ratio) to one
    multiplicative factor per level. With ``baseline.source = "poplar"`` a covariate named like
    a baseline variable (:data:`oncodyn.patients.baseline.CATEGORICAL`: ``ecog``, ``histology``,
    ``sex``, ``prior_therapies``, ``tobacco``) takes each patient's level from the resampled
    row (``probs`` is then not used).
    """

    name: str
    levels: list[str]
    probs: list[float]
    effects: dict[Literal["growth", "kill", "resistant", "emission", "hazard"], list[float]] = {}

    @model_validator(mode="after")
    def _check(self) -> Covariate:
        if len(self.probs) != len(self.levels) or abs(sum(self.probs) - 1) > 1e-6:
            raise ValueError(f"covariate {self.name!r}: probs must have one value per level and sum to 1")
        for k, v in self.effects.items():
            if len(v) != len(self.levels) or min(v) <= 0:
                raise ValueError(f"covariate {self.name!r}: effects.{k} needs {len(self.levels)} positive factors")
        return self


class PatientsCfg(_Strict):
    n_lesions_mean: float = Field(3.1, gt=0)
    max_lesions: int = Field(6, ge=1, le=12)
    organs: list[Literal[ORGANS]] = ["lung", "liver", "lymph_node", "adrenal", "bone", "pleura"]  # type: ignore[valid-type]
    organ_probs: list[float] = [0.4, 0.15, 0.25, 0.07, 0.08, 0.05]
    primary_organ: Literal[ORGANS] | None = None  # type: ignore[valid-type]
    diam_median_mm: float = Field(30.0, gt=0)
    diam_sd_log: float = Field(0.5, ge=0)
    diam_max_mm: float = Field(150.0, gt=0)

    @model_validator(mode="after")
    def _check(self) -> PatientsCfg:
        if len(self.organ_probs) != len(self.organs) or abs(sum(self.organ_probs) - 1) > 1e-6:
            raise ValueError("organ_probs must have one value per organ and sum to 1")
        return self


class GrowthCfg(_Strict):
    """Lesion growth law.

    ``max_diam_mm``: hard per-lesion ceiling on the volume-equivalent sphere diameter (viable +
    dying cells); growth beyond it is cut (the lesion stays at the ceiling). Default 250 mm,
    illustrative: just above the largest longest diameter in the Laleh 2022 docetaxel/atezolizumab
    NSCLC series, 228 mm (docs/data-formats.md#layouts).
    Below the ceiling results are unchanged (bit-identical).
    """

    law: Literal["exponential", "gompertz"] = "exponential"
    rate_per_day: float = Field(0.0084, gt=0, le=MAX_RATE_PER_DAY)
    carrying_capacity_diam_mm: float = Field(200.0, gt=0)
    max_diam_mm: float = Field(250.0, gt=0)


class DyingCfg(_Strict):
    """Dying-cell compartment D: cells killed by chemotherapy or radiotherapy stay in the lesion
    (and in its measured size) and are cleared at a first-order rate ln2 / ``half_life_days``.

    Source of the structure: Simeoni M et al. (2004) Cancer Res 64:1094 (damaged cells pass
    through transit compartments before death, mean time 3/k1; one compartment here, mean
    residence half_life/ln2), and the delayed radiological regression of irradiated tumours
    (lesions shrink over weeks to months as dead cells are removed; e.g. Hall EJ, Giaccia AJ,
    Radiobiology for the Radiologist, chapter on tumour regression vs cell kill). Default 14 d:
    ILLUSTRATIVE (2-3 week half-life for human lesions; Simeoni's xenograft k1 ~ 1/d is a
    mouse value, not transferable). ``half_life_days = 0`` clears instantly (no D; the model
    before this compartment, bit-identical).
    """

    half_life_days: float = Field(14.0, ge=0)


class ResponseCfg(_Strict):
    """Chemotherapy kill law (see :mod:`oncodyn.simulate.engine`).

    ``kill_law = "simeoni"``: the one-transit-compartment form of Simeoni M et al. (2004) Cancer
    Res 64:1094 -- each dose kills as log-kill (impulse on S), and the killed cells pass through
    one damaged/dying compartment, leaving it at the first-order rate
    ``simeoni_k1_per_day`` (mean transit time 1/k1; Simeoni's model has three compartments,
    mean 3/k1). It is therefore log-kill plus the dying compartment with
    ``half_life_days = ln 2 / k1`` (which it sets; ``simeoni_k1_per_day`` is required, and an
    explicit ``dying.half_life_days`` must agree with it). The compartment also holds the cells
    killed by radiotherapy, as with ``dying``.
    """

    kill_law: Literal["log_kill", "norton_simon", "claret", "simeoni"] = "log_kill"
    kill_per_dose: float = Field(0.5, ge=0)
    resistant_fraction: float = Field(0.3, gt=0, lt=1)
    acquired_per_dose: float = Field(0.0, ge=0, le=1)
    claret_lambda_per_day: float = Field(0.006, ge=0)
    simeoni_k1_per_day: float | None = Field(None, gt=0, allow_inf_nan=False)  # required with kill_law = "simeoni"

    @model_validator(mode="after")
    def _check(self) -> ResponseCfg:
        if self.kill_law == "simeoni" and self.simeoni_k1_per_day is None:
            raise ValueError("response.simeoni_k1_per_day (transit rate k1, 1/day, > 0) is required "
                             "with kill_law = 'simeoni'")
        if self.kill_law != "simeoni" and self.simeoni_k1_per_day is not None:
            raise ValueError("response.simeoni_k1_per_day is only used with kill_law = 'simeoni' "
                             f"(kill_law is {self.kill_law!r})")
        return self


class VariabilityCfg(_Strict):
    """Log-normal SDs (logit scale for the resistant fraction) and patient-level correlations."""

    patient_sd: dict[Literal["growth", "kill", "resistant"], float] = {"growth": 0.6, "kill": 0.6, "resistant": 1.0}
    lesion_sd: dict[Literal["growth", "kill", "resistant"], float] = {"growth": 0.3, "kill": 0.3, "resistant": 0.5}
    patient_corr: list[list[float]] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]

    @model_validator(mode="after")
    def _check(self) -> VariabilityCfg:
        import numpy as np

        c = self.patient_corr
        if len(c) != 3 or any(len(r) != 3 for r in c):
            raise ValueError("variability.patient_corr must be a 3x3 matrix (order growth, kill, resistant)")
        m = np.asarray(c, dtype=float)
        if not np.all(np.isfinite(m)) or not np.allclose(m, m.T, atol=1e-9):
            raise ValueError("variability.patient_corr must be symmetric with finite entries")
        if not np.allclose(np.diag(m), 1.0, atol=1e-9):
            raise ValueError("variability.patient_corr must have a unit diagonal (a correlation matrix)")
        if np.linalg.eigvalsh(m).min() <= 1e-10:
            raise ValueError("variability.patient_corr must be positive definite "
                             f"(smallest eigenvalue {np.linalg.eigvalsh(m).min():.3g})")
        return self


class ToxicityCfg(_Strict):
    """Friberg neutropenia and the protocol rule applied at each dose's ANC nadir.

    Rule (docetaxel label, "Dose adjustments during treatment": EU SmPC of Taxotere section 4.2 -
    febrile neutropenia or neutrophils < 500 cells/mm3 for more than one week -> reduce
    75 -> 60 mg/m2, discontinue if the reaction persists at 60 mg/m2; the US TAXOTERE prescribing
    information section 2.7 gives the same trigger and, for NSCLC, resumption at 55 mg/m2).
    Here, ILLUSTRATIVE choices:
    a nadir grade >= ``grade_threshold`` (CTCAE v5) reduces the next dose by
    ``reduction_factor`` (0.8: 75 -> 60 mg/m2) while reductions are left (``rule = "reduce"``),
    delays it by ``delay_days`` (``"delay"``) or both (``"reduce_delay"``); once no reduction is
    left, a nadir of grade >= ``discontinue_grade`` lasting more than ``discontinue_min_days``
    (the label's "neutrophils < 500 cells/mm3 for more than one week" is 4 and 7; 0 = any such
    nadir) discontinues treatment (``"reduce"``/``"reduce_delay"`` only).
    """

    model: Literal["friberg", "none"] = "friberg"
    circ0: float = Field(5.22, gt=0)
    mtt_h: float = Field(84.2, gt=0)
    slope_per_mg_l: float = Field(19.3, gt=0)
    gamma: float = Field(0.145, gt=0)
    slope_sd_log: float = Field(0.358, ge=0)
    rule: Literal["reduce", "delay", "reduce_delay", "none"] = "reduce"
    grade_threshold: int = Field(3, ge=1, le=4)
    discontinue_grade: int = Field(4, ge=1, le=4)
    discontinue_min_days: float = Field(0.0, ge=0)
    delay_days: int = Field(7, ge=0)
    reduction_factor: float = Field(0.8, gt=0, le=1)
    max_reductions: int = Field(1, ge=0)


class ChemoCfg(_Strict):
    """Chemotherapy regimen and its per-dose exposure.

    ``pk`` selects the linear PK model whose exact AUC (0 to infinity, :func:`oncodyn.models.
    exposure.auc`) of each dose drives kill and toxicity: ``"one_compartment"`` (default) with
    clearance ``cl_l_h_m2`` per m^2 (AUC = dose_mg_m2 / cl_l_h_m2, the earlier model); or
    ``"docetaxel_3cpt"``, :data:`oncodyn.models.exposure.DOCETAXEL_3CPT` (Ozawa K et al. (2007)
    Cancer Sci 98:1985 Table 2, CL 35.7 L/h absolute) for a dose of dose_mg_m2 x BSA 1.8 m^2
    (:data:`oncodyn.models.exposure.BSA_DEFAULT_M2`, illustrative), infused over ``infusion_h``;
    ``cl_l_h_m2`` is then not used. Both scale with the patient's clearance factor (log-normal,
    ``cl_cv``).

    ``drug`` names whose values the chemotherapy keys hold: a drug of :data:`DRUGS` (the
    defaults are its cited values), or a name ending in ``"_illustrative"`` for a drug whose
    values the scenario sets itself. Any other name is refused: the simulator has no table for
    it and would silently run docetaxel. ``dose_mg_m2`` is at most :data:`MAX_DOSE_MG_M2`.
    """

    drug: str = "docetaxel"
    pk: Literal["one_compartment", "docetaxel_3cpt"] = "one_compartment"
    dose_mg_m2: float = Field(75.0, gt=0, le=MAX_DOSE_MG_M2)
    cycle_days: int = Field(21, ge=1)
    n_cycles: int = Field(0, ge=0)  # 0 = until progression/stop
    start_day: int = Field(0, ge=0)
    infusion_h: float = Field(1.0, gt=0)
    cl_l_h_m2: float = Field(21.7, gt=0)
    cl_cv: float = Field(0.399, ge=0)
    reference_auc_mg_h_l: float = Field(3.46, gt=0)
    toxicity: ToxicityCfg = ToxicityCfg()

    @field_validator("drug")
    @classmethod
    def _known_drug(cls, drug: str) -> str:
        if drug not in DRUGS and not drug.endswith(ILLUSTRATIVE_SUFFIX):
            raise ValueError(
                f"drug {drug!r} has no parameter table; supported drugs: "
                f"{', '.join(sorted(DRUGS))}. The chemotherapy values (chemo.cl_l_h_m2, "
                "chemo.toxicity, response.kill_per_dose) default to docetaxel's, so another drug "
                "would silently behave as docetaxel; to simulate it with values you set yourself, "
                f"name it {drug + ILLUSTRATIVE_SUFFIX!r}")
        return drug

    @model_validator(mode="after")
    def _check_drug(self) -> ChemoCfg:
        if self.pk == "docetaxel_3cpt" and self.drug != "docetaxel":
            raise ValueError(f"pk = 'docetaxel_3cpt' is docetaxel's PK model (Ozawa 2007); drug is "
                             f"{self.drug!r}: use pk = 'one_compartment' with its cl_l_h_m2")
        return self


class SecondLineCfg(_Strict):
    kill_per_dose: float = Field(0.3, ge=0)
    cross_resistance: float = Field(0.5, ge=0, le=1)
    dose_mg_m2: float = Field(75.0, gt=0, le=MAX_DOSE_MG_M2)
    cycle_days: int = Field(21, ge=1)


def _lesion_slot(target: str) -> int | None:
    from ..simulate._treatment import lesion_slot

    return lesion_slot(target)


class RadiationCfg(_Strict):
    """A radiotherapy course applied to the lesions of ``target``: ``"primary"`` (needs
    ``patients.primary_organ``), ``"all"`` visible lesions, an organ name, or one lesion by its
    id ``"L<k>"`` (as in ``lesions.parquet``; ``L1`` is the primary when there is one), e.g. a
    single symptomatic metastasis treated with palliative radiotherapy.

    ``modality = "ebrt"`` / ``"hdr"``: ``n_fractions`` x ``dose_per_fraction_gy``,
    ``fractions_per_week``. ``modality = "ldr"``: continuous low-dose-rate brachytherapy at
    ``dose_rate_gy_per_h`` for ``duration_h`` hours from ``start_day`` (both required), with
    Lea-Catcheside incomplete repair at ``mu_per_h`` (default 0.46 /h, repair half-time 1.5 h;
    :data:`oncodyn.models.radiation.MU_REPAIR_PER_H`, docs/treatment.md#radiotherapy; Dale RG (1985) Br J
    Radiol 58:515): surviving fraction ``exp(-(alpha D + beta g(mu T) D^2))``, D = rate x T
    (:class:`oncodyn.models.radiation.ContinuousLDR`); the fraction keys are then not used and
    the LDR keys are errors for the other modalities.
    """

    name: str = "ebrt"
    modality: Literal["ebrt", "hdr", "ldr"] = "ebrt"
    dose_rate_gy_per_h: float | None = Field(None, gt=0, allow_inf_nan=False)
    duration_h: float | None = Field(None, gt=0, allow_inf_nan=False)
    mu_per_h: float = Field(0.46, ge=0, allow_inf_nan=False)
    dose_per_fraction_gy: float = Field(2.0, gt=0)
    n_fractions: int = Field(30, ge=1)
    fractions_per_week: int = Field(5, ge=1, le=7)
    start_day: int = Field(0, ge=0)
    target: str = "primary"
    alpha: float = Field(0.3, gt=0)
    alpha_beta: float = Field(10.0, gt=0)
    tk_days: float = Field(21.0, ge=0)
    tpot_days: float = Field(3.0, gt=0)
    chemo_enhancement: float = Field(0.0, ge=0)

    @model_validator(mode="after")
    def _check(self) -> RadiationCfg:
        ldr_keys = ("dose_rate_gy_per_h", "duration_h")
        if self.modality == "ldr":
            for key in ldr_keys:
                if getattr(self, key) is None:
                    raise ValueError(f"{key} is required with modality = 'ldr' (a number > 0)")
        else:
            bad = [k for k in ldr_keys if getattr(self, k) is not None]
            bad += ["mu_per_h"] if self.mu_per_h != 0.46 else []
            for key in bad:
                raise ValueError(f"{key} is only used with modality = 'ldr' (modality is {self.modality!r})")
        return self


class ImagingCfg(_Strict):
    schedule: Literal["q6w", "q9w", "q6w_then_q9w", "q8w", "q12w"] | list[int] = "q6w"
    measurement_cv: float = Field(0.06, ge=0)
    additive_sd_mm: float = Field(1.7, ge=0)
    new_lesion_detection_mm: float = Field(5.0, gt=0)
    disappear_below_mm: float = Field(2.0, ge=0)
    scan_jitter_days: int = Field(0, ge=0, le=14)
    confirm_days: int = Field(28, ge=0)
    min_sd_days: int = Field(35, ge=0)


class OccultCfg(_Strict):
    emission_coefficient: float = Field(5.3e-8, ge=0)
    emission_exponent: float = Field(2.0 / 3.0, gt=0, le=1)
    n_slots: int = Field(3, ge=0, le=6)
    cells_per_mm3: float = Field(1e6, gt=0)


class SurvivalCfg(_Strict):
    """Time to death driven by tumour dynamics (TGI-OS link) and baseline covariates.

    ``model = "weibull_burden"``: a proportional-hazards model with a Weibull baseline hazard
    (the default survival sub-model of Genentech's jmpost joint models) and the *current* tumour
    burden as a time-varying covariate (jmpost's identity link to the SLD; the "current value"
    link of nonlinear joint models, Desmee S et al. (2017) BMC Med Res Methodol 17:105), with the
    baseline prognostic factors of the POPLAR OS model (number of metastatic sites; Claret L et
    al. (2018) Clin Cancer Res 24:3292) and of Wang Y et al. (2009) Clin Pharmacol Ther 86:167
    and Claret L et al. (2009) J Clin Oncol 27:4103 (baseline tumour size, ECOG); keys in
    docs/scenarios.md#survival:

        h(t) = (k / s) (t / s)^(k - 1) * exp(b_sites (sites - sites_ref)
               + b_sld ln(SLD0 / sld_ref) + g ln((B(t) + c) / (B(0) + c))) * HR_cov + h_other

    with ``s = scale_days``, ``k = shape``, ``g = burden_log_hr``, ``c = burden_offset_mm``,
    ``B(t)`` the patient's true sum of diameters of visible lesions (mm; new lesions count from
    detection), ``HR_cov`` the product of the categorical covariates' ``hazard`` effects and
    ``h_other = death_hazard_per_day`` (deaths unrelated to the tumour). The burden term makes
    shrinkage lower, and growth after progression raise, the hazard: it carries the week-6/8
    change from baseline (Claret 2009, Wang 2009) and the growth-rate constant (KG of Claret
    2018 and Chan P et al. (2021) CPT Pharmacometrics Syst Pharmacol 10:1171) as aspects of one
    time-varying quantity. Deaths are simulated
    exactly by inversion of the cumulative hazard (a unit-exponential threshold per patient), the
    burden held at its value one step earlier over each step (so that death in a step is decided
    before that step's scan) and the cumulative hazard interpolated linearly within a step.
    ``model = "none"``: no tumour-driven death; ``death_hazard_per_day`` alone, as before.

    Defaults are ILLUSTRATIVE; presets set calibrated values (nsclc_docetaxel: POPLAR, see its
    notes). Research software: these are not prognostic estimates for a person.
    """

    model: Literal["none", "weibull_burden"] = "none"
    scale_days: float = Field(500.0, gt=0)
    shape: float = Field(1.2, gt=0, le=5)
    burden_log_hr: float = Field(1.0, ge=-5, le=5)
    burden_offset_mm: float = Field(10.0, gt=0)
    sites_log_hr: float = Field(0.0, ge=-2, le=2)
    sites_ref: float = Field(3.0, ge=0)
    sld_log_hr: float = Field(0.0, ge=-3, le=3)
    sld_ref_mm: float = Field(75.0, gt=0)


class BaselineCfg(_Strict):
    """Where the virtual patients' baseline comes from.

    ``source = "parametric"``: lesion count 1 + Poisson, log-normal sizes, covariates drawn from
    their ``probs`` (:mod:`oncodyn.patients.cohort`). ``source = "poplar"``: whole baseline rows
    (baseline SLD, ECOG, metastatic sites, histology, age, sex, prior therapies, tobacco) resampled
    jointly, with replacement, from the POPLAR patient file (Gandara DR et al. (2018) Nat Med
    24:1441 supplement; rows of ``arms``), and lesion count and sizes built to match the sampled
    SLD (:mod:`oncodyn.patients.baseline`). ``file``: a path, or a file name looked up in
    ``$ONCODYN_DATA_DIR``, the folder of ``oncodyn data fetch poplar``,
    ``$ONCODYN_SHARED/data/trials`` and ``(../)shared/data/trials``. The file does not ship with
    oncodyn (licence unclear): when it is absent the parametric baseline is used with a warning,
    unless ``required = true``.
    """

    source: Literal["parametric", "poplar"] = "parametric"
    file: str = "POPLAR_Clinical_Data.csv"
    arms: list[str] = ["Docetaxel", "MPDL3280A"]
    required: bool = False


class PolicyCfg(_Strict):
    kind: Literal["continue", "stop_at_pd", "switch_at_pd", "holiday_after_response", "adaptive"] = "stop_at_pd"
    pause_fraction: float = Field(0.5, gt=0, lt=1)
    resume_fraction: float = Field(1.0, gt=0)


class Scenario(_Strict):
    name: str = "custom"
    description: str = ""
    cancer_type: str = "nsclc"
    # at most 100 years (36,525 days): longer than any patient's follow-up; larger values are
    # unit slips that would exhaust memory (checked before any work)
    horizon_days: int = Field(728, ge=7, le=36525)
    dt_days: int = Field(7, ge=1, le=7)
    early_exit_prob: float = Field(0.0, ge=0, lt=1)      # withdrawal before the first follow-up scan
    death_hazard_per_day: float = Field(0.0, ge=0)     # death not driven by the tumour (SurvivalCfg)
    patients: PatientsCfg = PatientsCfg()
    covariates: list[Covariate] = []
    growth: GrowthCfg = GrowthCfg()
    dying: DyingCfg = DyingCfg()
    response: ResponseCfg = ResponseCfg()
    variability: VariabilityCfg = VariabilityCfg()
    chemo: ChemoCfg | None = ChemoCfg()
    second_line: SecondLineCfg = SecondLineCfg()
    radiation: list[RadiationCfg] = []
    imaging: ImagingCfg = ImagingCfg()
    occult: OccultCfg = OccultCfg()
    policy: PolicyCfg = PolicyCfg()
    survival: SurvivalCfg = SurvivalCfg()
    baseline: BaselineCfg = BaselineCfg()
    notes: dict[str, str] = {}

    @model_validator(mode="before")
    @classmethod
    def _simeoni_sets_dying(cls, data: Any) -> Any:
        # kill_law = "simeoni" sets the dying compartment's half-life to ln2 / k1 unless given
        # (then it must agree, checked below); only for mappings with the key missing
        if not isinstance(data, dict):
            return data
        resp, dying = data.get("response"), data.get("dying")
        if not isinstance(resp, dict) or resp.get("kill_law") != "simeoni":
            return data
        k1 = resp.get("simeoni_k1_per_day")
        if not isinstance(k1, int | float) or isinstance(k1, bool) or not k1 > 0:
            return data  # the field validators report it
        if dying is None or (isinstance(dying, dict) and "half_life_days" not in dying):
            import math

            data = {**data, "dying": {**(dying or {}), "half_life_days": math.log(2.0) / k1}}
        return data

    @model_validator(mode="after")
    def _check(self) -> Scenario:
        rs = self.response
        if rs.kill_law == "simeoni":
            import math

            hl = math.log(2.0) / rs.simeoni_k1_per_day
            if not math.isclose(self.dying.half_life_days, hl, rel_tol=1e-9):
                raise ValueError(f"dying.half_life_days ({self.dying.half_life_days:g}) disagrees with "
                                 f"response.simeoni_k1_per_day ({rs.simeoni_k1_per_day:g} -> half-life "
                                 f"ln2/k1 = {hl:g} d); with kill_law = 'simeoni' leave dying out or set it to {hl:g}")
        if self.chemo is not None and self.chemo.cycle_days % self.dt_days:
            raise ValueError(f"chemo.cycle_days ({self.chemo.cycle_days}) must be a multiple of dt_days ({self.dt_days})")
        pc = self.patients
        have = sorted({*pc.organs, *([pc.primary_organ] if pc.primary_organ else [])}, key=ORGANS.index)
        for i, r in enumerate(self.radiation):
            k = _lesion_slot(r.target)
            if k is not None and k >= pc.max_lesions:
                raise ValueError(f"radiation[{i}].target = {r.target!r}: lesion ids run L1..L{pc.max_lesions} "
                                 "(patients.max_lesions)")
            if k is None and r.target != "primary" and r.target not in ORGANS and r.target != "all":
                raise ValueError(f"radiation target {r.target!r} not allowed; allowed: primary, all, "
                                 f"a lesion id L1..L{pc.max_lesions}, {', '.join(ORGANS)}")
            if r.target == "primary" and pc.primary_organ is None:
                raise ValueError(f"radiation[{i}].target = 'primary' needs patients.primary_organ; "
                                 f"allowed targets here: all, {', '.join(have)}")
            if r.target in ORGANS and r.target not in have:
                raise ValueError(f"radiation[{i}].target = {r.target!r}: no lesion can be in that organ "
                                 f"(patients.organs / primary_organ); allowed: "
                                 f"{'primary, ' if pc.primary_organ else ''}all, {', '.join(have)}")
        s = self.imaging.schedule
        if isinstance(s, list):
            H, dt = self.horizon_days, self.dt_days
            bad = [d for d in s if d < 1 or d > H or d % dt]
            if bad or not s:
                raise ValueError(f"imaging.schedule: days {bad} not allowed; allowed: a non-empty list of "
                                 f"integer days 1..{H} (horizon_days) on the dt_days = {dt} grid "
                                 f"(multiples of {dt}), or one of q6w, q9w, q6w_then_q9w, q8w, q12w")
        return self


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model addressed by ``loc`` (for 'unknown key' messages)."""
    import typing

    model: Any = Scenario
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            break
        ann = field.annotation
        cands = [ann, *typing.get_args(ann)]
        for a in list(cands):
            cands.extend(typing.get_args(a))
        sub = [c for c in cands if isinstance(c, type) and issubclass(c, BaseModel)]
        if not sub:
            break
        model = sub[0]
    return sorted(model.model_fields)


def _format(err: ValidationError, source: str) -> str:
    parts = []
    for e in err.errors()[:3]:
        loc = ".".join(str(x) for x in e["loc"] if not str(x).startswith("function-"))
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = f"unknown key; allowed keys: {', '.join(_allowed_keys(e['loc'][:-1]))}"
        elif e["type"] == "literal_error":
            allowed = e.get("ctx", {}).get("expected", "")
            msg = f"invalid value {e.get('input')!r}; allowed: {allowed}"
        parts.append(f"{loc or '(top level)'}: {msg}")
    return f"{source}: " + "; ".join(parts) + f" (keys: {_docs_anchor(err)})"


def _docs_anchor(err: ValidationError) -> str:
    """The page and section of the scenario reference that explains the first error's key."""
    import typing

    first = next((str(x) for x in err.errors()[0]["loc"] if isinstance(x, str)
                  and not x.startswith("function-")), "") if err.errors() else ""
    field = Scenario.model_fields.get(first)
    nested = field is not None and any(
        isinstance(c, type) and issubclass(c, BaseModel)
        for a in (field.annotation, *typing.get_args(field.annotation))
        for c in (a, *typing.get_args(a)))
    return f"docs/scenarios.md#{first if nested else 'top-level'}"


def scenario_from_dict(data: dict[str, Any], *, source: str = "scenario") -> Scenario:
    """Validate a parsed mapping into a :class:`Scenario` (ConfigError naming the key on failure)."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format(exc, source)) from None


def read_toml(path: str | Path, what: str = "scenario") -> dict[str, Any]:
    """The content of a TOML file; a one-line :class:`ConfigError` naming the file when it is a
    folder, unreadable, not UTF-8 text or not valid TOML (``what`` names the kind of file)."""
    p = Path(path)
    if p.is_dir():
        raise ConfigError(f"{p}: is a folder, not a {what} TOML file")
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML ({exc})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: not a text (UTF-8) TOML file") from None
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read ({exc.strerror or exc})") from None


def load_scenario_file(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file."""
    return scenario_from_dict(read_toml(path), source=str(Path(path)))
