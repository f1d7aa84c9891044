"""DNS kind of ``tier3 inspect``: ``dns-answers``, the mail domains' authoritative servers as the controller
asked them (``tier3.probe.dns``; ``tier3 check`` asks them live in its site step).

SOURCE is a saved JSON list of the probe's records (``tier3.parsers.dnsanswers``), each question with
the answer the inventory makes it expect. Facts per server and zone: whether it answered, with
authority, the serial, and each record observed against the one expected.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tier3.inspect import InspectOptions, Kind
from tier3.model import Finding
from tier3.parsers import dnsanswers


def _parse(raw: Any, source: str, _options: InspectOptions) -> dnsanswers.DnsAnswers:
    return dnsanswers.parse_dns_answers(raw, source)


def dns_report(facts: dnsanswers.DnsAnswers, _findings: Sequence[Finding], _raw: Any) -> dict[str, Any]:
    return {"servers": [{
        "server": s.server, "address": s.address, "port": s.port, "answered": s.answered, "error": s.error,
        "zones": [{"zone": z.zone, "authoritative": z.served, "serial": z.soa.serial, "records": [
            {"record": a.label, "expected": None if a.expected is None else list(a.expected),
             "observed": list(a.data), "transport": a.transport, "error": a.error,
             **({"certificates": [{"source": c.source, "address": c.address, "spki_sha256": c.spki_sha256}
                                  for c in a.certificates]} if a.type == "TLSA" else {})}
            for a in z.answers]} for z in s.zones],
    } for s in facts.servers]}


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("dns-answers", "the mail domains' authoritative servers asked from the controller: every record, serials",
         "facts", evidence=(), parse=_parse, report=dns_report,
         described=lambda _f, how: how or "tier3 probe dns records"),
)}
