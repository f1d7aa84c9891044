"""Redfish power documents -> power supplies, redundancy groups, PDU feeds and a verdict. Pure.

``parse_redfish_documents(documents, source)`` takes every document read from one Redfish
service, keyed by its ``@odata.id`` path (service root ``/redfish/v1`` -> ``Chassis`` collection
-> each chassis -> ``Power`` (old schema) and/or ``PowerSubsystem`` -> ``PowerSupplies``
collection -> each ``PowerSupply`` (new schema)). ``links_to_follow(path, document)`` says which
links a reader follows from a document to gather exactly that set; ``tier3.bmc`` does the reading.

Both schema generations are judged when a chassis links both: a BMC that says a supply is
Critical in one of them is believed. ``Issue.code`` is one of ``ISSUE_CODES``; ``tier3.inspect.bmc``
maps codes to rule ids. Bad documents raise ``ParseError`` with a JSON pointer, e.g.
``/redfish/v1/Chassis/1U/Power#/PowerSupplies/0/Status``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from tier3.errors import ParseError

ROOT = "/redfish/v1"
OLD, NEW = "Power", "PowerSubsystem"
# a supply that is there and delivering (StandbySpare: a hot spare of a Failover/Sparing group)
PRESENT_STATES = frozenset({"Enabled", "StandbySpare"})
INPUT_LOST = frozenset({"LossOfInput", "OutOfRange"})
ISSUE_CODES = ("supply", "feed", "group", "input", "count")
_OUTLET = re.compile(r"/PowerEquipment/(?P<kind>[^/#]+)/(?P<pdu>[^/#]+)/Outlets/(?P<outlet>[^/#]+)$")


@dataclass(frozen=True)
class Supply:
    chassis: str
    id: str  # MemberId (old schema) or Id (new schema)
    name: str
    odata_id: str  # the resource, or for the old schema the array member (Power#/PowerSupplies/0)
    generation: str  # OLD or NEW
    state: str
    health: str | None
    line_input: str | None = None  # LineInputStatus (new schema): Normal, LossOfInput, OutOfRange
    outlet: str | None = None  # Links.Outlet: the PDU outlet it draws from
    pdu: str | None = None  # the PDU of that outlet (its id in PowerEquipment/<kind>/<id>)

    @property
    def present(self) -> bool:
        return self.state in PRESENT_STATES

    @property
    def healthy(self) -> bool:
        return self.present and self.health == "OK" and self.line_input not in INPUT_LOST

    @property
    def label(self) -> str:
        return f"{self.chassis}/{self.id}"


@dataclass(frozen=True)
class RedundancyGroup:
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
class Issue:
    code: str  # one of ISSUE_CODES
    chassis: str
    subject: str  # the supply, the PDU or the group blamed
    message: str
    where: str  # the @odata.id (and JSON pointer) it rests on
    evidence: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChassisPower:
    id: str
    odata_id: str
    generations: tuple[str, ...]
    supplies: tuple[Supply, ...]
    groups: tuple[RedundancyGroup, ...]
    issues: tuple[Issue, ...]


@dataclass(frozen=True)
class RedfishPower:
    source: str
    chassis: tuple[ChassisPower, ...]
    skipped: tuple[str, ...] = ()  # chassis that link no power resource (racks, enclosures...)

    @property
    def supplies(self) -> tuple[Supply, ...]:
        return tuple(s for c in self.chassis for s in c.supplies)

    @property
    def issues(self) -> tuple[Issue, ...]:
        return tuple(i for c in self.chassis for i in c.issues)

    @property
    def redundant(self) -> bool:
        """Every chassis keeps power after losing any one supply or any one PDU (as far as it says)."""
        return bool(self.chassis) and not self.issues


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


def _members(node: _Node, source: str) -> list[str]:
    return [_strip(str(m.req("@odata.id", str, source).value)) for m in node.req("Members", list, source).items()]


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
    """Supplies, groups, feeds and issues of every chassis that links a power resource."""

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
    for member_path in _members(collection, source):
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
    supplies: list[Supply] = []
    groups: list[RedundancyGroup] = []
    issues: list[Issue] = []
    generations: list[str] = []
    old = _link(node, OLD, source, required=False)
    if old is not None:
        generations.append(OLD)
        s, g = _old_power(doc(old, f"{node.path}#/{OLD}"), chassis_id, source)
        supplies += s
        groups += g
        issues += judge(chassis_id, OLD, old, s, g)
    new = _link(node, NEW, source, required=False)
    if new is not None:
        generations.append(NEW)
        s, g = _power_subsystem(doc(new, f"{node.path}#/{NEW}"), doc, chassis_id, source)
        supplies += s
        groups += g
        issues += judge(chassis_id, NEW, new, s, g)
    if not generations:
        return None
    return ChassisPower(chassis_id, node.path, tuple(generations), tuple(supplies), tuple(groups), tuple(issues))


def _status(node: _Node, source: str) -> tuple[str, str | None]:
    status = node.req("Status", dict, source)
    state = str(status.req("State", str, source).value)
    health = status.get("Health", str, source, required=False)
    return state, None if health is None else str(health.value)


def _old_power(power: _Node, chassis: str, source: str) -> tuple[list[Supply], list[RedundancyGroup]]:
    supplies = []
    for item in power.req("PowerSupplies", list, source).items():
        if not isinstance(item.value, Mapping):
            raise ParseError(source, item.where, f"is {type(item.value).__name__}, expected an object")
        member = item.get("MemberId", str, source, required=False)
        member_id = str(member.value) if member else item.pointer.rsplit("/", 1)[-1]
        name = item.get("Name", str, source, required=False)
        state, health = _status(item, source)
        supplies.append(
            Supply(chassis, member_id, str(name.value) if name else member_id, item.where, OLD, state, health)
        )
    groups = [_group(g, chassis, OLD, source) for g in _optional_list(power, "Redundancy", source)]
    return supplies, groups


def _power_subsystem(sub: _Node, doc: Any, chassis: str, source: str) -> tuple[list[Supply], list[RedundancyGroup]]:
    listing = doc(_link(sub, "PowerSupplies", source) or "", f"{sub.path}#/PowerSupplies")
    supplies = []
    for path in _members(listing, source):
        node = doc(path, f"{listing.path}#/Members")
        supply_id = str(node.req("Id", str, source).value)
        name = node.get("Name", str, source, required=False)
        state, health = _status(node, source)
        line = node.get("LineInputStatus", str, source, required=False)
        links = node.get("Links", dict, source, required=False)
        outlet = None if links is None else _link(links, "Outlet", source, required=False)
        match = _OUTLET.search(outlet) if outlet else None
        supplies.append(
            Supply(
                chassis, supply_id, str(name.value) if name else supply_id, node.path, NEW, state, health,
                None if line is None else str(line.value), outlet, match["pdu"] if match else None,
            )
        )
    groups = [_group(g, chassis, NEW, source) for g in _optional_list(sub, "PowerSupplyRedundancy", source)]
    return supplies, groups


def _optional_list(node: _Node, key: str, source: str) -> list[_Node]:
    found = node.get(key, list, source, required=False)
    return [] if found is None else list(found.items())


# generation -> (mode key, min key, max key, member list key)
_GROUP_KEYS = {
    OLD: ("Mode", "MinNumNeeded", "MaxNumSupported", "RedundancySet"),
    NEW: ("RedundancyType", "MinNeededInGroup", "MaxSupportedInGroup", "RedundancyGroup"),
}


def _group(node: _Node, chassis: str, generation: str, source: str) -> RedundancyGroup:
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
    return RedundancyGroup(
        chassis, str(name.value) if name else node.pointer.lstrip("/"), node.where, generation,
        None if mode is None else str(mode.value), None if low is None else int(low.value),
        None if high is None else int(high.value), state, health, members,
    )


def judge(
    chassis: str, generation: str, where: str, supplies: list[Supply], groups: list[RedundancyGroup]
) -> list[Issue]:
    """What stops one schema generation of one chassis from being redundant, supply by supply."""
    issues: list[Issue] = []
    for s in supplies:
        evidence = {"state": s.state, "health": s.health, "schema": generation}
        if not s.present:
            message = f"power supply {s.name} is {s.state} ({generation})"
            issues.append(Issue("supply", chassis, s.label, message, s.odata_id, evidence))
        elif s.health != "OK":
            said = f"health {s.health}" if s.health else "no health reported"
            message = f"power supply {s.name}: {said} ({generation})"
            issues.append(Issue("supply", chassis, s.label, message, s.odata_id, evidence))
        if s.line_input in INPUT_LOST:
            evidence = {**evidence, "line_input": s.line_input, "outlet": s.outlet, "pdu": s.pdu}
            issues.append(Issue("input", chassis, s.label, f"power supply {s.name}: input {s.line_input}",
                                s.odata_id, evidence))
    if len(supplies) < 2:
        issues.append(Issue("count", chassis, chassis, f"{generation} reports {len(supplies)} power supply(ies); "
                            "redundancy needs at least 2", where, {"supplies": [s.id for s in supplies]}))
    fed = [s for s in supplies if s.pdu is not None]
    pdus = {s.pdu for s in fed}
    if len(fed) >= 2 and len(pdus) == 1:
        pdu = fed[0].pdu or ""
        names = ", ".join(s.name for s in fed[:-1]) + f" and {fed[-1].name}"
        pdu_path = (fed[0].outlet or "").rsplit("/Outlets/", 1)[0]
        message = f"{names} {'both' if len(fed) == 2 else 'all'} draw from PDU {pdu} ({pdu_path}): a single feed"
        issues.append(Issue("feed", chassis, f"pdu:{pdu}", message, fed[0].odata_id,
                            {"pdu": pdu, "pdu_resource": pdu_path, "outlets": {s.id: s.outlet for s in fed}}))
    for group in groups:
        issue = _judge_group(group, supplies)
        if issue is not None:
            issues.append(issue)
    return issues


def _judge_group(group: RedundancyGroup, supplies: list[Supply]) -> Issue | None:
    members = [s for s in supplies if s.odata_id in group.members] if group.members else supplies
    healthy = sum(s.healthy for s in members)
    evidence = {"mode": group.mode, "min_needed": group.min_needed, "healthy": healthy,
                "state": group.state, "health": group.health, "schema": group.generation}
    problems = []
    if group.health != "OK":
        problems.append(f"health {group.health}" if group.health else "no health reported")
    if group.state not in ("Enabled", None):
        problems.append(f"state {group.state}")
    if group.mode == "NotRedundant":
        problems.append("mode NotRedundant")
    if group.min_needed is not None and healthy <= group.min_needed:
        problems.append(f"{healthy} healthy supply(ies) for {group.min_needed} needed: losing one more drops the load")
    if not problems:
        return None
    return Issue("group", group.chassis, f"{group.chassis}/{group.name}",
                 f"redundancy group {group.name}: {'; '.join(problems)} ({group.generation})", group.where, evidence)
