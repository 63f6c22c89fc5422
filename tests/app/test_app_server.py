"""``oncodyn app``: serves this computer only by default, checks its options before starting."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from oncodyn.app import streamlit_command
from oncodyn.errors import ConfigError


def test_the_server_command_binds_loopback_hides_tracebacks_and_limits_uploads():
    cmd = streamlit_command(port=8600, max_upload_mb=5)
    opts = dict(zip(cmd[5::2], cmd[6::2], strict=False))
    assert opts["--server.address"] == "127.0.0.1"
    assert opts["--server.maxUploadSize"] == "5"
    assert opts["--client.showErrorDetails"] == "none"
    assert opts["--browser.gatherUsageStats"] == "false"
    with pytest.raises(ConfigError):
        streamlit_command(port=0)
    with pytest.raises(ConfigError):
        streamlit_command(max_upload_mb=0)


def test_bad_options_are_one_line_errors_before_any_server_starts():
    r = subprocess.run([sys.executable, "-m", "oncodyn.cli.main", "app", "--port", "70000"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr.strip().startswith("error:") and len(r.stderr.strip().splitlines()) == 1


def _listening(port: int) -> list[str]:
    """Local addresses (hex, as in /proc/net/tcp) listening on ``port``."""
    out = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        p = Path(table)
        if not p.exists():
            continue
        for line in p.read_text().splitlines()[1:]:
            fields = line.split()
            addr, state = fields[1], fields[3]
            host, hexport = addr.rsplit(":", 1)
            if state == "0A" and int(hexport, 16) == port:  # 0A = LISTEN
                out.append(host)
    return out


@pytest.mark.browser
def test_the_running_app_listens_on_loopback_only(app_server):
    hosts = _listening(app_server["port"])
    if not Path("/proc/net/tcp").exists():
        pytest.skip("no /proc/net/tcp on this system")
    assert hosts, "the server's listening socket was not found"
    assert set(hosts) == {"0100007F"}  # 127.0.0.1, little-endian hex
    log = app_server["log"].read_text(errors="replace")
    assert "VP-" not in log and "Traceback" not in log  # no patient data, no tracebacks
