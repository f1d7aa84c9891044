"""Observed rules over the mail domains' authoritative servers as the controller asked them (kind
``dns-answers``: ``DnsAnswers``, the records of ``tier3.probe.dns`` read by ``tier3.parsers.dnsanswers``):
T3-OBS-DNS-001..007.

Each question carries the answer the zone generator makes the inventory publish, so the rules compare
what each server said with it. Preconditions keep one defect reported once: a server that does not
answer, or not with authority for a zone, is T3-OBS-DNS-001's and nothing else is judged there; a
record that is missing is T3-OBS-DNS-002's; a record that is there but wrong is the rule of its role
(SPF -004, DKIM -005, DMARC -006, TLSA -007) when that rule finds it wrong, T3-OBS-DNS-002's otherwise.
Every finding names the server, the record and "expected X, observed Y".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tier3.dns.spf import MAX_LOOKUPS, spf_lookups
from tier3.model import Severity
from tier3.model.mail import DMARC_POLICIES
from tier3.parsers.dnsanswers import Answer, DnsAnswers, ServerAnswers, ZoneAnswers
from tier3.rules._registry import Category, Context, Violation, observed
from tier3.rules.dns import MAIL_CONTROLS
from tier3.rules.observed.dns_records import dmarc_records, dmarc_strength, holds, spf_problems, spf_records, tags
from tier3.rules.observed.listener import TLS_CONTROLS
from tier3.rules.observed.mail import AVAILABILITY_CONTROLS

DNS_CONTROLS = (*MAIL_CONTROLS, "NIST-800-53:SC-20")
DNS: dict[str, Any] = {"kinds": ("dns-answers",), "category": Category.DNS, "controls": DNS_CONTROLS,
                       "breaks_redundancy": False}


def _shown(values: tuple[str, ...] | list[str] | None) -> str:
    if values is None:
        return "(not known on the controller)"
    return " | ".join(values) if values else "nothing"


def _observed(a: Answer) -> str:
    if a.error:
        return f"no answer ({a.error})"
    if not a.data:
        return f"nothing ({a.rcode or 'no rcode'}{'' if a.authoritative else ', not authoritative'})"
    return _shown(list(a.data))


def _judged(facts: DnsAnswers) -> Iterator[tuple[ServerAnswers, ZoneAnswers]]:
    """Every (server, zone) the server answers for with authority: what the content rules judge."""
    for server in facts.servers:
        if server.answered:
            for zone in server.zones:
                if zone.served:
                    yield server, zone


def _answers(facts: DnsAnswers, role: str) -> Iterator[tuple[ServerAnswers, ZoneAnswers, Answer]]:
    for server, zone in _judged(facts):
        for a in zone.answers:
            if a.role == role and a.data and not a.error:
                yield server, zone, a


def _evidence(server: ServerAnswers, a: Answer, **more: Any) -> dict[str, Any]:
    return {"server": server.server, "address": server.address, "record": a.label,
            "expected": None if a.expected is None else list(a.expected), "observed": list(a.data), **more}


def _subject(server: ServerAnswers, a: Answer) -> str:
    return f"{server.server}:{a.name}/{a.type}"


@observed("T3-OBS-DNS-001", severity=Severity.CRITICAL,
          title="authoritative DNS server does not answer for a mail domain",
          rationale="""Senders find the MX of a mail domain by asking its authoritative servers; a server that
          times out, refuses, or answers without authority (no AA flag, REFUSED, SERVFAIL: the zone is not
          loaded) leaves the domain with one server fewer, and with none when it was the last. Judged on
          the SOA of each zone, asked of each server of group dns at its inventory address, from the
          controller. Nothing else is judged on a server or zone this rule blames.""",
          hint="check Knot on the server (systemctl status knot, knotc zone-status ZONE) and port 53 udp/tcp "
          "in its firewall", **{**DNS, "controls": (*DNS_CONTROLS, *AVAILABILITY_CONTROLS), "breaks_redundancy": True})
def server_silent(facts: DnsAnswers, _ctx: Context) -> Iterator[Violation]:
    for server in facts.servers:
        if not server.answered:
            yield Violation(server.server, f"{server.name} does not answer: {server.error or 'no answer'}",
                            {"server": server.server, "address": server.address, "error": server.error},
                            where=server.where)
            continue
        for zone in server.zones:
            if not zone.served:
                soa = zone.soa
                said = soa.error or f"{soa.rcode or 'no rcode'}{'' if soa.authoritative else ', not authoritative'}"
                yield Violation(f"{server.server}:{zone.zone}", f"{server.name} does not serve {zone.zone} with "
                                f"authority: expected SOA with AA, observed {said}",
                                {"server": server.server, "address": server.address, "zone": zone.zone,
                                 "rcode": soa.rcode, "authoritative": soa.authoritative, "error": soa.error},
                                where=soa.where)


def _role_finds(a: Answer) -> bool:
    """Whether the rule of the answer's role blames its content (then -002 stays silent)."""
    checks = {"spf": _spf_defect, "dkim": _dkim_defect, "dmarc": _dmarc_defect, "tlsa": _tlsa_defect}
    check = checks.get(a.role)
    return check is not None and bool(check(a))


