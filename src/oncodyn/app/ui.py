"""Small helpers shared by the pages: the current language, safe error display, figures."""

from __future__ import annotations

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


@st.cache_data(show_spinner=False, max_entries=8)
def cached_recist(key: str, _data: Any) -> Any:
    """RECIST result of the data identified by ``key`` (a content hash; the data are not hashed
    again)."""
    from .services import recist_result

    return recist_result(_data)


@st.cache_resource(show_spinner=False, max_entries=4)
def cached_population(key: str, _result: Any) -> Any:
    """The cohort's population model (fitted once per data set; raises when it cannot be)."""
    from ..population.next_scan import cohort_population
    from ..report.case_io import cohort_sums

    return cohort_population(*cohort_sums(_result))


@st.cache_data(show_spinner=False, max_entries=64)
def cached_forecast(key: str, subject: str, _result: Any) -> Any:
    """The next-scan forecast of ``subject`` (raises with the reason when none can be made)."""
    from ..report.case_io import forecast_for_case

    fc, why = forecast_for_case(_result, subject, cached_population(key, _result))
    if fc is None:
        raise ValueError(why)
    return fc
