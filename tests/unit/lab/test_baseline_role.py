"""roles/baseline: README, defaults and meta/argument_specs.yml say the same thing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROLE = Path(__file__).resolve().parents[3] / "roles" / "baseline"


def specs() -> dict[str, Any]:
    data = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())
    options: dict[str, Any] = data["argument_specs"]["main"]["options"]
    return options


def test_readme_lists_every_argument_spec_variable() -> None:
    section = (ROLE / "README.md").read_text().split("## Role Variables", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `(baseline_[a-z0-9_]+)` \|", section, flags=re.MULTILINE))
    assert listed == set(specs())


def test_defaults_match_argument_specs() -> None:
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    options = specs()
    assert set(defaults) == set(options)
    for name, value in defaults.items():
        assert options[name]["default"] == value, name


def test_variables_are_prefixed() -> None:
    assert all(name.startswith("baseline_") for name in specs())
    internal = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())
    assert all(name.startswith("__baseline_") for name in internal)


def test_templates_start_with_ansible_managed() -> None:
    for template in (ROLE / "templates").glob("*.j2"):
        lines = [line for line in template.read_text().splitlines() if not line.startswith("#!")]
        assert lines[0] == "{{ ansible_managed | comment }}", template.name
