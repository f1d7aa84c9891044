"""The audit as JSON: ``AuditReport.to_dict()``, the document the versioned schema describes
(tier3/audit/schema/audit-report-v1.json, ``$id`` ``tier3.audit.model.SCHEMA_ID``).

Values are kept exact: a control character in a subject is JSON's ``\\u0001``, not an escape of ours, so a
program reading the JSON sees what the host or the inventory said. ``schema()`` loads the schema shipped
with the package, for a consumer (or a test) that validates a document.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, TextIO

from tier3.audit.model import AuditReport

SCHEMA_FILE = "schema/audit-report-v1.json"


def write_json(report: AuditReport, out: TextIO) -> None:
    json.dump(report.to_dict(), out, indent=2)
    out.write("\n")


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the document ``write_json`` prints."""
    text = resources.files("tier3.audit").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded
