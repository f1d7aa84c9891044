"""What ``tier3 fw`` and the ``tier3_fw`` action share: the pair of an inventory resolved to its policy,
driver and render, the policy's findings that forbid a push, and the verbs run on the members.

A pair is pushed only when the inventory loads (schema and references: bad input, exit 2) and the
firewall rules of the catalogue (T3-FWL-*) find nothing at ``BLOCKING`` or worse on its policy or on
the pair: a shadowed rule, an any-any permit, a cut management or HA path stop the push before any
member is contacted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tier3.errors import InventoryError, Tier3Error
from tier3.firewall import pair as workflow
from tier3.firewall.members import member_from_vars
from tier3.firewall.pair import Connect, Member, OnStep
from tier3.firewall.platforms import DRIVERS, Driver
from tier3.firewall.render import RENDERERS
from tier3.firewall.report import PairReport
from tier3.model import Finding, FirewallPair, Severity, Topology, blocking
from tier3.model.firewall import FirewallPolicy
from tier3.rules import evaluate
from tier3.rules._registry import REGISTRY, Category

BLOCKING = Severity.HIGH
VERBS = ("plan", "push", "rollback")


@dataclass(frozen=True)
class Target:
    pair: FirewallPair
    policy: FirewallPolicy
    driver: Driver
    intended: str  # the render for this pair


def target(topology: Topology, name: str) -> Target:
    """The pair ``name`` with its policy, driver and render; ``Tier3Error`` (exit 2) when it cannot be."""
    pairs = {p.name: p for p in topology.firewall_pairs}
    found = pairs.get(name)
    if found is None:
        raise InventoryError(topology.source, "tier3_firewall_pairs", f"no firewall pair named {name!r}",
                             hint=f"choose one of {', '.join(pairs) or 'none: declare tier3_firewall_pairs'}")
    if found.settings is None:
        raise InventoryError(found.location.file, f"{found.location.key}.policy",
                             f"pair {name} names no policy to enforce",
                             hint="set policy: NAME of tier3_firewall_policies")
    policy = next(p for p in topology.firewall_policies if p.name == found.settings.policy)
    driver_class = DRIVERS.get(found.platform)
    if driver_class is None:
        raise InventoryError(found.location.file, f"{found.location.key}.platform",
                             f"tier3 fw has no driver for platform {found.platform!r}",
                             hint=f"use one of {', '.join(sorted(DRIVERS))}")
    driver = driver_class()
    return Target(found, policy, driver, RENDERERS[driver.renderer](policy, found))


def findings(topology: Topology, chosen: Target) -> list[Finding]:
    """The firewall rules' failed findings on the pair and on its policy."""
    ids = [rule_id for rule_id, r in REGISTRY.items() if r.category is Category.FIREWALL]
    keys = (chosen.pair.location.key, chosen.policy.location.key)
    return [f for f in evaluate(topology, ids)
            if f.location is not None and any(f.location.key == k or f.location.key.startswith((f"{k}.", f"{k}["))
                                              for k in keys)]


def refusal(topology: Topology, chosen: Target) -> list[Finding]:
    """The findings that forbid a push: at ``BLOCKING`` or worse."""
    return blocking(findings(topology, chosen), BLOCKING)


def members(source: str, chosen: Target, hostvars: Mapping[str, Mapping[str, Any]]) -> tuple[Member, ...]:
    """Each member's connection, in the pair's order, from its (templated) variables."""
    missing = [m for m in chosen.pair.members if m not in hostvars]
    if missing:
        raise InventoryError(source, f"{chosen.pair.location.key}.members",
                             f"{', '.join(missing)} not in the inventory", hint="add the members as inventory hosts")
    return tuple(member_from_vars(source, m, hostvars[m]) for m in chosen.pair.members)


def execute(verb: str, chosen: Target, reached: tuple[Member, ...], *, state_dir: Path,
            revert_seconds: int = workflow.REVERT_SECONDS, connect: Connect = workflow.connect_netmiko,
            on_step: OnStep = lambda _m, _s: None) -> PairReport:
    """One verb on the pair's members."""
    name, driver = chosen.pair.name, chosen.driver
    if verb == "plan":
        return workflow.plan(name, driver, reached, chosen.intended, connect=connect, on_step=on_step)
    if verb == "push":
        return workflow.push(name, driver, reached, chosen.intended, revert_seconds=revert_seconds,
                             state_dir=state_dir, connect=connect, on_step=on_step)
    if verb == "rollback":
        return workflow.rollback(name, driver, reached, state_dir, connect=connect, on_step=on_step)
    raise Tier3Error("tier3 fw", "verb", f"unknown verb {verb!r}", hint=f"use one of {', '.join(VERBS)}")
