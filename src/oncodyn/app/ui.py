"""Small helpers shared by the pages: the current language, safe error display, figures."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import streamlit as st

from ..errors import OncodynError
from .i18n import t


def lang() -> str:
    """The language chosen in the sidebar (``"en"`` by default)."""
    value = st.session_state.get("lang", "en")
    return value if value in ("en", "fr") else "en"


@contextmanager
def user_errors(key: str = "upload_error") -> Iterator[None]:
    """Show a bad input as a message on the page, never a traceback; the app keeps working.

    oncodyn's own errors (and ``ValueError``) carry a message meant for the user; anything else
    is shown by its kind only, so no patient data reaches the page or a log.
    """
    try:
        yield
    except (OncodynError, ValueError) as exc:
        st.error(t(key, lang(), message=str(exc)))
    except Exception as exc:  # noqa: BLE001 - the page must survive any bad upload
        st.error(t("unexpected_error", lang(), kind=type(exc).__name__))


def show_figure(draw: Callable[[], Any], key: str | None = None, dpi: int = 100) -> None:
    """Draw a matplotlib figure with ``draw()`` (Axes or Figure), show it as a PNG, close it.

    With ``key`` the PNG is kept in the session, so re-showing the same figure (a rerun, a
    language switch back) costs nothing; the key must change whenever the figure would.
    """
    import io

    import matplotlib.pyplot as plt

    cache = st.session_state.setdefault("_figures", {})
    png = cache.get(key) if key is not None else None
    if png is None:
        obj = draw()
        fig = obj.figure if hasattr(obj, "figure") and not hasattr(obj, "savefig") else obj
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
        plt.close(fig)
        png = buf.getvalue()
        if key is not None:
            if len(cache) > 64:
                cache.clear()
            cache[key] = png
    st.image(png, width="stretch")


@st.cache_data(show_spinner=False, max_entries=4)
def cached_example() -> Any:
    """The bundled example (generated once per server)."""
    from .services import example_lesions

    return example_lesions()


@st.cache_data(show_spinner=False, max_entries=4)
def cached_uploads(key: str, _uploads: Any, max_mb: float) -> Any:
    """Uploads read once per content (``key``: :func:`services.upload_key`), so choosing another
    patient does not read a large file again; errors are not cached (raised each time)."""
    from .services import load_uploads

    return load_uploads(_uploads, max_mb=max_mb)


@st.cache_data(show_spinner=False, max_entries=8)
def cached_recist(key: str, _data: Any) -> Any:
    """RECIST result of the data identified by ``key`` (a content hash; the data are not hashed
    again)."""
    from .services import recist_result

    return recist_result(_data)


_POPULATIONS: dict[str, Any] = {}
_POP_LOCK = threading.Lock()


def cached_population(key: str, result: Any, progress: Any = None) -> Any:
    """The cohort's population model, fitted once per data set and server.

    Kept in a small server-wide cache of our own (not ``st.cache_resource``: a cached function
    may not drive a page's progress bar). ``progress(done, total)`` is called during a fit.
    Raises (``ValueError``/``OncodynError`` with the reason) when no model can be fitted; the
    failure is remembered too, so a rerun does not fit again.
    """
    from ..population.next_scan import cohort_population
    from ..report.case_io import cohort_sums

    with _POP_LOCK:
        hit = _POPULATIONS.get(key)
    if hit is None:
        try:
            hit = (True, cohort_population(*cohort_sums(result), progress=progress))
        except (OncodynError, ValueError) as exc:
            hit = (False, exc)
        with _POP_LOCK:
            if len(_POPULATIONS) >= 4:
                _POPULATIONS.pop(next(iter(_POPULATIONS)))
            _POPULATIONS[key] = hit
    ok, value = hit
    if not ok:
        raise value
    return value


def clear_population_cache() -> None:
    """Forget every fitted population model (benchmarks measure a first fit)."""
    with _POP_LOCK:
        _POPULATIONS.clear()


@st.cache_data(show_spinner=False, max_entries=64)
def cached_forecast(key: str, subject: str, _result: Any, _population: Any) -> Any:
    """The next-scan forecast of ``subject`` (raises with the reason when none can be made)."""
    from ..report.case_io import forecast_for_case

    fc, why = forecast_for_case(_result, subject, _population)
    if fc is None:
        raise ValueError(why)
    return fc
