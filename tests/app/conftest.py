"""Fixtures of the web-app tests: a running ``oncodyn app`` server and a headless Chromium.

The browser is Debian's ``chromium`` driven by ``chromedriver`` (Selenium, no browser download).
Without them the browser tests skip, except under ``CI=true`` where ``.ci/run`` installs them and
a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """Start ``oncodyn app`` on a free local port (small upload limit to test the refusal)."""
    from oncodyn.app import streamlit_command

    port = _free_port()
    log = tmp_path_factory.mktemp("app") / "server.log"
    env = dict(os.environ, ONCODYN_APP_MAX_UPLOAD_MB="1", MPLBACKEND="Agg")
    with open(log, "wb") as fh:
        proc = subprocess.Popen(streamlit_command(port=port, max_upload_mb=1), stdout=fh,
                                stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail(f"oncodyn app did not start: {log.read_text()[-2000:]}")
    yield {"url": url, "port": port, "log": log, "proc": proc}
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        msg = "Debian chromium + chromium-driver are not installed (apt-get install chromium chromium-driver)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1400,1000",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        opts.add_argument(arg)
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    """Where screenshots go: ``ONCODYN_SCREENSHOTS`` (e.g. docs/app/screenshots) or a temp dir."""
    where = os.environ.get("ONCODYN_SCREENSHOTS")
    path = Path(where) if where else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture()
def sdtm_pair():
    """An SDTM TU + TR pair: one subject, two targets, 30 + 20 mm then 15 + 10 mm (-50 %)."""
    import pandas as pd

    tu = pd.DataFrame({"STUDYID": "S", "DOMAIN": "TU", "USUBJID": ["01", "01"],
                       "TULNKID": ["T01", "T02"], "TUTESTCD": "TUMIDENT",
                       "TUORRES": "TARGET", "TUSTRESC": "TARGET", "TULOC": ["LIVER", "LUNG"],
                       "TUMETHOD": "CT SCAN", "TUEVAL": "INVESTIGATOR", "VISITNUM": 1,
                       "VISIT": "SCREENING", "TUDTC": "2024-01-01"})
    rows = []
    for v, date, (a, b) in ((1, "2024-01-01", (30, 20)), (2, "2024-02-12", (15, 10))):
        for lid, x in (("T01", a), ("T02", b)):
            rows.append({"STUDYID": "S", "DOMAIN": "TR", "USUBJID": "01", "TRLNKID": lid,
                         "TRGRPID": "TARGET", "TRTESTCD": "LDIAM", "TRORRES": str(x),
                         "TRSTRESC": str(x), "TRSTRESN": float(x), "TRSTRESU": "mm",
                         "TREVAL": "INVESTIGATOR", "VISITNUM": v, "VISIT": f"V{v}",
                         "TRDTC": date})
    tr = pd.DataFrame(rows)
    return tu, tr
