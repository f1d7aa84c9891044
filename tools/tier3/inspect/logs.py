"""Log kinds of ``tier3 inspect``: ``journald``, the journal's configuration as systemd merges it.

- ``journald``: ``/etc/systemd/journald.conf`` and the drop-ins of ``journald.conf.d`` under ``/etc``,
  ``/run``, ``/usr/local/lib`` and ``/usr/lib`` (SOURCE: one saved file, or ``-``; the host evidence
  module reads them all and the controller merges them in systemd's order). Facts only: storage and
  retention are for T3-OBS-LOG-*.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tier3.inspect import Evidence, InspectOptions, Kind
from tier3.model import Finding
from tier3.parsers import journald
from tier3.parsers.journald import SIZE_KEYS


def _parse(raw: Any, source: str, _options: InspectOptions) -> journald.JournaldConfig:
    return journald.parse_journald(raw, source)


def journald_report(facts: journald.JournaldConfig, _findings: Sequence[Finding], _raw: Any) -> dict[str, Any]:
    retention = facts.max_retention_s
    return {"files": list(facts.files), "storage": facts.storage,
            "max_retention_days": None if retention is None else round(retention / 86400, 3),
            "sizes": {k: facts.size_bytes(k) for k in SIZE_KEYS if k in facts.settings},
            "settings": facts.shown(sorted(facts.settings))}


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("journald", "journald's storage and retention from journald.conf and its drop-ins, merged", "facts",
         evidence=(Evidence(path=journald.MAIN),
                   *(Evidence(path=f"{d}/*.conf") for d in journald.DROPIN_DIRS)),
         parse=_parse, report=journald_report,
         described=lambda facts, how: how or " + ".join(facts.files)),
)}
