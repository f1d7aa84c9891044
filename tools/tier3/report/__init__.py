"""Findings into reports: JSON (documented schema), JUnit XML and HTML.

One entry point, ``write_report``, with one writer per format in ``WRITERS`` (a table, not an
if-chain). Every writer takes the same ``Report`` so the three formats never disagree.
See docs/report.md for the JSON schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from tier3.errors import Tier3Error
from tier3.model import Finding
from tier3.report.model import Check, Report, build_report
from tier3.report.writers import WRITERS

__all__ = ["WRITERS", "Check", "Report", "build_report", "write_report"]


def write_report(
    findings: Sequence[Finding],
    fmt: str,
    out: TextIO,
    *,
    title: str,
    source: str,
    checks: Sequence[Check] = (),
) -> None:
    """Write ``findings`` as ``fmt`` (json, junit or html) to ``out``.

    ``checks`` lists the rules that ran (id and title), so rules that found nothing still show as
    passed in JUnit and HTML; without it only findings appear.
    """
    writer = WRITERS.get(fmt)
    if writer is None:
        raise Tier3Error("report", "format", f"unknown report format {fmt!r}", hint=f"use one of {', '.join(WRITERS)}")
    writer(build_report(findings, title=title, source=source, checks=checks), out)
