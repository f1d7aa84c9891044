"""The audit as JUnit XML, for the CI job that runs it: one ``<testsuite>`` per area (encryption in transit,
retention, ...), one ``<testcase>`` per result (classname = rule id, name = rule id and subject).

fail -> ``<failure>``, error -> ``<error>``; waived -> ``<skipped message="waived: justification (owner,
until date)">``; not evaluated -> ``<skipped message="not evaluated: why">``, so a dashboard never counts
a rule that judged nothing as passed. Every text goes through ``AuditReport.printable()`` first, and every
attribute and body through ``printable`` once more as it is written (idempotent on escaped text; it also
covers what the model does not escape, a waiver's ticket or an evidence hash a host sent): XML 1.0 has no
place for a control character, and a ``\\x01`` in a subject must not break the file.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import TextIO

from tier3.audit.model import Area, AuditReport, Outcome, Result, sorted_results
from tier3.printable import printable

# outcome -> (the testcase's child element, or None for a pass; the suite's counter it adds to)
_ELEMENT: dict[Outcome, tuple[str, str] | None] = {
    Outcome.PASS: None,
    Outcome.FAIL: ("failure", "failures"),
    Outcome.ERROR: ("error", "errors"),
    Outcome.WAIVED: ("skipped", "skipped"),
    Outcome.NOT_EVALUATED: ("skipped", "skipped"),
}
_COUNTERS = ("tests", "failures", "errors", "skipped")


def case_name(result: Result) -> str:
    return f"{result.rule_id} {result.subject}".rstrip()


def skipped_message(result: Result) -> str:
    """Why a skipped case is skipped: the waiver (justification, owner, expiry) or why nothing was judged."""
    if result.outcome is Outcome.WAIVED and result.waiver is not None:
        w = result.waiver
        return f"waived: {w.justification} ({w.owner}, until {w.expires.isoformat()})"
    return f"not evaluated: {result.message or 'nothing to judge'}"


def case_text(result: Result) -> str:
    """The body of a failure, error or skip: what was found, where, the fix, the controls, the evidence."""
    lines = [result.message or result.title]
    if result.location is not None:
        lines.append(f"at: {result.location.file}: {result.location.key}")
    if result.host:
        lines.append(f"host: {result.host}")
    if result.hint:
        lines.append(f"fix: {result.hint}")
    if result.controls:
        lines.append(f"controls: {', '.join(result.controls)}")
    lines.extend(f"evidence item: {ref.id}{f' on {ref.host}' if ref.host else ''} sha256 {ref.sha256 or '-'}"
                 for ref in result.evidence_refs)
    if result.evidence:
        lines.append("evidence: " + json.dumps(result.evidence, sort_keys=True, default=str))
    if result.waiver is not None and result.waiver.ticket:
        lines.append(f"waiver ticket: {result.waiver.ticket}")
    if result.waiver_note:
        lines.append(f"waiver: {result.waiver_note}")
    return "\n".join(lines)


def _case(suite: ET.Element, result: Result, counts: dict[str, int]) -> None:
    case = ET.SubElement(suite, "testcase", classname=printable(result.rule_id), name=printable(case_name(result)))
    counts["tests"] += 1
    element = _ELEMENT[result.outcome]
    if element is None:
        return
    tag, counter = element
    counts[counter] += 1
    if tag == "skipped":
        child = ET.SubElement(case, tag, message=printable(skipped_message(result)))
    else:
        child = ET.SubElement(case, tag, message=printable(f"[{result.severity.value}] {result.title}"),
                              type=result.severity.value)
    child.text = printable(case_text(result), keep_newlines=True)


def area_suite(area: Area, results: tuple[Result, ...], timestamp: str) -> ET.Element:
    suite = ET.Element("testsuite", name=area.value, timestamp=timestamp)
    counts = dict.fromkeys(_COUNTERS, 0)
    for result in results:
        _case(suite, result, counts)
    for key in _COUNTERS:
        suite.set(key, str(counts[key]))
    return suite


def write_junit(report: AuditReport, out: TextIO) -> None:
    shown = report.printable()
    suites = ET.Element("testsuites", name="tier3 audit")
    totals = dict.fromkeys(_COUNTERS, 0)
    for area in Area:
        mine = sorted_results(r for r in shown.results if r.area is area)
        if not mine:
            continue
        suite = area_suite(area, mine, shown.provenance.generated_at)
        suites.append(suite)
        for key in _COUNTERS:
            totals[key] += int(suite.get(key, "0"))
    for key in _COUNTERS:
        suites.set(key, str(totals[key]))
    ET.indent(suites)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(suites, encoding="unicode"))
    out.write("\n")
