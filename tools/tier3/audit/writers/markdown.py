"""The audit as summary.md, for a pull request or a ticket: the verdict line first, then the counts per area
and per framework, what failed or errored (rule, subject, message, fix, controls), what is waived (with its
justification and expiry), what was not evaluated (how many, which rules), the drills, the notes, and the
provenance of the run.

Every value is escaped as it goes into a table cell: control characters as ``\\xNN`` (``printable``), ``|``
as ``\\|``, so a subject or a message from a host can neither break a table nor act on a terminal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TextIO

from tier3.audit.model import OUTCOMES, AuditReport, DrillSummary, Outcome, Result, sorted_results
from tier3.printable import printable


def cell(value: object) -> str:
    """``value`` as one Markdown table cell: control characters escaped, ``|`` escaped, never empty."""
    text = printable(str(value)).replace("|", "\\|")
    return text if text.strip() else "-"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(cell(v) for v in row) + " |" for row in rows)
    return lines


def verdict_line(report: AuditReport) -> str:
    counts = report.counts
    failed = counts[Outcome.FAIL.value] + counts[Outcome.ERROR.value]
    parts = ", ".join(f"{counts[o.value]} {o.value}" for o in OUTCOMES)
    return (f"**Verdict: {report.verdict.value.upper()}**: {failed} of {len(report.results)} results failed or "
            f"errored ({parts}).")


def _counts_table(first: str, counted: Mapping[str, Mapping[str, int]], names: Mapping[str, str]) -> list[str]:
    rows = [[names.get(key, key), *(by.get(o.value, 0) for o in OUTCOMES)] for key, by in counted.items()]
    return table([first, *(o.value for o in OUTCOMES)], rows)


def _failed(results: Sequence[Result]) -> list[str]:
    rows = [[r.outcome.value, r.severity.value, r.rule_id, r.subject, r.message or r.title,
             r.hint + (f" ({r.waiver_note})" if r.waiver_note else ""), ", ".join(r.controls)] for r in results]
    return table(["outcome", "severity", "rule", "subject", "message", "fix", "controls"], rows)


def _waived(results: Sequence[Result]) -> list[str]:
    rows = [[r.rule_id, r.subject, r.waiver.justification, r.waiver.owner, r.waiver.expires.isoformat(),
             r.waiver.ticket] for r in results if r.waiver is not None]
    return table(["rule", "subject", "justification", "owner", "expires", "ticket"], rows)


def _not_evaluated(results: Sequence[Result]) -> list[str]:
    rule_ids = sorted({r.rule_id for r in results})
    return [f"{plural(len(results), 'result')} ({plural(len(rule_ids), 'rule')}) judged nothing: "
            f"{', '.join(cell(i) for i in rule_ids)}."]


def _drill_row(d: DrillSummary) -> list[object]:
    def shown(value: float | int | None, unit: str = "") -> str:
        return "-" if value is None else f"{value}{unit}"

    return [d.name, d.ran_at, shown(d.takeover_s, " s"), shown(d.rto_s, " s"), shown(d.lost), shown(d.rpo_messages),
            d.outcome.value, d.source]


def _provenance(report: AuditReport) -> list[str]:
    p = report.provenance
    commit = p.inventory_commit or "not in git"
    rows: list[list[object]] = [["tool", f"tier3 {p.tool_version}"], ["generated at", p.generated_at],
            ["inventory", ", ".join(p.inventory)],
            ["inventory commit", commit + (" (uncommitted changes)" if p.inventory_dirty else "")],
            ["operator", p.operator], ["command", p.command],
            ["sites", ", ".join(report.scope.sites)],
            ["hosts", f"{len(report.scope.hosts)} ({sum(h.reached for h in report.scope.hosts)} gave evidence)"],
            ["evidence items", len(report.evidence)]]
    return table(["what", "value"], rows)


def _section(title: str, body: list[str]) -> list[str]:
    return ["", f"## {title}", "", *body]


def summary_lines(report: AuditReport) -> list[str]:
    results = sorted_results(report.results)
    failed = [r for r in results if r.outcome in (Outcome.FAIL, Outcome.ERROR)]
    waived = [r for r in results if r.outcome is Outcome.WAIVED]
    skipped = [r for r in results if r.outcome is Outcome.NOT_EVALUATED]
    names = {f.key: f"{f.key} ({f.name})" for f in report.scope.frameworks}
    lines = [f"# tier3 audit: {report.verdict.value}", "", verdict_line(report)]
    lines += _section("Results by area", _counts_table("area", report.by_area(), {}))
    lines += _section("Results by framework", _counts_table("framework", report.by_framework(), names))
    lines += _section(f"Failed and errored ({len(failed)})", _failed(failed) if failed else ["None."])
    lines += _section(f"Waived ({len(waived)})", _waived(waived) if waived else ["None."])
    lines += _section(f"Not evaluated ({len(skipped)})", _not_evaluated(skipped) if skipped else ["None."])
    if report.drills:
        lines += _section("Drills", table(["drill", "ran at", "takeover", "RTO", "lost", "RPO", "outcome", "report"],
                                          [_drill_row(d) for d in report.drills]))
    if report.notes:
        lines += _section("Notes", [f"- {printable(n)}" for n in report.notes])
    lines += _section("Provenance", _provenance(report))
    return lines


def write_markdown(report: AuditReport, out: TextIO) -> None:
    out.write("\n".join(summary_lines(report.printable())) + "\n")
