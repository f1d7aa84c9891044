"""``tier3_reliability`` and ``tier3_targets``: schema-clean documents -> the model, with every figure's
unit and value checked, and the checks that tie them to the topology (each problem an
``InventoryError`` naming the key and the fix).
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from typing import Any, Final

from tier3.availability.figures import KINDS, availability_fraction, duration_hours
from tier3.availability.figures import figure as parse_figure
from tier3.availability.paths import SERVICES
from tier3.errors import InventoryError
from tier3.model import Figure, Location, Reliability, Target, Topology

# inventory-wide mapping variables -> schema kind (set for all hosts, like tier3_mail)
AVAILABILITY_VARS: Final = {"tier3_reliability": "reliability", "tier3_targets": "targets"}
# kinds whose objects are parts of a host, named HOST/PART
HOST_PARTS: Final = frozenset({"psu", "nic", "card", "disk", "hba"})
SITE_SCOPED: Final = frozenset({"stack", "controller"})  # named SITE/NAME (their names are per site)


def _kind_error(location: Location, key: str, kind: str) -> InventoryError:
    close = difflib.get_close_matches(kind, list(KINDS), n=1)
    fix = f"did you mean {close[0]}?" if close else "use one of " + ", ".join(KINDS)
    return InventoryError(location.file, f"{location.key}.{key}", f"unknown component kind {kind!r}", hint=fix)


def build_reliability(doc: Mapping[str, Any], file: str, key: str) -> tuple[Reliability, list[InventoryError]]:
    errors: list[InventoryError] = []

    def figures(section: Mapping[str, Any], where: str, kinds_only: bool) -> dict[str, Figure]:
        out: dict[str, Figure] = {}
        for raw_name, body in section.items():
            name = str(raw_name)
            location = Location(file, f"{where}.{name}")
            kind = name if kinds_only else name.split(":", 1)[0]
            if kind not in KINDS or (not kinds_only and ":" not in name):
                if not kinds_only and ":" not in name:
                    errors.append(InventoryError(file, location.key, f"object {name!r} does not say its kind",
                                                 hint="key objects KIND:NAME, e.g. feed:fra1-a or psu:fra1-mx1/PSU1"))
                else:
                    errors.append(_kind_error(Location(file, where), name, kind))
                continue
            try:
                out[name] = parse_figure(body, location, f"inventory {file}: {location.key}")
            except InventoryError as error:
                errors.append(error)
        return out

    kinds = figures(doc.get("kinds") or {}, f"{key}.kinds", kinds_only=True)
    sites = {str(s): figures(body or {}, f"{key}.sites.{s}", kinds_only=True)
             for s, body in (doc.get("sites") or {}).items()}
    objects = figures(doc.get("objects") or {}, f"{key}.objects", kinds_only=False)
    return Reliability(kinds, sites, objects, Location(file, key)), errors


def build_targets(doc: Mapping[str, Any], file: str, key: str) -> tuple[tuple[Target, ...], list[InventoryError]]:
    errors: list[InventoryError] = []
    out: list[Target] = []
    for service in SERVICES:
        body = doc.get(service)
        if body is None:
            continue
        location = Location(file, f"{key}.{service}")
        availability = rto = None
        try:
            if "availability" in body:
                availability = availability_fraction(body["availability"], location, "availability")
            if "rto" in body:
                rto = duration_hours(body["rto"], location, "rto") * 3600.0
        except InventoryError as error:
            errors.append(error)
            continue
        if availability is None and rto is None:
            errors.append(InventoryError(file, location.key, "a target with neither availability nor rto",
                                         hint="write availability: '99.99 %' and/or rto: '60 s'"))
            continue
        out.append(Target(service, availability, rto, location))
    return tuple(out), errors


def check_availability(topology: Topology) -> list[InventoryError]:
    """Every site and object a figure names exists in the topology."""
    reliability = topology.reliability
    errors: list[InventoryError] = []
    sites = {s.name for s in topology.sites}
    where = reliability.location
    for site in reliability.sites:
        if site not in sites:
            errors.append(InventoryError(where.file, f"{where.key}.sites.{site}", f"no site {site!r} in tier3_sites",
                                         hint=_close(site, sites, "name a site of tier3_sites")))
    known = _object_names(topology)
    for object_id, found in reliability.objects.items():
        kind, name = object_id.split(":", 1)
        names = known.get(kind)
        if names is None:
            continue  # a kind with no inventory objects of its own
        owner = name.split("/", 1)[0] if kind in HOST_PARTS | SITE_SCOPED else name
        if owner not in names:
            what = "host" if kind in HOST_PARTS else "site" if kind in SITE_SCOPED else kind
            errors.append(InventoryError(found.location.file, found.location.key,
                                         f"no {what} {owner!r} in the inventory",
                                         hint=_close(owner, names, f"name a {what} of the inventory")))
    return errors


def _object_names(topology: Topology) -> dict[str, set[str]]:
    hosts = {h.name for h in topology.hosts}
    uplinks = [u for s in topology.sites for u in s.uplinks]
    sites = {s.name for s in topology.sites}
    return {
        "site": sites,
        "feed": {f.name for s in topology.sites for f in s.feeds},
        "pdu": {p.name for s in topology.sites for r in s.racks for p in r.pdus},
        "switch": {w.name for s in topology.sites for w in s.switches},
        "fabric": {f.name for s in topology.sites for f in s.fabrics},
        "host": hosts,
        **dict.fromkeys(HOST_PARTS, hosts),
        **dict.fromkeys(SITE_SCOPED, sites),
        "uplink": {u.name for u in uplinks},
        "carrier": {u.carrier for u in uplinks},
        "entry": {u.entry for u in uplinks},
        "router": {u.lands_on for u in uplinks if u.lands_on not in hosts},
    }


def _close(name: str, choices: set[str], fallback: str) -> str:
    close = difflib.get_close_matches(name, sorted(choices), n=1)
    return f"did you mean {close[0]}?" if close else fallback


def with_availability(
    topology: Topology, globals_: Mapping[str, Any]
) -> tuple[Topology, list[InventoryError]]:
    """The topology with tier3_reliability and tier3_targets, every figure's unit and value checked."""
    errors: list[InventoryError] = []
    changes: dict[str, Any] = {}
    found = globals_["tier3_reliability"]
    if found is not None:
        changes["reliability"], problems = build_reliability(found.value, found.file, found.key)
        errors += problems
    found = globals_["tier3_targets"]
    if found is not None:
        changes["targets"], problems = build_targets(found.value, found.file, found.key)
        errors += problems
    return (dataclasses.replace(topology, **changes) if changes else topology), errors
