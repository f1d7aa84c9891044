"""The metal hosts' BMCs: a Redfish emulator (``sushy-static`` from the venv, over HTTPS) per host,
serving that host's own copy of the project's Redfish mockup, and OpenIPMI's ``ipmi_sim`` for the host
that has an IPMI port in the table (``tier3.lab.metal.METAL``).

The mockup is ``tests/fixtures/redfish/rack-server`` (two supplies, ``Links.Outlet`` on PDUs A and B),
built with the fixture's own variant builder (``mockups.py``, ``variants.json``) and then renamed to the
host: the PDUs become the ones its rack declares (``lab-r01-pdu-a``...), the chassis names the host.
sushy-static reads the JSON on every GET, so a fault is an edit of one host's files (written file by
file, each atomically: a GET never sees half a document). sushy-static answers any credentials (it
ignores the Authorization header) and prints request headers on its output: its log is mode 0600.
``ipmi_sim`` runs ``tests/fixtures/ipmi/power.emu`` with the lab's BMC user and password; its faults are
console commands (ipmi_sim_cmd(5)).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import ipaddress
import json
import shutil
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from tier3.errors import LabError
from tier3.lab import procs
from tier3.lab.metal import BMC_USER, Metal, bmc_dir, state_dir
from tier3.lab.secrets import BMC_PASSWORD_CHARS, BMC_PASSWORD_VAR

SOURCE = "tier3 lab metal BMC"
FIXTURES = Path(__file__).resolve().parents[3] / "tests" / "fixtures"
MOCKUP_PDUS = ("A", "B")  # the mockup's rack PDUs, in feed order: renamed to the host rack's PDUs
START_TIMEOUT = 15.0
# ipmi_sim console commands (sensor 1 PS1 Status, 2 PS2 Status, 3 PS Redundancy; tests/fixtures/ipmi/README.md)
IPMI_HEALTHY = ("sensor_set_bit_clr_rest 0x20 0 1 0 1 1", "sensor_set_bit_clr_rest 0x20 0 2 0 1 1",
                "sensor_set_bit_clr_rest 0x20 0 3 0 1 1")


def sushy_static() -> Path:
    return Path(sys.executable).parent / "sushy-static"


@dataclass(frozen=True)
class BmcPaths:
    root: Path

    @property
    def mockup(self) -> Path:
        return self.root / "redfish"

    @property
    def sushy_pid(self) -> Path:
        return self.root / "sushy.pid"

    @property
    def ipmi_state(self) -> Path:
        return self.root / "ipmi-state"

    @property
    def ipmi_pid(self) -> Path:
        return self.root / "ipmi_sim.pid"


def bmc_paths(host: Metal, state: Path | None = None) -> BmcPaths:
    return BmcPaths(bmc_dir(host, state))


@dataclass(frozen=True)
class Tls:
    """The lab BMCs' CA (for ``tier3_bmc_ca_file``) and their server certificate for 127.0.0.1."""

    directory: Path

    @property
    def ca(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def cert(self) -> Path:
        return self.directory / "server.pem"

    @property
    def key(self) -> Path:
        return self.directory / "server.key"


def lab_tls(state: Path | None = None) -> Tls:
    return Tls((state or state_dir()) / "bmc" / "tls")


def ensure_tls(tls: Tls) -> bool:
    """A CA and a 127.0.0.1 certificate it signs (EC P-256, a year), unless they exist; True when made."""
    if tls.ca.is_file() and tls.cert.is_file() and tls.key.is_file():
        return False
    from cryptography import x509  # noqa: PLC0415  (only when a certificate is made)
    from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415
    from cryptography.x509.oid import NameOID  # noqa: PLC0415

    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tier3 lab BMC CA")])

    def cert(subject: x509.Name, public: ec.EllipticCurvePublicKey, ca: bool) -> x509.Certificate:
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_name).public_key(public)
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=365))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True))
        if not ca:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        return builder.sign(ca_key, hashes.SHA256())

    tls.directory.mkdir(parents=True, exist_ok=True)
    server = cert(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]), key.public_key(), ca=False)
    tls.ca.write_bytes(cert(ca_name, ca_key.public_key(), ca=True).public_bytes(serialization.Encoding.PEM))
    tls.cert.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    procs.write_private(tls.key, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()))
    return True


# ---- the Redfish mockup of one host ---------------------------------------------------------------


