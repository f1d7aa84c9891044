"""Redfish power documents -> chassis, power supplies, supply groups and PDU feeds, as facts. Pure.

``parse_redfish_documents(documents, source)`` takes every document read from one Redfish
service, keyed by its ``@odata.id`` path (service root ``/redfish/v1`` -> ``Chassis`` collection
-> each chassis -> ``Power`` (old schema) and/or ``PowerSubsystem`` -> ``PowerSupplies``
collection -> each ``PowerSupply`` (new schema)). ``links_to_follow(path, document)`` says which
links a reader follows from a document to gather exactly that set; ``tier3.bmc`` does the reading.

Facts only: each power resource of a chassis (one per schema generation it links) with the
supplies it lists, its supply groups (``OLD_GROUPS`` / ``NEW_GROUPS`` of each schema) and the entries
that name a supply already listed (kept once: one supply is never counted as two). The rules of
``tier3.rules.observed.power`` judge them. ``PowerSupplies`` is optional in both schemas: a
resource without it lists no supply. Bad documents raise ``ParseError`` with a JSON pointer, e.g.
``/redfish/v1/Chassis/1U/Power#/PowerSupplies/0/Status``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tier3.errors import ParseError

ROOT = "/redfish/v1"
OLD, NEW = "Power", "PowerSubsystem"
# where each schema keeps its supply groups (Redfish names them after what they guarantee)
OLD_GROUPS, NEW_GROUPS = "Redundancy", "PowerSupplyRedundancy"
_OUTLET = re.compile(r"/PowerEquipment/(?P<kind>[^/#]+)/(?P<pdu>[^/#]+)/Outlets/(?P<outlet>[^/#]+)$")


@dataclass(frozen=True)
class Supply:
    chassis: str
    id: str  # MemberId (old schema) or Id (new schema)
    name: str
    odata_id: str  # the resource, or for the old schema the array member (Power#/PowerSupplies/0)
    generation: str  # OLD or NEW
    state: str  # Status.State as the BMC says it: Enabled, StandbySpare, Absent, Disabled...
    health: str | None  # Status.Health: OK, Warning, Critical, or None when not given
    line_input: str | None = None  # LineInputStatus (new schema): Normal, LossOfInput, OutOfRange
    outlet: str | None = None  # Links.Outlet: the PDU outlet it draws from
    pdu: str | None = None  # the PDU of that outlet (its id in PowerEquipment/<kind>/<id>)

    @property
    def label(self) -> str:
        return f"{self.chassis}/{self.id}"


@dataclass(frozen=True)
class SupplyGroup:
    """One group object of ``OLD_GROUPS`` (Power) or ``NEW_GROUPS`` (PowerSubsystem): the BMC's own account."""

    chassis: str
    name: str
    where: str
    generation: str
    mode: str | None  # Mode (old) or RedundancyType (new)
    min_needed: int | None  # MinNumNeeded (old) or MinNeededInGroup (new)
    max_supported: int | None
    state: str | None
    health: str | None
    members: tuple[str, ...]  # @odata.id of each supply in the set


@dataclass(frozen=True)
class Repeat:
    """An entry of a supply list that names a supply already listed (same ``@odata.id``)."""

    supply: str  # the supply's label (chassis/id), as first listed
    odata_id: str
    where: str  # the repeated entry: Power#/PowerSupplies/1 or PowerSupplies#/Members/1
    first: str  # the entry that listed it first


@dataclass(frozen=True)
class PowerResource:
    """What one schema generation of one chassis lists: ``Chassis/{id}/Power`` or ``.../PowerSubsystem``."""

    chassis: str
    generation: str  # OLD or NEW
    odata_id: str
    supplies: tuple[Supply, ...]  # each supply once, in the order first listed
    groups: tuple[SupplyGroup, ...]
    repeats: tuple[Repeat, ...] = ()
    lists_supplies: bool = True  # False: the resource has no PowerSupplies at all (optional in the schema)


