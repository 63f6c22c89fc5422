"""The local web app (Streamlit): ``oncodyn app``.

Four pages over oncodyn's public API — *Patient* (lesion data to RECIST, forecast and a case
report), *Scenario* (virtual patients under a treatment scenario), *Trial* (two arms, Kaplan–Meier
and hazard ratios) and *Radiation* (BED/EQD2 of external beam plus brachytherapy) — in English or
French. Why Streamlit: its ``AppTest`` harness tests page logic without a browser, the server binds
to one address we choose (127.0.0.1 by default), upload size is a server setting, and it is a
single pip dependency (the ``app`` extra). Research and teaching software, not a clinical decision
tool.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ..errors import ConfigError

MAIN = Path(__file__).resolve().parent / "main.py"


def streamlit_command(*, host: str = "127.0.0.1", port: int = 8501,
                      max_upload_mb: float = 50) -> list[str]:
    """The ``streamlit run`` command line of the app (headless, no usage statistics, generic
    error messages in the browser, upload limit set on the server too)."""
    if not (1 <= int(port) <= 65535):
        raise ConfigError(f"--port must be in 1..65535, got {port}")
    if not (0 < max_upload_mb <= 1000):
        raise ConfigError(f"--max-upload-mb must be in (0, 1000], got {max_upload_mb}")
    return [sys.executable, "-m", "streamlit", "run", str(MAIN),
            "--server.address", host, "--server.port", str(int(port)),
            "--server.headless", "true", "--server.maxUploadSize", str(int(max(1, max_upload_mb))),
            "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false",
            "--client.showErrorDetails", "none", "--client.toolbarMode", "minimal",
            "--logger.level", "warning", "--global.developmentMode", "false"]


def serve(*, host: str = "127.0.0.1", port: int = 8501, max_upload_mb: float = 50) -> int:
    """Run the app until interrupted; returns the server's exit status."""
    try:
        import streamlit  # noqa: F401
    except ImportError:
        raise ConfigError("the web app needs Streamlit: pip install 'oncodyn[app]'") from None
    env = dict(os.environ, ONCODYN_APP_MAX_UPLOAD_MB=str(max_upload_mb))
    cmd = streamlit_command(host=host, port=port, max_upload_mb=max_upload_mb)
    return subprocess.call(cmd, env=env)