def _mockups() -> ModuleType:
    """tests/fixtures/redfish/mockups.py: the project's variant builder (one implementation of the variants)."""
    path = FIXTURES / "redfish" / "mockups.py"
    if not path.is_file():
        raise LabError(SOURCE, str(path), "the project's Redfish mockup is not there",
                       hint="run the metal lab from a checkout of the project (tests/fixtures/redfish)")
    spec = importlib.util.spec_from_file_location("tier3_lab_redfish_mockups", path)
    assert spec is not None and spec.loader is not None  # noqa: PT018  (a path that exists always has a spec)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def render_mockup(host: Metal, pdus: tuple[str, str], variant: str, dest: Path) -> Path:
    """Variant ``variant`` of the mockup, as ``host``'s BMC serves it, written under ``dest``: the PDUs
    renamed to ``pdus`` (the host rack's, in the mockup's order A, B), the chassis named after the host."""
    _mockups().build(variant, dest)
    pdu_dir = dest / "PowerEquipment" / "RackPDUs"
    for old, new in zip(MOCKUP_PDUS, pdus, strict=True):
        (pdu_dir / old).rename(pdu_dir / new)
    renames = {f"/RackPDUs/{old}/": f"/RackPDUs/{new}/" for old, new in zip(MOCKUP_PDUS, pdus, strict=True)}
    renames |= {f"/RackPDUs/{old}\"": f"/RackPDUs/{new}\"" for old, new in zip(MOCKUP_PDUS, pdus, strict=True)}
    for path in dest.rglob("index.json"):
        text = path.read_text(encoding="utf-8")
        for old, new in renames.items():
            text = text.replace(old, new)
        document = json.loads(text)
        if path.parent.parent.name == "RackPDUs" and document.get("Id") in MOCKUP_PDUS:
            document["Id"] = path.parent.name
        if path.parent.name == "1U" and path.parent.parent.name == "Chassis":
            document["Name"] = f"Metal host {host.name} (tier3 lab VM, 1U rack server)"
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return dest


def apply_variant(host: Metal, pdus: tuple[str, str], variant: str, state: Path | None = None) -> list[str]:
    """Make the host's live mockup variant ``variant`` (file by file, each replaced atomically); the
    documents that changed (paths under the mockup)."""
    live = bmc_paths(host, state).mockup
    with tempfile.TemporaryDirectory(dir=live.parent) as scratch:
        fresh = render_mockup(host, pdus, variant, Path(scratch) / "redfish")
        changed = []
        for path in sorted(fresh.rglob("index.json")):
            relative = path.relative_to(fresh)
            target = live / relative
            if target.is_file() and target.read_bytes() == path.read_bytes():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            staged = target.with_name(".index.json.new")
            shutil.copyfile(path, staged)
            staged.replace(target)
            changed.append(relative.parent.as_posix())
    return changed


# ---- the emulators --------------------------------------------------------------------------------


def sushy_argv(host: Metal, tls: Tls, state: Path | None = None) -> list[str]:
    return [str(sushy_static()), "-i", "127.0.0.1", "-p", str(host.redfish_port),
            "-m", str(bmc_paths(host, state).mockup), "-c", str(tls.cert), "-k", str(tls.key)]


def ipmi_lan_conf(host: Metal, password: str) -> str:
    """tests/fixtures/ipmi/lan.conf.in filled in: the host's UDP and console ports, the lab's user."""
    text = (FIXTURES / "ipmi" / "lan.conf.in").read_text(encoding="utf-8")
    for token, value in (("@PORT@", str(host.ipmi_port)), ("@CONSOLE@", str(host.ipmi_console_port)),
                         ("@USER@", BMC_USER), ("@PASSWORD@", password)):
        text = text.replace(token, value)
    return text


def ipmi_argv(host: Metal, state: Path | None = None) -> list[str]:
    paths = bmc_paths(host, state)
    return ["ipmi_sim", "-c", str(paths.root / "lan.conf"), "-f", str(FIXTURES / "ipmi" / "power.emu"),
            "-s", str(paths.ipmi_state), "-n"]


