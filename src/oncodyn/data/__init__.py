"""Tumour-size data: the canonical long table, cleaning policy, readers, writers, public data sets.

The only package of oncodyn that touches files. ``import oncodyn`` does not import it (it needs
pandas); import it as ``import oncodyn.data``.

Canonical table (see :func:`validate_tumour_sizes`): ``study, arm, subject, series, time (days),
size (mm)``, then covariates; one row per reading, series key ``(study, subject, series)``.
Every reader returns a :class:`LoadResult` whose :class:`LoadReport` accounts for every source
row (``rows_read == rows_loaded + rows_dropped``), each drop and change with its reason.
"""

from ._policy import REASONS as REASONS
from ._policy import CleaningPolicy as CleaningPolicy
from ._schema import SERIES_KEY as SERIES_KEY
from ._schema import TUMOUR_SIZE_COLUMNS as TUMOUR_SIZE_COLUMNS
from ._schema import validate_tumour_sizes as validate_tumour_sizes
from .datasets import detect_format as detect_format
from .datasets import read_any as read_any
from .datasets import read_laleh_s1 as read_laleh_s1
from .datasets import read_tumorgrowth_flat as read_tumorgrowth_flat
from .fetch import FetchResult as FetchResult
from .fetch import fetch_laleh2022 as fetch_laleh2022
from .readers import read_tumour_sizes as read_tumour_sizes
from .report import LoadReport as LoadReport
from .report import LoadResult as LoadResult
from .writers import write_tumour_sizes as write_tumour_sizes
