"""Scan mail listeners from the controller with sslyze, in sslyze's own Python (``tier3.probe.tls_scan`` runs
this module there): every protocol version from SSL 2.0 to TLS 1.3,
every cipher suite each accepts, the certificates served, and sslyze's own check against the Mozilla
intermediate profile. The other socket edge of ``tier3.probe``, beside ``listener``.

Python's ssl (``listener``) cannot offer SSL 2.0 or 3.0 and negotiates one cipher suite per handshake;
sslyze brings its own OpenSSL builds (nassl, a legacy one for SSL 2.0/3.0) and tries each suite on its
own connection, so what a listener accepts is enumerated, not sampled.

What is contacted: only the address and port of each ``Listener`` (``ServerNetworkLocation`` with the
address given, so no name is ever resolved); the certificate is validated offline against the bundled
trust stores and the CA file given (no OCSP or CRL fetch). Every connection has the timeout given
(rounded up to whole seconds, as sslyze takes it) and one retry; a listener that accepts and then never
answers costs sslyze's connectivity test up to one try per version it falls back through (TLS 1.3 down to
SSL 2.0) before it gives up (10 s at a timeout of 1 s). All listeners go into one
``Scanner`` run, which scans them concurrently (``CONCURRENT_LISTENERS`` at once,
``CONNECTIONS_PER_LISTENER`` connections each).

Facts only, one JSON-ready record per listener, in the order given (``tier3.parsers.tls_scan`` reads
them, ``tier3.rules.observed.tls_scan`` judges them); a listener sslyze cannot reach or cannot speak to
(LMTP: sslyze knows no LHLO) is a record with ``reachable: false`` and the error, never an exception.
"""

from __future__ import annotations

import gc
import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509 import Certificate
from nassl.ephemeral_key_info import DhEphemeralKeyInfo, EcDhEphemeralKeyInfo, EphemeralKeyInfo
from sslyze.__version__ import __version__ as SSLYZE_VERSION
from sslyze.connection_helpers.opportunistic_tls_helpers import ProtocolWithOpportunisticTlsEnum
from sslyze.errors import ConnectionToServerFailed
from sslyze.mozilla_tls_profile.tls_config_checker import (
    SCAN_COMMANDS_NEEDED_BY_MOZILLA_CHECKER,
    MozillaTlsConfiguration,
    ServerNotCompliantWithTlsConfiguration,
    ServerScanResultIncomplete,
    TlsConfigurationEnum,
    check_server_against_tls_configuration,
)
from sslyze.plugins.certificate_info.implementation import CertificateInfoExtraArgument, CertificateInfoScanResult
from sslyze.plugins.openssl_cipher_suites.implementation import CipherSuitesScanResult
from sslyze.plugins.scan_commands import ScanCommand
from sslyze.scanner.models import (
    AllScanCommandsAttempts,
    ScanCommandsExtraArguments,
    ServerScanRequest,
    ServerScanResult,
)
from sslyze.scanner.scan_command_attempt import ScanCommandAttemptStatusEnum
from sslyze.scanner.scanner import Scanner
from sslyze.scanner.scanner_observer import ScannerObserver
from sslyze.server_connectivity import ServerTlsProbingResult
from sslyze.server_setting import ServerNetworkConfiguration, ServerNetworkLocation

from tier3.errors import Tier3Error
from tier3.probe.listener import DEFAULT_TIMEOUT, PROBE_NAME, Listener, certificate_facts

