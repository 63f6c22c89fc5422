"""Entry script of ``oncodyn app`` (``streamlit run`` runs this file).

Four pages over oncodyn's public API (Patient, Scenario, Trial, Radiation) and a language switch
that changes every label, text and figure label. Research and teaching software, not a clinical
decision tool: every page says so.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from oncodyn.app.i18n import LANG_NAMES, t
from oncodyn.app.ui import lang

HERE = Path(__file__).resolve().parent

st.set_page_config(page_title="oncodyn", layout="wide")
if "lang" not in st.session_state:
    st.session_state["lang"] = "en"
if "max_upload_mb" not in st.session_state:
    try:
        st.session_state["max_upload_mb"] = float(os.environ.get("ONCODYN_APP_MAX_UPLOAD_MB", 50))
    except ValueError:
        st.session_state["max_upload_mb"] = 50.0
st.sidebar.selectbox(t("language", lang()), list(LANG_NAMES), key="lang",
                     format_func=LANG_NAMES.get)
L = lang()
pages = [
    st.Page(str(HERE / "views" / "patient.py"), title=t("page_patient", L), url_path="patient",
            default=True),
    st.Page(str(HERE / "views" / "scenario.py"), title=t("page_scenario", L),
            url_path="scenario"),
    st.Page(str(HERE / "views" / "trial.py"), title=t("page_trial", L), url_path="trial"),
    st.Page(str(HERE / "views" / "radiation.py"), title=t("page_radiation", L),
            url_path="radiation"),
]
nav = st.navigation(pages)
st.sidebar.markdown("**" + t("app_title", L) + "**")
st.sidebar.caption(t("story", L))
st.sidebar.caption(t("disclaimer", L))
nav.run()
