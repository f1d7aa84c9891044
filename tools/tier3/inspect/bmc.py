"""BMC kinds of ``tier3 inspect``: ``redfish`` and ``ipmi-sdr`` (power-supply redundancy).

``redfish`` SOURCE: ``https://BMC[:PORT]`` (read over the network), a directory holding a saved
Redfish tree (DMTF mockup layout), or a JSON file (or ``-``) mapping each ``@odata.id`` to its
document. ``ipmi-sdr`` SOURCE: a saved ``ipmitool sdr type`` output, ``-``, or ``ipmi://HOST[:PORT]``.

Both are ``Kind`` rows without host evidence (the controller reads the BMC itself). How SOURCE is
read is a table keyed by URL scheme; files and ``-`` go through ``tier3.sources`` (the one reader,
with its limits), saved trees and BMC answers through ``tier3.bmc`` under the same limits. The
parsers give facts; the rules T3-OBS-PWR-* of ``tier3.rules.observed.power`` judge them
(``tier3 rules --scope observed``); docs/inspect-bmc.md explains the verdict.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tier3.bmc import Credentials, split_url
from tier3.bmc import ipmi as ipmi_io
from tier3.bmc import redfish as redfish_io
from tier3.errors import DeviceError, ParseError
from tier3.inspect import InspectOptions, Kind
from tier3.model import Finding
from tier3.parsers.ipmi import OTHER, IpmiPower, Sensor, parse_ipmi_sdr
from tier3.parsers.redfish import RedfishPower, parse_redfish_documents
from tier3.sources import STDIN, read_text

Reader = Callable[[str, InspectOptions], tuple[Any, str]]


def _credentials(options: InspectOptions, source: str) -> Credentials | None:
    given = options.extra.get("credentials")
    if given is not None:
        if not isinstance(given, Credentials):
            raise DeviceError(source, "", "credentials passed in must be a tier3.bmc.Credentials")
        return given
    return Credentials.from_env(options.username_env, options.password_env, source)


def _hint(options: InspectOptions) -> str:
    return f"check the user and password in ${options.username_env} / ${options.password_env}"


def _scheme(source: str, readers: dict[str, Reader], expected: str) -> Reader:
    scheme = split_url(source, expected).scheme if "://" in source else ""
    if scheme not in readers:
        raise DeviceError(source, "", f"unknown scheme {scheme}://; expected {expected}")
    return readers[scheme]


# ---- redfish ---------------------------------------------------------------------------------

def _redfish_network(source: str, options: InspectOptions) -> tuple[dict[str, Any], str]:
    documents = redfish_io.read_service(
        source, credentials=_credentials(options, source), auth=str(options.extra.get("auth", "basic")),
        ca_file=options.ca_file, insecure=options.insecure, timeout=options.timeout, retries=options.retries,
        credential_hint=_hint(options),
    )
    return documents, "Redfish GET service root, chassis, power and supplies"


def _redfish_saved(source: str, _: InspectOptions) -> tuple[dict[str, Any], str]:
    if source != STDIN and Path(source).is_dir():
        return redfish_io.read_directory(Path(source)), "saved Redfish tree"
    text = read_text(source, hint="give https://BMC, a directory holding a saved Redfish tree, a JSON file or '-'")
    try:
        bundle = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(source, f"line {exc.lineno} column {exc.colno}", f"invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise ParseError(source, "", "JSON nested too deeply") from None
    if not isinstance(bundle, dict) or not all(isinstance(k, str) for k in bundle):
        raise ParseError(source, "", "expected a JSON object mapping each @odata.id to its document",
                         hint="or give a directory holding the saved tree, or https://BMC")
    return bundle, "saved Redfish documents"


# URL scheme -> reader; anything without a scheme is a saved tree, a JSON bundle, or '-'
REDFISH_READERS: dict[str, Reader] = {
    "https": _redfish_network,
    "http": _redfish_network,
    "": _redfish_saved,
}


def read_redfish(source: str, options: InspectOptions) -> tuple[dict[str, Any], str]:
    return _scheme(source, REDFISH_READERS, "https://BMC, a directory or a file")(source, options)


def redfish_report(power: RedfishPower, _findings: Sequence[Finding], documents: Any) -> dict[str, Any]:
    return {
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
        "listed_twice": [
            {"chassis": r.chassis, "schema": r.generation, "supply": x.supply, "resource": x.odata_id,
             "first": x.first, "again": x.where}
            for r in power.resources for x in r.repeats
        ],
        "without_supply_list": [r.odata_id for r in power.resources if not r.lists_supplies],
        "pdus": sorted({s.pdu for s in power.supplies if s.pdu}),
        "skipped_chassis": list(power.skipped),
        "documents_read": len(documents),
    }


# ---- ipmi-sdr --------------------------------------------------------------------------------

def _ipmi_network(source: str, options: InspectOptions) -> tuple[str, str]:
    ipmi_io.parse_ipmi_url(source)  # a bad address is reported before missing credentials
    credentials = _credentials(options, source)
    if credentials is None:
        raise DeviceError(source, "", f"IPMI needs a user: {options.username_env} and {options.password_env} "
                          "are not set", hint=f"export {options.username_env} and {options.password_env}")
    text = ipmi_io.read_sdr(source, credentials=credentials, timeout=options.timeout, retries=options.retries)
    return text, "ipmitool -I lanplus sdr type 'Power Supply' + 'Power Unit'"


def _ipmi_saved(source: str, _: InspectOptions) -> tuple[str, str]:
    return read_text(source, hint="give a saved output file, '-' or a BMC address"), "saved ipmitool sdr output"


IPMI_READERS: dict[str, Reader] = {
    "ipmi": _ipmi_network,
    "": _ipmi_saved,
}


def read_ipmi(source: str, options: InspectOptions) -> tuple[str, str]:
    return _scheme(source, IPMI_READERS, "ipmi://HOST[:PORT], a file or '-'")(source, options)


def _sensor(s: Sensor) -> dict[str, Any]:
    return {"name": s.name, "sensor_id": s.sensor_id, "status": s.status, "entity": s.entity,
            "states": list(s.states), "other_states": s.other, "present": s.present}


def ipmi_report(power: IpmiPower, _findings: Sequence[Finding], _raw: Any) -> dict[str, Any]:
    return {
        "supplies": [_sensor(s) for s in power.supplies],
        "redundancy_sensors": [_sensor(s) for s in power.groups],
        "other_sensors": [_sensor(s) for s in power.sensors if s.kind == OTHER],
    }


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("redfish", "power supplies, redundancy and PDU feeds from a Redfish BMC", "redundant", evidence=(),
         read=read_redfish, parse=lambda documents, source, _o: parse_redfish_documents(documents, source),
         report=redfish_report, described=lambda _facts, how: how),
    Kind("ipmi-sdr", "power supplies and redundancy from ipmitool sdr type output", "redundant", evidence=(),
         read=read_ipmi, parse=lambda text, source, _o: parse_ipmi_sdr(text, source),
         report=ipmi_report, described=lambda _facts, how: how),
)}
