"""``write_html(report, out)``: the audit as one self-contained HTML page, for the auditor's screen and print.

Everything is inline: the CSS, the summary charts (SVG drawn here), the site picture (the report's own
SVG, embedded only once it parses as one ``<svg>`` with no script, event handler or link), and a few
lines of JavaScript for the framework filter. The page is complete without the script: every result
is in it with its rationale, fix and evidence, nothing is folded away (a printout shows all of it),
and the filter only hides what the reader asked it to. Text is the report's ``printable()`` copy
(control characters as ``\\xNN``), escaped by Jinja's autoescape; the template is
tools/tier3/audit/templates/audit.html.j2.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, TextIO

import jinja2
from markupsafe import Markup

from tier3.audit.model import (
    OUTCOMES,
    SCHEMA_VERSION,
    Area,
    AuditReport,
    DrillSummary,
    Outcome,
    Result,
    sorted_results,
)
from tier3.model.waiver import Waiver
from tier3.printable import printable

SVG = "{http://www.w3.org/2000/svg}"
# outcome -> colour, the same in the charts, the badges and the verdict (pass green, fail red as the house reports)
COLOURS = {Outcome.PASS: "#1a7f37", Outcome.FAIL: "#b00020", Outcome.ERROR: "#8a2be2",
           Outcome.WAIVED: "#6b7280", Outcome.NOT_EVALUATED: "#b7791f"}
CHART_ORDER = (Outcome.FAIL, Outcome.ERROR, Outcome.WAIVED, Outcome.NOT_EVALUATED, Outcome.PASS)  # worst at the left
MANIFEST_COLUMNS = ("id", "host", "kind", "sha256", "file", "size")
EVERY_FRAMEWORK = "*"  # a result that supports no control (the input could not be read) concerns every framework
UNSAFE_TAGS = frozenset({"script", "foreignObject", "iframe", "object", "embed", "a", "image", "use", "style"})


@dataclass(frozen=True)
class Shown:
    """A result as the page lists it: its anchor, and the frameworks its controls belong to."""

    anchor: str
    result: Result
    frameworks: str  # space separated keys, or EVERY_FRAMEWORK

    @property
    def evidence_json(self) -> str:
        return json.dumps(self.result.evidence, indent=2, sort_keys=True, default=str) if self.result.evidence else ""


@dataclass(frozen=True)
class WaiverShown:
    waiver: Waiver
    state: str  # "in force until ...", "expired on ..."
    expired: bool
    used_by: tuple[Shown, ...]  # the results it waived


def write_html(report: AuditReport, out: TextIO) -> None:
    source = resources.files("tier3.audit").joinpath("templates/audit.html.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    out.write(env.from_string(source).render(page(report.printable())))


def page(report: AuditReport) -> dict[str, Any]:
    """What the template prints, from a report already made printable."""
    shown = [Shown(f"result-{i + 1}", r, _frameworks(report, r)) for i, r in enumerate(sorted_results(report.results))]
    by_area = [(area.value, [s for s in shown if s.result.area is area]) for area in Area]
    today = _day(report.provenance.generated_at)
    diagram, diagram_note = embeddable(report.diagram)
    return {
        "report": report, "verdict": report.verdict.value, "counts": report.counts,
        "outcomes": [o.value for o in OUTCOMES], "colours": {o.value: c for o, c in COLOURS.items()}, "shown": shown,
        "areas": [(name, report.by_area()[name], items) for name, items in by_area if items],
        "framework_rows": [(fw, report.by_framework()[fw.key]) for fw in report.scope.frameworks],
        "area_chart": chart_svg("Results by area", list(report.by_area().items())),
        "framework_chart": chart_svg("Results by framework",
                                     [(fw.name, counts) for fw, counts in
                                      ((f, report.by_framework()[f.key]) for f in report.scope.frameworks)]),
        "controls": [(status, [s for s in shown if status.control.id in s.result.controls])
                     for status in report.control_statuses()],
        "hosts": [(host, [s for s in shown if s.result.host == host.name]) for host in report.scope.hosts],
        "waivers": [_waiver(w, today, shown) for w in report.waivers],
        "manifest_columns": _columns(report.evidence), "diagram": diagram, "diagram_note": diagram_note,
        "drills": [_drill(d) for d in report.drills], "schema_version": SCHEMA_VERSION,
    }


def _drill(drill: DrillSummary) -> DrillSummary:
    """printable() leaves the drills as read; their names and paths come from files, so they are escaped here."""
    return dataclasses.replace(drill, name=printable(drill.name), ran_at=printable(drill.ran_at),
                               source=printable(drill.source))


def _frameworks(report: AuditReport, result: Result) -> str:
    keys = sorted({report.framework_of(c) for c in result.controls})
    return " ".join(keys) or EVERY_FRAMEWORK


def _day(stamp: str) -> dt.date:
    try:
        return dt.date.fromisoformat(stamp[:10])
    except ValueError:
        return dt.datetime.now(dt.UTC).date()


def _waiver(waiver: Waiver, today: dt.date, shown: Sequence[Shown]) -> WaiverShown:
    expired = waiver.expired(today)
    state = f"expired on {waiver.expires.isoformat()}" if expired else f"in force until {waiver.expires.isoformat()}"
    used = tuple(s for s in shown if s.result.waiver is not None and s.result.outcome is Outcome.WAIVED
                 and (s.result.waiver.rule_id, s.result.waiver.subject) == (waiver.rule_id, waiver.subject))
    return WaiverShown(waiver, state, expired, used)


def _columns(entries: Sequence[Mapping[str, Any]]) -> list[str]:
    """The manifest's columns: the usual ones first, then any other key an entry has, in order of appearance."""
    seen = dict.fromkeys(k for e in entries for k in e)
    return [k for k in MANIFEST_COLUMNS if k in seen] + [k for k in seen if k not in MANIFEST_COLUMNS]


