"""The app in a real headless Chromium: every page loads, a file uploads, a scenario runs, the
language switches, bad uploads give a message (never a traceback) and the app keeps working.

Screenshots are saved (``ONCODYN_SCREENSHOTS`` or a temp folder) so a person can look at them.
"""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.browser

WAIT_S = 60


def _wait_text(drv, text: str, timeout: float = WAIT_S) -> None:
    from selenium.webdriver.common.by import By

    deadline = time.time() + timeout
    while time.time() < deadline:
        body = drv.find_element(By.TAG_NAME, "body").text
        if text in body:
            return
        time.sleep(0.25)
    raise AssertionError(f"text {text!r} not shown within {timeout} s; page shows:\n"
                         f"{drv.find_element(By.TAG_NAME, 'body').text[:2000]}")


def _idle(drv, timeout: float = WAIT_S) -> None:
    """Wait until Streamlit has finished running the script (no 'Running...' status widget)."""
    from selenium.webdriver.common.by import By

    time.sleep(0.5)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not drv.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]'):
            return
        time.sleep(0.25)
    raise AssertionError("the app kept running")


def _no_traceback(drv) -> None:
    from selenium.webdriver.common.by import By

    body = drv.find_element(By.TAG_NAME, "body").text
    assert "Traceback" not in body and 'File "' not in body
    assert not drv.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')


def _click_text(drv, text: str) -> None:
    from selenium.webdriver.common.by import By

    el = drv.find_element(By.XPATH, f"//*[normalize-space(text())={text!r}]")
    drv.execute_script("arguments[0].click();", el)


def _choose_radio(drv, text: str, timeout: float = WAIT_S) -> None:
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By

    deadline = time.time() + timeout
    while True:
        try:
            for opt in drv.find_elements(By.CSS_SELECTOR, '[data-testid="stRadioOption"]'):
                if opt.text.strip() == text:
                    opt.click()
                    return
        except WebDriverException:
            if time.time() > deadline:
                raise
        if time.time() > deadline:
            raise AssertionError(f"radio option {text!r} not found")
        time.sleep(0.3)


def _upload(drv, path) -> None:
    from selenium.webdriver.common.by import By

    inp = drv.find_element(By.CSS_SELECTOR, 'input[type="file"]')
    inp.send_keys(str(path))


def _set_language(drv, name: str) -> None:
    from selenium.webdriver.common.by import By

    box = drv.find_element(By.CSS_SELECTOR, '[data-testid="stSidebar"] [data-testid="stSelectbox"]')
    box.find_element(By.CSS_SELECTOR, "input[role='combobox']").click()
    time.sleep(0.5)
    for opt in drv.find_elements(By.CSS_SELECTOR, "[role='option']"):
        if opt.text.strip() == name:
            opt.click()
            return
    raise AssertionError(f"language option {name!r} not found")


def _shot(drv, path) -> None:
    """Save a screenshot, reduced to 1000 px wide (modest PNGs for the docs)."""
    from PIL import Image

    drv.save_screenshot(str(path))
    img = Image.open(path)
    if img.width > 1000:
        img = img.resize((1000, round(img.height * 1000 / img.width)), Image.LANCZOS)
    img.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(
        path, optimize=True)


def _scroll_to(drv, text: str) -> None:
    from selenium.webdriver.common.by import By

    el = drv.find_element(By.XPATH, f"//*[normalize-space(text())={text!r}]")
    drv.execute_script("arguments[0].scrollIntoView({block: 'start'});", el)
    time.sleep(0.5)


def _wait_file(folder, pattern: str, timeout: float = WAIT_S):
    deadline = time.time() + timeout
    while time.time() < deadline:
        done = [p for p in folder.glob(pattern) if p.stat().st_size > 0]
        if done and not list(folder.glob("*.crdownload")):
            return done[0]
        time.sleep(0.25)
    raise AssertionError(f"no {pattern} downloaded into {folder} within {timeout} s")


def test_every_page_loads_and_the_language_switch_changes_the_words(app_server, browser,
                                                                    screenshots):
    url = app_server["url"]
    browser.get(url + "/radiation")
    _wait_text(browser, "Total BED")
    _idle(browser)
    _shot(browser, screenshots / "radiation_en.png")
    _set_language(browser, "Français")
    _wait_text(browser, "BED totale")
    _idle(browser)
    _no_traceback(browser)
    _shot(browser, screenshots / "radiation_fr.png")
    _set_language(browser, "English")
    _wait_text(browser, "Total BED")
    for path, text in (("/", "Best overall response"), ("/scenario", "Virtual patients"),
                       ("/trial", "Patients per arm")):
        browser.get(url + path)
        _wait_text(browser, text)
        _idle(browser)
        _no_traceback(browser)
        _shot(browser, screenshots / f"{path.strip('/') or 'patient'}_en.png")


