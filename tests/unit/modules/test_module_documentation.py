"""Every module's DOCUMENTATION, EXAMPLES and RETURN parse as YAML (what ansible-doc and ansible-lint read): a
``key: value`` inside a description line is a mapping to YAML, and ansible-doc then shows no documentation at all."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

MODULES = sorted((Path(__file__).resolve().parents[3] / "plugins" / "modules").glob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[p.stem for p in MODULES])
def test_the_documentation_parses(path: Path) -> None:
    docs = {n.targets[0].id: n.value.value for n in ast.parse(path.read_text(encoding="utf-8")).body
            if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name)
            and n.targets[0].id in ("DOCUMENTATION", "EXAMPLES", "RETURN") and isinstance(n.value, ast.Constant)}
    assert "DOCUMENTATION" in docs, path.name
    parsed = yaml.safe_load(docs["DOCUMENTATION"])
    assert parsed["module"] == path.stem
    assert isinstance(parsed["description"], list)
    for name in ("EXAMPLES", "RETURN"):
        if name in docs:
            yaml.safe_load(docs[name])