def embeddable(svg: str) -> tuple[Markup, str]:
    """The site picture as markup to inline, or nothing and why: it must parse as one ``<svg>`` with no
    script, foreign content, link, event handler or outside reference, since the page inlines it raw."""
    if not svg.strip():
        return Markup(""), "no site picture in this report"
    try:
        root = ET.fromstring(svg)
    except ET.ParseError as exc:
        return Markup(""), f"the site picture was left out: it is not well-formed SVG ({exc})"
    if root.tag != f"{SVG}svg":
        return Markup(""), "the site picture was left out: it is not an <svg> element"
    for element in root.iter():
        tag = str(element.tag).removeprefix(SVG)
        bad = [a for a in element.attrib if a.lower().startswith("on") or "href" in a.lower()]
        if tag in UNSAFE_TAGS or "}" in tag or bad:
            return Markup(""), f"the site picture was left out: it holds {tag} {' '.join(bad)}".rstrip()
    return Markup(svg), ""  # parsed above: SVG with no active content


def chart_svg(title: str, rows: Sequence[tuple[str, Mapping[str, int]]]) -> Markup:
    """Stacked horizontal bars, one per row (area or framework), each outcome's share of the row's results,
    the counts printed beside: readable in print without colour."""
    label_w, bar_w, row_h = 190.0, 330.0, 22.0
    root = ET.Element("svg", {"xmlns": SVG[1:-1], "viewBox": f"0 0 760 {row_h * len(rows) + 28:g}",
                              "role": "img", "class": "chart", "font-family": "sans-serif", "font-size": "12"})
    ET.SubElement(root, "title").text = title
    for i, (name, counts) in enumerate(rows):
        y = 4 + i * row_h
        total = sum(counts.get(o.value, 0) for o in CHART_ORDER)
        label = ET.SubElement(root, "text", {"x": "0", "y": f"{y + 14:g}"})
        label.text = name if len(name) <= 30 else name[:29] + "\u2026"
        x = label_w
        for outcome in CHART_ORDER:
            count = counts.get(outcome.value, 0)
            if not count:
                continue
            w = bar_w * count / total
            segment = ET.SubElement(root, "rect", {"x": f"{x:.1f}", "y": f"{y + 2:g}", "width": f"{w:.1f}",
                                                   "height": f"{row_h - 6:g}", "fill": COLOURS[outcome]})
            ET.SubElement(segment, "title").text = f"{name}: {count} {outcome.value}"
            x += w
        said = ", ".join(f"{counts.get(o.value, 0)} {o.value}" for o in CHART_ORDER if counts.get(o.value, 0))
        ET.SubElement(root, "text", {"x": f"{label_w + bar_w + 8:g}", "y": f"{y + 14:g}"}).text = said or "no results"
    legend_y = 4 + len(rows) * row_h + 4
    for j, outcome in enumerate(CHART_ORDER):
        ET.SubElement(root, "rect", {"x": f"{j * 130:g}", "y": f"{legend_y:g}", "width": "12", "height": "12",
                                     "fill": COLOURS[outcome]})
        ET.SubElement(root, "text", {"x": f"{j * 130 + 16:g}", "y": f"{legend_y + 10:g}"}).text = outcome.value
    return Markup(ET.tostring(root, encoding="unicode"))  # built here: ElementTree escaped every text
