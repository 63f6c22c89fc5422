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


def test_every_page_loads_and_the_language_switch_changes_the_words(app_server, browser,
                                                                    screenshots):
    url = app_server["url"]
    browser.get(url + "/radiation")
    _wait_text(browser, "Total BED")
    _idle(browser)
    browser.save_screenshot(str(screenshots / "radiation_en.png"))
    _set_language(browser, "Français")
    _wait_text(browser, "BED totale")
    _idle(browser)
    _no_traceback(browser)
    browser.save_screenshot(str(screenshots / "radiation_fr.png"))
    _set_language(browser, "English")
    _wait_text(browser, "Total BED")
    for path, text in (("/", "Best overall response"), ("/scenario", "Virtual patients"),
                       ("/trial", "Patients per arm")):
        browser.get(url + path)
        _wait_text(browser, text)
        _idle(browser)
        _no_traceback(browser)
        browser.save_screenshot(str(screenshots / f"{path.strip('/') or 'patient'}_en.png"))


def test_a_scenario_runs_and_shows_its_endpoints(app_server, browser, screenshots):
    browser.get(app_server["url"] + "/scenario")
    _wait_text(browser, "Virtual patients")
    _idle(browser)
    _click_text(browser, "Run")
    _wait_text(browser, "Objective response (CR + PR)")
    _idle(browser)
    _no_traceback(browser)
    browser.save_screenshot(str(screenshots / "scenario_run_en.png"))


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
    browser.save_screenshot(str(screenshots / "patient_upload_en.png"))


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
    browser.save_screenshot(str(screenshots / "patient_bad_upload_en.png"))
    big = tmp_path / "big.csv"  # the server was started with a 1 MB limit
    big.write_bytes(b"subject_id,tp,lesion_id\n" + b"A,0,T1\n" * 200_000)
    _upload(browser, big)
    _wait_text(browser, "1.0MB")  # Streamlit's own refusal names the limit
    _no_traceback(browser)
    browser.get(app_server["url"] + "/radiation")
    _wait_text(browser, "Total BED")  # still serving
