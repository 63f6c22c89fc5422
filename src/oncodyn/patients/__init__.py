"""Virtual metastatic patients: scenario configuration (TOML, validated), cohort sampling, and the
calibration of presets to real data (Laleh et al. 2022 lesion series, POPLAR docetaxel arm).

Research and teaching software, not a clinical decision tool.
"""

from .calibrate import calibrate_nsclc_docetaxel as calibrate_nsclc_docetaxel
from .calibrate import fit_laleh_docetaxel as fit_laleh_docetaxel
from .calibrate import poplar_docetaxel_targets as poplar_docetaxel_targets
from .calibrate import virtual_arm_figures as virtual_arm_figures
from .cohort import Cohort as Cohort
from .cohort import sample_cohort as sample_cohort
from .config import Scenario as Scenario
