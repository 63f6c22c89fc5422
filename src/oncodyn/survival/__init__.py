"""Survival endpoints: Kaplan–Meier with Brookmeyer–Crowley median CI, binomial CIs, Cox and
log-rank (statsmodels, :mod:`.estimators`), and the tumour-dynamics -> OS link (:mod:`.tgi_os`)."""

from .estimators import CoxFit as CoxFit
from .estimators import cox as cox
from .estimators import logrank as logrank
from .km import KaplanMeier as KaplanMeier
from .km import MedianCI as MedianCI
from .km import kaplan_meier as kaplan_meier
from .km import median_ci as median_ci
from .proportions import clopper_pearson_ci as clopper_pearson_ci
from .proportions import wilson_ci as wilson_ci
