"""Every rule on the table of cases in rule_cases.yml: the exact (rule id, subject) pairs, fired and fixed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from topology_builder import build

from tier3.rules import RULES, Scope, evaluate

DECLARED = {rule_id for rule_id, r in RULES.items() if r.scope is Scope.DECLARED}

CASES: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "rule_cases.yml").read_text())


def _variants() -> list[Any]:
    """Each case, and its ``fixed`` variant (the case with the fixed keys replaced)."""
    params = []
    for case in CASES:
        params.append(pytest.param(case, id=case["id"]))
        if "fixed" in case:
            fixed = {k: v for k, v in case.items() if k != "fixed"} | case["fixed"]
            params.append(pytest.param(fixed, id=f"{case['id']}/fixed"))
    return params


def _only(case: dict[str, Any]) -> list[str] | None:
    return None if case["rules"] == "all" else list(case["rules"])


@pytest.mark.parametrize("case", _variants())
def test_case_finds_exactly_the_expected_subjects(case: dict[str, Any]) -> None:
    findings = evaluate(build(case), only=_only(case))
    assert [(f.rule_id, f.subject) for f in findings] == [tuple(e[:2]) for e in case["expect"]]
    for finding, expected in zip(findings, case["expect"], strict=True):
        if len(expected) > 2:
            assert finding.message == expected[2]


def test_every_rule_fires_in_a_case_and_its_fix_silences_it() -> None:
    fired: set[str] = set()
    silenced: set[str] = set()
    for case in CASES:
        ids = {e[0] for e in case["expect"]}
        fired |= ids
        if "fixed" in case:
            silenced |= ids - {e[0] for e in case["fixed"]["expect"]}
    assert sorted(DECLARED - fired) == []
    assert sorted(DECLARED - silenced) == []


def test_every_case_runs_the_rules_it_expects() -> None:
    for case in CASES:
        run = DECLARED if case["rules"] == "all" else set(case["rules"])
        expected = {e[0] for e in case["expect"]} | {e[0] for e in case.get("fixed", {}).get("expect", [])}
        assert expected <= run, case["id"]
        assert run <= DECLARED, case["id"]