def port_free(port: int, kind: int = socket.SOCK_STREAM) -> bool:
    with socket.socket(socket.AF_INET, kind) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _wait_tcp(port: int, pid: int, marker: str, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if not procs.ours(pid, marker):
            raise LabError(SOURCE, what, "exited before it listened", hint="read its log in the metal state directory")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise LabError(SOURCE, what, f"nothing listens on 127.0.0.1:{port} after {START_TIMEOUT:.0f} s",
                   hint="read its log in the metal state directory")


def ensure_redfish(host: Metal, pdus: tuple[str, str], tls: Tls, state: Path | None = None) -> bool:
    """The host's mockup copy (made once: faults edit it) and its sushy-static; True when started now."""
    paths = bmc_paths(host, state)
    marker = str(paths.mockup)
    if procs.running(paths.sushy_pid, marker) is not None:
        return False
    if not sushy_static().is_file():
        raise LabError(SOURCE, str(sushy_static()), "sushy-static is not installed in the venv",
                       hint="run `make setup` (sushy-tools is a test dependency in pyproject.toml)")
    if not port_free(host.redfish_port):
        raise LabError(SOURCE, f"127.0.0.1:{host.redfish_port}", "the port of the lab's Redfish emulator is taken",
                       hint=f"stop what listens there, or change redfish_port of {host.name} (lab/metal.py)")
    paths.root.mkdir(parents=True, exist_ok=True)
    if not paths.mockup.is_dir():
        render_mockup(host, pdus, "healthy", paths.mockup)
    pid = procs.spawn(sushy_argv(host, tls, state), paths.root / "sushy.log", paths.sushy_pid)
    _wait_tcp(host.redfish_port, pid, marker, f"sushy-static of {host.name}")
    return True


def ensure_ipmi(host: Metal, password: str, state: Path | None = None) -> bool:
    """ipmi_sim for ``host`` when it has an IPMI port; True when started now."""
    if not host.ipmi_port:
        return False
    if len(password.encode()) > BMC_PASSWORD_CHARS:
        raise LabError(SOURCE, BMC_PASSWORD_VAR, f"longer than the {BMC_PASSWORD_CHARS} bytes every IPMI carries",
                       hint="remove the line from inventory/lab/group_vars/all/secrets.yml: `lab up` makes a new one")
    paths = bmc_paths(host, state)
    marker = str(paths.ipmi_state)
    conf = ipmi_lan_conf(host, password).encode()
    lan_conf = paths.root / "lan.conf"
    if procs.running(paths.ipmi_pid, marker) is not None:
        if lan_conf.is_file() and lan_conf.read_bytes() == conf:
            return False
        procs.stop_pidfile(paths.ipmi_pid, marker)  # the lab's password changed: restart with the new one
    if shutil.which("ipmi_sim") is None:
        raise LabError(SOURCE, "ipmi_sim", "OpenIPMI's ipmi_sim is not installed", hint="apt-get install openipmi")
    paths.ipmi_state.mkdir(parents=True, exist_ok=True)
    procs.write_private(lan_conf, conf)
    pid = procs.spawn(ipmi_argv(host, state), paths.root / "ipmi_sim.log", paths.ipmi_pid)
    deadline = time.monotonic() + START_TIMEOUT
    while True:  # up when its console prompts (a bare connect-and-close shuts ipmi_sim's console for good)
        try:
            console(host)
            return True
        except OSError:
            if not procs.ours(pid, marker) or time.monotonic() > deadline:
                raise LabError(SOURCE, f"ipmi_sim of {host.name}", "its console did not answer",
                               hint=f"read {paths.root / 'ipmi_sim.log'}") from None
            time.sleep(0.1)


def console(host: Metal, *commands: str) -> None:
    """Send ipmi_sim console commands (ipmi_sim_cmd(5)), reading the prompt before and after each."""
    with socket.create_connection(("127.0.0.1", host.ipmi_console_port), timeout=5) as conn:
        _prompt(conn)
        for command in commands:
            conn.sendall(command.encode() + b"\n")
            _prompt(conn)


def _prompt(conn: socket.socket) -> None:
    seen = b""
    deadline = time.monotonic() + 5
    while not seen.rstrip().endswith(b">") and time.monotonic() < deadline:
        chunk = conn.recv(4096)
        if not chunk:
            break
        seen += chunk
    if not seen.rstrip().endswith(b">"):
        raise OSError(f"ipmi_sim console did not prompt: {seen[-80:]!r}")


def stop_all(hosts: tuple[Metal, ...], state: Path | None = None) -> list[str]:
    """Stop every emulator the lab started for ``hosts``; their names (``sushy-static metal1``...)."""
    stopped = []
    for host in hosts:
        paths = bmc_paths(host, state)
        if procs.stop_pidfile(paths.sushy_pid, str(paths.mockup)):
            stopped.append(f"sushy-static {host.name}")
        if procs.stop_pidfile(paths.ipmi_pid, str(paths.ipmi_state)):
            stopped.append(f"ipmi_sim {host.name}")
    return stopped
