"""One writer per format, keyed by name: ``WRITERS["json"](report, out)``.

jinja2 is imported by the HTML writer only, so the text and JSON paths start fast.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from importlib import resources
from typing import TYPE_CHECKING, TextIO

from tier3.model import Finding, Status
from tier3.report.model import Report
from tier3.report.text import write_text

if TYPE_CHECKING:
    import jinja2


def write_json(report: Report, out: TextIO) -> None:
    json.dump(report.to_dict(), out, indent=2, sort_keys=False)
    out.write("\n")


def _finding_text(finding: Finding) -> str:
    lines = [finding.message or finding.title]
    if finding.location is not None:
        lines.append(f"at: {finding.location}")
    if finding.hint:
        lines.append(f"fix: {finding.hint}")
    if finding.controls:
        lines.append(f"controls: {', '.join(finding.controls)}")
    if finding.evidence:
        lines.append("evidence: " + json.dumps(finding.evidence, sort_keys=True, default=str))
    return "\n".join(lines)


# status -> (JUnit child element, or None for a pass)
_JUNIT_ELEMENT: dict[Status, str | None] = {
    Status.PASS: None,
    Status.FAIL: "failure",
    Status.ERROR: "error",
    Status.WAIVED: "skipped",
}


def write_junit(report: Report, out: TextIO) -> None:
    """One testcase per finding (classname = rule id, name = subject), and one passing testcase
    per check that found nothing, so CI shows every rule that ran."""
    report = report.printable()  # XML 1.0 has no place for control characters
    suite = ET.Element("testsuite", name=report.title, timestamp=report.generated_at)
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for check in report.all_checks():
        found = report.findings_of(check.rule_id)
        if not found:
            ET.SubElement(suite, "testcase", classname=check.rule_id, name=f"{check.rule_id} {check.title}")
            counts["tests"] += 1
            continue
        for finding in found:
            name = f"{finding.rule_id} {finding.subject}"
            case = ET.SubElement(suite, "testcase", classname=finding.rule_id, name=name)
            counts["tests"] += 1
            element = _JUNIT_ELEMENT[finding.status]
            if element is None:
                continue
            counts[{"failure": "failures", "error": "errors", "skipped": "skipped"}[element]] += 1
            child = ET.SubElement(case, element, message=f"[{finding.severity.value}] {finding.title}",
                                  type=finding.severity.value)
            child.text = _finding_text(finding)
    for key, value in counts.items():
        suite.set(key, str(value))
    suites = ET.Element("testsuites", name="tier3")
    suites.append(suite)
    ET.indent(suites)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(suites, encoding="unicode"))
    out.write("\n")


def _environment() -> jinja2.Environment:
    import jinja2  # noqa: PLC0415  (only the HTML writer needs it)

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["tojson_pretty"] = lambda value: json.dumps(value, indent=2, sort_keys=True, default=str)
    return env


def write_html(report: Report, out: TextIO) -> None:
    source = resources.files("tier3.report").joinpath("templates/report.html.j2").read_text(encoding="utf-8")
    template = _environment().from_string(source)
    shown = report.printable()
    out.write(template.render(report=shown, data=shown.to_dict()))


WRITERS: dict[str, Callable[[Report, TextIO], None]] = {
    "text": write_text,
    "json": write_json,
    "junit": write_junit,
    "html": write_html,
}