@observed("T3-OBS-DNS-002", severity=Severity.HIGH, title="a published record is missing or differs on a server",
          rationale="""Every record the zone generator makes the inventory publish (NS and glue, MX, the A/AAAA
          of the mail names, SPF, DKIM, DMARC, MTA-STS, TLS-RPT, TLSA) must resolve on every
          authoritative server as generated: a resolver asks any of them, so one stale or broken
          server answers wrongly for a share of the world. Compared record by record, on each server,
          with what tools/tier3/dns/zone.py generates from the inventory. A record that is there but
          fails its own rule (SPF, DKIM, DMARC, TLSA) is that rule's finding.""",
          hint="converge playbooks/dns.yml (the primary renders the zones, the secondaries transfer them); "
          "a secondary that stays behind: knotc zone-refresh ZONE on it", **DNS)
def record_differs(facts: DnsAnswers, _ctx: Context) -> Iterator[Violation]:
    for server, _zone in _judged(facts):
        for a in _zone.answers:
            missing = bool(a.error) or not a.data
            if missing and (a.expected is None or a.expected):  # expected something (or any TLSA) and got none
                wanted = "a record" if a.expected is None else _shown(a.expected)
                yield Violation(_subject(server, a), f"{server.name}: {a.label}: expected {wanted}, "
                                f"observed {_observed(a)}", _evidence(server, a, rcode=a.rcode, error=a.error),
                                where=a.where)
            elif not missing and a.expected is not None and not holds(a.data, a.expected, a.match, a.role) \
                    and not _role_finds(a):
                yield Violation(_subject(server, a), f"{server.name}: {a.label}: expected {_shown(a.expected)}, "
                                f"observed {_observed(a)}", _evidence(server, a, match=a.match), where=a.where)


@observed("T3-OBS-DNS-003", severity=Severity.MEDIUM,
          title="the authoritative servers serve a zone at different serials",
          rationale="""A secondary that serves another serial than the primary has missed a change (NOTIFY
          lost, the transfer refused: a TSIG key or an ACL that differ): resolvers get the old records
          from it, and past the SOA expire time it stops answering for the zone. Judged over every
          server that answers for the zone with authority.""",
          hint="on the secondary behind: knotc zone-status ZONE and journalctl -u knot (transfer errors); "
          "knotc zone-retransfer ZONE", **DNS)
def serials_differ(facts: DnsAnswers, _ctx: Context) -> Iterator[Violation]:
    serials: dict[str, dict[str, int]] = {}
    wheres: dict[str, str] = {}
    for server, zone in _judged(facts):
        serials.setdefault(zone.zone, {})[server.server] = int(zone.soa.serial or 0)
        wheres.setdefault(zone.zone, zone.soa.where)
    for zone_name, by_server in sorted(serials.items()):
        if len(set(by_server.values())) > 1:
            newest = max(by_server.values())
            said = ", ".join(f"{s} {n}" for s, n in by_server.items())
            behind = sorted(s for s, n in by_server.items() if n != newest)
            yield Violation(f"zone:{zone_name}", f"{zone_name}: expected one serial on every server, observed {said}"
                            f" ({', '.join(behind)} behind {newest})", {"zone": zone_name, "serials": by_server,
                                                                         "behind": behind}, where=wheres[zone_name])


