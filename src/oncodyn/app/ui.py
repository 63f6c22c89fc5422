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


def show_figure(draw: Callable[[], Any]) -> None:
    """Draw a matplotlib figure with ``draw()`` (returns Axes or Figure), show it, close it."""
    import matplotlib.pyplot as plt

    obj = draw()
    fig = obj.figure if hasattr(obj, "figure") and not hasattr(obj, "savefig") else obj
    st.pyplot(fig, clear_figure=True)
    plt.close(fig)


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


@st.cache_data(show_spinner=False, max_entries=64)
def cached_forecast(key: str, subject: str, _result: Any) -> Any:
    """The next-scan forecast of ``subject`` (raises with the reason when none can be made)."""
    from ..report.case_io import forecast_for_case

    fc, why = forecast_for_case(_result, subject)
    if fc is None:
        raise ValueError(why)
    return fc