@dataclass(frozen=True)
class ChassisPower:
    id: str
    odata_id: str
    resources: tuple[PowerResource, ...]

    @property
    def generations(self) -> tuple[str, ...]:
        return tuple(r.generation for r in self.resources)

    @property
    def supplies(self) -> tuple[Supply, ...]:
        return tuple(s for r in self.resources for s in r.supplies)

    @property
    def groups(self) -> tuple[SupplyGroup, ...]:
        return tuple(g for r in self.resources for g in r.groups)


@dataclass(frozen=True)
class RedfishPower:
    source: str
    chassis: tuple[ChassisPower, ...]
    skipped: tuple[str, ...] = ()  # chassis that link no power resource (racks, enclosures...)

    @property
    def resources(self) -> tuple[PowerResource, ...]:
        return tuple(r for c in self.chassis for r in c.resources)

    @property
    def supplies(self) -> tuple[Supply, ...]:
        return tuple(s for c in self.chassis for s in c.supplies)

    @property
    def repeats(self) -> tuple[Repeat, ...]:
        return tuple(x for r in self.resources for x in r.repeats)


class _Node:
    """A JSON value and where it sits: the document path and a JSON pointer inside it."""

    def __init__(self, value: Any, path: str, pointer: str = "") -> None:
        self.value, self.path, self.pointer = value, path, pointer

    @property
    def where(self) -> str:
        return f"{self.path}#{self.pointer}" if self.pointer else self.path

    def child(self, key: str | int) -> _Node:
        token = str(key).replace("~", "~0").replace("/", "~1")
        return _Node(self.value[key], self.path, f"{self.pointer}/{token}")

    def _fail(self, key: str, message: str, source: str) -> ParseError:
        token = key.replace("~", "~0").replace("/", "~1")
        return ParseError(source, f"{self.path}#{self.pointer}/{token}", message)

    def get(self, key: str, kind: type | tuple[type, ...], source: str, *, required: bool = True) -> _Node | None:
        if key not in self.value or self.value[key] is None:
            if required:
                raise self._fail(key, f"missing; a Redfish {_what(self.path)} must have {key}", source)
            return None
        value = self.value[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
            raise self._fail(key, f"is {type(value).__name__}, expected {_type_name(kind)}", source)
        return self.child(key)

    def req(self, key: str, kind: type | tuple[type, ...], source: str) -> _Node:
        node = self.get(key, kind, source)
        assert node is not None
        return node

    def items(self) -> Iterator[_Node]:
        for index in range(len(self.value)):
            yield self.child(index)


def _type_name(kind: type | tuple[type, ...]) -> str:
    names = {dict: "an object", list: "an array", str: "a string", int: "an integer"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _what(path: str) -> str:
    tail = path.split("#", maxsplit=1)[0].rstrip("/").rsplit("/", 2)
    return {"v1": "service root", "Chassis": "Chassis collection"}.get(tail[-1], "resource")


def _link(node: _Node, key: str, source: str, *, required: bool = True) -> str | None:
    """``node[key]["@odata.id"]`` without its fragment, or None when absent and not required."""
    obj = node.get(key, dict, source, required=required)
    if obj is None:
        return None
    return _strip(str(obj.req("@odata.id", str, source).value))


def _strip(link: str) -> str:
    return link.split("#", 1)[0].rstrip("/") or "/"


def _norm(link: str) -> str:
    """A link with its fragment kept (old-schema members are Power#/PowerSupplies/0)."""
    base, sep, fragment = link.partition("#")
    return f"{base.rstrip('/')}{sep}{fragment}"


def _members(node: _Node, source: str) -> list[tuple[str, str]]:
    """(linked path, the entry's pointer) of each entry of a collection's Members."""
    return [(_strip(str(m.req("@odata.id", str, source).value)), m.where)
            for m in node.req("Members", list, source).items()]


def links_to_follow(path: str, document: Mapping[str, Any]) -> list[str]:
    """The links a reader follows from ``document`` (at ``path``) to gather what the parser needs.

    Lenient on purpose: a missing or malformed link is left for the parser to report with a pointer.
    """

    def link(obj: Any) -> list[str]:
        target = obj.get("@odata.id") if isinstance(obj, Mapping) else None
        return [_strip(target)] if isinstance(target, str) else []

    path = _strip(path)
    if path == ROOT:
        return link(document.get("Chassis"))
    parts = path[len(ROOT) :].strip("/").split("/")
    if parts == ["Chassis"] or parts[-1] == "PowerSupplies":
        members = document.get("Members")
        return [t for m in members for t in link(m)] if isinstance(members, list) else []
    if len(parts) == 2 and parts[0] == "Chassis":
        return link(document.get(OLD)) + link(document.get(NEW))
    if parts[-1] == NEW:
        return link(document.get("PowerSupplies"))
    return []


def parse_redfish_documents(documents: Mapping[str, Any], source: str) -> RedfishPower:
    """The power resources (supplies, groups, feeds) of every chassis that links one."""

    def doc(path: str, linked_from: str) -> _Node:
        if path not in documents:
            raise ParseError(source, linked_from, f"links {path}, which is not in the documents read")
        value = documents[path]
        if not isinstance(value, Mapping):
            raise ParseError(source, path, f"is {type(value).__name__}, expected a JSON object")
        return _Node(value, path)

    root = doc(ROOT, ROOT)
    collection = doc(_link(root, "Chassis", source) or "", f"{ROOT}#/Chassis")
    chassis: list[ChassisPower] = []
    skipped: list[str] = []
    for member_path, _ in _members(collection, source):
        node = doc(member_path, f"{collection.path}#/Members")
        parsed = _chassis(node, doc, source)
        if parsed is None:
            skipped.append(member_path)
        else:
            chassis.append(parsed)
    if not chassis:
        raise ParseError(
            source,
            collection.path,
            "no chassis links a Power or PowerSubsystem resource: nothing says how the host is powered",
            hint="point tier3 at the BMC of the host itself (its Chassis must link Power or PowerSubsystem)",
        )
    return RedfishPower(source, tuple(chassis), tuple(skipped))


def _chassis(node: _Node, doc: Any, source: str) -> ChassisPower | None:
    chassis_id = str(node.req("Id", str, source).value)
    resources: list[PowerResource] = []
    old = _link(node, OLD, source, required=False)
    if old is not None:
        resources.append(_old_power(doc(old, f"{node.path}#/{OLD}"), chassis_id, source))
    new = _link(node, NEW, source, required=False)
    if new is not None:
        resources.append(_power_subsystem(doc(new, f"{node.path}#/{NEW}"), doc, chassis_id, source))
    if not resources:
        return None
    return ChassisPower(chassis_id, node.path, tuple(resources))


def _status(node: _Node, source: str) -> tuple[str, str | None]:
    status = node.req("Status", dict, source)
    state = str(status.req("State", str, source).value)
    health = status.get("Health", str, source, required=False)
    return state, None if health is None else str(health.value)


def _once(listed: list[tuple[str, str, Supply | None]]) -> tuple[list[Supply], list[Repeat]]:
    """Each supply once, by @odata.id: (supplies, repeated entries). ``listed``: (id, entry, supply
    or None for a repeat not read again)."""
    first: dict[str, tuple[str, Supply]] = {}
    repeats: list[Repeat] = []
    for odata_id, where, supply in listed:
        if odata_id in first:
            seen_at, kept = first[odata_id]
            repeats.append(Repeat(kept.label, odata_id, where, seen_at))
        elif supply is not None:
            first[odata_id] = (where, supply)
    return [s for _, s in first.values()], repeats


def _old_power(power: _Node, chassis: str, source: str) -> PowerResource:
    listed: list[tuple[str, str, Supply | None]] = []
    found = power.get("PowerSupplies", list, source, required=False)
    for item in [] if found is None else found.items():
        if not isinstance(item.value, Mapping):
            raise ParseError(source, item.where, f"is {type(item.value).__name__}, expected an object")
        said = item.value.get("@odata.id")
        odata_id = _norm(said) if isinstance(said, str) else item.where
        member = item.get("MemberId", str, source, required=False)
        member_id = str(member.value) if member else item.pointer.rsplit("/", 1)[-1]
        name = item.get("Name", str, source, required=False)
        state, health = _status(item, source)
        supply = Supply(chassis, member_id, str(name.value) if name else member_id, odata_id, OLD, state, health)
        listed.append((odata_id, item.where, supply))
    supplies, repeats = _once(listed)
    groups = [_group(g, chassis, OLD, source) for g in _optional_list(power, OLD_GROUPS, source)]
    return PowerResource(chassis, OLD, power.path, tuple(supplies), tuple(groups), tuple(repeats), found is not None)


def _power_subsystem(sub: _Node, doc: Any, chassis: str, source: str) -> PowerResource:
    link = _link(sub, "PowerSupplies", source, required=False)
    listed: list[tuple[str, str, Supply | None]] = []
    if link is not None:
        listing = doc(link, f"{sub.path}#/PowerSupplies")
        linked_from = f"{listing.path}#/Members"
        seen: set[str] = set()
        for path, where in _members(listing, source):
            again = path in seen
            listed.append((path, where, None if again else _new_supply(doc(path, linked_from), chassis, source)))
            seen.add(path)
    supplies, repeats = _once(listed)
    groups = [_group(g, chassis, NEW, source) for g in _optional_list(sub, NEW_GROUPS, source)]
    return PowerResource(chassis, NEW, sub.path, tuple(supplies), tuple(groups), tuple(repeats), link is not None)


def _new_supply(node: _Node, chassis: str, source: str) -> Supply:
    supply_id = str(node.req("Id", str, source).value)
    name = node.get("Name", str, source, required=False)
    state, health = _status(node, source)
    line = node.get("LineInputStatus", str, source, required=False)
    links = node.get("Links", dict, source, required=False)
    outlet = None if links is None else _link(links, "Outlet", source, required=False)
    match = _OUTLET.search(outlet) if outlet else None
    return Supply(
        chassis, supply_id, str(name.value) if name else supply_id, node.path, NEW, state, health,
        None if line is None else str(line.value), outlet, match["pdu"] if match else None,
    )


def _optional_list(node: _Node, key: str, source: str) -> list[_Node]:
    found = node.get(key, list, source, required=False)
    return [] if found is None else list(found.items())


# generation -> (mode key, min key, max key, member list key), as each schema names them
_GROUP_KEYS = {
    OLD: ("Mode", "MinNumNeeded", "MaxNumSupported", "RedundancySet"),
    NEW: ("RedundancyType", "MinNeededInGroup", "MaxSupportedInGroup", "RedundancyGroup"),
}


def _group(node: _Node, chassis: str, generation: str, source: str) -> SupplyGroup:
    if not isinstance(node.value, Mapping):
        raise ParseError(source, node.where, f"is {type(node.value).__name__}, expected an object")
    mode_key, min_key, max_key, set_key = _GROUP_KEYS[generation]
    mode = node.get(mode_key, str, source, required=False)
    low = node.get(min_key, int, source, required=False)
    high = node.get(max_key, int, source, required=False)
    state, health = _status(node, source)
    members = tuple(
        _norm(str(m.req("@odata.id", str, source).value)) for m in _optional_list(node, set_key, source)
    )
    name = node.get("Name", str, source, required=False) or node.get("MemberId", str, source, required=False)
    return SupplyGroup(
        chassis, str(name.value) if name else node.pointer.lstrip("/"), node.where, generation,
        None if mode is None else str(mode.value), None if low is None else int(low.value),
        None if high is None else int(high.value), state, health, members,
    )
