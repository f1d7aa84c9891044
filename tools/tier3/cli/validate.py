"""``tier3 validate PATH [--format text|json|junit|html] [--output FILE]``: check an inventory.

Schema first (every error listed with file, key path and fix), then the redundancy rules.
Exit status: 0 clean, 1 when a rule fails, 2 on bad input (unreadable YAML, schema or
reference errors); nothing is touched either way.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from tier3.errors import Tier3Error
from tier3.model import Finding, Status, Topology
from tier3.schema import InventorySchemaErrors, load_inventory

FORMATS = ("text", "json", "junit", "html")


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "validate",
        help="check an inventory: schema, references, then the redundancy rules",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    p.add_argument("path", metavar="PATH", help="inventory directory (or one YAML inventory file)")
    p.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    p.add_argument("--output", metavar="FILE", help="write the report to FILE instead of standard output")


def validate(path: str) -> tuple[Topology, list[Finding], tuple[str, ...]]:
    """Load and check the inventory at ``path``: (topology, findings, loader notes).

    Raises ``InventoryError`` (``InventorySchemaErrors`` for many) on bad input. The Ansible
    action plugin ``tier3_preflight`` calls this same function.
    """
    from tier3.rules import evaluate  # noqa: PLC0415  (the rules load only once the inventory is good)

    loaded = load_inventory(path)
    return loaded.topology, evaluate(loaded.topology), loaded.notes


def failed(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.status in (Status.FAIL, Status.ERROR)]


def format_text(finding: Finding) -> str:
    where = str(finding.location) if finding.location else finding.subject
    text = (
        f"{where}: {finding.rule_id} [{finding.severity.value}] {finding.subject}: {finding.message or finding.title}"
    )
    return f"{text} (fix: {finding.hint})" if finding.hint else text


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def summary(topology: Topology, findings: list[Finding], extra: str = "") -> str:
    """``inventory/example: 24 hosts, 2 sites: clean`` (or the number of rule violations)."""
    bad = failed(findings)
    verdict = _count(len(bad), "rule violation") + extra if bad else "clean"
    return f"{topology.source}: {_count(len(topology.hosts), 'host')}, {_count(len(topology.sites), 'site')}: {verdict}"


def write_text(topology: Topology, findings: list[Finding], out: TextIO) -> None:
    for finding in findings:
        out.write(format_text(finding) + "\n")
    out.write(summary(topology, findings) + "\n")


@contextlib.contextmanager
def _opened(output: str | None) -> Iterator[TextIO]:
    if output is None:
        yield sys.stdout
        return
    target = Path(output)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8") as out:
            yield out
    except OSError as exc:
        raise Tier3Error(
            output, "", f"cannot write the report: {exc.strerror or exc}", hint="choose a writable path"
        ) from None


def run(args: argparse.Namespace) -> int:
    try:
        topology, findings, notes = validate(args.path)
    except InventorySchemaErrors as exc:
        for line in exc.lines():
            print(f"tier3 validate: {line}", file=sys.stderr)
        print(f"tier3 validate: {exc.source}: {len(exc.errors)} inventory error(s); no rule was run", file=sys.stderr)
        return exc.exit_code
    for note in notes:
        print(f"tier3 validate: note: {note}", file=sys.stderr)
    with _opened(args.output) as out:
        if args.format == "text":
            write_text(topology, findings, out)
        else:
            from tier3.report import Check, write_report  # noqa: PLC0415  (jinja2 etc. only when a report is asked for)
            from tier3.rules import RULES  # noqa: PLC0415

            checks = [Check(rule.id, rule.title, rule.severity) for rule in RULES.values()]
            title = f"tier3 validate {topology.source}"
            write_report(findings, args.format, out, title=title, source=topology.source, checks=checks)
    if args.output is not None and args.format != "text":
        write_text(topology, failed(findings), sys.stdout)  # the report is in the file; the verdict here
    return 1 if failed(findings) else 0
