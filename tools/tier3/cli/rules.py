"""``tier3 rules [--scope declared|observed] [--json | --markdown]``: the rule catalogue."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

from tier3.rules import RULES, Scope
from tier3.rules.catalogue import REGENERATE, catalogue_json, catalogue_markdown


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "rules",
        help="list the rule catalogue (id, scope, severity, category, title, controls)",
        description=f"List the rule catalogue, declared and observed rules in one list. docs/rules.md is "
        f"`{REGENERATE}`.",
    )
    p.add_argument("--scope", choices=[s.value for s in Scope], help="only the declared or the observed rules")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print a JSON list with rationale, fix hint and policy")
    fmt.add_argument("--markdown", action="store_true", help="print the Markdown catalogue (docs/rules.md, all scopes)")


def run(args: argparse.Namespace) -> int:
    rules = [r for r in RULES.values() if args.scope is None or r.scope.value == args.scope]
    if args.json:
        sys.stdout.write(json.dumps(catalogue_json(rules), indent=2) + "\n")
    elif args.markdown:
        sys.stdout.write(catalogue_markdown())
    else:
        table = Table(title=f"tier3 rules ({len(rules)})")
        for column in ("id", "scope", "severity", "category", "title", "controls"):
            table.add_column(column, no_wrap=column in ("id", "scope"))
        for rule in rules:
            table.add_row(rule.id, rule.scope.value, rule.severity.value, rule.category.value, rule.title,
                          "\n".join(rule.controls))
        Console(file=sys.stdout).print(table)
    return 0
