"""The audit's writers, one per format, keyed by name: ``AUDIT_WRITERS["junit"](report, out)``.

Each takes one ``AuditReport`` and a text stream, so the formats never disagree. ``write_all`` writes the
files an audit leaves in its output directory (``OUTPUTS``: the four, and the OSCAL pair under ``oscal/``).

The HTML writer (``writers/html.py``: jinja2) and the OSCAL writer (compliance-trestle, pydantic) are
imported when they are called, so ``--format json`` or ``junit`` starts fast.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from tier3.audit.model import AuditReport
from tier3.audit.writers.json_ import write_json
from tier3.audit.writers.junit import write_junit
from tier3.audit.writers.markdown import write_markdown
from tier3.errors import Tier3Error

Writer = Callable[[AuditReport, TextIO], None]


def write_html(report: AuditReport, out: TextIO) -> None:
    """``tier3.audit.writers.html.write_html``, imported at call time (jinja2 and the template load then)."""
    from tier3.audit.writers import html  # noqa: PLC0415  (jinja2: only for the HTML page)

    html.write_html(report, out)


def write_oscal_results(report: AuditReport, out: TextIO) -> None:
    from tier3.audit.writers import oscal  # noqa: PLC0415  (compliance-trestle loads pydantic: only when asked)

    oscal.write_assessment_results(report, out)


def write_oscal_plan(report: AuditReport, out: TextIO) -> None:
    from tier3.audit.writers import oscal  # noqa: PLC0415

    oscal.write_assessment_plan(report, out)


AUDIT_WRITERS: dict[str, Writer] = {
    "json": write_json,
    "junit": write_junit,
    "markdown": write_markdown,
    "html": write_html,
}
# the OSCAL pair: assessment results, and the stub plan its import-ap names (both files, not a --format)
OSCAL_WRITERS: dict[str, Writer] = {
    "oscal-results": write_oscal_results,
    "oscal-plan": write_oscal_plan,
}

# file under the output directory -> the writer (a key of AUDIT_WRITERS or OSCAL_WRITERS), in writing order
OUTPUTS: tuple[tuple[str, str], ...] = (
    ("report.json", "json"),
    ("report.junit.xml", "junit"),
    ("summary.md", "markdown"),
    ("report.html", "html"),
    ("oscal/assessment-results.json", "oscal-results"),
    ("oscal/assessment-plan.json", "oscal-plan"),
)


def write_all(report: AuditReport, out_dir: Path) -> list[Path]:
    """Every format of ``report`` under ``out_dir`` (made when missing); the paths written, in order."""
    writers = {**AUDIT_WRITERS, **OSCAL_WRITERS}
    written = []
    for name, key in OUTPUTS:
        path = out_dir / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", encoding="utf-8", newline="\n") as out:
                writers[key](report, out)
        except OSError as exc:
            raise Tier3Error(str(out_dir), name, f"cannot write the audit report: {exc.strerror or exc}",
                             hint="choose a writable output directory (-o DIR) with free space") from None
        written.append(path)
    return written