# listener kind -> how sslyze reaches TLS on it (None: TLS from the first byte)
OPPORTUNISTIC: dict[str, ProtocolWithOpportunisticTlsEnum | None] = {
    "smtp-starttls": ProtocolWithOpportunisticTlsEnum.SMTP,
    "submission": ProtocolWithOpportunisticTlsEnum.SMTP,
    "imap-starttls": ProtocolWithOpportunisticTlsEnum.IMAP,
    "imaps": None,
    "https": None,
}
# name in the records -> sslyze's scan command; SSL 2.0 and 3.0 through nassl's legacy OpenSSL
VERSION_COMMANDS: dict[str, ScanCommand] = {
    "SSLv2": ScanCommand.SSL_2_0_CIPHER_SUITES,
    "SSLv3": ScanCommand.SSL_3_0_CIPHER_SUITES,
    "TLSv1": ScanCommand.TLS_1_0_CIPHER_SUITES,
    "TLSv1.1": ScanCommand.TLS_1_1_CIPHER_SUITES,
    "TLSv1.2": ScanCommand.TLS_1_2_CIPHER_SUITES,
    "TLSv1.3": ScanCommand.TLS_1_3_CIPHER_SUITES,
}
# the cipher suites of every version and the certificate: what the rules judge. Not the rest of what sslyze's
# Mozilla check needs (curves, fallback SCSV, renegotiation, EMS, compression, Heartbleed, CCS injection, ROBOT):
# on the lab, their hundreds of aborted handshakes through the VIP made HAProxy's health check of a backend
# time out and take it out of service; an audit must not move the service it measures
SCAN_COMMANDS = frozenset(set(VERSION_COMMANDS.values()) | {ScanCommand.CERTIFICATE_INFO})
MOZILLA_CHECK_NEEDS = frozenset(SCAN_COMMANDS_NEEDED_BY_MOZILLA_CHECKER)
CONCURRENT_LISTENERS = 10
CONNECTIONS_PER_LISTENER = 1  # one at a time: a burst of failing handshakes makes HAProxy mark a backend down
RETRIES = 1
CA_FILE_STORE = "Supplied CA file"  # the name sslyze gives the trust store of the CA file passed to it
SCANNER = f"sslyze {SSLYZE_VERSION}"


@dataclass
class _Errors(ScannerObserver):  # type: ignore[misc]  # sslyze runs in its own venv: no types here
    """The connectivity error of each request sslyze could not connect to, by the request's id."""

    said: dict[UUID, str] = field(default_factory=dict)
    finished: dict[UUID, float] = field(default_factory=dict)  # monotonic time each result came back

    def server_connectivity_test_error(self, server_scan_request: ServerScanRequest,
                                       connectivity_error: ConnectionToServerFailed) -> None:
        self.said[server_scan_request.uuid] = connectivity_error.error_message

    def server_connectivity_test_completed(self, server_scan_request: ServerScanRequest,  # noqa: ARG002
                                           connectivity_result: ServerTlsProbingResult) -> None:  # noqa: ARG002
        return  # sslyze's observer interface: nothing to note for a listener it reached

    def server_scan_completed(self, server_scan_result: ServerScanResult) -> None:
        self.finished[server_scan_result.uuid] = time.monotonic()

    def all_server_scans_completed(self) -> None:
        return


def scan_request(listener: Listener, ca_file: str | None, timeout: float) -> ServerScanRequest:
    """The sslyze request for one listener: its address as given (no lookup), the service name as SNI."""
    name = listener.server_hostname or listener.address
    opportunistic = OPPORTUNISTIC[listener.kind]
    network = ServerNetworkConfiguration(
        tls_server_name_indication=name, tls_opportunistic_encryption=opportunistic,
        smtp_ehlo_hostname=PROBE_NAME if opportunistic is ProtocolWithOpportunisticTlsEnum.SMTP else None,
        network_timeout=max(1, math.ceil(timeout)), network_max_retries=RETRIES)
    extra = ScanCommandsExtraArguments(
        certificate_info=CertificateInfoExtraArgument(custom_ca_file=Path(ca_file)) if ca_file else None)
    return ServerScanRequest(server_location=ServerNetworkLocation(name, listener.port, ip_address=listener.address),
                             network_configuration=network, scan_commands=set(SCAN_COMMANDS),
                             scan_commands_extra_arguments=extra)


def _checked_ca_file(ca_file: str | None) -> str | None:
    if ca_file and not Path(ca_file).is_file():
        raise Tier3Error(ca_file, "", "cannot load the CA file: no such file",
                         hint="give a PEM file of the CA that signs the listeners' certificates")
    return ca_file


