"""Scenario page: change a preset's treatment, imaging and strategy; run virtual patients."""

from __future__ import annotations

import streamlit as st

from oncodyn.app import figures, services
from oncodyn.app.i18n import option_name, t
from oncodyn.app.ui import lang, show_figure, user_errors
from oncodyn.report.typography import number, percent
from oncodyn.scenarios import list_scenarios

L = lang()
st.title(t("page_scenario", L))
st.write(t("scenario_intro", L))
st.caption(t("disclaimer", L))

presets = list_scenarios()
name = st.selectbox(t("preset", L), presets, key="sc_preset",
                    index=presets.index("nsclc_docetaxel") if "nsclc_docetaxel" in presets else 0,
                    format_func=lambda v: option_name("preset", v, L))
base = services.scenario_settings(name)
c1, c2, c3 = st.columns(3)
with c1:
    dose = st.number_input(t("dose", L), min_value=0.0, max_value=500.0,
                           value=base["dose_mg_m2"], step=5.0, key=f"sc_dose_{name}")
    cycle = st.number_input(t("cycle_days", L), min_value=1, max_value=84,
                            value=base["cycle_days"], step=1, key=f"sc_cycle_{name}")
    ncyc = st.number_input(t("n_cycles", L), min_value=0, max_value=60, value=base["n_cycles"],
                           step=1, key=f"sc_ncyc_{name}")
with c2:
    imaging = st.selectbox(t("imaging", L), services.SCHEDULES,
                           index=services.SCHEDULES.index(base["imaging"])
                           if base["imaging"] in services.SCHEDULES else 0, key=f"sc_img_{name}",
                           format_func=lambda v: option_name("schedule", v, L))
    policy = st.selectbox(t("policy", L), services.POLICIES,
                          index=services.POLICIES.index(base["policy"]), key=f"sc_pol_{name}",
                          format_func=lambda v: option_name("policy", v, L))
with c3:
    n = st.slider(t("patients", L), min_value=20, max_value=2000, value=200, step=20,
                  key="sc_n")
    seed = st.number_input(t("seed", L), min_value=0, max_value=2**31 - 1, value=1, step=1,
                           key="sc_seed")
radiation = []
keep_rt = True
if base["radiation"]:
    with st.expander(t("radiotherapy", L), expanded=False):
        keep_rt = st.checkbox(t("rt_keep", L), value=True, key=f"sc_rtkeep_{name}")
        for r in base["radiation"]:
            if r["modality"] == "ldr":
                continue
            d = st.number_input(t("rt_dose", L, name=r["name"]), min_value=0.1, max_value=25.0,
                                value=r["dose_per_fraction_gy"], step=0.1,
                                key=f"sc_rtd_{name}_{r['name']}")
            k = st.number_input(t("rt_fractions", L, name=r["name"]), min_value=1, max_value=60,
                                value=r["n_fractions"], step=1, key=f"sc_rtn_{name}_{r['name']}")
            radiation.append({"name": r["name"], "dose_per_fraction_gy": d, "n_fractions": k})
settings = {"preset": name, "dose_mg_m2": dose, "cycle_days": int(cycle), "n_cycles": int(ncyc),
            "imaging": imaging, "policy": policy, "radiation": radiation,
            "keep_radiation": keep_rt}

if st.button(t("run", L), key="sc_run", type="primary"):
    bar = st.progress(0.0, text=t("running", L, n=n))
    with user_errors("invalid_scenario"):
        st.session_state["sc_result"] = services.run_scenario(settings, n, seed)
        st.session_state["sc_token"] = st.session_state.get("sc_token", 0) + 1
        bar.progress(0.6, text=t("progress_plots", L))
    bar.empty()

res = st.session_state.get("sc_result")
if res is not None:
    k = f"sc-{st.session_state.get('sc_token', 0)}-{L}"
    s = res.summary()
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(t("orr", L), percent(100 * s["orr"], L, 1))
    m2.metric(t("dcr", L), percent(100 * s["dcr"], L, 1))
    pfs = s.get("median_pfs_months")
    m3.metric(t("median_pfs", L), "–" if pfs is None else f"{number(pfs, L, 1)} {t('months', L)}")
    os_m = s.get("median_os_months")
    m4.metric(t("median_os", L), "–" if os_m is None else f"{number(os_m, L, 1)} {t('months', L)}")
    # One figure at a time: only the chosen one is drawn, so a run or a language switch answers
    # quickly; each drawn figure is kept as a PNG per language (ui.show_figure).
    draw = {"burden": lambda: figures.burden_figure(res, L),
            "waterfall": lambda: figures.sim_waterfall_figure(res, L),
            "pfs": lambda: figures.km_figure(res, L, "pfs"),
            "os": lambda: figures.km_figure(res, L, "os"),
            "symptoms": lambda: figures.symptoms_figure(res, L)}
    if not figures.has_os(res):
        del draw["os"]
    which = st.radio(t("figure", L), list(draw), key="sc_figure", horizontal=True,
                     format_func=lambda v: t(f"fig_{v}", L))
    caption = {"burden": "burden", "waterfall": "waterfall", "pfs": "km_pfs", "os": "km_os",
               "symptoms": "symptoms"}[which]
    st.caption(t(caption, L))
    _, mid, _ = st.columns([1, 4, 1])
    with mid:
        show_figure(draw[which], f"{k}-{which}")
