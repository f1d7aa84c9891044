"""Observed power against the declared (T3-OBS-PWR-010..013): what the BMC reports of a host's supplies,
compared with the host's ``tier3_host.power_supplies`` and the site's PDUs and feeds.

T3-OBS-PWR-001..007 (``tier3.rules.observed.power``) judge what the BMC says on its own; these judge
where it disagrees with the inventory, which every declared power rule (T3-PWR-*) takes for true. They
read the same facts (``RedfishPower``, ``IpmiPower``) with the declared host from the context
(``ctx.topology.host(ctx.host)``) and are silent without one (``tier3 inspect`` on a saved file) or
when the host declares no supplies (T3-PWR-001 blames that). Kinds ``redfish`` and ``ipmi-sdr`` rather
than a composite kind: the facts are the BMC's, and the context already carries the declaration.

How a declared supply is matched to a reported one (``match``): first by name, ignoring case and runs
of spaces, against each name the BMC gives the supply (Redfish: ``Id`` / ``MemberId`` and ``Name``;
IPMI: the sensor name, and that name without a trailing "Status"); then, for the supplies left on both
sides, by bay number (the last number in the name: declared ``PSU1`` is Redfish "Power Supply 1" or
IPMI "PS1 Status"), taken from the BMC's ``Name`` first, and only where exactly one supply on each side
has that number. Redfish is judged per power resource (``Power`` and ``PowerSubsystem``), as the rules
of ``tier3.rules.observed.power`` are; only ``PowerSubsystem`` links each supply to a PDU outlet.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from tier3.model import Host, Location, PowerSupply, Severity, Topology
from tier3.model.topology import NOWHERE
from tier3.parsers.ipmi import IpmiPower, Sensor
from tier3.parsers.redfish import PowerResource, RedfishPower, Supply
from tier3.rules._registry import Category, Context, Violation, observed
from tier3.rules.observed.power import BOTH, POWER_CONTROLS

# the power controls, and for the rules that find the inventory wrong the asset-inventory ones too
INVENTORY_CONTROLS = (*POWER_CONTROLS, "ISO27001:A.5.9", "NIST-800-53:CM-8")
H, M, L = Severity.HIGH, Severity.MEDIUM, Severity.LOW
_LAST_NUMBER = re.compile(r"(\d+)\D*$")
_STATUS_SUFFIX = re.compile(r"\s+status$", re.IGNORECASE)

T = TypeVar("T")


def _key(name: str) -> str:
    return " ".join(name.casefold().split())


def _bay(name: str) -> int | None:
    found = _LAST_NUMBER.search(name)
    return int(found[1]) if found else None


def match(declared: Sequence[PowerSupply], reported: Sequence[T], names: Callable[[T], tuple[str, ...]],
          ) -> tuple[list[tuple[PowerSupply, T]], list[PowerSupply], list[T]]:
    """(pairs, declared supplies not reported, reported supplies not declared); the last two in input order.

    ``names(supply)`` gives the BMC's names of a reported supply, the one whose bay number counts first.
    """
    pairs: list[tuple[PowerSupply, T]] = []
    left = list(reported)
    unmatched: list[PowerSupply] = []
    for psu in declared:
        found = next((r for r in left if _key(psu.name) in {_key(n) for n in names(r)}), None)
        if found is None:
            unmatched.append(psu)
        else:
            pairs.append((psu, found))
            left.remove(found)
    by_bay = [(psu, _bay(psu.name)) for psu in unmatched]
    bays = [next((b for b in map(_bay, names(r)) if b is not None), None) for r in left]
    for psu, bay in by_bay:
        same = [r for r, b in zip(left, bays, strict=True) if bay is not None and b == bay]
        if len(same) == 1 and [b for _, b in by_bay].count(bay) == 1:
            pairs.append((psu, same[0]))
            unmatched.remove(psu)
    matched = {id(r) for _, r in pairs}
    return pairs, unmatched, [r for r in reported if id(r) not in matched]


def _declared(ctx: Context) -> tuple[Topology, Host] | None:
    """The topology and the host the facts belong to, when the host declares supplies."""
    if ctx.topology is None or ctx.host is None:
        return None
    host = ctx.topology.host(ctx.host)
    return None if host is None or not host.power_supplies else (ctx.topology, host)


def _redfish_names(s: Supply) -> tuple[str, ...]:
    return (s.name, s.id)


def _sensor_names(s: Sensor) -> tuple[str, ...]:
    return (s.name, _STATUS_SUFFIX.sub("", s.name))


def _supply_key(host: Host, psu: PowerSupply, key: str = "") -> Location:
    """The declared supply's key in the inventory (``tier3_host.power_supplies[1].pdu``)."""
    index = host.power_supplies.index(psu)
    listed = _supplies_key(host)
    base = psu.location if psu.location != NOWHERE else Location(listed.file, f"{listed.key}[{index}]")
    return Location(base.file, ".".join(k for k in (base.key, key) if k))


