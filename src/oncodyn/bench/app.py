"""``oncodyn bench app``: how long the web app's pages take to answer (server side).

Each figure is the wall time of the page's script run under Streamlit's headless ``AppTest``
harness (the same code a browser session runs, without the browser's drawing time), or of the
page's service call for uploads (AppTest cannot upload files). Baselines measured in the same run
say how much of it is oncodyn's work: ``simulate_200_s`` (the simulator alone) and
``recist_20000_rows_s`` (the RECIST engine alone).

JSON keys: ``page_load_s`` (per page), ``scenario_run_200_s``, ``language_switch_s``,
``scenario_figure_switch_s`` (the slowest of the other figures of the 200-patient run),
``trial_run_s``, ``patient_subject_switch_s`` (median of three; ``..._first_s``: the first,
which also pays for lazy imports), ``patient_population_fit_s`` (the one-off fit of
the population model behind the forecast, once per data set and server, with a progress bar),
``upload_20000_rows_s``, ``upload_rows``, ``simulate_200_s``, ``recist_20000_rows_s``,
``target_s`` (2.0), ``within_target`` (per interaction).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

TARGET_S = 2.0
PAGES = ("patient", "scenario", "trial", "radiation")


def _timed(fn) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def run(json_out: Path | None = None, *, rows: int = 20_000, seed: int = 1) -> dict[str, Any]:
    """Measure every interaction once (after one warm-up run of the app's imports)."""
    from streamlit.testing.v1 import AppTest

    from ..app import MAIN, services
    from ..app.ui import clear_population_cache
    from ..recist import evaluate
    from ..simulate import simulate

    clear_population_cache()  # the first Patient visit below includes the fit
    at = AppTest.from_file(str(MAIN), default_timeout=600)
    out: dict[str, Any] = {"page_load_s": {}}
    out["patient_population_fit_s"], _ = _timed(at.run)  # first visit: example + fit
    subjects = at.selectbox(key="patient_subject").options
    switches = []
    for sid in subjects[1:4]:  # the first one also pays for lazy imports
        at.selectbox(key="patient_subject").set_value(sid)
        switches.append(_timed(at.run)[0])
    out["patient_subject_switch_first_s"] = switches[0]
    out["patient_subject_switch_s"] = sorted(switches)[1]  # median of three
    for page in PAGES:
        at.switch_page(f"views/{page}.py")
        out["page_load_s"][page], _ = _timed(at.run)
    at.switch_page("views/scenario.py").run()
    at.selectbox(key="sc_preset").set_value("nsclc_docetaxel").run()
    at.slider(key="sc_n").set_value(200)
    at.number_input(key="sc_seed").set_value(seed)
    at.button(key="sc_run").click()
    out["scenario_run_200_s"], _ = _timed(at.run)
    at.session_state["lang"] = "fr"
    out["language_switch_s"], _ = _timed(at.run)
    at.session_state["lang"] = "en"
    at.run()
    switches = []
    for which in ("waterfall", "pfs", "os", "symptoms"):
        at.radio(key="sc_figure").set_value(which)
        switches.append(_timed(at.run)[0])
    out["scenario_figure_switch_s"] = max(switches)
    at.switch_page("views/trial.py").run()
    at.slider(key="tr_n").set_value(100)
    at.button(key="tr_run").click()
    out["trial_run_s"], _ = _timed(at.run)
    if at.exception:
        raise RuntimeError(f"the app raised: {at.exception[0].message}")

    out["simulate_200_s"], _ = _timed(
        lambda: simulate("nsclc_docetaxel", n_patients=200, seed=seed, keep="all"))
    n = max(20, rows // 60)
    while True:  # enough virtual patients for ``rows`` lesion rows
        les = services.example_lesions(n_patients=n, seed=seed).lesions
        if len(les) >= rows:
            break
        n = int(n * 1.5 * rows / max(len(les), 1)) + 1
    les = les.iloc[:rows]
    les = les[les["subject_id"].isin(les["subject_id"].unique()[:-1])]  # whole subjects only
    payload = les.to_csv(index=False).encode()
    up = [services.Upload("lesions.csv", payload)]
    out["upload_rows"] = int(len(les))
    out["upload_20000_rows_s"], data = _timed(
        lambda: services.recist_result(services.load_uploads(up, max_mb=200)))
    out["recist_20000_rows_s"], _ = _timed(lambda: evaluate(les))
    out["target_s"] = TARGET_S
    inter = {f"page_load_{k}": v for k, v in out["page_load_s"].items()}
    inter.update(scenario_run_200=out["scenario_run_200_s"],
                 language_switch=out["language_switch_s"],
                 scenario_figure_switch=out["scenario_figure_switch_s"],
                 trial_run=out["trial_run_s"],
                 patient_subject_switch=out["patient_subject_switch_s"])
    out["within_target"] = {k: bool(v <= TARGET_S) for k, v in inter.items()}
    out["note"] = ("server-side script time under streamlit.testing AppTest; the browser adds "
                   "its drawing time. Uploads: the page's service call (read + RECIST).")
    if json_out is not None:
        Path(json_out).write_text(json.dumps(out, indent=2) + "\n")
    return out


def bench_app(
    json_out: Annotated[Path, typer.Option("--json", help="Where to write the JSON result.")]
    = Path("bench-app.json"),
    rows: Annotated[int, typer.Option("--rows", help="Rows of the upload test.")] = 20_000,
) -> None:
    """Web-app responsiveness: page loads, a 200-patient scenario, a language switch, a trial and
    a 20,000-row upload (server-side times; target 2 s per interaction)."""
    from ..errors import ConfigError

    if json_out.exists() and json_out.is_dir():
        raise ConfigError(f"--json {json_out} is a folder")
    if rows < 100:
        raise ConfigError(f"--rows must be at least 100, got {rows}")
    out = run(json_out, rows=rows)
    for k, v in out["page_load_s"].items():
        typer.echo(f"page {k}: {v:.2f} s")
    for k in ("scenario_run_200_s", "language_switch_s", "scenario_figure_switch_s",
              "trial_run_s", "patient_subject_switch_s", "patient_population_fit_s",
              "upload_20000_rows_s", "simulate_200_s", "recist_20000_rows_s"):
        typer.echo(f"{k}: {out[k]:.2f} s")
    typer.echo(f"within {TARGET_S:g} s: {sum(out['within_target'].values())}/"
               f"{len(out['within_target'])}; wrote {json_out}")
