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


def test_piped_rules_are_one_tab_separated_line_each_with_nothing_cut(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(RULES)
    for line, rule in zip(lines, RULES.values(), strict=True):
        assert line.split("\t") == [rule.id, rule.scope.value, rule.severity.value, rule.category.value, rule.title,
                                    ",".join(rule.controls)]


def test_the_terminal_table_folds_controls_instead_of_cutting_them_and_honours_no_color(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("NO_COLOR", "1")
    assert main(["rules", "--scope", "declared"]) == 0
    out = capsys.readouterr().out
    assert "\x1b[" not in out
    assert "…" not in "".join(line.split("│")[1] for line in out.splitlines() if line.count("│") > 2)  # ids whole
    cells = "".join(line.split("│")[-2].strip() for line in out.splitlines() if line.count("│") > 2)
    for rule in RULES.values():
        if rule.scope.value == "declared":
            assert all(control in cells for control in rule.controls), rule.id