def test_a_scenario_runs_and_shows_its_endpoints_in_both_languages(app_server, browser,
                                                                   screenshots):
    browser.get(app_server["url"] + "/scenario")
    _wait_text(browser, "Virtual patients")
    _idle(browser)
    _click_text(browser, "Run")
    _wait_text(browser, "Objective response (CR + PR)")
    _idle(browser)
    _no_traceback(browser)
    _scroll_to(browser, "Objective response (CR + PR)")
    _shot(browser, screenshots / "scenario_run_en.png")
    _set_language(browser, "Français")
    _wait_text(browser, "Réponse objective (RC + RP)")
    _idle(browser)
    _choose_radio(browser, "Symptômes")
    _wait_text(browser, "Score de symptômes de 0 à 100")
    _idle(browser)
    _no_traceback(browser)
    _scroll_to(browser, "Réponse objective (RC + RP)")
    _shot(browser, screenshots / "scenario_symptoms_fr.png")
    _set_language(browser, "English")
    _wait_text(browser, "Objective response (CR + PR)")


def test_a_two_arm_trial_runs_and_shows_kaplan_meier_by_arm(app_server, browser, screenshots):
    browser.get(app_server["url"] + "/trial")
    _wait_text(browser, "Patients per arm")
    _idle(browser)
    _click_text(browser, "Run")
    _wait_text(browser, "Hazard ratio, progression-free survival")
    _idle(browser)
    _no_traceback(browser)
    _scroll_to(browser, "Difference in objective response (B − A)")
    _shot(browser, screenshots / "trial_run_en.png")


def test_the_patient_page_forecast_and_report_downloads(app_server, browser, screenshots,
                                                        tmp_path):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd("Browser.setDownloadBehavior",
                            {"behavior": "allow", "downloadPath": str(downloads)})
    browser.get(app_server["url"] + "/")
    _wait_text(browser, "What the model expects next")
    _wait_text(browser, "Download this patient's report (PDF)", timeout=180)
    _idle(browser, timeout=180)
    _no_traceback(browser)
    _scroll_to(browser, "What the model expects next")
    _shot(browser, screenshots / "patient_forecast_en.png")
    _click_text(browser, "Download this patient's report (HTML)")
    page = _wait_file(downloads, "*.html").read_text(encoding="utf-8")
    assert "Case report: patient VP-" in page and "What the model expects at the next scan" in page
    assert "Research and teaching software" in page
    _click_text(browser, "Download this patient's report (PDF)")
    assert _wait_file(downloads, "*.pdf").read_bytes()[:5] == b"%PDF-"
    _set_language(browser, "Français")
    _wait_text(browser, "Ce que le modèle prévoit ensuite")
    _idle(browser)
    _no_traceback(browser)
    _scroll_to(browser, "Ce que le modèle prévoit ensuite")
    _shot(browser, screenshots / "patient_forecast_fr.png")
    _set_language(browser, "English")
    _wait_text(browser, "What the model expects next")


def test_an_uploaded_lesion_table_is_evaluated(app_server, browser, screenshots, tmp_path):
    from oncodyn.app.services import example_lesions

    path = tmp_path / "my lesions.csv"
    example_lesions(n_patients=6, seed=5).lesions.to_csv(path, index=False)
    browser.get(app_server["url"] + "/")
    _wait_text(browser, "Best overall response")
    _idle(browser)
    _choose_radio(browser, "Upload files")
    _wait_text(browser, "At most 1 MB per upload.")
    _upload(browser, path)
    _wait_text(browser, "lesion rows read from my_lesions.csv")
    _idle(browser)
    _no_traceback(browser)
    _shot(browser, screenshots / "patient_upload_en.png")


def test_an_sdtm_tu_tr_pair_is_uploaded_together_and_evaluated(app_server, browser,
                                                               screenshots, tmp_path, sdtm_pair):
    tu, tr = sdtm_pair
    paths = [tmp_path / "tu.csv", tmp_path / "tr.csv"]
    tu.to_csv(paths[0], index=False)
    tr.to_csv(paths[1], index=False)
    browser.get(app_server["url"] + "/")
    _wait_text(browser, "Best overall response")
    _idle(browser)
    _choose_radio(browser, "Upload files")
    _wait_text(browser, "At most 1 MB per upload.")
    _upload(browser, "\n".join(str(p) for p in paths))
    _wait_text(browser, "lesion rows read from SDTM")
    _idle(browser)
    _no_traceback(browser)
    _shot(browser, screenshots / "patient_sdtm_en.png")


def test_a_malformed_or_oversized_upload_gives_a_message_and_the_app_keeps_working(
        app_server, browser, screenshots, tmp_path):
    bad = tmp_path / "broken.csv"
    bad.write_text("subject_id,tp,lesion_id\nA,zero,T1\n")
    browser.get(app_server["url"] + "/")
    _wait_text(browser, "Best overall response")
    _idle(browser)
    _choose_radio(browser, "Upload files")
    _wait_text(browser, "At most 1 MB per upload.")
    _upload(browser, bad)
    _wait_text(browser, "This file could not be used")
    _idle(browser)
    _no_traceback(browser)
    _shot(browser, screenshots / "patient_bad_upload_en.png")
    big = tmp_path / "big.csv"  # the server was started with a 1 MB limit
    big.write_bytes(b"subject_id,tp,lesion_id\n" + b"A,0,T1\n" * 200_000)
    _upload(browser, big)
    _wait_text(browser, "1.0MB")  # Streamlit's own refusal names the limit
    _no_traceback(browser)
    browser.get(app_server["url"] + "/radiation")
    _wait_text(browser, "Total BED")  # still serving
