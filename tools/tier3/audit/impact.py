"""What each component's loss takes down, and the marks the site picture draws (tier3.audit.diagram).

The availability engine (tier3.availability) already knows when a host is down (its site, itself, all
its supplies, all members of a bond, ...) and when a mail service is down; this module asks it two
questions of one topology, with the same shared events:

- **single points of failure**: the minimal cut sets of one event of each service (``tier3
  availability`` prints the same ones as "single points of failure"). Only the cut sets of one event
  are searched (cut-off 1.0: the cut-set search keeps every set of one event and drops every larger
  one at once), so no exact figure is computed and no inventory is too large for the picture;
- **what a loss takes down**: the hosts whose formula is down, the VIPs left with no member, the
  services that stop, when exactly the events of one drawn object are down (a feed, a PDU, a
  switch; a rack is its PDUs, its switches and its hosts at once).

A **mark** is one thing the picture shows on an object: a single point of failure (``spof``), a
failed finding (``fail``) or a waived one (``waived``). ``resolve`` maps the subjects the rules use
(``mx1``, ``mx1:bond0``, ``pdu:r1-pdu-a:3``, ``switch:sw1:1/1``, ``vip:mx-lab``, ``group:mx@fra1``,
``site:lab``, ``wwid:...``) and the engine's event ids (``feed:fra1-a``, ``psu:mx1/PSU1``) to the
keys of the drawn objects. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from tier3.audit.model import Outcome, Result
from tier3.availability import cutsets
from tier3.availability.paths import SERVICES, build, builder, home_sites
from tier3.availability.structure import Structure, is_down
from tier3.model import Finding, Status, Topology

SPOF, FAIL, WAIVED = "spof", "fail", "waived"
MARK_KINDS: Final = (FAIL, SPOF, WAIVED)  # the order a picture's legend lists them in
_HOST_PARTS: Final = frozenset({"psu", "nic", "card", "hba", "disk"})  # events named HOST/PART


@dataclass(frozen=True)
class Mark:
    """One thing to draw on an object: ``subject`` as a rule or the engine names it, what to say, its kind.

    ``host``: where to draw it when the subject names nothing drawn (an observed result about
    ``/dev/md0`` of host mx1)."""

    subject: str
    label: str
    kind: str  # spof | fail | waived
    host: str = ""


@dataclass(frozen=True)
class Loss:
    """What goes down with an object: hosts, VIPs left without a member, mail services that stop."""

    hosts: tuple[str, ...] = ()
    vips: tuple[str, ...] = ()
    services: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.hosts or self.vips or self.services)

    def text(self, lead: str = "its loss") -> str:
        """One sentence for a hover title."""
        if not self:
            return f"{lead} alone takes down nothing: whatever it carries has another path"
        parts = []
        if self.hosts:
            parts.append(f"host{'s' if len(self.hosts) > 1 else ''} {', '.join(self.hosts)}")
        if self.vips:
            parts.append(f"VIP{'s' if len(self.vips) > 1 else ''} {', '.join(self.vips)} (no member left)")
        if self.services:
            parts.append(f"stops {', '.join(self.services)}")
        return f"{lead} takes down " + "; ".join(parts)

    def brief(self) -> str:
        """A few words for the box itself: what an operator sees without hovering."""
        parts = [f"{len(self.hosts)} host{'s' if len(self.hosts) > 1 else ''}" if self.hosts else "",
                 f"{len(self.vips)} VIP{'s' if len(self.vips) > 1 else ''}" if self.vips else "",
                 f"stops {', '.join(self.services)}" if self.services else ""]
        return "loss: " + (", ".join(p for p in parts if p) or "none")


class Impact:
    """The fault trees of one topology's mail services and every host's formula, over shared events."""

    def __init__(self, topology: Topology) -> None:
        self.topology = topology
        self._builder = builder(topology)
        self.services: list[tuple[str, Structure]] = []
        for service in SERVICES:
            homes = home_sites(topology) if service == "imap" else []
            for home in homes or [""]:
                structure = build(topology, service, home, self._builder)
                if structure.alternatives:  # a service no site serves is down whatever is lost
                    self.services.append((f"{service}@{home}" if home else service, structure))
        self._hosts = {h.name: self._builder.host(h) for h in topology.hosts}
        self._losses: dict[str, Loss] = {}

    def single_points(self) -> dict[str, tuple[str, ...]]:
        """event id -> the services it alone stops, events in the order the engine made them."""
        stops: dict[str, list[str]] = {}
        for name, structure in self.services:
            found, _ = cutsets.ranked(structure, 1.0)
            for cut in found:
                stops.setdefault(structure.events[cut.events[0]].id, []).append(name)
        order = self._builder.index
        return {e: tuple(stops[e]) for e in sorted(stops, key=lambda e: order[e])}

    def label(self, event_id: str) -> str:
        """``feed fra1-a``, as ``tier3 availability`` names the event."""
        return self._builder.events[self._builder.index[event_id]].label

    def loss(self, event_ids: Iterable[str], itself: str = "") -> Loss:
        """What is down when exactly ``event_ids`` are (``itself``, a drawn key, left out of the lists)."""
        index = self._builder.index
        down = frozenset(index[e] for e in event_ids if e in index)
        if not down:
            return Loss()
        hosts = [h for h, node in self._hosts.items() if is_down(node, down)]
        lost = set(hosts)
        vips = [v.name for v in self.topology.vips
                if v.members and all(m.host in lost for m in v.members) and f"vip:{v.name}" != itself]
        services = [name for name, structure in self.services if structure.is_down(down)]
        return Loss(tuple(h for h in hosts if h != itself), tuple(vips), tuple(services))

    def loss_of(self, key: str) -> Loss:
        """What the loss of the drawn object ``key`` takes down (``LOSS_EVENTS`` says which events it is)."""
        found = self._losses.get(key)
        if found is None:
            kind, _, name = key.partition(":") if ":" in key else ("host", "", key)
            events = LOSS_EVENTS[kind](self.topology, name) if kind in LOSS_EVENTS else [f"{kind}:{name}"]
            found = self.loss(events, key)
            if kind in MEMBERS_LOST:  # down when its members are: what else goes is the news
                members = {e.partition(":")[2] for e in events}
                found = Loss(tuple(h for h in found.hosts if h not in members), found.vips, found.services)
            self._losses[key] = found
        return found


def _rack_events(topology: Topology, name: str) -> list[str]:
    rack = topology.rack(name)
    pdus = [f"pdu:{p.name}" for p in rack.pdus] if rack is not None else []
    switches = [f"switch:{w.name}" for s in topology.sites for w in s.switches if w.rack == name]
    return [*pdus, *switches, *(f"host:{h.name}" for h in topology.hosts if h.rack == name)]


def _members_events(topology: Topology, kind: str, name: str) -> list[str]:
    if kind == "vip":
        return [f"host:{m.host}" for v in topology.vips if v.name == name for m in v.members]
    return [f"host:{m}" for p in topology.firewall_pairs if p.name == name for m in p.members]


MEMBERS_LOST: Final = ("vip", "firewall-pair")  # objects that are down when all their member hosts are
LEAD: Final = {"vip": "with every member down, it", "firewall-pair": "with both members down, it"}


# drawn object kind -> the engine's events its loss is (the default: the one event KIND:NAME)
LOSS_EVENTS: Final[dict[str, Callable[[Topology, str], list[str]]]] = {
    "host": lambda _t, name: [f"host:{name}"],
    "rack": _rack_events,
    "vip": lambda t, name: _members_events(t, "vip", name),
    "firewall-pair": lambda t, name: _members_events(t, "firewall-pair", name),
}


# ---- marks ---------------------------------------------------------------------------------------

def spof_marks(impact: Impact) -> tuple[Mark, ...]:
    """One ``spof`` mark per event that alone stops a service, naming the services."""
    return tuple(Mark(event, f"single point of failure: {impact.label(event)} alone stops {', '.join(stops)}", SPOF)
                 for event, stops in impact.single_points().items())


_FINDING_KIND: Final = {Status.FAIL: FAIL, Status.ERROR: FAIL, Status.WAIVED: WAIVED}
_RESULT_KIND: Final = {Outcome.FAIL: FAIL, Outcome.ERROR: FAIL, Outcome.WAIVED: WAIVED}


def finding_marks(findings: Iterable[Finding]) -> tuple[Mark, ...]:
    """A mark per failed, errored or waived finding of ``tier3 validate`` (passes draw nothing)."""
    return tuple(Mark(f.subject, f"{f.rule_id} [{f.severity.value}] {f.message or f.title}", _FINDING_KIND[f.status])
                 for f in findings if f.status in _FINDING_KIND)


def result_marks(results: Iterable[Result]) -> tuple[Mark, ...]:
    """A mark per failed, errored or waived result of an audit (drawn on its host when its subject is none)."""
    return tuple(Mark(r.subject or r.host, f"{r.rule_id} [{r.outcome.value}] {r.message or r.title}",
                      _RESULT_KIND[r.outcome], r.host)
                 for r in results if r.outcome in _RESULT_KIND)


# ---- subjects -> drawn objects -------------------------------------------------------------------

def _named(kind: str, names: Callable[[Topology], Iterable[str]]) -> Callable[[Topology, str], tuple[str, ...]]:
    """KIND:NAME[:detail] when NAME is one of ``names``."""
    def found(topology: Topology, rest: str) -> tuple[str, ...]:
        name = rest.split(":", 1)[0]
        return (f"{kind}:{name}",) if name in set(names(topology)) else ()
    return found


def _host(topology: Topology, name: str) -> tuple[str, ...]:
    return (name,) if topology.host(name) is not None else ()


def _group(topology: Topology, rest: str) -> tuple[str, ...]:
    group, _, site = rest.partition("@")
    return tuple(h.name for h in topology.group(group) if not site or h.site == site)


def _stack(topology: Topology, rest: str) -> tuple[str, ...]:
    site, _, stack = rest.rpartition("/")
    return tuple(f"switch:{w.name}" for s in topology.sites if not site or s.name == site
                 for w in s.switches if w.stack == stack)


def _uplinks(field: str) -> Callable[[Topology, str], tuple[str, ...]]:
    def found(topology: Topology, rest: str) -> tuple[str, ...]:
        wanted = " ".join(rest.split()).casefold()
        return tuple(f"uplink:{u.name}" for s in topology.sites for u in s.uplinks
                     if " ".join(str(getattr(u, field)).split()).casefold() == wanted)
    return found


def _controller(topology: Topology, rest: str) -> tuple[str, ...]:
    site, _, controller = rest.rpartition("/")
    return tuple(h.name for h in topology.hosts if (not site or h.site == site)
                 and any(p.controller == controller for lun in h.multipath_luns for p in lun.paths))


def _wwid(topology: Topology, rest: str) -> tuple[str, ...]:
    return tuple(h.name for h in topology.hosts if any(lun.wwid == rest for lun in h.multipath_luns))


def _sites(t: Topology) -> list[str]:
    return [s.name for s in t.sites]


# subject prefix -> the drawn objects it names (a subject with another prefix names a host, or nothing)
RESOLVERS: Final[dict[str, Callable[[Topology, str], tuple[str, ...]]]] = {
    "site": _named("site", _sites),
    "feed": _named("feed", lambda t: [f.name for s in t.sites for f in s.feeds]),
    "rack": _named("rack", lambda t: [r.name for s in t.sites for r in s.racks]),
    "pdu": _named("pdu", lambda t: [p.name for s in t.sites for r in s.racks for p in r.pdus]),
    "switch": _named("switch", lambda t: [w.name for s in t.sites for w in s.switches]),
    "fabric": _named("fabric", lambda t: [f.name for s in t.sites for f in s.fabrics]),
    "vip": _named("vip", lambda t: [v.name for v in t.vips]),
    "firewall-pair": _named("firewall-pair", lambda t: [p.name for p in t.firewall_pairs]),
    "uplink": _named("uplink", lambda t: [u.name for s in t.sites for u in s.uplinks]),
    "carrier": _uplinks("carrier"),
    "entry": _uplinks("entry"),
    "router": _uplinks("lands_on"),
    "host": _host,
    "group": _group,
    "stack": _stack,
    "controller": _controller,
    "wwid": _wwid,
    **{part: (lambda t, rest: _host(t, rest.split("/", 1)[0])) for part in _HOST_PARTS},
}


def resolve(topology: Topology, subject: str) -> tuple[str, ...]:
    """The drawn objects ``subject`` names: ``vip:mx 10.0.0.25:25`` -> ``vip:mx``, ``mx1:bond0`` -> ``mx1``,
    ``group:mx`` -> its hosts; () when it names nothing drawn (a DNS zone, a service)."""
    head = subject.split(" ", 1)[0]
    kind, sep, rest = head.partition(":")
    if sep and kind in RESOLVERS:
        return RESOLVERS[kind](topology, rest)
    return _host(topology, head.split(":", 1)[0].split("/", 1)[0])


def placed(topology: Topology, marks: Sequence[Mark]) -> dict[Mark, tuple[str, ...]]:
    """Each mark (once, in order) -> the drawn objects it is on: its subject's, else its host's; () for none."""
    return {mark: resolve(topology, mark.subject) or (_host(topology, mark.host) if mark.host else ())
            for mark in dict.fromkeys(marks)}