def _supplies_key(host: Host) -> Location:
    """The host's list of declared supplies (``tier3_host.power_supplies``)."""
    return Location(host.location.file, f"{host.location.key}.power_supplies".lstrip("."))


def _reported(facts: RedfishPower | IpmiPower) -> list[tuple[str, str, list[Any], Callable[[Any], tuple[str, ...]]]]:
    """(what lists them, where, the supplies, their names) per list the BMC gives: each Redfish power
    resource that lists supplies (one without PowerSupplies is T3-OBS-PWR-005's), or the IPMI sensors."""
    if isinstance(facts, IpmiPower):
        return [("ipmitool sdr", "line 1", list(facts.supplies), _sensor_names)]
    return [(r.generation, r.odata_id, list(r.supplies), _redfish_names) for r in facts.resources if r.lists_supplies]


def _label(supply: Supply | Sensor) -> str:
    return supply.label if isinstance(supply, Supply) else supply.name


def _where(supply: Supply | Sensor) -> str:
    return supply.odata_id if isinstance(supply, Supply) else f"line {supply.line}"


@observed("T3-OBS-PWR-010", kinds=BOTH, severity=H, title="declared power supply not reported by the BMC",
          rationale="""Every declared power rule (feeds, PDUs, N+1 capacity) counts the supplies the
          inventory declares; a supply the BMC does not report is not there for the host, whatever the
          inventory says: pulled, never fitted, or in another host. Matched by name, then by bay number
          (docs/check.md). Does not judge redundancy itself (T3-OBS-PWR-005 counts what the BMC
          reports), but the declared verdicts rest on a supply that is not seen. Judged per Redfish power
          resource that lists supplies, and on the IPMI supply sensors.""",
          hint="fit the supply, or correct tier3_host.power_supplies to what the host has",
          breaks_redundancy=False, controls=INVENTORY_CONTROLS, category=Category.POWER)
def declared_not_reported(facts: RedfishPower | IpmiPower, ctx: Context) -> Iterator[Violation]:
    known = _declared(ctx)
    if known is None:
        return
    _, host = known
    for what, where, supplies, names in _reported(facts):
        _, missing, _ = match(host.power_supplies, supplies, names)
        seen = ", ".join(_label(s) for s in supplies) or "none"
        for psu in missing:
            yield Violation(
                f"{host.name}:{psu.name}",
                f"power supply {psu.name}: declared on PDU {psu.pdu}, observed: not reported by the BMC "
                f"(it reports {seen}) ({what})",
                {"declared": {"name": psu.name, "pdu": psu.pdu, "outlet": psu.outlet or None},
                 "observed": [_label(s) for s in supplies], "schema": what},
                location=_supply_key(host, psu), where=where)


@observed("T3-OBS-PWR-011", kinds=BOTH, severity=L, title="BMC reports a power supply the inventory does not declare",
          rationale="""A supply the host has but the inventory does not declare is on no declared PDU or
          feed: the declared rules cannot tell whether it shares a feed with the others, and the N+1
          capacity leaves it out. Low: the host has more than the design counts on, not less. Matched as
          T3-OBS-PWR-010 matches.""",
          hint="declare the supply (name, pdu, outlet) in tier3_host.power_supplies",
          breaks_redundancy=False, controls=INVENTORY_CONTROLS, category=Category.POWER)
def reported_not_declared(facts: RedfishPower | IpmiPower, ctx: Context) -> Iterator[Violation]:
    known = _declared(ctx)
    if known is None:
        return
    _, host = known
    declared = ", ".join(p.name for p in host.power_supplies)
    for what, _, supplies, names in _reported(facts):
        _, _, extra = match(host.power_supplies, supplies, names)
        for supply in extra:
            yield Violation(
                f"{host.name}:{_label(supply)}",
                f"declared power supplies {declared}; observed also {supply.name} ({_label(supply)}), "
                f"not declared ({what})",
                {"declared": [p.name for p in host.power_supplies], "observed": _label(supply), "schema": what},
                location=_supplies_key(host), where=_where(supply))


def _outlet_id(link: str | None) -> str | None:
    return None if not link or "/Outlets/" not in link else link.rsplit("/Outlets/", 1)[1]


def _fed(resource: PowerResource) -> list[Supply]:
    return [s for s in resource.supplies if s.pdu is not None]


@observed("T3-OBS-PWR-012", kinds=("redfish",), severity=M,
          title="power supply is not on the PDU (or outlet) the inventory declares",
          rationale="""The declared power rules place each supply on its declared PDU, and so on its rack
          and feed: a cord in another PDU makes those verdicts fiction (the host may be on one feed, or
          on another rack's PDU, while the inventory says otherwise). Redfish PowerSupply.Links.Outlet
          names the PDU (PowerEquipment/<kind>/<pdu>/Outlets/<outlet>), compared with the declared pdu
          (ignoring case), and with the declared outlet where the inventory gives one. Medium: the
          inventory and the cabling disagree; T3-OBS-PWR-002 and T3-OBS-PWR-013 judge whether what
          is cabled is redundant. Supplies without an outlet link are not judged.""",
          hint="re-cable the supply to its declared PDU outlet, or correct its pdu and outlet in the inventory",
          breaks_redundancy=False, controls=INVENTORY_CONTROLS, category=Category.POWER)
