"""The sslyze scan of mail listeners, run in sslyze's own Python (``tier3.probe.sslyze_scan`` does the scan).

sslyze pins ``cryptography<47`` and the controller's Ansible (community.crypto) needs a newer one, so sslyze
lives in a virtual environment of its own (``make setup`` makes it: ``.venv/opt/sslyze``; elsewhere
``TIER3_SSLYZE_PYTHON`` names its interpreter). ``scan_listeners`` hands the listeners to it as JSON on
standard input, with this checkout's ``tier3`` on its path, and reads the records back: the same records,
in order, as if sslyze ran here. Without that Python every listener is a record with the error (never an
exception, never an empty pass): ``tier3 check`` turns it into an ``error`` finding naming the fix.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tier3.errors import Tier3Error
from tier3.probe.listener import DEFAULT_TIMEOUT, Listener

TOOLS = Path(__file__).resolve().parents[2]  # the directory holding this tier3 package
ENV = "TIER3_SSLYZE_PYTHON"
# seconds the whole run may take beyond the per-connection timeouts: sslyze tries every suite of every version
RUN_MARGIN = 120.0


def sslyze_python() -> Path:
    """``$TIER3_SSLYZE_PYTHON``, else the interpreter of ``<this venv>/opt/sslyze`` (what make setup makes)."""
    named = os.environ.get(ENV)
    return Path(named) if named else Path(sys.prefix) / "opt" / "sslyze" / "bin" / "python"


def _failed(listeners: Sequence[Listener], why: str) -> list[dict[str, Any]]:
    at = round(time.time(), 3)
    return [{"address": x.address, "port": x.port, "kind": x.kind, "server_hostname": x.server_hostname,
             "scanned_at": at, "scanner": "sslyze", "reachable": False, "error": why, "took_s": None,
             "run_took_s": None, "versions": {}, "certificates": [], "certificate_error": "",
             "mozilla_intermediate": None} for x in listeners]


def scan_listeners(listeners: Sequence[Listener], ca_file: str | None = None,
                   timeout: float = DEFAULT_TIMEOUT) -> list[dict[str, Any]]:
    """Every listener in one sslyze run, in sslyze's own Python: one record each, in order."""
    if ca_file and not Path(ca_file).is_file():
        raise Tier3Error(ca_file, "", "cannot load the CA file: no such file",
                         hint="give a PEM file of the CA that signs the listeners' certificates")
    python = sslyze_python()
    if not python.is_file():
        return _failed(listeners, f"not scanned: sslyze is not installed ({python} is missing; make setup "
                                  f"installs it, or set {ENV} to the Python that has sslyze 6)")
    asked = {"listeners": [{"address": x.address, "port": x.port, "kind": x.kind,
                            "server_hostname": x.server_hostname} for x in listeners],
             "ca_file": ca_file, "timeout": timeout}
    env = {**os.environ, "PYTHONPATH": str(TOOLS), "PYTHONWARNINGS": "ignore"}
    try:
        done = subprocess.run([str(python), "-m", "tier3.probe.sslyze_scan"], input=json.dumps(asked), text=True,
                              capture_output=True, timeout=RUN_MARGIN + timeout * 20, env=env, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return _failed(listeners, f"not scanned: sslyze did not finish ({exc})")
    if done.returncode != 0:
        said = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return _failed(listeners, f"not scanned: sslyze exited {done.returncode}: {said[:300]}")
    try:
        records = json.loads(done.stdout)
    except ValueError:
        return _failed(listeners, "not scanned: sslyze's answer is not JSON")
    if not isinstance(records, list) or len(records) != len(listeners):
        return _failed(listeners, "not scanned: sslyze answered for other listeners than asked")
    return records
