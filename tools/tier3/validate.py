"""The validate conductor: read an inventory, check its schema and references, run the declared rules.

``validate(path)`` is what ``tier3 validate`` and the Ansible action plugin ``tier3_preflight``
both call (the action with every ``-i`` source of the run, read as the one inventory Ansible
merges them into); ``Validation.report()`` hands the result to any writer of ``tier3.report``
(text, json, junit, html). Nothing is touched: the inventory is only read.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tier3.errors import InventoryError
from tier3.model import Finding, Location, Status, Topology
from tier3.model.waiver import Waiver
from tier3.report import Check, InventorySize, Report, build_report, format_text, summary_line
from tier3.schema.errors import InventorySchemaErrors
from tier3.schema.sources import load_sources

__all__ = ["Validation", "failed", "format_text", "summary", "validate"]


@dataclass(frozen=True)
class Validation:
    """One inventory checked: its topology, the findings of the declared rules, the loader's notes."""

    topology: Topology
    findings: tuple[Finding, ...]  # as the rules return them: by rule id, then subject
    notes: tuple[str, ...] = ()  # what the loader skipped and why (vault-encrypted files, stray host_vars)
    checks: tuple[Check, ...] = ()  # the rules that ran, whether or not they found anything

    @property
    def failed(self) -> list[Finding]:
        return failed(self.findings)

    def summary(self, extra: str = "") -> str:
        return summary(self.topology, self.findings, extra)

    def report(self) -> Report:
        """The report every writer takes (findings worst first; the text writer reorders by rule id)."""
        return build_report(
            self.findings,
            title=f"tier3 validate {self.topology.source}",
            source=self.topology.source,
            checks=self.checks,
            inventory=InventorySize.of(self.topology),
        )


def validate(path: str | Path | Sequence[str | Path]) -> Validation:
    """Load and check the inventory at ``path``, or the one inventory several sources make together
    (``ansible -i A -i B``: hosts, groups and vars files of all of them; ``tier3.schema.sources``).

    Raises ``InventoryError`` (``InventorySchemaErrors`` for many) on bad input; the rules run only
    once the inventory is good.
    """
    from tier3.rules import RULES, evaluate, select  # noqa: PLC0415  (the rules load only once the inventory is good)

    loaded = load_sources([path] if isinstance(path, str | os.PathLike) else path)
    unknown = [unknown_rule(w) for w in loaded.topology.waivers if w.rule_id not in RULES]
    if unknown:
        raise InventorySchemaErrors(loaded.topology.source, unknown)
    checks = tuple(Check(rule.id, rule.title, rule.severity) for rule in select())
    return Validation(loaded.topology, tuple(evaluate(loaded.topology)), loaded.notes, checks)


def unknown_rule(waiver: Waiver) -> InventoryError:
    where = waiver.location or Location("tier3_waivers", "")
    return InventoryError(where.file, f"{where.key}.rule", f"no rule {waiver.rule_id} in the catalogue",
                          hint="waive a rule tier3 rules lists, by its id and the finding's subject")


def failed(findings: Sequence[Finding]) -> list[Finding]:
    """The findings that fail a run (status fail or error)."""
    return [f for f in findings if f.status in (Status.FAIL, Status.ERROR)]


def summary(topology: Topology, findings: Sequence[Finding], extra: str = "") -> str:
    """``inventory/example: 24 hosts, 2 sites: clean`` (or the number of rule violations, then ``extra``)."""
    return summary_line(topology.source, InventorySize.of(topology), len(failed(findings)), extra)
