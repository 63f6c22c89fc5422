"""Published population estimates to set beside oncodyn's fits (numbers, with their sources).

Every value was read in the stored source named beside it (docs/models.md#response-models);
rates are per week as published (oncodyn's models use days: divide by 7). These are estimates
from other populations (RECIST sum of diameters, other trials), so they are context for a fit,
not its expected value: the Laleh et al. 2022 series are ONE target lesion's longest diameter.

* Stein-Fojo / Bruno-Claret KG-KS biexponential, NSCLC: Struemper 2025 CPT Pharmacometrics
  Syst Pharmacol 14:1006, Tables 2-3 (as transcribed in nlmixr2lib
  ``Struemper_2025_tumorsize_OS_nsclc.R``): docetaxel (CHEMO arm) and pembrolizumab arms.
* Claret tumour-size model without exposure: Claret 2014 Clin Pharmacol Ther 95:446, Suppl
  Table S1 / Table 3 (motesanib + carboplatin/paclitaxel, NSCLC; as transcribed in nlmixr2lib
  ``Claret_2014_motesanib_tumorsize_OS.R``; KDE and lambda swapped back as nlmixr2lib
  justifies).
* Atezolizumab (POPLAR/OAK, Claret 2018 Clin Cancer Res 24:3292; Chan 2021 CPT Pharmacometrics
  Syst Pharmacol 10:1171; Bruno 2020 Clin Cancer Res 26:1787): the KG/KS point estimates were
  NOT available in a stored copy (unverified), so none is given here;
  the verified statement is qualitative: with atezolizumab KG (regrowth) is slower and
  shrinkage smaller than with docetaxel (Claret 2018 abstract). The nearest verified numbers
  are Struemper 2025's pembrolizumab arm (another PD-(L)1 inhibitor), listed as a proxy.

oncodyn is research and teaching software, not a clinical decision tool.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Published:
    """One published set of typical values (per week for rates, mm for sizes) and variances."""

    model: str
    drug: str
    source: str
    theta_per_week: dict[str, float]
    omega: dict[str, float] = field(default_factory=dict)   # variances, log scale
    residual: str = ""
    note: str = ""


STRUEMPER_DOCETAXEL = Published(
    "stein_gd", "docetaxel",
    "Struemper 2025 CPT Pharmacometrics Syst Pharmacol 14:1006 Tables 2-3 (CHEMO arm, n = 34)",
    {"y0": 86.07, "g": 0.01822, "d": 0.03566},
    {"y0": 0.2645, "g": 0.8715, "d": 0.9174},
    "additive variance 6.324 mm^2 + proportional variance 0.01276",
    "SLD of up to 3 target lesions; y0 is shared by all arms of that model")
STRUEMPER_PEMBROLIZUMAB = Published(
    "stein_gd", "pembrolizumab (proxy for a PD-(L)1 inhibitor)",
    "Struemper 2025 CPT Pharmacometrics Syst Pharmacol 14:1006 Tables 2-3 (pembrolizumab arm)",
    {"y0": 86.07, "g": 0.00651, "d": 0.01700},
    {"y0": 0.2645, "g": 0.8715, "d": 0.9174},
    note="atezolizumab KG/KS of Claret 2018 / Chan 2021 not available in a stored copy")
CLARET2014 = Published(
    "claret_ts", "motesanib + carboplatin/paclitaxel",
    "Claret 2014 Clin Pharmacol Ther 95:446 Suppl Table S1 / Table 3 (MONET1, n = 934)",
    {"y0": 90.0, "kl": 0.00107 * 7, "kde": 0.0103 * 7, "lam": 0.0193 * 7},
    {"y0": 0.683**2, "kl": 1.18**2, "kde": 0.679**2, "lam": 0.797**2},
    "additive SD 7.849 mm", "published per day (0.00107, 0.0103, 0.0193 /d), shown per week")

PUBLISHED: dict[tuple[str, str], tuple[Published, ...]] = {
    ("stein_gd", "docetaxel"): (STRUEMPER_DOCETAXEL,),
    ("stein_gd", "atezolizumab"): (STRUEMPER_PEMBROLIZUMAB,),
    ("claret_ts", "docetaxel"): (CLARET2014,),
    ("claret_ts", "atezolizumab"): (CLARET2014,),
}
"""(model, drug of the fitted arm) -> the published sets to show beside the fit."""
