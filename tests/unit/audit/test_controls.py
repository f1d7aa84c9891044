"""The control table and the rule catalogue never drift: every control a rule lists has an entry with a
title, every entry is listed by a rule, every framework an entry names is declared; a broken table is a
clear error naming the key."""

from __future__ import annotations

import pytest

from tier3.audit.controls import load_controls, read_controls
from tier3.errors import Tier3Error
from tier3.rules import RULES

USED = {c for rule in RULES.values() for c in rule.controls}


def test_every_control_a_rule_lists_is_in_the_table() -> None:
    _, controls = load_controls()
    missing = sorted(USED - {c.id for c in controls})
    assert missing == [], f"add these to tools/tier3/audit/controls.yml: {missing}"


def test_every_control_of_the_table_is_listed_by_a_rule() -> None:
    _, controls = load_controls()
    unused = sorted({c.id for c in controls} - USED)
    assert unused == [], f"no rule lists these any more; remove them from controls.yml: {unused}"


def test_every_framework_of_a_control_is_declared_and_used() -> None:
    frameworks, controls = load_controls()
    declared = {f.key for f in frameworks}
    assert {c.framework for c in controls} == declared  # none undeclared, none declared for nothing
    assert all(c.id.startswith(f"{c.framework}:") for c in controls)


def test_the_table_has_one_titled_entry_per_control() -> None:
    frameworks, controls = load_controls()
    assert len({c.id for c in controls}) == len(controls) == len(USED)
    assert all(c.title.strip() and "\n" not in c.title for c in controls)
    assert [f.key for f in frameworks] == ["PCI-DSS", "HIPAA", "SEC-17A-4", "FINRA", "ISO27001", "NIST-800-53",
                                           "GDPR", "SOC2"]


@pytest.mark.parametrize(("control_id", "title"), [
    ("ISO27001:A.8.14", "Redundancy of information processing facilities"),
    ("NIST-800-53:SC-28", "Protection of Information at Rest"),
    ("NIST-800-53:PE-9(1)", "Power Equipment and Cabling | Redundant Cabling"),
    ("HIPAA:164.312(e)(1)", "Transmission security"),
    ("SEC-17A-4:f(2)(i)(B)", "Preserve the record exclusively in a non-rewriteable, non-erasable format"),
])
def test_titles_are_the_frameworks_own(control_id: str, title: str) -> None:
    _, controls = load_controls()
    assert {c.id: c.title for c in controls}[control_id] == title


def test_the_table_is_read_once() -> None:
    assert load_controls() is load_controls()


GOOD_FRAMEWORKS = "frameworks:\n  - {key: ISO27001, name: ISO/IEC 27001:2022 Annex A}\n"


@pytest.mark.parametrize(("text", "where", "said"), [
    (GOOD_FRAMEWORKS + "controls:\n  - {id: 'GDPR:32(1)(b)', framework: GDPR, title: Resilience}\n",
     "controls[0].framework", "framework GDPR is not declared"),
    (GOOD_FRAMEWORKS + "controls:\n  - {id: 'ISO27001:A.8.14', framework: GDPR, title: Redundancy}\n",
     "controls[0].framework", "belongs to ISO27001, not GDPR"),
    (GOOD_FRAMEWORKS + "controls:\n  - {id: 'A.8.14', framework: ISO27001, title: Redundancy}\n",
     "controls[0].id", "is not FRAMEWORK:control"),
    (GOOD_FRAMEWORKS + "controls:\n  - {id: 'ISO27001:A.8.14', framework: ISO27001}\n",
     "controls[0].title", "one-line, non-empty string"),
    (GOOD_FRAMEWORKS + "controls:\n  - {id: 'ISO27001:A.8.14', framework: ISO27001, title: a}\n"
     "  - {id: 'ISO27001:A.8.14', framework: ISO27001, title: b}\n", "controls[1].id", "listed twice"),
    ("controls: []\n", "frameworks", "non-empty list"),
    ("frameworks: [\n", "", "not YAML"),
])
def test_a_broken_table_names_the_key_and_the_fix(text: str, where: str, said: str) -> None:
    with pytest.raises(Tier3Error) as caught:
        read_controls(text, "controls.yml")
    assert caught.value.source == "controls.yml"
    assert caught.value.where == where
    assert said in caught.value.message
    assert caught.value.hint
