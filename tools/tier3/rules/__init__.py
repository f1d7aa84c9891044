"""The redundancy rule engine: a table of small pure rules over a ``Topology``.

``RULES`` maps rule id -> ``Rule`` (metadata plus its check), filled by importing one module per
category. ``evaluate(topology)`` runs them and returns one FAIL ``Finding`` per violation, sorted
by (rule id, subject); passing rules produce nothing (the report counts the rules that ran).
Every rule is one pass over hosts (or VIPs, pairs, sites) with lookups built once per topology.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from tier3.errors import Tier3Error
from tier3.model import Finding, Topology
from tier3.model.finding import utc_now
from tier3.rules import capacity, network, placement, power, security, storage, vrrp  # noqa: F401  (register)
from tier3.rules._registry import REGISTRY, Category, Rule, Violation

RULES: Mapping[str, Rule] = MappingProxyType(dict(sorted(REGISTRY.items())))

__all__ = ["RULES", "Category", "Rule", "Violation", "evaluate", "select"]


def select(only: Iterable[str] | None = None) -> list[Rule]:
    """The rules to run, by id; an unknown id is a user error naming the known ones."""
    if only is None:
        return list(RULES.values())
    wanted = sorted(set(only))
    unknown = [rule_id for rule_id in wanted if rule_id not in RULES]
    if unknown:
        raise Tier3Error(
            "rules", "only", f"unknown rule id {', '.join(unknown)}", hint="run `tier3 rules` for the catalogue"
        )
    return [RULES[rule_id] for rule_id in wanted]


def evaluate(topology: Topology, only: Iterable[str] | None = None) -> list[Finding]:
    """Run the rules (all, or those in ``only``) and return their findings, sorted by rule id and subject."""
    stamp = utc_now()
    findings = [f for rule in select(only) for f in rule.findings(topology, stamp)]
    findings.sort(key=lambda f: (f.rule_id, f.subject, f.message))
    return findings
