"""The rule engine: one catalogue of small pure rules, declared (over a ``Topology``) and observed
(over the facts a parser read from a host or a BMC).

``RULES`` maps rule id -> ``Rule``, filled by importing one module per category (declared) and
``tier3.rules.observed`` (observed). ``evaluate(topology)`` runs the declared rules;
``judge(kind, facts, context)`` runs the observed rules of one inspect kind. Both return FAIL
findings sorted by (rule id, subject); passing rules produce nothing (reports count the rules that
ran). ``redundant(findings)`` is the one meaning of "redundant" every kind uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from tier3.errors import Tier3Error
from tier3.model import Finding, Status, Topology
from tier3.model.finding import utc_now
from tier3.rules import (  # noqa: F401  (register)
    availability,
    capacity,
    dns,
    encryption,
    firewall,
    network,
    observed,
    placement,
    power,
    security,
    sites,
    storage,
    vrrp,
)
from tier3.rules._registry import DECLARED_KIND, REGISTRY, Category, Context, Rule, Scope, Violation

RULES: Mapping[str, Rule] = MappingProxyType(dict(sorted(REGISTRY.items())))

__all__ = [
    "RULES", "Category", "Context", "Rule", "Scope", "Violation", "evaluate", "judge", "redundant", "rules_for",
    "select",
]


def select(only: Iterable[str] | None = None, scope: Scope | None = Scope.DECLARED) -> list[Rule]:
    """The rules to run, by id (of ``scope``; None: any); an unknown id is a user error naming the known ones."""
    pool = [r for r in RULES.values() if scope is None or r.scope is scope]
    if only is None:
        return pool
    known = {r.id: r for r in pool}
    wanted = sorted(set(only))
    unknown = [rule_id for rule_id in wanted if rule_id not in known]
    if unknown:
        raise Tier3Error(
            "rules", "only", f"unknown rule id {', '.join(unknown)}", hint="run `tier3 rules` for the catalogue"
        )
    return [known[rule_id] for rule_id in wanted]


def _sorted(findings: list[Finding]) -> list[Finding]:
    findings.sort(key=lambda f: (f.rule_id, f.subject, f.message))
    return findings


def evaluate(topology: Topology, only: Iterable[str] | None = None) -> list[Finding]:
    """Run the declared rules (all, or those in ``only``) and return their findings."""
    stamp = utc_now()
    context = Context(source=topology.source, topology=topology)
    return _sorted([f for rule in select(only) for f in rule.findings(topology, context, stamp)])


_BY_KIND: dict[str, tuple[Rule, ...]] = {}


def rules_for(kind: str) -> tuple[Rule, ...]:
    """The rules that judge the facts of one kind (``inventory`` for the declared rules), by id."""
    if not _BY_KIND:
        for r in RULES.values():
            for k in r.kinds:
                _BY_KIND[k] = (*_BY_KIND.get(k, ()), r)
    return _BY_KIND.get(kind, ())


def judge(kind: str, facts: Any, context: Context | None = None) -> list[Finding]:
    """Run the observed rules of ``kind`` over ``facts`` (what its parser returned)."""
    if kind == DECLARED_KIND:
        raise ValueError("declared rules run through evaluate(topology)")
    stamp = utc_now()
    ctx = context or Context()
    return _sorted([f for rule in rules_for(kind) for f in rule.findings(facts, ctx, stamp)])


def redundant(findings: Sequence[Finding]) -> bool:
    """The one meaning of redundant: no failed finding of a rule that breaks redundancy.

    Rules that only warn (a supply predicting its own failure, a faulty member already replaced
    by a spare) do not count; a finding of an unknown rule id (a bug) counts as breaking.
    """
    for f in findings:
        if f.status in (Status.FAIL, Status.ERROR):
            rule = RULES.get(f.rule_id)
            if rule is None or rule.breaks_redundancy:
                return False
    return True
