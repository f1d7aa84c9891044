"""Ask the mail domains' authoritative servers from the controller, with dnspython: the socket edge of the
observed DNS rules.

Only the servers of the plan are ever contacted (``DnsPlan.servers``: the hosts of group dns, at the
addresses the inventory gives them): never a recursive resolver, never any other address. Each
question goes over UDP (EDNS, a 1232-byte payload, recursion not desired) and again over TCP when the
answer comes back truncated; ``timeout`` seconds a query. A server whose first answer does not come
(timed out, refused, unreachable) is asked nothing more: one record says so. A question that fails on a
server that answers others is recorded with its error.

The result is a list of records, one per server (JSON-ready; ``tier3.parsers.dnsanswers`` reads them)::

    {"server": "dns1", "address": "10.89.30.31", "port": 53, "queried_at": 1796125135.2, "answered": true,
     "error": "", "zones": [{"zone": "lab.tier3.test",
       "soa": {"rcode": "NOERROR", "authoritative": true, "transport": "udp", "serial": 2027010101, "error": ""},
       "answers": [{"name": "lab.tier3.test", "type": "MX", "role": "", "match": "exact",
                    "expected": ["10 mx-lab.lab.tier3.test."], "addresses": [], "certificates": [],
                    "rcode": "NOERROR", "authoritative": true, "transport": "udp",
                    "data": ["10 mx-lab.lab.tier3.test."], "error": ""}, ...]}]}

``data`` is each record's presentation form, lower case (TXT: its strings joined, as a receiver reads
it). Facts only, expectations carried along: the rules of ``tier3.rules.observed.dns`` judge them.
``with_served_certificates`` adds to each TLSA question the SPKI digests of the certificates the
listener probe saw served on its MX name's addresses.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, Final

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.SOA

from tier3.probe.dns_expected import TLSA_PORT, DnsPlan, NameServer, Question, ZonePlan

DEFAULT_TIMEOUT: Final = 2.0  # seconds a query: an authoritative server answers from memory
EDNS_PAYLOAD: Final = 1232  # the DNS flag day 2020 size: no IP fragmentation, TCP beyond


def _error(exc: BaseException) -> str:
    if isinstance(exc, dns.exception.Timeout):
        return "timed out"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {exc}"


def _data(response: dns.message.Message, name: str, rtype: str) -> list[str]:
    """The answer's records of exactly ``name`` and ``rtype``, in presentation form (TXT: the text)."""
    found = response.get_rrset(response.answer, dns.name.from_text(name), dns.rdataclass.IN,
                               dns.rdatatype.from_text(rtype))
    if found is None:
        return []
    if rtype == "TXT":
        return sorted(b"".join(r.strings).decode("utf-8", "replace") for r in found)
    return sorted(" ".join(r.to_text().lower().split()) for r in found)


def ask(server: NameServer, name: str, rtype: str, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
    """One question to one server: rcode, AA, transport, the records (and the serial for SOA), or the error."""
    query = dns.message.make_query(name, rtype, use_edns=0, payload=EDNS_PAYLOAD)
    query.flags &= ~dns.flags.RD
    out: dict[str, Any] = {"rcode": "", "authoritative": False, "transport": "", "data": [], "error": ""}
    try:
        response, used_tcp = dns.query.udp_with_fallback(query, server.address, timeout=timeout, port=server.port)
    except (dns.exception.DNSException, OSError, EOFError, ValueError) as exc:
        out["error"] = _error(exc)
        return out
    out.update(rcode=dns.rcode.to_text(response.rcode()), authoritative=bool(response.flags & dns.flags.AA),
               transport="tcp" if used_tcp else "udp", data=_data(response, name, rtype))
    if rtype == "SOA":
        rrset = response.get_rrset(response.answer, dns.name.from_text(name), dns.rdataclass.IN,
                                   dns.rdatatype.SOA)
        first = next(iter(rrset), None) if rrset is not None else None
        out["serial"] = int(first.serial) if isinstance(first, dns.rdtypes.ANY.SOA.SOA) else None
    return out


def _zone(server: NameServer, plan: ZonePlan, soa: dict[str, Any], timeout: float) -> dict[str, Any]:
    answers = [{**q.to_dict(), **ask(server, q.name, q.type, timeout)} for q in plan.questions if q.type != "SOA"]
    return {"zone": plan.zone, "soa": soa, "answers": answers}


def probe_server(server: NameServer, zones: Sequence[ZonePlan], timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
    """Every question of every zone to one server, as one record."""
    record: dict[str, Any] = {"server": server.host, "address": server.address, "port": server.port,
                              "queried_at": round(time.time(), 3), "answered": False, "error": "", "zones": []}
    if not server.address:
        record["error"] = "no address known on the controller (facts, tier3_lab_address or ansible_host)"
        return record
    for plan in zones:
        soa = ask(server, plan.zone, "SOA", timeout)
        if not record["answered"]:  # the first answer decides whether the server is there at all
            if soa["error"]:
                record["error"] = soa["error"]
                return record
            record["answered"] = True
        record["zones"].append(_zone(server, plan, soa, timeout))
    return record


def probe_dns(plan: DnsPlan, timeout: float = DEFAULT_TIMEOUT) -> list[dict[str, Any]]:
    """``probe_server`` on each server of the plan, in order."""
    return [probe_server(server, plan.zones, timeout) for server in plan.servers]


def served_certificates(listener_records: Sequence[Mapping[str, Any]], port: int = TLSA_PORT,
                        ) -> dict[str, list[str]]:
    """Address -> the SPKI SHA-256 of the certificate each SMTP listener probe (``port``, 25) saw served there."""
    out: dict[str, list[str]] = {}
    for record in listener_records:
        cert = record.get("certificate") or {}
        digest = cert.get("spki_sha256") if isinstance(cert, Mapping) else None
        if record.get("port") == port and digest:
            out.setdefault(str(record.get("address")), []).append(str(digest).lower())
    return out


def with_served_certificates(records: list[dict[str, Any]], served: Mapping[str, Sequence[str]],
                             ) -> list[dict[str, Any]]:
    """The DNS records with each TLSA question's ``certificates`` holding what was served on its addresses."""
    for record in records:
        for zone in record.get("zones") or []:
            for answer in zone.get("answers") or []:
                if answer.get("type") != "TLSA":
                    continue
                seen = [{"address": a, "spki_sha256": d, "source": "served"}
                        for a in answer.get("addresses") or [] for d in served.get(a, [])]
                answer["certificates"] = [*seen, *(answer.get("certificates") or [])]
    return records


__all__ = ["DEFAULT_TIMEOUT", "DnsPlan", "NameServer", "Question", "ZonePlan", "ask", "probe_dns", "probe_server",
           "served_certificates", "with_served_certificates"]