def _failure(attempt: Any) -> str:
    """Why a scan command failed: sslyze's reason and the last line of its trace."""
    trace = attempt.error_trace
    said = "".join(trace.format_exception_only()).strip().splitlines()[-1] if trace is not None else ""
    reason = attempt.error_reason.value if attempt.error_reason is not None else "error"
    return f"{reason}: {said}" if said else reason


def _key_exchange(key: EphemeralKeyInfo | None) -> dict[str, Any] | None:
    """The ephemeral key of a handshake as sslyze reports it (X25519 is 253 bits in OpenSSL's count)."""
    if key is None:
        return None
    curve = key.curve_name if isinstance(key, EcDhEphemeralKeyInfo) else None
    kind = "DH" if isinstance(key, DhEphemeralKeyInfo) else key.type_name
    return {"type": kind, "bits": key.size, "curve": curve}


def _version(attempt: Any) -> dict[str, Any]:
    if attempt.status is not ScanCommandAttemptStatusEnum.COMPLETED:
        return {"result": "error", "detail": _failure(attempt), "cipher_suites": []}
    result: CipherSuitesScanResult = attempt.result
    suites = [{"openssl": s.cipher_suite.openssl_name, "iana": s.cipher_suite.name,
               "key_exchange": _key_exchange(s.ephemeral_key)} for s in result.accepted_cipher_suites]
    return {"result": "accepted" if suites else "refused", "detail": "", "cipher_suites": suites}


def _public_key(cert: Certificate) -> dict[str, Any]:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return {"type": "rsa", "bits": key.key_size, "curve": None}
    if isinstance(key, ec.EllipticCurvePublicKey):
        return {"type": "ecdsa", "bits": key.curve.key_size, "curve": key.curve.name}
    return {"type": type(key).__name__.removesuffix("PublicKey").lower(), "bits": None, "curve": None}


def _certificates(info: CertificateInfoScanResult, ca_file: str | None) -> list[dict[str, Any]]:
    """One summary per certificate chain the listener serves (an RSA and an ECDSA one are two)."""
    out = []
    for deployment in info.certificate_deployments:
        leaf = deployment.received_certificate_chain[0]
        mine = next((p for p in deployment.path_validation_results if p.trust_store.name == CA_FILE_STORE), None)
        hash_algorithm = leaf.signature_hash_algorithm
        out.append({**certificate_facts(leaf.public_bytes(Encoding.DER)), "public_key": _public_key(leaf),
                    "signature_hash": hash_algorithm.name if hash_algorithm is not None else None,
                    "chain_sent": len(deployment.received_certificate_chain),
                    "verified": None if ca_file is None or mine is None else mine.was_validation_successful,
                    "verify_error": (mine.validation_error or "") if mine is not None else ""})
    return out


def _mozilla_intermediate(result: ServerScanResult) -> dict[str, Any]:
    """sslyze's own check against Mozilla's intermediate profile, when the scan ran what it needs (it does not:
    ``SCAN_COMMANDS``); else why not. The rules judge the suites and keys against the profile themselves."""
    if not MOZILLA_CHECK_NEEDS <= SCAN_COMMANDS:
        return {"checked": False, "problems": [],
                "detail": "not run: it needs scans (curves, ROBOT, Heartbleed...) that load the listener too much"}
    profile = MozillaTlsConfiguration.get(TlsConfigurationEnum.MOZILLA_INTERMEDIATE)
    try:
        check_server_against_tls_configuration(result, profile)
    except ServerNotCompliantWithTlsConfiguration as exc:
        return {"checked": True, "problems": [f"{k}: {v}" for k, v in sorted(exc.issues.items())], "detail": ""}
    except ServerScanResultIncomplete as exc:
        return {"checked": False, "problems": [], "detail": str(exc)}
    return {"checked": True, "problems": [], "detail": ""}


