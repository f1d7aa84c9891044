"""``tier3 availability`` output: text for people, JSON (``tier3-availability/1``) for tools, HTML
for the audit binder. One ``AvailabilityReport`` in, one writer per format, keyed by name.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, TextIO

from tier3 import __version__
from tier3.availability import CutSet, ServiceAvailability
from tier3.availability.figures import downtime, nines, percent, target_percent
from tier3.model.finding import utc_now

SCHEMA = "tier3-availability/1"


@dataclass(frozen=True)
class AvailabilityReport:
    source: str  # the inventory
    results: tuple[ServiceAvailability, ...]
    baseline: tuple[ServiceAvailability, ...] = ()  # before the --what-if changes (same services), or ()
    what_if: tuple[str, ...] = ()
    top: int = 5  # cut sets shown per service
    generated_at: str = field(default_factory=utc_now)

    def before(self, name: str) -> ServiceAvailability | None:
        return next((b for b in self.baseline if b.name == name), None)


def seconds(value: float) -> str:
    """An RTO as people write it: 60 s, 5 min, 4 h."""
    if value >= 7200:
        return f"{value / 3600:g} h"
    if value >= 120:
        return f"{value / 60:g} min"
    return f"{value:g} s"


def _verdict(result: ServiceAvailability) -> str:
    target = result.target
    if target is None:
        return "no target"
    parts = []
    if target.availability is not None:
        met = "met" if result.meets_availability else "NOT MET"
        parts.append(f"target {target_percent(target.availability)}: {met}")
    if target.rto_seconds is not None:
        breaches = len(result.rto_breaches)
        verdict = f"NOT MET ({breaches} single point(s))" if breaches else "met"
        parts.append(f"RTO {seconds(target.rto_seconds)}: {verdict}")
    return "; ".join(parts)


def _paths(result: ServiceAvailability) -> list[str]:
    structure = result.structure
    out = []
    for site, alt in zip(structure.sites, structure.alternatives, strict=True):
        stages = " -> ".join(f"{structure.stages[i].name} ({len(structure.stages[i].members)})" for i in alt)
        out.append(f"{site}: {stages}")
    return out


def write_text(report: AvailabilityReport, out: TextIO) -> None:
    heading = f"tier3 availability {report.source}"
    out.write(heading + "\n")
    for change in report.what_if:
        out.write(f"  what if: {change}\n")
    for result in report.results:
        out.write("\n")
        line = (f"{result.name:<11} {percent(result.availability):>15}  ({nines(result.unavailability):.1f} nines)  "
                f"{downtime(result.downtime_minutes_per_year)} down a year  {_verdict(result)}")
        out.write(line + "\n")
        before = report.before(result.name)
        if before is not None:
            delta = result.downtime_minutes_per_year - before.downtime_minutes_per_year
            sign = "+" if delta >= 0 else "-"
            out.write(f"  before: {percent(before.availability)}, {downtime(before.downtime_minutes_per_year)} down a "
                      f"year; the change: {sign}{downtime(abs(delta))} a year\n")
        if not result.structure.alternatives:
            out.write("  no site serves it: no host of the group that runs it\n")
            continue
        out.write("  paths (any one suffices; members in brackets):\n")
        for path in _paths(result):
            out.write(f"    {path}\n")
        out.write("  top cut sets (share of the expected downtime):\n")
        for cut in result.cut_sets[: report.top]:
            out.write(f"    {100 * cut.share:6.2f} %  {cut.label}\n")
        singles = result.single_points
        out.write("  single points of failure: " + (", ".join(c.label for c in singles) if singles else "none") + "\n")
        for note in result.structure.notes:
            out.write(f"  note: {note}\n")
        if result.truncated:
            out.write("  note: the cut-set search raised its cut-off to stay within memory; the figure is exact\n")


def _cut(cut: CutSet) -> dict[str, Any]:
    return {
        "events": [{"id": e.id, "kind": e.kind, "name": e.name, "unavailability": e.q, "mttr_hours": e.mttr_hours}
                   for e in cut.events],
        "probability": cut.probability,
        "share": cut.share,
    }


def _service(result: ServiceAvailability, top: int) -> dict[str, Any]:
    target = result.target
    structure = result.structure
    return {
        "service": result.service,
        "home_site": result.home or None,
        "name": result.name,
        "availability": result.availability,
        "unavailability": result.unavailability,
        "downtime_minutes_per_year": result.downtime_minutes_per_year,
        "nines": None if result.unavailability <= 0 else nines(result.unavailability),
        "paths": [{"site": site, "stages": [{"name": structure.stages[i].name,
                                             "members": [m.name for m in structure.stages[i].members]} for i in alt]}
                  for site, alt in zip(structure.sites, structure.alternatives, strict=True)],
        "events": len(structure.events),
        "target": None if target is None else {"availability": target.availability, "rto_seconds": target.rto_seconds},
        "meets_availability": result.meets_availability,
        "rto_breaches": [_cut(c) for c in result.rto_breaches],
        "cut_sets": [_cut(c) for c in result.cut_sets[:top]],
        "single_points": [_cut(c) for c in result.single_points],
        "notes": list(structure.notes),
        "cut_sets_truncated": result.truncated,
    }


def to_dict(report: AvailabilityReport) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "tool": {"name": "tier3", "version": __version__},
        "generated_at": report.generated_at,
        "inventory": report.source,
        "what_if": list(report.what_if),
        "services": [_service(r, report.top) for r in report.results],
        "baseline": [_service(b, report.top) for b in report.baseline],
    }


def write_json(report: AvailabilityReport, out: TextIO) -> None:
    json.dump(to_dict(report), out, indent=2)
    out.write("\n")


def write_html(report: AvailabilityReport, out: TextIO) -> None:
    import jinja2  # noqa: PLC0415  (only the HTML writer needs it)

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["percent"] = percent
    env.filters["downtime"] = downtime
    source = resources.files("tier3.report").joinpath("templates/availability.html.j2").read_text(encoding="utf-8")
    out.write(env.from_string(source).render(report=report, data=to_dict(report), verdict=_verdict))


WRITERS: dict[str, Callable[[AvailabilityReport, TextIO], None]] = {
    "text": write_text,
    "json": write_json,
    "html": write_html,
}
