"""``tier3 rules``: the catalogue as a table, as JSON, as the Markdown of docs/rules.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tier3.cli import main
from tier3.rules import RULES

DOCS = Path(__file__).parents[3] / "docs" / "rules.md"


def test_rules_json_lists_every_rule_with_rationale_and_hint(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [e["id"] for e in entries] == sorted(RULES)
    by_id = {e["id"]: e for e in entries}
    assert by_id["T3-PWR-001"]["severity"] == "high"
    assert by_id["T3-PWR-001"]["category"] == "power"
    assert by_id["T3-SEC-002"]["severity"] == "low"
    assert "ISO27001:A.7.11" in by_id["T3-PWR-002"]["controls"]
    for entry in entries:
        assert set(entry) == {"id", "scope", "severity", "category", "title", "rationale", "controls", "hint",
                              "kinds", "policy", "breaks_redundancy"}
        assert entry["rationale"]
        assert entry["hint"]


def test_rules_table_names_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    for rule_id in RULES:
        assert rule_id in out


def test_rules_markdown_prints_docs_rules_md(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--markdown"]) == 0
    assert capsys.readouterr().out == DOCS.read_text()


def test_json_and_markdown_together_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--json", "--markdown"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err


@pytest.mark.parametrize("scope", ["declared", "observed"])
def test_rules_scope_filters_one_list(scope: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--json", "--scope", scope]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [e["id"] for e in entries] == [r.id for r in RULES.values() if r.scope.value == scope]
    assert entries
    assert {e["scope"] for e in entries} == {scope}


def test_rules_lists_declared_and_observed_in_one_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--json"]) == 0
    scopes = {e["scope"] for e in json.loads(capsys.readouterr().out)}
    assert scopes == {"declared", "observed"}
