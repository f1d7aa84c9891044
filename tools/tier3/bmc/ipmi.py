"""Run ``ipmitool sdr type "Power Supply"`` and ``sdr type "Power Unit"`` against a BMC over IPMI 2.0.

``ipmitool -I lanplus -C 3 -H HOST -p PORT -U USER -E -N SECONDS -R TRIES sdr type ...``: the
password goes through the environment (``-E`` reads ``IPMI_PASSWORD``), never on the command line
where ``ps`` shows it. Cipher suite 3 (RAKP-HMAC-SHA1, AES-CBC-128) is the one every IPMI 2.0
BMC supports. Each call is bounded by a timeout; a failure is a ``DeviceError`` naming the BMC.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from urllib.parse import urlsplit

from tier3.bmc import Credentials
from tier3.errors import DeviceError

SENSOR_TYPES = ("Power Supply", "Power Unit")
DEFAULT_PORT = 623


def parse_ipmi_url(url: str) -> tuple[str, int]:
    """``ipmi://HOST[:PORT]`` -> (host, port)."""
    parts = urlsplit(url)
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError:
        raise DeviceError(url, "", "invalid port; expected ipmi://HOST[:PORT]") from None
    if parts.scheme != "ipmi" or not parts.hostname or parts.path not in ("", "/"):
        raise DeviceError(url, "", "expected ipmi://HOST[:PORT]")
    if parts.username is not None or parts.password is not None:
        raise DeviceError(f"ipmi://{parts.hostname}:{port}", "", "credentials in the URL are refused",
                          hint="pass them through --username-env / --password-env")
    return parts.hostname, port


def read_sdr(
    url: str, *, credentials: Credentials, timeout: float = 10.0, retries: int = 2, ipmitool: str = "ipmitool"
) -> str:
    """Both outputs, concatenated, as ipmitool printed them."""
    host, port = parse_ipmi_url(url)
    binary = shutil.which(ipmitool)
    if binary is None:
        raise DeviceError(url, "", f"{ipmitool} not found on PATH", hint="apt-get install ipmitool")
    seconds = max(1, round(timeout))
    tries = max(1, retries + 1)
    env = {**os.environ, "IPMI_PASSWORD": credentials.password}
    outputs = []
    for sensor_type in SENSOR_TYPES:
        command = [binary, "-I", "lanplus", "-C", "3", "-H", host, "-p", str(port), "-U", credentials.username,
                   "-E", "-N", str(seconds), "-R", str(tries), "sdr", "type", sensor_type]
        try:
            done = subprocess.run(
                command, env=env, capture_output=True, text=True, timeout=seconds * tries + 5, check=False,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise DeviceError(url, "", f"ipmitool sdr type {sensor_type!r} did not finish within "
                              f"{seconds * tries + 5} s", hint="check the BMC address, or raise --timeout") from None
        if done.returncode != 0:
            said = _first_error(done.stderr, credentials.password) or f"exit status {done.returncode}"
            raise DeviceError(url, "", f"ipmitool sdr type {sensor_type!r} failed: {said}",
                              hint="check the BMC address, port and IPMI user/password")
        outputs.append(done.stdout)
    return "".join(o if o.endswith("\n") or not o else o + "\n" for o in outputs)


def _first_error(stderr: str, password: str) -> str:
    for line in stderr.splitlines():
        text = line.strip()
        if text and not text.startswith(("Loading IANA", "Running Get")):
            return text.replace(password, "***") if password else text
    return ""
