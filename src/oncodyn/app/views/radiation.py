"""Radiation page: BED/EQD2 calculator, external beam plus brachytherapy (summed)."""

from __future__ import annotations

import streamlit as st

from oncodyn.app import services
from oncodyn.app.i18n import t
from oncodyn.app.ui import lang, user_errors
from oncodyn.report.typography import number, quantity

L = lang()
st.title(t("page_radiation", L))
st.write(t("radiation_intro", L))
st.caption(t("disclaimer", L))

ab = st.number_input(t("alpha_beta", L), min_value=0.5, max_value=30.0, value=10.0, step=0.5,
                     key="rt_ab")
c1, c2 = st.columns(2)
with c1:
    st.subheader(t("ebrt", L))
    n_ebrt = st.number_input(t("fractions", L), min_value=0, max_value=60, value=25, step=1,
                             key="rt_ebrt_n")
    d_ebrt = st.number_input(t("dose_per_fraction", L), min_value=0.1, max_value=25.0,
                             value=1.8, step=0.1, key="rt_ebrt_d")
with c2:
    st.subheader(t("brachy", L))
    kind = st.radio(t("brachy_kind", L), ["none", "hdr", "ldr"], index=1, key="rt_brachy",
                    format_func=lambda k: t(k, L), horizontal=True)
    courses = []
    if kind == "hdr":
        n_b = st.number_input(t("fractions", L), min_value=1, max_value=20, value=4, step=1,
                              key="rt_hdr_n")
        d_b = st.number_input(t("dose_per_fraction", L), min_value=0.1, max_value=25.0,
                              value=7.0, step=0.5, key="rt_hdr_d")
        courses.append({"kind": "fractions", "n": n_b, "d": d_b, "name": t("brachy", L)})
    elif kind == "ldr":
        rate = st.number_input(t("dose_rate", L), min_value=0.01, max_value=2.0, value=0.5,
                               step=0.05, key="rt_ldr_rate")
        hours = st.number_input(t("duration", L), min_value=1.0, max_value=400.0, value=60.0,
                                step=1.0, key="rt_ldr_h")
        courses.append({"kind": "ldr", "rate": rate, "hours": hours, "name": t("brachy", L)})
if n_ebrt > 0:
    courses.insert(0, {"kind": "fractions", "n": n_ebrt, "d": d_ebrt, "name": t("ebrt", L)})

with user_errors("invalid_scenario"):
    if courses:
        res = services.radiation_summary(courses, ab, L)
        import pandas as pd

        table = pd.DataFrame([{t("col_course", L): r["course"], t("col_schedule", L): r["schedule"],
                               t("col_total_dose", L): number(r["total_dose_gy"], L, 1),
                               "BED (Gy)": number(r["bed_gy"], L, 1),
                               "EQD2 (Gy)": number(r["eqd2_gy"], L, 1)} for r in res["courses"]])
        st.dataframe(table, hide_index=True)
        st.success(t("bed_result", L, bed=quantity(res["bed_gy"], "Gy", L, 1),
                     eqd2=quantity(res["eqd2_gy"], "Gy", L, 1), ab=quantity(ab, "Gy", L, 1)))
        st.caption(t("radiation_note", L))
