"""Live BMC peers on 127.0.0.1 for the ``live`` tests: sushy-static over HTTPS with a test CA made
at test time, small stand-in HTTPS servers that misbehave on purpose, and ipmi_sim.

Every peer listens on a free port of 127.0.0.1, is bounded in time (start-up waits at most
``START_TIMEOUT`` seconds) and is stopped by its fixture's finalizer.
"""

from __future__ import annotations

import datetime as dt
import http.server
import ipaddress
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from support import load_redfish_mockups
from tier3.errors import Tier3Error
from tier3.inspect import InspectOptions
from tier3.inspect.bmc import KINDS as BMC_KINDS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0
SUSHY_STATIC = Path(sys.executable).parent / "sushy-static"
BMC_USER = "tier3-lab"
BMC_PASSWORD = "lab-only-Pa55-7f3c"  # a throwaway lab password; tests assert it never shows


def inspect_bmc(kind: str, source: str, **options: Any) -> tuple[int, dict[str, Any] | None, str]:
    """What ``tier3 inspect KIND SOURCE`` does for a BMC kind: (exit status, report, the one-line
    error), asserting the lab password never shows in the error line or the exception."""
    error: Tier3Error | None = None
    try:
        report = BMC_KINDS[kind].inspect(source, InspectOptions(**options))
    except Tier3Error as exc:
        error = exc
    if error is not None:
        line = f"tier3 inspect: {error.one_line()}"
        assert BMC_PASSWORD not in line
        assert BMC_PASSWORD not in repr(error)
        return error.exit_code, None, line
    json.dumps(report)  # the CLI prints it as JSON
    return 0, report, ""


