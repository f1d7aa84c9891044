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
from tier3.report import WRITERS, writer
from tier3.schema import InventorySchemaErrors
from tier3.validate import validate

FORMATS = tuple(WRITERS)  # text, json, junit, html


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "validate",
        help="check an inventory: schema, references, then the redundancy rules",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    p.add_argument("path", metavar="PATH", help="inventory directory (or one YAML inventory file)")
    p.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    p.add_argument("--output", metavar="FILE", help="write the report to FILE instead of standard output")


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
        result = validate(args.path)
    except InventorySchemaErrors as exc:
        for line in exc.lines():
            print(f"tier3 validate: {line}", file=sys.stderr)
        print(f"tier3 validate: {exc.source}: {len(exc.errors)} inventory error(s); no rule was run", file=sys.stderr)
        return exc.exit_code
    for note in result.notes:
        print(f"tier3 validate: note: {note}", file=sys.stderr)
    report = result.report()
    with _opened(args.output) as out:
        writer(args.format)(report, out)
    if args.output is not None and args.format != "text":
        writer("text")(report, sys.stdout)  # the report is in the file; the verdict here
    return 1 if report.failed else 0
