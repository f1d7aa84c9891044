"""Imports go downward through the layers of tools/tier3, and controller plugins call the library.

The layer table is docs/style.md's: model -> schema/parsers/availability/dns -> rules -> report/lab/bmc/firewall/archive
-> conductors (inspect, validate, evidence, check, audit, drill) -> cli. A module may import its
own layer (a conductor may call another) and anything below, never above. Every ``import`` counts,
including those inside functions (a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "tools" / "tier3"
PLUGINS = ROOT / "plugins"

LAYERS: dict[str, int] = {
    "model": 0,
    "schema": 1, "parsers": 1, "availability": 1,
    "dns": 1,  # the zone and SPF generators: pure, on model data; the declared DNS rules (layer 2) import them
    "monitoring": 1,  # the alert rule and Alertmanager generators: pure, on model data; schema.monitoring imports them
    "ledger": 1,  # the archive log, Merkle tree, heads, retention: pure; the archive rules (layer 2) judge its facts
    "rules": 2,
    "report": 3, "lab": 3, "bmc": 3, "probe": 3, "firewall": 3, "archive": 3,
    "inspect": 4, "validate": 4, "evidence": 4, "check": 4, "audit": 4, "drill": 4,
    "cli": 5,
    "__main__": 5,  # `python -m tier3` is the command itself
}
# Anything else directly under tier3 (errors, sources, the package's __init__) is layer 0.


def layer(part: str) -> int:
    return LAYERS.get(part, 0)


def part_of(path: Path) -> str:
    """The top-level part of tier3 a file belongs to: ``rules`` for tier3/rules/power.py."""
    head = path.relative_to(PACKAGE).parts[0]
    return head.removesuffix(".py")


def imported_parts(path: Path, tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, top-level part of tier3) for every import of tier3 in ``tree``."""
    package = path.relative_to(PACKAGE).parent.parts
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names = alias.name.split(".")
                if names[0] == "tier3" and len(names) > 1:
                    yield node.lineno, names[1]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the file's package
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                parts = [*base, *(node.module or "").split(".")] if node.module else list(base)
                names = parts if parts else [a.name for a in node.names]
                yield node.lineno, names[0]
            elif node.module and node.module.startswith("tier3."):
                yield node.lineno, node.module.split(".")[1]
            elif node.module == "tier3":
                for alias in node.names:
                    yield node.lineno, alias.name


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def upward_imports(path: Path) -> list[str]:
    here = part_of(path)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        f"{path.relative_to(ROOT)}:{line}: {here} (layer {layer(here)}) imports {target} (layer {layer(target)})"
        for line, target in imported_parts(path, tree)
        if target != here and layer(target) > layer(here)
    ]


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_go_downward(path: Path) -> None:
    assert upward_imports(path) == []


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    """The walker finds plain, dotted, package-level, relative and function-level imports."""
    source = (
        "import tier3.cli\n"
        "from tier3 import validate\n"
        "from tier3.report.text import format_text\n"
        "from ..lab import hosts\n"
        "def f():\n    from tier3.rules import RULES\n"
    )
    tree = ast.parse(source)
    fake = PACKAGE / "rules" / "observed" / "x.py"  # there `..lab` is tier3.rules.lab: still rules
    assert sorted(t for _, t in imported_parts(fake, tree)) == ["cli", "report", "rules", "rules", "validate"]
    fake = PACKAGE / "rules" / "x.py"
    assert [t for _, t in imported_parts(fake, ast.parse("from ..lab import hosts\n"))] == ["lab"]


def test_the_table_covers_every_package_of_tier3() -> None:
    """A new package under tier3 needs a row here (a module at layer 0 by accident is a hole)."""
    packages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages <= set(LAYERS), sorted(packages - set(LAYERS))


def plugin_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    return found


@pytest.mark.parametrize("path", sorted(PLUGINS.rglob("*.py")), ids=lambda p: str(p.relative_to(PLUGINS)))
def test_no_plugin_imports_the_cli(path: Path) -> None:
    """Plugins call the library function the CLI calls, never the CLI (it parses arguments and prints)."""
    cli = [name for name in plugin_imports(path) if name == "tier3.cli" or name.startswith("tier3.cli.")]
    assert cli == []


def test_the_preflight_action_calls_the_validate_conductor() -> None:
    imported = plugin_imports(PLUGINS / "action" / "tier3_preflight.py")
    assert "tier3.validate" in imported
    assert {name.split(".")[1] for name in imported if name.startswith("tier3.")} <= {
        "validate", "model", "errors", "schema",
    }