def _facts(result: ServerScanResult, ca_file: str | None) -> dict[str, Any]:
    """The versions, certificates and Mozilla check of a completed scan."""
    attempts: AllScanCommandsAttempts | None = result.scan_result
    if attempts is None:
        return {}
    versions = {name: _version(getattr(attempts, command.value)) for name, command in VERSION_COMMANDS.items()}
    info = attempts.certificate_info
    certificates = _certificates(info.result, ca_file) if info.result is not None else []
    return {"versions": versions, "certificates": certificates,
            "certificate_error": "" if info.result is not None else _failure(info),
            "mozilla_intermediate": _mozilla_intermediate(result)}


def _record(listener: Listener, scanned_at: float) -> dict[str, Any]:
    return {"address": listener.address, "port": listener.port, "kind": listener.kind,
            "server_hostname": listener.server_hostname, "scanned_at": scanned_at, "scanner": SCANNER,
            "reachable": False, "error": "", "took_s": None, "run_took_s": None, "versions": {}, "certificates": [],
            "certificate_error": "", "mozilla_intermediate": None}


def _run(requests: Sequence[ServerScanRequest], observer: _Errors) -> dict[UUID, ServerScanResult]:
    """One Scanner run over every request, concurrently; the results by request id."""
    scanner = Scanner(per_server_concurrent_connections_limit=CONNECTIONS_PER_LISTENER,
                      concurrent_server_scans_limit=CONCURRENT_LISTENERS, observers=[observer])
    with warnings.catch_warnings():
        # sslyze's bundled trust stores hold a root with a negative serial number, which cryptography warns
        # about on every load (in sslyze's worker threads); and sslyze leaves the socket of a failed STARTTLS
        # or a handshake that timed out to the garbage collector. Theirs, not the listener's: collected here.
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        warnings.simplefilter("ignore", ResourceWarning)
        scanner.queue_scans(list(requests))
        results = {r.uuid: r for r in scanner.get_results()}
        gc.collect()
    return results


def scan_listeners(listeners: Sequence[Listener], ca_file: str | None = None,
                   timeout: float = DEFAULT_TIMEOUT) -> list[dict[str, Any]]:
    """Every listener in one concurrent sslyze run: one record each, in order (``tier3.parsers.tls_scan``)."""
    ca = _checked_ca_file(ca_file)
    scanned_at = round(time.time(), 3)
    records = [_record(x, scanned_at) for x in listeners]
    requests: dict[int, ServerScanRequest] = {}
    for i, listener in enumerate(listeners):
        if listener.kind in OPPORTUNISTIC:
            requests[i] = scan_request(listener, ca, timeout)
        else:
            records[i]["error"] = (f"not scanned: sslyze cannot reach TLS on a {listener.kind} listener "
                                   f"(it speaks {', '.join(OPPORTUNISTIC)})")
    if not requests:
        return records
    observer = _Errors()
    started = time.monotonic()
    results = _run(list(requests.values()), observer)
    run_took = round(time.monotonic() - started, 3)
    for i, request in requests.items():
        record, result = records[i], results.get(request.uuid)
        record["run_took_s"] = run_took
        record["took_s"] = round(observer.finished.get(request.uuid, started + run_took) - started, 3)
        if result is None or result.scan_result is None:
            record["error"] = observer.said.get(request.uuid) or "sslyze gave no result"
            continue
        record.update(reachable=True, **_facts(result, ca))
    return records



def main() -> int:
    """``python -m tier3.probe.sslyze_scan``: ``{"listeners": [...], "ca_file": ..., "timeout": ...}`` on standard
    input, the records as JSON on standard output (what ``tier3.probe.tls_scan`` runs in sslyze's own Python)."""
    import json  # noqa: PLC0415
    import sys  # noqa: PLC0415

    try:
        asked = json.load(sys.stdin)
        listeners = [Listener.from_mapping(x, f"listeners[{i}]") for i, x in enumerate(asked["listeners"])]
        records = scan_listeners(listeners, asked.get("ca_file"), float(asked.get("timeout", DEFAULT_TIMEOUT)))
    except Tier3Error as exc:
        print(exc.one_line(), file=sys.stderr)
        return 2
    except (ValueError, KeyError, TypeError) as exc:
        print(f"tier3.probe.sslyze_scan: bad request on standard input: {exc}", file=sys.stderr)
        return 2
    json.dump(records, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
