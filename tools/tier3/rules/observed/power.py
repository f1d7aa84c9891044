"""Observed power rules (T3-OBS-PWR-001..007) over what a BMC says: Redfish and ``ipmitool sdr``.

"Redundant" for a BMC: the host keeps running after losing any one power supply or any one PDU, as
far as its BMC can tell. Each rule reads the facts of either parser (``RedfishPower`` from
``tier3.parsers.redfish``, ``IpmiPower`` from ``tier3.parsers.ipmi``) and dispatches on their type.
Redfish is judged per power resource (one per schema generation a chassis links): a BMC that calls
a supply Critical in one of them is believed, so such a supply is named once per schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tier3.model import Severity
from tier3.parsers import ipmi
from tier3.parsers.ipmi import IpmiPower, Sensor
from tier3.parsers.redfish import PowerResource, RedfishPower, Supply, SupplyGroup
from tier3.rules._registry import Category, Context, Violation, observed

POWER_CONTROLS = ("ISO27001:A.7.11", "ISO27001:A.8.14", "SOC2:A1.2", "NIST-800-53:PE-9(1)")
BOTH = ("redfish", "ipmi-sdr")

# Redfish: a supply that is there and delivering (StandbySpare: the hot spare of a Failover or
# Sparing group, energised and taking over on its own); line input states that deliver nothing
PRESENT_STATES = frozenset({"Enabled", "StandbySpare"})
INPUT_LOST = frozenset({"LossOfInput", "OutOfRange"})
HEALTHY = "OK"
GROUP_MODE_WITHOUT_SPARE = "NotRedundant"  # the Redfish Mode / RedundancyType that says so itself
# IPMI: the Power Supply offsets that are a fault, a lost input, a warning
IPMI_FAULTS = (ipmi.FAILURE, ipmi.CONFIG_ERROR)
IPMI_INPUT_LOST = (ipmi.AC_LOST, ipmi.AC_LOST_OR_OUT_OF_RANGE, ipmi.AC_OUT_OF_RANGE, ipmi.AC_LOST_SHORT)
IPMI_WARNINGS = (ipmi.PREDICTIVE,)

COMMON: dict[str, Any] = {"category": Category.POWER, "controls": POWER_CONTROLS}
H, M = Severity.HIGH, Severity.MEDIUM


def _present(s: Supply) -> bool:
    return s.state in PRESENT_STATES


def _healthy(s: Supply) -> bool:
    return _present(s) and s.health == HEALTHY and s.line_input not in INPUT_LOST


def _supply_evidence(s: Supply) -> dict[str, Any]:
    return {"state": s.state, "health": s.health, "schema": s.generation}


def _sensor_evidence(s: Sensor) -> dict[str, Any]:
    return {"sensor": s.name, "id": s.sensor_id, "status": s.status, "entity": s.entity, "states": list(s.states)}


def _asserted(s: Sensor, phrases: tuple[str, ...]) -> list[str]:
    return [p for p in s.states if p in phrases]


@observed("T3-OBS-PWR-001", kinds=BOTH, severity=H, title="power supply absent, disabled or unhealthy",
          rationale="""A supply that is not there, switched off, or whose health the BMC does not vouch for
          cannot carry the load when its partner fails: the host runs on one supply without knowing it.
          Redfish: State other than Enabled or StandbySpare, or Health other than OK (a missing Health
          included); an absent supply is blamed once, for its state. IPMI: presence not detected, no
          reading (ns), Failure detected or Config Error. A supply that lost only its input is
          T3-OBS-PWR-004's; a predictive failure alone is T3-OBS-PWR-006's (both fire with this one
          when the BMC also marks the supply unhealthy).""",
          hint="reseat or replace the supply, or enable it; then read the BMC again", **COMMON)
def supply_unhealthy(facts: RedfishPower | IpmiPower, _ctx: Context) -> Iterator[Violation]:
    return _sensors_unhealthy(facts) if isinstance(facts, IpmiPower) else _supplies_unhealthy(facts)


def _sensors_unhealthy(facts: IpmiPower) -> Iterator[Violation]:
    for s in facts.supplies:
        where = f"line {s.line}"
        if not s.present:
            said = "no reading (ns)" if s.status == ipmi.NO_READING else "presence not detected (absent)"
            yield Violation(s.name, f"power supply {s.name}: {said}", _sensor_evidence(s), where=where)
        faults = _asserted(s, IPMI_FAULTS)
        if faults:
            yield Violation(s.name, f"power supply {s.name}: {', '.join(faults)}", _sensor_evidence(s), where=where)


def _supplies_unhealthy(facts: RedfishPower) -> Iterator[Violation]:
    for s in facts.supplies:
        if not _present(s):
            yield Violation(s.label, f"power supply {s.name} is {s.state} ({s.generation})", _supply_evidence(s),
                            where=s.odata_id)
        elif s.health != HEALTHY:
            said = f"health {s.health}" if s.health else "no health reported"
            yield Violation(s.label, f"power supply {s.name}: {said} ({s.generation})", _supply_evidence(s),
                            where=s.odata_id)


@observed("T3-OBS-PWR-002", kinds=("redfish",), severity=H, title="power supplies share one PDU (single feed)",
          rationale="""Two supplies plugged into the same PDU are one feed: a tripped breaker or a PDU taken
          out for maintenance stops the host, so the second supply protects against nothing upstream.
          Judged on the supplies whose Links.Outlet names a PDU outlet; a supply without that link (the
          old Power schema has none, IPMI has no feed information) has an unknown feed and is left to the
          declared rules of the inventory. Silent below two such supplies: T3-OBS-PWR-005 blames a
          lone supply.""",
          hint="plug one supply into an outlet of a PDU on the other feed", **COMMON)
def single_feed(facts: RedfishPower, _ctx: Context) -> Iterator[Violation]:
    for r in facts.resources:
        fed = [s for s in r.supplies if s.pdu is not None]
        if len(fed) < 2 or len({s.pdu for s in fed}) != 1:
            continue
        pdu = fed[0].pdu or ""
        names = ", ".join(s.name for s in fed[:-1]) + f" and {fed[-1].name}"
        pdu_path = (fed[0].outlet or "").rsplit("/Outlets/", 1)[0]
        message = f"{names} {'both' if len(fed) == 2 else 'all'} draw from PDU {pdu} ({pdu_path}): a single feed"
        yield Violation(f"pdu:{pdu}", message, {"pdu": pdu, "pdu_resource": pdu_path,
                                                "outlets": {s.id: s.outlet for s in fed}}, where=fed[0].odata_id)


def _group_problems(group: SupplyGroup, resource: PowerResource) -> tuple[list[str], int]:
    members = [s for s in resource.supplies if s.odata_id in group.members] if group.members else resource.supplies
    healthy = sum(_healthy(s) for s in members)
    problems = []
    if group.health != HEALTHY:
        problems.append(f"health {group.health}" if group.health else "no health reported")
    if group.state not in ("Enabled", None):
        problems.append(f"state {group.state}")
    if group.mode == GROUP_MODE_WITHOUT_SPARE:
        problems.append(f"mode {GROUP_MODE_WITHOUT_SPARE}")
    if group.min_needed is not None and healthy <= group.min_needed:
        problems.append(f"{healthy} healthy supply(ies) for {group.min_needed} needed: losing one more drops the load")
    return problems, healthy


@observed("T3-OBS-PWR-003", kinds=BOTH, severity=H, title="power redundancy group degraded",
          rationale="""The BMC's own account of its supply group is the one that knows the load: when it says
          the group is degraded, lost, not redundant, or when no more supplies are healthy than the group
          needs, losing one more supply drops the host. Redfish: a Power.Redundancy[] or
          PowerSubsystem.PowerSupplyRedundancy[] group whose Health is not OK, whose State is not
          Enabled, whose mode is NotRedundant, or with no more healthy members than MinNumNeeded /
          MinNeededInGroup. IPMI: a redundancy sensor that does not read exactly Fully Redundant. It fires
          beside T3-OBS-PWR-001 when a member failed: that one names the supply to replace, this one that
          the load has lost its margin.""",
          hint="restore the failed supply until the BMC reports the group fully redundant", **COMMON)
def group_degraded(facts: RedfishPower | IpmiPower, _ctx: Context) -> Iterator[Violation]:
    return _group_sensors(facts) if isinstance(facts, IpmiPower) else _groups(facts)


def _group_sensors(facts: IpmiPower) -> Iterator[Violation]:
    for g in facts.groups:
        if g.states != (ipmi.FULL_STATE,) or g.status == ipmi.NO_READING:
            yield Violation(g.name, f"redundancy sensor {g.name}: {', '.join(g.states)}",
                            {"sensor": g.name, "status": g.status, "states": list(g.states)}, where=f"line {g.line}")


def _groups(facts: RedfishPower) -> Iterator[Violation]:
    for r in facts.resources:
        for group in r.groups:
            problems, healthy = _group_problems(group, r)
            if problems:
                evidence = {"mode": group.mode, "min_needed": group.min_needed, "healthy": healthy,
                            "state": group.state, "health": group.health, "schema": group.generation}
                yield Violation(f"{group.chassis}/{group.name}", f"redundancy group {group.name}: "
                                f"{'; '.join(problems)} ({group.generation})", evidence, where=group.where)


@observed("T3-OBS-PWR-004", kinds=BOTH, severity=H, title="power supply lost its AC input",
          rationale="""A supply without input carries nothing: the host already runs on the other feed, and
          the fault is upstream of the supply (its cord, the PDU outlet, the breaker), not in it. Redfish
          LineInputStatus LossOfInput or OutOfRange; IPMI "Power Supply AC lost", "AC lost or
          out-of-range", "AC out-of-range, but present". Most BMCs also mark such a supply unhealthy,
          and T3-OBS-PWR-001 then names it too: this rule says where to look.""",
          hint="check the supply's cord, PDU outlet and breaker on that feed", **COMMON)
def input_lost(facts: RedfishPower | IpmiPower, _ctx: Context) -> Iterator[Violation]:
    return _sensors_input_lost(facts) if isinstance(facts, IpmiPower) else _supplies_input_lost(facts)


def _sensors_input_lost(facts: IpmiPower) -> Iterator[Violation]:
    for s in facts.supplies:
        lost = _asserted(s, IPMI_INPUT_LOST)
        if lost:
            yield Violation(s.name, f"power supply {s.name}: {', '.join(lost)}", _sensor_evidence(s),
                            where=f"line {s.line}")


def _supplies_input_lost(facts: RedfishPower) -> Iterator[Violation]:
    for s in facts.supplies:
        if s.line_input in INPUT_LOST:
            evidence = {**_supply_evidence(s), "line_input": s.line_input, "outlet": s.outlet, "pdu": s.pdu}
            yield Violation(s.label, f"power supply {s.name}: input {s.line_input}", evidence, where=s.odata_id)


@observed("T3-OBS-PWR-005", kinds=BOTH, severity=H, title="fewer power supplies reported than the policy asks",
          rationale="""A host with one supply stops when that supply, its cord or its PDU does: there is no
          second path. The minimum is the policy value ``psu_min_count`` (default 2). Redfish counts per
          power resource, each supply once by its @odata.id (a supply listed twice is counted once and
          reported by T3-OBS-PWR-007), and a Power resource without PowerSupplies (optional in the
          schema) lists none; IPMI counts the Power Supply sensors. A missing supply still listed by the
          BMC as Absent counts here and is blamed by T3-OBS-PWR-001.""",
          hint="install a second supply (or check that the BMC reports both)", policy=("psu_min_count",), **COMMON)
def too_few(facts: RedfishPower | IpmiPower, ctx: Context) -> Iterator[Violation]:
    least: int = ctx.policy["psu_min_count"]
    return _few_sensors(facts, least) if isinstance(facts, IpmiPower) else _few_supplies(facts, least)


def _few_sensors(facts: IpmiPower, least: int) -> Iterator[Violation]:
    names = [s.name for s in facts.supplies]
    if len(names) < least:
        yield Violation("power supplies", f"{len(names)} power supply sensor(s); redundancy needs at least {least}",
                        {"supplies": names, "minimum": least}, where="line 1")


def _few_supplies(facts: RedfishPower, least: int) -> Iterator[Violation]:
    for r in facts.resources:
        if len(r.supplies) < least:
            evidence: dict[str, Any] = {"supplies": [s.id for s in r.supplies], "minimum": least}
            said = "" if r.lists_supplies else " (no PowerSupplies in it)"
            if r.repeats:
                evidence["listed_twice"] = [x.odata_id for x in r.repeats]
                said = f" ({len(r.supplies) + len(r.repeats)} entries, {len(r.repeats)} of them repeated)"
            yield Violation(r.chassis, f"{r.generation} reports {len(r.supplies)} power supply(ies){said}; "
                            f"redundancy needs at least {least}", evidence, where=r.odata_id)


@observed("T3-OBS-PWR-006", kinds=("ipmi-sdr",), severity=M, title="power supply predicts its own failure",
          rationale="""A supply asserting "Predictive failure" still carries its share today, so the host is
          still redundant, but it is expected to fail: replace it in a window of your choosing rather
          than at the next fault. Does not break redundancy; when the supply does fail,
          T3-OBS-PWR-001 blames it.""",
          hint="replace the supply at the next maintenance window", breaks_redundancy=False, **COMMON)
def predictive_failure(facts: IpmiPower, _ctx: Context) -> Iterator[Violation]:
    for s in facts.supplies:
        warned = _asserted(s, IPMI_WARNINGS)
        if warned:
            yield Violation(s.name, f"power supply {s.name}: {', '.join(warned)}", _sensor_evidence(s),
                            where=f"line {s.line}")


@observed("T3-OBS-PWR-007", kinds=("redfish",), severity=M, title="BMC lists one power supply twice",
          rationale="""A supply list (the PowerSupplies array of a Power resource, or the Members of a
          PowerSupplies collection) that names the same @odata.id twice makes one supply look like two:
          a reader that trusts the list would call a one-supply host redundant. tier3 counts each
          @odata.id once and says so here, so the BMC's list is not taken for the hardware. Does not break
          redundancy itself: T3-OBS-PWR-005 judges the supplies counted once.""",
          hint="count the supplies in the chassis by hand, and update the BMC firmware (its list repeats a member)",
          breaks_redundancy=False, **COMMON)
def listed_twice(facts: RedfishPower, _ctx: Context) -> Iterator[Violation]:
    for r in facts.resources:
        for x in r.repeats:
            yield Violation(x.supply, f"{r.generation} lists {x.odata_id} twice ({x.first} and {x.where}): "
                            "counted once", {"resource": x.odata_id, "first": x.first, "again": x.where,
                                             "schema": r.generation}, where=x.where)
