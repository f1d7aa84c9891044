"""A host's observed findings as node exporter textfile metrics (``tier3_findings.prom``).

``tier3 check`` judges on the controller; playbooks/check.yml writes this text into each host's textfile
directory (roles/monitoring_agent), so Prometheus sees tier3's own verdicts beside the host's figures and the
redundancy-lost alert fires on them. One sample per open finding (``fail`` or ``error``), with the rule, the
subject, the severity and whether the rule means "not redundant" (``breaks_redundancy``); passes are not
exported (a finding that goes away is a series that ends, and the alert resolves).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tier3.rules import RULES

OPEN = frozenset({"fail", "error"})


def _label(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def findings_textfile(findings: Iterable[Mapping[str, Any]], now: float) -> str:
    """The textfile for one host's findings (``Finding.to_dict`` shapes), deterministic but for ``now``."""
    lines = ["# HELP tier3_check_timestamp_seconds when tier3 check last judged this host",
             "# TYPE tier3_check_timestamp_seconds gauge", f"tier3_check_timestamp_seconds {int(now)}",
             "# HELP tier3_finding an open finding of tier3 check on this host (1 while it stands)",
             "# TYPE tier3_finding gauge"]
    seen: set[tuple[str, str]] = set()
    for finding in sorted(findings, key=lambda f: (str(f["rule_id"]), str(f["subject"]))):
        key = (str(finding["rule_id"]), str(finding["subject"]))
        if finding.get("status") not in OPEN or key in seen:
            continue
        seen.add(key)
        rule = RULES.get(key[0])
        breaks = "true" if rule is not None and rule.breaks_redundancy else "false"
        lines.append(f'tier3_finding{{breaks_redundancy="{breaks}",rule="{_label(key[0])}",'
                     f'severity="{_label(finding.get("severity", ""))}",subject="{_label(key[1])}"}} 1')
    return "\n".join(lines) + "\n"