def _spf_defect(a: Answer) -> str:
    """Why the apex SPF does not parse or costs too many lookups, or ""."""
    found = spf_records(a.data)
    if not found:
        return ""  # no SPF at all: missing or different, T3-OBS-DNS-002's
    if len(found) > 1:
        return f"{len(found)} SPF records (RFC 7208 3.2: permerror)"
    problems = spf_problems(found[0])
    if problems:
        return "does not parse: " + "; ".join(problems)
    count = spf_lookups(found[0])
    return f"costs {count} DNS lookups, more than {MAX_LOOKUPS}" if count > MAX_LOOKUPS else ""


@observed("T3-OBS-DNS-004", severity=Severity.HIGH,
          title="the served SPF record does not parse or exceeds 10 DNS lookups",
          rationale="""Receivers evaluate the SPF record the servers serve, not the one the inventory meant: two
          SPF records, a term that does not parse or more than 10 terms that cost a DNS lookup
          (include, a, mx, ptr, exists, redirect; RFC 7208 4.6.4) are a permerror, and the domain's
          mail fails SPF everywhere (DMARC with it where DKIM does not pass). Counted at the record's own
          level: what the included records cost is only known by asking other servers, which tier3
          never does.""",
          hint="publish one v=spf1 record (tier3_mail.domains[].spf) and converge playbooks/dns.yml; replace "
          "includes by the networks they stand for", **DNS)
def spf_broken(facts: DnsAnswers, _ctx: Context) -> Iterator[Violation]:
    for server, _zone, a in _answers(facts, "spf"):
        problem = _spf_defect(a)
        if problem:
            yield Violation(_subject(server, a), f"{server.name}: SPF of {a.name} {problem}: expected "
                            f"{_shown(a.expected)}, observed {_shown(list(spf_records(a.data)))}",
                            _evidence(server, a, problem=problem), where=a.where)


def _dkim_defect(a: Answer) -> str:
    if a.expected is None or not a.expected:
        return ""
    wanted = {tags(e).get("p", "") for e in a.expected}
    seen = [tags(t).get("p", "") for t in a.data]
    return "" if any(p in wanted for p in seen) else "p= is not the public key of the signing key"


def _abridged(key: str) -> str:
    return key if len(key) <= 40 else f"{key[:24]}...{key[-12:]}"


@observed("T3-OBS-DNS-005", severity=Severity.HIGH, title="the DKIM record does not hold the signing key's public key",
          rationale="""Receivers verify a DKIM signature with the key the selector's TXT record publishes
          (RFC 6376 3.6.2); when its p= is not the public half of the key the MX hosts sign with
          (tier3_mail.domains[].dkim[].private_key, derived on the controller as the zone is), every
          signature fails, and with SPF alone DMARC fails for forwarded mail. Judged on each server.""",
          hint="converge playbooks/dns.yml after a key change (the zone takes the public key from the vaulted "
          "private key); a rotated key needs a new selector published before signing with it", **DNS)
def dkim_mismatch(facts: DnsAnswers, _ctx: Context) -> Iterator[Violation]:
    for server, _zone, a in _answers(facts, "dkim"):
        if _dkim_defect(a):
            wanted = [tags(e).get("p", "") for e in a.expected or ()]
            seen = [tags(t).get("p", "") for t in a.data]
            said = " | ".join(map(_abridged, seen)) or "-"
            yield Violation(_subject(server, a), f"{server.name}: {a.label}: expected p="
                            f"{' | '.join(map(_abridged, wanted))}, observed p={said}",
                            _evidence(server, a, expected_p=wanted, observed_p=seen), where=a.where)


