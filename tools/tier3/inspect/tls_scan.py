"""The ``tls-scan`` kind of ``tier3 inspect``: mail listeners scanned with sslyze from the controller.

SOURCE ``KIND://ADDRESS:PORT[/SERVER_NAME]`` scans that listener now (``--ca-file`` validates the chain
against it, ``--timeout`` per connection), e.g. ``imaps://10.89.30.101:993/imap.lab.tier3.test``; any
other SOURCE is a saved JSON list of scan records (``tier3.parsers.tls_scan``), such as the ``records``
of an earlier report. Facts per listener: the versions and suites accepted, the certificates served,
sslyze's Mozilla intermediate check, and how long the scan took; judged by T3-OBS-TLS-007..010.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tier3.inspect import InspectOptions, Kind
from tier3.inspect.mail import listener_from_url
from tier3.model import Finding
from tier3.parsers.tls_scan import ScannedListener, TlsScan, parse_tls_scan
from tier3.sources import read_text

NAME = "tls-scan"
DAY = 86400.0


def read_tls_scan(source: str, options: InspectOptions) -> tuple[Any, str]:
    """A listener URL (scanned now, from this machine) or a saved JSON file of scan records."""
    if "://" not in source:
        return read_text(source, hint="give KIND://ADDRESS:PORT to scan, or a saved JSON file of scan records"), \
            "saved tier3 scan records"
    from tier3.probe.tls_scan import scan_listeners  # noqa: PLC0415  (sslyze loads only for a live scan)

    listener = listener_from_url(source)
    return scan_listeners([listener], options.ca_file, options.timeout), \
        f"sslyze scan of {listener.kind} from the controller"


def _listener_report(x: ScannedListener) -> dict[str, Any]:
    moz = x.mozilla_intermediate
    return {
        "listener": x.name, "kind": x.kind, "server_hostname": x.server_hostname, "reachable": x.reachable,
        "error": x.error, "scanner": x.scanner, "took_s": x.took_s, "run_took_s": x.run_took_s,
        "versions": {v: s.result for v, s in x.versions.items()},
        "cipher_suites": {v: [c.openssl for c in s.cipher_suites] for v, s in x.versions.items() if s.cipher_suites},
        "certificates": [{"subject": c.subject, "issuer": c.issuer, "names": [*c.dns_names, *c.ip_addresses],
                          "key": f"{c.key_type} {c.key_curve or c.key_bits or ''}".strip(),
                          "days_left": int((c.not_after - x.scanned_at) // DAY), "verified": c.verified,
                          "verify_error": c.verify_error} for c in x.certificates],
        "mozilla_intermediate_problems": None if moz is None or not moz.checked else list(moz.problems),
    }


def tls_scan_report(facts: TlsScan, _findings: Sequence[Finding], raw: Any) -> dict[str, Any]:
    return {"listeners": [_listener_report(x) for x in facts.listeners],
            "records": raw if isinstance(raw, list) else None}


KINDS: dict[str, Kind] = {NAME: Kind(
    NAME, "mail listeners scanned with sslyze from the controller: versions, every cipher suite, keys, "
    "Mozilla intermediate", "facts", evidence=(), read=read_tls_scan,
    parse=lambda raw, source, _o: parse_tls_scan(raw, source), report=tls_scan_report,
    described=lambda _f, how: how or "tier3 scan records")}
