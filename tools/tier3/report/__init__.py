"""Findings into reports: text, JSON (documented schema), JUnit XML and HTML.

One writer per format in ``WRITERS`` (a table, not an if-chain); every writer takes the same
``Report``, so the formats never disagree. ``write_report`` builds the report from findings and
writes it; ``writer(fmt)`` looks one up (a user error for an unknown format).
See docs/report.md for the JSON schema and the text format.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TextIO

from tier3.errors import Tier3Error
from tier3.model import Finding
from tier3.report.model import INPUT_ERROR, Check, InventorySize, Report, build_report, error_findings
from tier3.report.text import format_text, summary_line
from tier3.report.writers import WRITERS

__all__ = [
    "INPUT_ERROR", "WRITERS", "Check", "InventorySize", "Report", "build_report", "error_findings", "format_text",
    "summary_line", "write_report",
    "writer",
]


def writer(fmt: str) -> Callable[[Report, TextIO], None]:
    """The writer of ``fmt`` (text, json, junit or html)."""
    found = WRITERS.get(fmt)
    if found is None:
        raise Tier3Error("report", "format", f"unknown report format {fmt!r}", hint=f"use one of {', '.join(WRITERS)}")
    return found


def write_report(
    findings: Sequence[Finding],
    fmt: str,
    out: TextIO,
    *,
    title: str,
    source: str,
    checks: Sequence[Check] = (),
    inventory: InventorySize | None = None,
) -> None:
    """Write ``findings`` as ``fmt`` (text, json, junit or html) to ``out``.

    ``checks`` lists the rules that ran (id and title), so rules that found nothing still show as
    passed in JUnit and HTML; without it only findings appear. ``inventory`` gives the text
    summary line its host and site counts.
    """
    write = writer(fmt)
    write(build_report(findings, title=title, source=source, checks=checks, inventory=inventory), out)