def _dmarc_defect(a: Answer) -> str:
    if not a.expected:
        return ""
    found = dmarc_records(a.data)
    if len(found) != 1:
        return f"{len(found)} DMARC records: receivers apply none (RFC 7489 6.6.3)"
    (want_rank, want_pct), (rank, pct) = dmarc_strength(a.expected[0]), dmarc_strength(found[0])
    if rank < want_rank or (rank == want_rank and pct < want_pct):  # reject at any pct quarantines the rest
        return (f"p={DMARC_POLICIES[rank]} pct={pct} is weaker than the inventory's "
                f"p={DMARC_POLICIES[want_rank]} pct={want_pct}")
    return ""


@observed("T3-OBS-DNS-006", severity=Severity.MEDIUM,
          title="the served DMARC policy is weaker than the inventory requires",
          rationale="""What receivers do with mail that fails DMARC is the p= (and pct=) the servers serve: a
          record weaker than tier3_mail.domains[].dmarc (p=none where quarantine is declared, a lower
          pct, no valid record at all, or two) lets forged mail through that the inventory means to keep
          out, while T3-DNS-002 and the inventory say the domain is protected. Judged on each server.""",
          hint="converge playbooks/dns.yml; a record edited on the server by hand is replaced by the generated one",
          **{**DNS, "controls": (*DNS_CONTROLS, "PCI-DSS:5.4.1")})
def dmarc_weaker(facts: DnsAnswers, _ctx: Context) -> Iterator[Violation]:
    for server, _zone, a in _answers(facts, "dmarc"):
        problem = _dmarc_defect(a)
        if problem:
            yield Violation(_subject(server, a), f"{server.name}: {a.label}: {problem}: expected {_shown(a.expected)}, "
                            f"observed {_observed(a)}", _evidence(server, a, problem=problem), where=a.where)


def _digests(a: Answer) -> set[str]:
    """The SHA-256 of ``3 1 1`` records (the only form tier3 publishes; RFC 7672 3.1)."""
    out = set()
    for data in a.data:
        words = data.split()
        if len(words) >= 4 and words[:3] == ["3", "1", "1"]:
            out.add("".join(words[3:]).lower())
    return out


def _tlsa_defect(a: Answer) -> list[tuple[str, str, str]]:
    """(what was compared, its digest, why) for each certificate the TLSA records do not match."""
    published = _digests(a)
    served = [c for c in a.certificates if c.source == "served"]
    if served:
        return [(f"the certificate served on {c.address}:25", c.spki_sha256, "served") for c in served
                if c.spki_sha256 not in published]
    inventory = {c.spki_sha256 for c in a.certificates if c.source == "inventory"}
    if not inventory or published == inventory:
        return []
    return [("the MX certificates of the inventory (pki_certificate; no served certificate was probed)",
             ", ".join(sorted(inventory)), "inventory")]


@observed("T3-OBS-DNS-007", severity=Severity.HIGH,
          title="the TLSA record does not match the certificate the MX serves",
          rationale="""A sender that validates DANE (RFC 7672) refuses to deliver when no TLSA record of the MX
          name matches the certificate the MX presents: with DNSSEC-signed zones a stale TLSA after a
          key change stops the mail of those senders. Compared with the certificate the controller's
          listener probe saw served on the MX name's addresses (port 25) in the same check; when no
          listener was probed, with the MX certificates the inventory gives (pki_mode provided), and
          the finding says so; with neither, TLSA is only required to exist (T3-OBS-DNS-002).""",
          hint="converge playbooks/dns.yml after a certificate's key changes (the zone reads the MX certificates); "
          "publish the new key's TLSA before the new key serves", **{**DNS, "controls": (*DNS_CONTROLS, *TLS_CONTROLS)})
def tlsa_mismatch(facts: DnsAnswers, _ctx: Context) -> Iterator[Violation]:
    for server, _zone, a in _answers(facts, "tlsa"):
        for what, digest, source in _tlsa_defect(a):
            yield Violation(_subject(server, a), f"{server.name}: {a.label}: expected 3 1 1 {digest} ({what}), "
                            f"observed {_observed(a)}", _evidence(server, a, compared_with=source, certificate=digest),
                            where=a.where)