def load_mockups() -> ModuleType:
    """tests/fixtures/redfish/mockups.py (the variant builder), loaded by path."""
    return load_redfish_mockups()


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_tcp(port: int, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"peer exited with status {process.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {START_TIMEOUT} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)


# ---- TLS -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabCA:
    ca_file: Path  # the CA certificate, for --ca-file
    cert: Path  # server certificate for 127.0.0.1, signed by the CA
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


def _write_pem(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.fixture(scope="session")
def lab_ca(tmp_path_factory: pytest.TempPathFactory) -> LabCA:
    """A CA and a 127.0.0.1 server certificate, made now (EC P-256, valid one day)."""
    home = tmp_path_factory.mktemp("ca")
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tier3 test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return LabCA(
        _write_pem(home / "ca.pem", ca_cert.public_bytes(serialization.Encoding.PEM)),
        _write_pem(home / "server.pem", cert.public_bytes(serialization.Encoding.PEM)),
        _write_pem(
            home / "server.key",
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
        ),
    )


# ---- sushy-static ----------------------------------------------------------------------------


@dataclass
class Sushy:
    url: str
    mockup: Path
    log: Path


@pytest.fixture
def sushy(lab_ca: LabCA, tmp_path: Path) -> Iterator[Callable[[Path], Sushy]]:
    """Start sushy-static over HTTPS on a free port serving a mockup directory; stopped at the end.

    sushy-static prints every request's headers (Authorization included) on its stdout: the log
    goes to a file under tmp_path, never to the test output.
    """
    started: list[subprocess.Popen[bytes]] = []

    def start(mockup: Path) -> Sushy:
        port = free_port()
        log = tmp_path / f"sushy-{port}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    str(SUSHY_STATIC),
                    "-i",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "-m",
                    str(mockup),
                    "-c",
                    str(lab_ca.cert),
                    "-k",
                    str(lab_ca.key),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        started.append(process)
        wait_for_tcp(port, process)
        return Sushy(f"https://127.0.0.1:{port}", mockup, log)

    yield start
    for process in started:
        stop(process)


# ---- stand-in HTTPS servers (misbehaving BMCs) ---------------------------------------------------

Handler = Callable[[http.server.BaseHTTPRequestHandler], None]


@dataclass
class StandIn:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def stand_in(lab_ca: LabCA) -> Iterator[Callable[[Handler], StandIn]]:
    """A tiny HTTPS server (test CA) whose every request is answered by ``handler``: a stand-in for
    a misbehaving BMC. Records method, path and headers of each request; shut down at the end."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(handler: Handler) -> StandIn:
        record = StandIn("")

        class Answer(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                record.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers)})
                handler(self)

            do_GET = do_POST = do_DELETE = _any

            def log_message(self, *_: Any) -> None:
                return  # quiet: the test output is for the test

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
        server.daemon_threads = True
        server.socket = lab_ca.server_context().wrap_socket(server.socket, server_side=True)
        servers.append(server)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        record.url = f"https://127.0.0.1:{server.server_address[1]}"
        return record

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections (kernel backlog) and never answers a byte."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield int(s.getsockname()[1])


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on (bound then released)."""
    return free_port()


@pytest.fixture
def bmc_env(monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    monkeypatch.setenv("TIER3_BMC_USERNAME", BMC_USER)
    monkeypatch.setenv("TIER3_BMC_PASSWORD", BMC_PASSWORD)
    return BMC_USER, BMC_PASSWORD


# ---- ipmi_sim --------------------------------------------------------------------------------


@dataclass
class IpmiSim:
    url: str
    console_port: int
    process: subprocess.Popen[bytes]

    def console(self, *commands: str) -> None:
        """Send emulation commands on the console port (fault injection), one prompt each."""
        with socket.create_connection(("127.0.0.1", self.console_port), timeout=5) as s:
            _read_prompt(s)
            for command in commands:
                s.sendall(command.encode() + b"\n")
                _read_prompt(s)


def _wait_for_console(sim: IpmiSim) -> None:
    """Up when its console prompts. (A bare connect-and-close, as wait_for_tcp does, makes ipmi_sim
    2.0.33 close its console listener: every later connection is refused.)"""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if sim.process.poll() is not None:
            raise RuntimeError(f"ipmi_sim exited with status {sim.process.returncode}")
        try:
            sim.console()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _read_prompt(s: socket.socket) -> None:
    seen = b""
    deadline = time.monotonic() + 5
    while not seen.rstrip().endswith(b">") and time.monotonic() < deadline:
        chunk = s.recv(4096)
        if not chunk:
            break
        seen += chunk
    if not seen.rstrip().endswith(b">"):
        raise RuntimeError(f"ipmi_sim console did not prompt: {seen!r}")


@pytest.fixture
def ipmi_sim(tmp_path: Path, bmc_env: tuple[str, str]) -> Iterator[IpmiSim]:
    """ipmi_sim on 127.0.0.1 (free UDP port) with tests/fixtures/ipmi/power.emu; killed at the end."""
    binary = shutil.which("ipmi_sim")
    assert binary is not None, "ipmi_sim is not installed (Debian package openipmi)"
    port, console = free_port(socket.SOCK_DGRAM), free_port()
    user, password = bmc_env
    conf = (FIXTURES / "ipmi" / "lan.conf.in").read_text()
    for token, value in (
        ("@PORT@", str(port)),
        ("@CONSOLE@", str(console)),
        ("@USER@", user),
        ("@PASSWORD@", password),
    ):
        conf = conf.replace(token, value)
    (tmp_path / "lan.conf").write_text(conf)
    state = tmp_path / "state"
    state.mkdir()
    log = (tmp_path / "ipmi_sim.log").open("wb")
    process = subprocess.Popen(
        [binary, "-c", str(tmp_path / "lan.conf"), "-f", str(FIXTURES / "ipmi" / "power.emu"), "-s", str(state), "-n"],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env={**os.environ},
    )
    try:
        sim = IpmiSim(f"ipmi://127.0.0.1:{port}", console, process)
        _wait_for_console(sim)
        yield sim
    finally:
        stop(process)
        log.close()
