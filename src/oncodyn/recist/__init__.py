"""RECIST 1.1 engine (placeholder docstring, replaced below)."""
from .cases import case_frames, evaluate_case
from .engine import RecistResult, evaluate
from .options import MissedVisitCensoring, RecistOptions
__all__ = ["evaluate", "evaluate_case", "case_frames", "RecistResult", "RecistOptions", "MissedVisitCensoring"]
