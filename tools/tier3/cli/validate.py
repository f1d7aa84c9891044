"""``tier3 validate PATH [--format text|json|junit|html] [--output FILE] [--fail-on SEVERITY] [--diagram FILE.svg]``."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from tier3.errors import Tier3Error
from tier3.model import Severity, blocking
from tier3.report import WRITERS, build_report, error_findings, writer
from tier3.schema import InventorySchemaErrors
from tier3.validate import Validation, validate

FORMATS = tuple(WRITERS)  # text, json, junit, html
DEFAULT_FAIL_ON = "low"  # the tier3_preflight action's fail_on defaults to the same: both gates agree

DESCRIPTION = """\
Check an Ansible inventory before anything is touched: the schema of every tier3_* variable (each
error with its file, key and fix), the cross-references, then the declared redundancy rules
(single points of failure). Nothing is changed.

Failed rules below --fail-on are still printed (and listed in every report format); they do not
make the exit status 1. On bad input the report formats are still written, with one `error`
finding per problem, so a CI job that publishes the JUnit file sees the failure.

--diagram FILE.svg also draws the site as declared (sites, feeds, PDUs, racks, switches, fabrics, hosts,
VIPs, firewall pairs and the dependencies between them), every single point of failure and every
failed finding marked on the object it names; hovering an object names what its loss takes down."""

EPILOG = """\
exit status:
  0    clean, or no failed rule at --fail-on or worse
  1    a rule failed at --fail-on or worse
  2    bad input (unreadable YAML, schema or reference errors, unwritable --output)
  3    internal error (a bug in tier3)

examples:
  tier3 validate inventory/example
  tier3 validate inventory/prod --format junit --output reports/validate.junit.xml
  tier3 validate inventory/prod --fail-on high     # let medium and low findings through
  tier3 validate inventory/example --diagram reports/site.svg"""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "validate",
        help="check an inventory: schema, references, then the redundancy rules",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("path", metavar="PATH", help="inventory directory (or one YAML inventory file)")
    p.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    p.add_argument("--output", metavar="FILE", help="write the report to FILE instead of standard output")
    p.add_argument(
        "--fail-on", choices=[s.value for s in Severity], default=DEFAULT_FAIL_ON, metavar="SEVERITY",
        help=f"exit 1 only for failed rules of this severity or worse: {', '.join(s.value for s in Severity)} "
        f"(default: {DEFAULT_FAIL_ON}, as the preflight action's fail_on)",
    )
    p.add_argument("--diagram", metavar="FILE.svg",
                   help="also write the site picture (SVG): the declared inventory, its single points of failure "
                   "and failed findings marked")


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


def _bad_input(args: argparse.Namespace, exc: InventorySchemaErrors) -> int:
    for line in exc.lines():
        print(f"tier3 validate: {line}", file=sys.stderr)
    print(f"tier3 validate: {exc.source}: {len(exc.errors)} inventory error(s); no rule was run", file=sys.stderr)
    if args.format != "text":
        report = build_report(error_findings(exc.errors), title=f"tier3 validate {exc.source}", source=exc.source)
        with _opened(args.output) as out:
            writer(args.format)(report, out)
    return exc.exit_code


def _diagram_path(diagram: str | None) -> Path | None:
    """The --diagram target, refused before anything is read when it cannot be an SVG file."""
    if diagram is None:
        return None
    target = Path(diagram)
    if target.is_dir():
        raise Tier3Error(diagram, "--diagram", "is a directory, not a file",
                         hint=f"name a file in it, e.g. --diagram {target / 'site.svg'}")
    if target.suffix.lower() != ".svg":
        raise Tier3Error(diagram, "--diagram", "does not end in .svg: the picture is an SVG file",
                         hint=f"--diagram {target.with_suffix('.svg')}")
    return target


def _write_diagram(target: Path, result: Validation) -> None:
    from tier3.audit.diagram import site_svg  # noqa: PLC0415  (the availability engine loads only when asked)
    from tier3.audit.impact import finding_marks  # noqa: PLC0415

    svg = site_svg(result.topology, finding_marks(result.findings))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(svg, encoding="utf-8")
    except OSError as exc:
        raise Tier3Error(str(target), "--diagram", f"cannot write the site picture: {exc.strerror or exc}",
                         hint="choose a writable path, e.g. --diagram reports/site.svg") from None


def run(args: argparse.Namespace) -> int:
    diagram = _diagram_path(args.diagram)
    try:
        result = validate(args.path)
    except InventorySchemaErrors as exc:
        return _bad_input(args, exc)
    for note in result.notes:
        print(f"tier3 validate: note: {note}", file=sys.stderr)
    if diagram is not None:
        _write_diagram(diagram, result)
    report = result.report()
    with _opened(args.output) as out:
        writer(args.format)(report, out)
    if args.output is not None and args.format != "text":
        writer("text")(report, sys.stdout)  # the report is in the file; the verdict here
    threshold = Severity(args.fail_on)
    stop = blocking(report.failed, threshold)
    below = len(report.failed) - len(stop)
    if below:
        print(f"tier3 validate: {below} failed rule(s) below --fail-on {threshold.value}: reported, not failing",
              file=sys.stderr)
    return 1 if stop else 0
