"""Judge parsed facts with the one rule catalogue, as every kind does: helpers for parser tests."""

from __future__ import annotations

from typing import Any

from tier3.model import Finding
from tier3.model.policy import Policy
from tier3.rules import Context, judge, redundant


def findings(kind: str, facts: Any, **policy: Any) -> list[Finding]:
    return judge(kind, facts, Context(source="x", policy=Policy(policy)))


def ids(kind: str, facts: Any, **policy: Any) -> list[tuple[str, str]]:
    """[(rule id, subject)] in report order."""
    return [(f.rule_id, f.subject) for f in findings(kind, facts, **policy)]


def is_redundant(kind: str, facts: Any, **policy: Any) -> bool:
    return redundant(findings(kind, facts, **policy))
