"""Patient page: lesion data -> data check, RECIST time points with reasons, best response,
spider and waterfall plots, the model's forecast with its uncertainty, and the case report."""

from __future__ import annotations

import streamlit as st

from oncodyn.app import figures, services
from oncodyn.app.i18n import t
from oncodyn.app.ui import (
    cached_example,
    cached_forecast,
    cached_population,
    cached_recist,
    lang,
    show_figure,
    user_errors,
)
from oncodyn.errors import OncodynError

L = lang()
st.title(t("page_patient", L))
st.write(t("patient_intro", L))
st.caption(t("disclaimer", L))
max_mb = float(st.session_state.get("max_upload_mb", services.DEFAULT_MAX_UPLOAD_MB))

source = st.radio(t("source", L), ["example", "upload"], key="patient_source", horizontal=True,
                  format_func=lambda k: t(f"source_{k}", L))
data = None
if source == "upload":
    files = st.file_uploader(t("upload_label", L), type=["csv", "parquet", "pq"],
                             accept_multiple_files=True, key="patient_files")
    st.caption(t("upload_limit", L, mb=f"{max_mb:g}"))
    if files:
        bar = st.progress(0.0, text=t("progress_read", L))
        with user_errors():
            uploads = [services.Upload(f.name, f.getvalue()) for f in files]
            data = services.load_uploads(uploads, max_mb=max_mb)
        if data is None:
            bar.empty()
        else:
            bar.progress(0.3, text=t("progress_recist", L))
else:
    bar = st.progress(0.0, text=t("progress_read", L))
    data = cached_example()
    bar.progress(0.3, text=t("progress_recist", L))

if data is not None:
    result = None
    with user_errors():
        result = cached_recist(data.key, data)
    if result is None:
        bar.empty()
    else:
        bar.progress(0.7, text=t("progress_plots", L))
        n_subj = int(result.best_response["subject_id"].nunique())
        with st.expander(t("cleaning", L), expanded=source == "upload"):
            src = (t("example_source", L, **data.extra) if data.format == "example"
                   else data.source)
            st.write(t("cleaning_summary", L, rows=data.rows_read, source=src,
                       subjects=n_subj, messages=len(result.messages)))
            for note in data.notes:
                st.write("- " + note)
            if len(result.messages):
                st.dataframe(result.messages, hide_index=True)
        subjects = result.best_response["subject_id"].astype(str).tolist()
        subject = st.selectbox(t("choose_patient", L), subjects, key="patient_subject")
        st.subheader(t("best_response", L))
        br = result.best_response
        st.dataframe(figures.best_response_table(br, L), hide_index=True)
        st.subheader(t("timepoints", L))
        tp = result.timepoints
        st.dataframe(figures.timepoint_table(tp[tp["subject_id"].astype(str) == subject], L),
                     hide_index=True)
        c1, c2 = st.columns(2)
        with c1:
            st.caption(t("spider", L))
            show_figure(lambda: figures.spider_figure(result, L, highlight=subject),
                        f"pt-{data.key}-{L}-spider-{subject}")
        with c2:
            st.caption(t("waterfall", L))
            show_figure(lambda: figures.waterfall_figure(result, L), f"pt-{data.key}-{L}-wf")
        st.subheader(t("forecast", L))
        with user_errors("forecast_unavailable"):
            fc = cached_forecast(data.key, subject, result)
            st.write(figures.forecast_sentence(fc, L))
            facts = services.case_facts(result, subject)
            show_figure(lambda: figures.forecast_figure(fc, L, facts))
        with user_errors():
            try:
                pop = cached_population(data.key, result)
            except (ValueError, OncodynError):
                pop = None
            html = services.case_report_html(result, subject, L, pop)
            st.download_button(t("download_report", L, fmt="HTML"), html,
                               file_name=f"oncodyn-report-{L}.html", mime="text/html",
                               key="download_html")
        bar.progress(1.0, text=t("progress_done", L))