def other_pdu(facts: RedfishPower, ctx: Context) -> Iterator[Violation]:
    known = _declared(ctx)
    if known is None:
        return
    _, host = known
    for r in facts.resources:
        pairs, _, _ = match(host.power_supplies, _fed(r), _redfish_names)
        for psu, supply in pairs:
            outlet = _outlet_id(supply.outlet)
            same_pdu = _key(psu.pdu) == _key(supply.pdu or "")
            if same_pdu and (not psu.outlet or _key(str(psu.outlet)) == _key(outlet or "")):
                continue
            said = f"PDU {psu.pdu}" + (f" outlet {psu.outlet}" if psu.outlet else "")
            seen = f"PDU {supply.pdu}" + (f" outlet {outlet}" if psu.outlet else "")
            yield Violation(
                f"{host.name}:{psu.name}",
                f"power supply {psu.name}: declared {said}, observed {seen} ({supply.outlet})",
                {"declared": {"pdu": psu.pdu, "outlet": psu.outlet or None},
                 "observed": {"pdu": supply.pdu, "outlet": outlet, "link": supply.outlet, "supply": supply.label}},
                location=_supply_key(host, psu, "pdu" if not same_pdu else "outlet"), where=supply.odata_id)


def _feeds(topology: Topology, site: str) -> tuple[str, ...]:
    return tuple(f.name for s in topology.sites if s.name == site for f in s.feeds)


def _pdu_feed(topology: Topology, pdu: str) -> str | None:
    """The declared feed of the PDU a supply is plugged into, its name compared ignoring case."""
    exact = topology.feed_of(pdu)
    if exact is not None:
        return exact
    return next((p.feed for s in topology.sites for r in s.racks for p in r.pdus if _key(p.name) == _key(pdu)), None)


@observed("T3-OBS-PWR-013", kinds=("redfish",), severity=H, title="power supplies cabled to PDUs of one feed",
          rationale="""Two PDUs on the same feed (utility, UPS and generator path) are one failure domain:
          losing that feed stops the host, however many PDUs its cords go to. The BMC says which PDU each
          supply draws from (Redfish Links.Outlet); the inventory's tier3_sites[].feeds and racks[].pdus
          say which feed each PDU is on. Fires when two or more supplies are on known PDUs, on more than
          one PDU (one PDU is T3-OBS-PWR-002's), and all on one feed, in a site that declares two or
          more feeds (fewer: T3-PWR-005 blames the site). PDUs the inventory does not declare have no
          known feed and are left out (T3-OBS-PWR-012 names them).""",
          hint="plug one supply into a PDU of the other feed", category=Category.POWER, controls=POWER_CONTROLS)
def one_feed(facts: RedfishPower, ctx: Context) -> Iterator[Violation]:
    known = _declared(ctx)
    if known is None:
        return
    topology, host = known
    site_feeds = _feeds(topology, host.site)
    if len(site_feeds) < 2:
        return
    for r in facts.resources:
        fed = [(s, _pdu_feed(topology, s.pdu or "")) for s in _fed(r)]
        on_feed = [(s, f) for s, f in fed if f is not None]
        feeds = {f for _, f in on_feed}
        if len(on_feed) < 2 or len(feeds) != 1 or len({_key(s.pdu or "") for s, _ in on_feed}) < 2:
            continue
        feed = feeds.pop()
        names = ", ".join(s.name for s, _ in on_feed[:-1]) + f" and {on_feed[-1][0].name}"
        pdus = ", ".join(s.pdu or "" for s, _ in on_feed)
        others = [f for f in site_feeds if f != feed]
        rack = topology.rack(host.rack)
        nearby = [p.name for p in (rack.pdus if rack is not None else ()) if p.feed != feed]
        yield Violation(
            f"{host.name}:feed:{feed}",
            f"declared feeds {', '.join(site_feeds)}; observed {names} "
            f"{'both' if len(on_feed) == 2 else 'all'} on feed {feed} (PDUs {pdus}): a single feed",
            {"feed": feed, "site_feeds": list(site_feeds),
             "pdus": {s.label: s.pdu for s, _ in on_feed}, "outlets": {s.label: s.outlet for s, _ in on_feed}},
            where=on_feed[0][0].odata_id,
            hint=f"plug {on_feed[-1][0].name} into a PDU of feed {' or '.join(others)}"
            + (f" ({', '.join(nearby)} in its rack {host.rack})" if nearby else ""))
