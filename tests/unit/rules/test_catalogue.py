"""The one catalogue: complete metadata, one id grammar per scope, one module per category, docs in sync."""

from __future__ import annotations

from pathlib import Path

import pytest

from tier3.model import Severity, Topology
from tier3.model.policy import VALUES
from tier3.rules import RULES, Category, Context, Scope, Violation
from tier3.rules._registry import CONTROL_ID, PREFIXES, RULE_ID, observed, rule
from tier3.rules.catalogue import REGENERATE, catalogue_json, catalogue_markdown

DOCS = Path(__file__).parents[3] / "docs" / "rules.md"
# categories whose declared rules are split over more than the category's own module
EXTRA_MODULES: dict[Category, tuple[str, ...]] = {Category.PLACEMENT: ("tier3.rules.sites",)}


def test_catalogue_has_at_least_twenty_rules_with_unique_well_formed_ids() -> None:
    assert len(RULES) >= 20
    ids = [r.id for r in RULES.values()]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids) == list(RULES)
    for rule_id, r in RULES.items():
        match = RULE_ID.match(r.id)
        assert match is not None, rule_id
        assert r.id == rule_id
        assert match["prefix"] == PREFIXES[r.category]
        assert bool(match["obs"]) is (r.scope is Scope.OBSERVED)


@pytest.mark.parametrize("rule_id", list(RULES))
def test_rule_has_complete_metadata(rule_id: str) -> None:
    r = RULES[rule_id]
    assert isinstance(r.severity, Severity)
    assert isinstance(r.category, Category)
    assert r.title.strip()
    assert "\n" not in r.title
    assert len(r.rationale) > 60
    assert r.hint.strip()
    assert r.controls
    assert all(CONTROL_ID.match(c) for c in r.controls), r.controls
    assert len(set(r.controls)) == len(r.controls)
    assert r.kinds
    assert set(r.policy) <= set(VALUES)
    if r.scope is Scope.DECLARED:
        assert r.check.__module__ in (f"tier3.rules.{r.category.value}", *EXTRA_MODULES.get(r.category, ()))
        assert (r.kinds, r.breaks_redundancy) == (("inventory",), False)
    else:
        assert r.check.__module__.startswith("tier3.rules.observed.")


def test_catalogue_ids_are_the_fixed_ones_other_engineers_code_against() -> None:
    expected = (
        [f"T3-PWR-00{i}" for i in range(1, 6)]
        + [f"T3-NET-00{i}" for i in range(1, 4)]
        + [f"T3-STO-00{i}" for i in range(1, 6)]
        + [f"T3-PLC-00{i}" for i in range(1, 9)]
        + [f"T3-PLC-0{i:02d}" for i in range(9, 17)]
        + [f"T3-VRP-00{i}" for i in range(1, 5)]
        + [f"T3-CAP-00{i}" for i in range(1, 4)]
        + [f"T3-SEC-00{i}" for i in range(1, 3)]
        + [f"T3-NET-00{i}" for i in range(4, 7)]  # physical failure domains
        + [f"T3-PWR-00{i}" for i in range(6, 9)]
        + [f"T3-STO-00{i}" for i in range(6, 9)]
        + ["T3-NET-007", "T3-NET-008", "T3-NET-009", "T3-NET-010"]  # internet uplinks
        + ["T3-AVL-001", "T3-AVL-002"]  # what the design can promise against tier3_targets
        + ["T3-DNS-001", "T3-DNS-002", "T3-DNS-003"]  # SPF lookups, DMARC enforcing, servers in two sites
        + [f"T3-FWL-00{i}" for i in range(1, 7)]  # the policy the firewall pairs enforce (issue 16)
        + ["T3-ENC-001"]  # mail at rest on a declared encrypted volume (issue 18)
    )
    declared = [r.id for r in RULES.values() if r.scope is Scope.DECLARED]
    assert sorted(declared) == sorted(expected)
    assert RULES["T3-SEC-002"].severity is Severity.LOW
    assert {r.id for r in RULES.values() if r.severity is Severity.MEDIUM and r.scope is Scope.DECLARED} == {
        "T3-PWR-003", "T3-PWR-004", "T3-NET-003", "T3-STO-005", "T3-VRP-002", "T3-VRP-004", "T3-CAP-002",
        "T3-PLC-016",
        "T3-NET-006", "T3-PWR-007", "T3-PWR-008", "T3-STO-008",
        "T3-DNS-002",
        "T3-FWL-006",
    }


