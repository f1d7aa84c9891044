"""The firewall policy rules (T3-FWL-*) on the table of firewall_cases.yml: each case changes the shared
test policy (tests/fixtures/firewall/policies/edge.yml) and states the exact (rule id, subject) pairs; its
``fixed`` variant states them once the fault is removed."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from tier3.model import Location, Topology
from tier3.rules import RULES, evaluate
from tier3.schema.build import firewall_pair
from tier3.schema.firewall import build_policy

EDGE = Path(__file__).parents[2] / "fixtures" / "firewall" / "policies" / "edge.yml"
FILE = "group_vars/all/firewall.yml"
FWL = [rule_id for rule_id in RULES if rule_id.startswith("T3-FWL-")]
CASES: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "firewall_cases.yml").read_text())
Doc = dict[str, Any]


def _named(items: list[Doc], doc: Doc) -> None:
    """Replace the item of ``doc``'s name in place, or append ``doc``."""
    index = next((i for i, item in enumerate(items) if item["name"] == doc["name"]), None)
    if index is None:
        items.append(doc)
    else:
        items[index] = doc


def _edit_rules(rules: list[Doc], edits: list[Doc]) -> None:
    for edit in edits:
        if "remove" in edit:
            rules[:] = [r for r in rules if r["name"] != edit["remove"]]
        elif "replace" in edit:
            _named(rules, edit["replace"])
        elif "before" in edit:
            rules.insert(next(i for i, r in enumerate(rules) if r["name"] == edit["before"]), edit["insert"])
        else:
            rules.append(edit["insert"])


def edge(case: Doc) -> tuple[Doc, Doc]:
    """The shared (pair, policy) documents with the case's changes."""
    docs = copy.deepcopy(yaml.safe_load(EDGE.read_text()))
    pair, policy = docs["pair"], docs["policy"]
    for kind, items in (case.get("objects") or {}).items():
        for doc in items:
            _named(policy.setdefault(kind, []), doc)
    _edit_rules(policy["rules"], case.get("rules") or [])
    policy.update(case.get("policy") or {})
    for key, value in (case.get("pair") or {}).items():
        if value is None:
            pair.pop(key)
        else:
            pair[key] = value
    return pair, policy


def topology(case: Doc) -> Topology:
    pair, policy = edge(case)
    pairs = [pair, *copy.deepcopy(case.get("pairs") or [])]
    return Topology(
        firewall_pairs=tuple(firewall_pair(p, FILE, f"tier3_firewall_pairs[{i}]") for i, p in enumerate(pairs)),
        firewall_policies=(build_policy(policy, FILE, "tier3_firewall_policies[0]"),),
        source="inventory/test",
    )


def _variants() -> list[Any]:
    params = [pytest.param({"expect": []}, id="the-shared-policy-passes")]
    for case in CASES:
        params.append(pytest.param(case, id=case["id"]))
        fixed = {k: v for k, v in case.items() if k != "fixed"} | case["fixed"]
        params.append(pytest.param(fixed, id=f"{case['id']}/fixed"))
    return params


@pytest.mark.parametrize("case", _variants())
def test_case_finds_exactly_the_expected_subjects(case: Doc) -> None:
    findings = evaluate(topology(case), only=FWL)
    assert [(f.rule_id, f.subject) for f in findings] == [tuple(e[:2]) for e in case["expect"]]
    for finding, expected in zip(findings, case["expect"], strict=True):
        if len(expected) > 2:  # (id, subject, message)
            assert finding.message == expected[2]


def test_every_firewall_rule_fires_in_a_case_and_its_fix_silences_it() -> None:
    fired = {e[0] for case in CASES for e in case["expect"]}
    silenced = {e[0] for case in CASES for e in case["expect"]} - {
        e[0] for case in CASES for e in case["fixed"]["expect"]}
    assert sorted(fired) == sorted(silenced) == sorted(FWL)


def _policy_location(case: Doc, rule_name: str) -> Location:
    _, policy = edge(case)
    index = next(i for i, r in enumerate(policy["rules"]) if r["name"] == rule_name)
    return Location(FILE, f"tier3_firewall_policies[0].rules[{index}]")


def test_a_rule_finding_points_at_the_rule_and_names_its_objects_in_the_fix() -> None:
    case = next(c for c in CASES if c["id"] == "a-drop-after-an-accept-through-a-group-of-groups")
    (finding,) = evaluate(topology(case), only=["T3-FWL-002"])
    assert finding.location == _policy_location(case, "no-client-mail")
    assert finding.hint == ("move rule no-client-mail above rule mail-in in policy edge, or narrow mail-in so it "
                            "no longer matches no-client-mail's traffic")
    assert finding.evidence["shadowed_by"]["name"] == "mail-in"
    assert finding.controls == RULES["T3-FWL-002"].controls


def test_a_cut_path_points_at_the_refusing_rule_or_at_the_rules_when_the_default_refuses() -> None:
    partial = next(c for c in CASES if c["id"] == "a-drop-on-one-admin-host-before-admin-ssh-cuts-part-of-the-path")
    (finding,) = evaluate(topology(partial), only=["T3-FWL-004"])
    assert finding.location == _policy_location(partial, "no-jump")
    assert finding.evidence["cut_by"] == "no-jump"
    assert finding.hint.endswith(" in a rule above rule no-jump, or narrow no-jump so it no longer refuses it")
    unruled = next(c for c in CASES if c["id"] == "a-pair-without-management-is-not-judged")
    (finding,) = evaluate(topology(unruled), only=["T3-FWL-004"])
    assert finding.location == Location(FILE, "tier3_firewall_policies[0].rules")
    assert finding.evidence["cut_by"] == "default_action drop"


def test_a_pair_without_a_policy_is_blamed_at_the_key_to_add() -> None:
    case = next(c for c in CASES if c["id"] == "a-second-pair-enforcing-no-policy")
    (finding,) = evaluate(topology(case), only=["T3-FWL-006"])
    assert finding.location == Location(FILE, "tier3_firewall_pairs[1].policy")


def test_an_inventory_without_policies_is_not_judged() -> None:
    pair = firewall_pair({"name": "edge-fw", "platform": "linux", "members": ["fw1", "fw2"]}, FILE,
                         "tier3_firewall_pairs[0]")
    assert evaluate(Topology(firewall_pairs=(pair,)), only=FWL) == []
