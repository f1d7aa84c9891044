"""Run ``ipmitool sdr type "Power Supply"`` and ``sdr type "Power Unit"`` against a BMC over IPMI 2.0.

``ipmitool -I lanplus -C 3 -H HOST -p PORT -U USER -E -N SECONDS -R TRIES sdr type ...``: the
password goes through the environment (``-E`` reads ``IPMI_PASSWORD``), never on the command line
where ``ps`` shows it. Cipher suite 3 (RAKP-HMAC-SHA1, AES-CBC-128) is the one every IPMI 2.0
BMC supports. Each call is bounded by a timeout, and what it prints by ``tier3.sources.MAX_BYTES``
(both outputs together; ipmitool is stopped as soon as it prints more); its output must be UTF-8
text without NUL bytes, as any source. A failure is a ``DeviceError`` naming the BMC.
"""

from __future__ import annotations

import os
import selectors
import shutil
import subprocess
import time
from dataclasses import dataclass

from tier3 import sources
from tier3.bmc import Credentials, shown_size, split_url
from tier3.errors import DeviceError

SENSOR_TYPES = ("Power Supply", "Power Unit")
DEFAULT_PORT = 623
STDERR_KEPT = 64 * 1024  # what is kept of ipmitool's stderr: its first error line is shown


def parse_ipmi_url(url: str) -> tuple[str, int]:
    """``ipmi://HOST[:PORT]`` -> (host, port)."""
    parts = split_url(url, "ipmi://HOST[:PORT]")
    port = parts.port or DEFAULT_PORT
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
    limit = sources.MAX_BYTES
    outputs: list[str] = []
    for sensor_type in SENSOR_TYPES:
        command = [binary, "-I", "lanplus", "-C", "3", "-H", host, "-p", str(port), "-U", credentials.username,
                   "-E", "-N", str(seconds), "-R", str(tries), "sdr", "type", sensor_type]
        budget = limit - sum(len(o.encode()) for o in outputs)
        done = _run(command, env, seconds * tries + 5, budget)
        what = f"ipmitool sdr type {sensor_type!r}"
        if done.timed_out:
            raise DeviceError(url, "", f"{what} did not finish within {seconds * tries + 5} s",
                              hint="check the BMC address, or raise --timeout")
        if done.too_long:
            raise DeviceError(url, "", f"{what} printed more than {shown_size(limit)} in all; expected a few "
                              "sensor lines", hint="check that HOST is a BMC and that ipmitool is the real one")
        if done.returncode != 0:
            stderr = done.stderr.decode("utf-8", errors="replace")
            said = _first_error(stderr, credentials.password) or f"exit status {done.returncode}"
            raise DeviceError(url, "", f"{what} failed: {said}",
                              hint="check the BMC address, port and IPMI user/password")
        text = sources.decode(done.stdout, url).replace("\r\n", "\n").replace("\r", "\n")
        outputs.append(text)
    return "".join(o if o.endswith("\n") or not o else o + "\n" for o in outputs)


@dataclass(frozen=True)
class _Done:
    returncode: int | None
    stdout: bytes
    stderr: bytes
    timed_out: bool = False
    too_long: bool = False


def _run(command: list[str], env: dict[str, str], timeout: float, limit: int) -> _Done:
    """Run ``command``, reading both streams as they come: killed after ``timeout`` seconds or once
    stdout passes ``limit`` bytes (stderr is kept to its first ``STDERR_KEPT`` bytes)."""
    deadline = time.monotonic() + timeout
    with subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        out, err = bytearray(), bytearray()
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ, out)
            selector.register(process.stderr, selectors.EVENT_READ, err)
            while selector.get_map():
                left = deadline - time.monotonic()
                if left <= 0:
                    process.kill()
                    return _Done(None, b"", b"", timed_out=True)
                for key, _ in selector.select(left):
                    chunk = os.read(key.fd, 64 * 1024)
                    kept: bytearray = key.data
                    if not chunk:
                        selector.unregister(key.fileobj)
                    elif kept is out and len(out) + len(chunk) > limit:
                        process.kill()
                        return _Done(None, b"", b"", too_long=True)
                    elif kept is out:
                        out += chunk
                    else:
                        err += chunk[: max(0, STDERR_KEPT - len(err))]
        try:
            returncode = process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            return _Done(None, b"", b"", timed_out=True)
        return _Done(returncode, bytes(out), bytes(err))


def _first_error(stderr: str, password: str) -> str:
    for line in stderr.splitlines():
        text = line.strip()
        if text and not text.startswith(("Loading IANA", "Running Get")):
            return text.replace(password, "***") if password else text
    return ""
