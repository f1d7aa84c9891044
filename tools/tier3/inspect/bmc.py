"""BMC kinds of ``tier3 inspect``: ``redfish`` and ``ipmi-sdr`` (power-supply redundancy).

``redfish`` SOURCE: ``https://BMC[:PORT]`` (read over the network), a directory holding a saved
Redfish tree (DMTF mockup layout), or a JSON file (or ``-``) mapping each ``@odata.id`` to its
document. ``ipmi-sdr`` SOURCE: a saved ``ipmitool sdr type`` output, ``-``, or ``ipmi://HOST[:PORT]``.

"redundant" for a BMC: the host keeps running after losing any one power supply or any one PDU,
as far as its BMC can tell. The parsers say what is wrong (``Issue``); the table ``OBS_RULES``
below turns each issue code into a finding with a rule id, documented in docs/inspect-bmc.md.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tier3.bmc import Credentials
from tier3.bmc import ipmi as ipmi_io
from tier3.bmc import redfish as redfish_io
from tier3.errors import DeviceError, ParseError
from tier3.inspect import InspectOptions
from tier3.inspect._legacy import LegacyKind as Kind
from tier3.inspect._legacy import ObservedRule, observed_findings
from tier3.model.finding import Severity
from tier3.parsers.ipmi import IpmiPower, parse_ipmi_sdr
from tier3.parsers.ipmi import Issue as IpmiIssue
from tier3.parsers.redfish import Issue, RedfishPower, parse_redfish_documents

POWER_CONTROLS = ("ISO27001:A.7.11", "ISO27001:A.8.14", "SOC2:A1.2", "NIST-800-53:PE-9(1)")


# issue code (tier3.parsers.redfish.ISSUE_CODES, plus "warning" from IPMI) -> the rule it fires
OBS_RULES: dict[str, ObservedRule] = {
    "supply": ObservedRule("T3-OBS-PWR-001", Severity.HIGH, "power supply absent, disabled or unhealthy",
                           "reseat or replace the supply, or enable it; then read the BMC again", POWER_CONTROLS),
    "feed": ObservedRule("T3-OBS-PWR-002", Severity.HIGH, "power supplies share one PDU (single feed)",
                         "plug one supply into an outlet of a PDU on the other feed", POWER_CONTROLS),
    "group": ObservedRule("T3-OBS-PWR-003", Severity.HIGH, "power redundancy group degraded",
                          "restore the failed supply until the BMC reports the group fully redundant", POWER_CONTROLS),
    "input": ObservedRule("T3-OBS-PWR-004", Severity.HIGH, "power supply lost its AC input",
                          "check the supply's cord, PDU outlet and breaker on that feed", POWER_CONTROLS),
    "count": ObservedRule("T3-OBS-PWR-005", Severity.HIGH, "fewer than two power supplies reported",
                          "install a second supply (or check that the BMC reports both)", POWER_CONTROLS),
    "warning": ObservedRule("T3-OBS-PWR-006", Severity.MEDIUM, "power supply predicts its own failure",
                            "replace the supply at the next maintenance window", POWER_CONTROLS,
                            breaks_redundancy=False),
}


def _findings(issues: Iterable[Issue | IpmiIssue], source: str, read: str) -> list[dict[str, Any]]:
    return observed_findings(issues, OBS_RULES, source, read)


def _credentials(options: InspectOptions, source: str) -> Credentials | None:
    given = options.extra.get("credentials")
    if given is not None:
        if not isinstance(given, Credentials):
            raise DeviceError(source, "", "credentials passed in must be a tier3.bmc.Credentials")
        return given
    return Credentials.from_env(options.username_env, options.password_env, source)


def _hint(options: InspectOptions) -> str:
    return f"check the user and password in ${options.username_env} / ${options.password_env}"


# ---- redfish ---------------------------------------------------------------------------------

def _redfish_network(source: str, options: InspectOptions) -> tuple[dict[str, Any], str]:
    documents = redfish_io.read_service(
        source, credentials=_credentials(options, source), auth=str(options.extra.get("auth", "basic")),
        ca_file=options.ca_file, insecure=options.insecure, timeout=options.timeout, retries=options.retries,
        credential_hint=_hint(options),
    )
    return documents, "Redfish GET service root, chassis, power and supplies"


def _redfish_saved(source: str, _: InspectOptions) -> tuple[dict[str, Any], str]:
    if source != "-" and Path(source).is_dir():
        return redfish_io.read_directory(Path(source)), "saved Redfish tree"
    text = _read_text(source)
    try:
        bundle = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(source, f"line {exc.lineno} column {exc.colno}", f"invalid JSON: {exc.msg}") from None
    if not isinstance(bundle, dict) or not all(isinstance(k, str) for k in bundle):
        raise ParseError(source, "", "expected a JSON object mapping each @odata.id to its document",
                         hint="or give a directory holding the saved tree, or https://BMC")
    return bundle, "saved Redfish documents"


# URL scheme -> reader; anything without a scheme is a saved tree, a JSON bundle, or '-'
REDFISH_READERS: dict[str, Callable[[str, InspectOptions], tuple[dict[str, Any], str]]] = {
    "https": _redfish_network,
    "http": _redfish_network,
    "": _redfish_saved,
}


def inspect_redfish(source: str, options: InspectOptions) -> dict[str, Any]:
    scheme = urlsplit(source).scheme if "://" in source else ""
    if scheme not in REDFISH_READERS:
        raise DeviceError(source, "", f"unknown scheme {scheme}://; expected https://BMC, a directory or a file")
    documents, read = REDFISH_READERS[scheme](source, options)
    power = parse_redfish_documents(documents, source)
    return redfish_report(power, source, read, len(documents))


def redfish_report(power: RedfishPower, source: str, read: str, documents: int) -> dict[str, Any]:
    return {
        "kind": "redfish",
        "source": source,
        "redundant": power.redundant,
        "chassis": [{"id": c.id, "resource": c.odata_id, "schemas": list(c.generations)} for c in power.chassis],
        "supplies": [
            {"chassis": s.chassis, "id": s.id, "name": s.name, "schema": s.generation, "state": s.state,
             "health": s.health, "line_input": s.line_input, "outlet": s.outlet, "pdu": s.pdu,
             "resource": s.odata_id}
            for s in power.supplies
        ],
        "redundancy_groups": [
            {"chassis": g.chassis, "name": g.name, "schema": g.generation, "mode": g.mode,
             "min_needed": g.min_needed, "max_supported": g.max_supported, "state": g.state, "health": g.health,
             "members": list(g.members), "resource": g.where}
            for c in power.chassis for g in c.groups
        ],
        "pdus": sorted({s.pdu for s in power.supplies if s.pdu}),
        "skipped_chassis": list(power.skipped),
        "documents_read": documents,
        "findings": _findings(power.issues, source, read),
    }


# ---- ipmi-sdr --------------------------------------------------------------------------------

def _read_text(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    path = Path(source)
    if not path.is_file():
        raise ParseError(source, "", "no such file", hint="give a saved output file, '-' or a BMC address")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(source, f"byte {exc.start}", "not UTF-8 text") from None


def _ipmi_network(source: str, options: InspectOptions) -> tuple[str, str]:
    ipmi_io.parse_ipmi_url(source)  # a bad address is reported before missing credentials
    credentials = _credentials(options, source)
    if credentials is None:
        raise DeviceError(source, "", f"IPMI needs a user: {options.username_env} and {options.password_env} "
                          "are not set", hint=f"export {options.username_env} and {options.password_env}")
    text = ipmi_io.read_sdr(source, credentials=credentials, timeout=options.timeout, retries=options.retries)
    return text, "ipmitool -I lanplus sdr type 'Power Supply' + 'Power Unit'"


def _ipmi_saved(source: str, _: InspectOptions) -> tuple[str, str]:
    return _read_text(source), "saved ipmitool sdr output"


IPMI_READERS: dict[str, Callable[[str, InspectOptions], tuple[str, str]]] = {
    "ipmi": _ipmi_network,
    "": _ipmi_saved,
}


def inspect_ipmi_sdr(source: str, options: InspectOptions) -> dict[str, Any]:
    scheme = urlsplit(source).scheme if "://" in source else ""
    if scheme not in IPMI_READERS:
        raise DeviceError(source, "", f"unknown scheme {scheme}://; expected ipmi://HOST[:PORT], a file or '-'")
    text, read = IPMI_READERS[scheme](source, options)
    return ipmi_report(parse_ipmi_sdr(text, source), source, read)


def ipmi_report(power: IpmiPower, source: str, read: str) -> dict[str, Any]:
    def sensor(s: Any) -> dict[str, Any]:
        return {"name": s.name, "sensor_id": s.sensor_id, "status": s.status, "entity": s.entity,
                "states": list(s.states), "other_states": s.other, "present": s.present}

    return {
        "kind": "ipmi-sdr",
        "source": source,
        "redundant": not any(OBS_RULES[i.code].breaks_redundancy for i in power.issues),
        "supplies": [sensor(s) for s in power.supplies],
        "redundancy_sensors": [sensor(s) for s in power.redundancy],
        "other_sensors": [sensor(s) for s in power.sensors if s.kind == "other"],
        "findings": _findings(power.issues, source, read),
    }


KINDS: dict[str, Kind] = {
    "redfish": Kind("redfish", "power supplies, redundancy and PDU feeds from a Redfish BMC", "redundant",
                    inspect_redfish),
    "ipmi-sdr": Kind("ipmi-sdr", "power supplies and redundancy from ipmitool sdr type output", "redundant",
                     inspect_ipmi_sdr),
}