def test_observed_ids_are_the_fixed_ones_inspect_reports_carry() -> None:
    observed_ids = {r.id for r in RULES.values() if r.scope is Scope.OBSERVED}
    assert {f"T3-OBS-STO-00{i}" for i in range(1, 8)} | {f"T3-OBS-STO-01{i}" for i in range(4)} <= observed_ids
    assert {f"T3-OBS-NET-00{i}" for i in range(1, 6)} <= observed_ids
    assert {f"T3-OBS-ENC-00{i}" for i in range(1, 8)} | {"T3-OBS-ENC-010"} <= observed_ids
    assert {f"T3-OBS-PWR-00{i}" for i in range(1, 7)} <= observed_ids
    assert {r for r in observed_ids if r.startswith("T3-OBS-LOG-")} == {"T3-OBS-LOG-001", "T3-OBS-LOG-002"}
    assert {RULES[r].kinds for r in ("T3-OBS-LOG-001", "T3-OBS-LOG-002")} == {("journald",)}
    assert {r for r in observed_ids if r.startswith("T3-OBS-DNS-")} == {f"T3-OBS-DNS-00{i}" for i in range(1, 8)}
    assert {RULES[f"T3-OBS-DNS-00{i}"].kinds for i in range(1, 8)} == {("dns-answers",)}
    assert RULES["T3-OBS-STO-004"].severity is Severity.CRITICAL
    assert {r.id for r in RULES.values() if r.scope is Scope.OBSERVED and not r.breaks_redundancy} >= {
        "T3-OBS-STO-005", "T3-OBS-PWR-006"}


def _nothing(_: Topology) -> list[Violation]:
    return []


def _nothing_seen(_facts: object, _ctx: Context) -> list[Violation]:
    return []


def _register(rule_id: str, category: Category, controls: tuple[str, ...] = ("ISO27001:A.8.14",)) -> None:
    decorate = rule(
        rule_id, severity=Severity.LOW, category=category, title="t", rationale="r", controls=controls, hint="h"
    )
    decorate(_nothing)


def test_registering_a_duplicate_or_malformed_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        _register("T3-PWR-001", Category.POWER)
    with pytest.raises(ValueError, match="T3-NET-NNN"):
        _register("T3-PWR-099", Category.NETWORK)
    with pytest.raises(ValueError, match="control ids"):
        _register("T3-PWR-098", Category.POWER, controls=("A.8.14",))
    assert "T3-PWR-099" not in RULES
    assert "T3-PWR-098" not in RULES


@pytest.mark.parametrize(("rule_id", "scope_of_id"), [("T3-PWR-097", "declared"), ("T3-OBS-NET-097", "observed")])
def test_the_id_grammar_ties_obs_to_the_observed_scope(rule_id: str, scope_of_id: str) -> None:
    """An observed rule must read T3-OBS-AAA-NNN; a declared one must not carry OBS-."""
    kwargs = {"severity": Severity.LOW, "title": "t", "rationale": "r", "controls": ("ISO27001:A.8.14",), "hint": "h"}
    if scope_of_id == "declared":  # registered as observed: refused
        with pytest.raises(ValueError, match="T3-OBS-PWR-NNN"):
            observed(rule_id, kinds=("redfish",), category=Category.POWER, **kwargs)(_nothing_seen)
    else:  # registered as declared: refused
        with pytest.raises(ValueError, match="T3-NET-NNN"):
            rule(rule_id, category=Category.NETWORK, **kwargs)(_nothing)
    assert rule_id not in RULES


def test_an_observed_rule_naming_an_unknown_policy_value_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown policy"):
        observed("T3-OBS-STO-096", kinds=("mdstat",), severity=Severity.LOW, category=Category.STORAGE, title="t",
                 rationale="r", controls=("ISO27001:A.8.14",), hint="h", policy=("no_such_value",))(_nothing_seen)
    assert "T3-OBS-STO-096" not in RULES


def test_json_entries_carry_rationale_and_hint() -> None:
    entries = catalogue_json()
    assert [e["id"] for e in entries] == list(RULES)
    pwr2 = next(e for e in entries if e["id"] == "T3-PWR-002")
    assert pwr2 == {
        "id": "T3-PWR-002",
        "scope": "declared",
        "severity": "high",
        "category": "power",
        "title": RULES["T3-PWR-002"].title,
        "rationale": RULES["T3-PWR-002"].rationale,
        "controls": list(RULES["T3-PWR-002"].controls),
        "hint": RULES["T3-PWR-002"].hint,
        "kinds": ["inventory"],
        "policy": {},
        "breaks_redundancy": False,
    }
    too_few = next(e for e in entries if e["id"] == "T3-OBS-STO-006")
    assert (too_few["scope"], too_few["kinds"], too_few["policy"]) == (
        "observed", ["mdstat", "mdadm-detail"], {"md_min_members": "2"})


def test_docs_rules_md_is_generated_from_the_catalogue() -> None:
    text = catalogue_markdown()
    for r in RULES.values():
        assert f"### {r.id}" in text
    for name in VALUES:
        assert f"| `{name}` |" in text
    assert DOCS.read_text() == text, f"docs/rules.md is out of date: regenerate it with `{REGENERATE}`"
