"""Trial page: two arms of virtual patients -> Kaplan–Meier by arm with the at-risk table,
hazard ratios (Cox) and the difference in objective response."""

from __future__ import annotations

import streamlit as st

from oncodyn.app import figures, services
from oncodyn.app.i18n import option_name, t
from oncodyn.app.ui import lang, show_figure, user_errors
from oncodyn.report.typography import number, percent
from oncodyn.scenarios import list_scenarios

L = lang()
st.title(t("page_trial", L))
st.write(t("trial_intro", L))
st.caption(t("disclaimer", L))
presets = list_scenarios()
arms = []
cols = st.columns(2)
for k, col in zip(("A", "B"), cols, strict=True):
    with col:
        st.subheader(t("arm", L, k=k))
        default = presets.index("nsclc_docetaxel") if "nsclc_docetaxel" in presets else 0
        name = st.selectbox(t("preset", L), presets, index=default, key=f"tr_preset_{k}",
                            format_func=lambda v: option_name("preset", v, L))
        scale = st.slider(t("arm_dose_scale", L), min_value=0, max_value=150,
                          value=0 if k == "A" else 100, step=5, key=f"tr_scale_{k}")
        arms.append({"label": k, "preset": name, "dose_scale": scale / 100})
c1, c2 = st.columns(2)
n = c1.slider(t("per_arm", L), min_value=20, max_value=1000, value=150, step=10, key="tr_n")
seed = c2.number_input(t("seed", L), min_value=0, max_value=2**31 - 1, value=1, step=1,
                       key="tr_seed")
if st.button(t("run", L), key="tr_run", type="primary"):
    bar = st.progress(0.0, text=t("running", L, n=2 * n))
    with user_errors("invalid_scenario"):
        st.session_state["tr_result"] = services.run_two_arm_trial(arms, n, seed)
        st.session_state["tr_token"] = st.session_state.get("tr_token", 0) + 1
    bar.empty()
res = st.session_state.get("tr_result")
if res is not None:
    main = res.main
    m1, m2, m3 = st.columns(3)
    orr = main["orr"]
    m1.metric(t("orr_diff", L), percent(100 * orr["estimate"], L, 1, signed=True),
              help=t("ci95", L, lo=percent(100 * orr["ci_low"], L, 1),
                     hi=percent(100 * orr["ci_high"], L, 1)))
    for col, what in ((m2, "pfs"), (m3, "os")):
        hr = main.get(what)
        if hr is not None:
            col.metric(t("hr", L, what=t(f"km_{what}", L).lower()), number(hr["estimate"], L, 2),
                       help=t("ci95", L, lo=number(hr["ci_low"], L, 2),
                              hi=number(hr["ci_high"], L, 2))
                       + ("\u202f; " if L == "fr" else "; ")
                       + t("logrank", L, p=number(hr["p"], L, 4)))
    # One figure at a time (only the chosen one is drawn; PNGs kept per language).
    shown = [w for w in ("pfs", "os") if w in main]
    if shown:
        what = st.radio(t("figure", L), shown, key="tr_figure", horizontal=True,
                        format_func=lambda v: t(f"fig_{v}", L))
        st.caption(t(f"km_{what}", L))
        _, mid, _ = st.columns([1, 4, 1])
        with mid:
            show_figure(lambda: figures.km_by_arm_figure(res, L, what),
                        f"tr-{st.session_state.get('tr_token', 0)}-{L}-{what}")
