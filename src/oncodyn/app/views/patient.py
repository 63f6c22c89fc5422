"""Patient page: lesion data -> data check, RECIST time points with reasons, best response,
spider and waterfall plots, the model's forecast with its uncertainty, and the case report."""

from __future__ import annotations

import streamlit as st

from oncodyn.app import figures, services
from oncodyn.app.i18n import option_name, t
from oncodyn.app.ui import (
    cached_example,
    cached_forecast,
    cached_population,
    cached_recist,
    cached_uploads,
    lang,
    show_figure,
    user_errors,
)

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
            data = cached_uploads(services.upload_key(uploads), uploads, max_mb)
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
            src = (t("example_source", L, **{**data.extra, "preset": option_name(
                       "preset", data.extra["preset"], L)}) if data.format == "example"
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
        # One figure at a time (only the chosen one is drawn; PNGs kept per language).
        which = st.radio(t("figure", L), ["spider", "waterfall"], key="patient_figure",
                         horizontal=True, format_func=lambda v: t(f"fig_{v}", L))
        st.caption(t(which, L))
        _, mid, _ = st.columns([1, 4, 1])
        with mid:
            if which == "spider":
                show_figure(lambda: figures.spider_figure(result, L, highlight=subject),
                            f"pt-{data.key}-{L}-spider-{subject}")
            else:
                show_figure(lambda: figures.waterfall_figure(result, L), f"pt-{data.key}-{L}-wf")
        bar.empty()
        st.subheader(t("forecast", L))
        pop = None
        with user_errors("forecast_unavailable"):
            fit_bar = st.progress(0.0, text=t("fitting_population", L))
            try:
                pop = cached_population(
                    data.key, result,
                    lambda done, total: fit_bar.progress(min(done / max(total, 1), 1.0),
                                                         text=t("fitting_population", L)))
            finally:
                fit_bar.empty()
            fc = cached_forecast(data.key, subject, result, pop)
            st.write(figures.forecast_sentence(fc, L))
            facts = services.case_facts(result, subject)
            _, mid, _ = st.columns([1, 4, 1])
            with mid:
                show_figure(lambda: figures.forecast_figure(fc, L, facts),
                            f"pt-{data.key}-{L}-fc-{subject}")
        # The report is written only when a button is clicked (deferred data): no cost on reruns.
        with user_errors():
            c1, c2 = st.columns(2)
            c1.download_button(
                t("download_report", L, fmt="HTML"),
                services.case_report_maker(result, subject, L, pop, "html"),
                file_name=f"oncodyn-report-{L}.html", mime="text/html", key="download_html",
                on_click="ignore")
            c2.download_button(
                t("download_report", L, fmt="PDF"),
                services.case_report_maker(result, subject, L, pop, "pdf"),
                file_name=f"oncodyn-report-{L}.pdf", mime="application/pdf",
                key="download_pdf", on_click="ignore")
            st.caption(t("report_pdf_note", L))
