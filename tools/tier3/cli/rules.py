"""``tier3 rules [--json | --markdown]``: the redundancy rule catalogue."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

from tier3.rules import RULES
from tier3.rules.catalogue import REGENERATE, catalogue_json, catalogue_markdown


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "rules",
        help="list the redundancy rules (id, severity, category, title, controls)",
        description=f"List the redundancy rule catalogue. docs/rules.md is `{REGENERATE}`.",
    )
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print a JSON list with rationale and fix hint")
    fmt.add_argument("--markdown", action="store_true", help="print the Markdown catalogue (docs/rules.md)")


def run(args: argparse.Namespace) -> int:
    if args.json:
        sys.stdout.write(json.dumps(catalogue_json(), indent=2) + "\n")
    elif args.markdown:
        sys.stdout.write(catalogue_markdown())
    else:
        table = Table(title=f"tier3 redundancy rules ({len(RULES)})")
        for column in ("id", "severity", "category", "title", "controls"):
            table.add_column(column, no_wrap=column == "id")
        for rule in RULES.values():
            table.add_row(rule.id, rule.severity.value, rule.category.value, rule.title, "\n".join(rule.controls))
        Console(file=sys.stdout).print(table)
    return 0
