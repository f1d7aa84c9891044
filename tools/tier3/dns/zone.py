"""The zone of one mail domain, from inventory data: its records and the zone file text.

Pure functions on the plain data Ansible holds in hostvars (``tier3_mail``, ``tier3_vips``, each host's
``tier3_host.site``), no I/O. ``records`` returns what the domain publishes (NS, MX, A/AAAA, SPF, DKIM,
DMARC, MTA-STS and its policy host, TLS-RPT, TLSA) and ``render`` the RFC 1035 master file that
roles/dns_authoritative serves; the lab's tests query every record back from both servers.
``mta_sts_policies`` gives the policy files that roles/haproxy serves, the texts whose hashes the zone
publishes.

Names are absolute, written without the final dot (``mx-lab.lab.tier3.test``); ``render`` writes the
owners relative to the origin. A record whose owner lies outside the domain (the address of a name
under another domain) is left out: the zone of that domain publishes it.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from tier3.dns.spf import spf_record

DEFAULT_TTL: Final = 3600
MX_PRIORITY: Final = 10
DMARC_DEFAULT_POLICY: Final = "quarantine"
MTA_STS_DEFAULT_MODE: Final = "testing"
MTA_STS_DEFAULT_MAX_AGE: Final = 604800  # one week (RFC 8461 allows up to a year)
MTA_STS_HOST: Final = "mta-sts"  # the policy is served at https://mta-sts.<domain>/ (RFC 8461 3.3)
TXT_CHUNK: Final = 255  # bytes per character-string (RFC 1035 3.3)
# SOA timers: secondaries get NOTIFY on every change, so refresh is only the fallback; expire two weeks,
# so a secondary keeps answering through a long outage of the primary; negative answers cached 5 min.
SOA_REFRESH: Final = 3600
SOA_RETRY: Final = 600
SOA_EXPIRE: Final = 1209600
SOA_MINIMUM: Final = 300
# services a VIP fronts (docs/mail.md) -> which service name's addresses it carries
SMTP_SERVICES: Final = frozenset({"smtp"})
HOSTNAME_SERVICES: Final = frozenset({"smtp", "submission"})
IMAP_SERVICES: Final = frozenset({"imap", "imaps"})
# the order records are written in (then owner, then data as generated)
TYPE_ORDER: Final = ("NS", "MX", "A", "AAAA", "TXT", "TLSA")


@dataclass(frozen=True)
class Record:
    """One resource record. ``data`` is the RDATA in presentation form, except for TXT, whose ``data``
    is the text itself (``render`` quotes it and splits it into 255-byte strings)."""

    name: str
    type: str
    data: str
    ttl: int = DEFAULT_TTL


def parent(name: str) -> str:
    """``mail.lab.tier3.test`` -> ``lab.tier3.test``."""
    return name.rstrip(".").split(".", 1)[1] if "." in name.rstrip(".") else name


def in_zone(name: str, domain: str) -> bool:
    name, domain = name.rstrip(".").lower(), domain.rstrip(".").lower()
    return name == domain or name.endswith("." + domain)


def _site_of_vip(vip: Mapping[str, Any], sites: Mapping[str, str]) -> str:
    members = [str(m.get("host", "")) for m in vip.get("members") or []]
    return next((sites[h] for h in members if sites.get(h)), "")


def fronting(vips: Sequence[Mapping[str, Any]], services: frozenset[str],
              balancers: Collection[str] = ()) -> list[Mapping[str, Any]]:
    """The VIPs the internet reaches for one of ``services``: those that front it (every VIP when none
    says what it fronts); of those, the ones the load balancers hold when any is (an MX pair's own VIP
    beside them is the relay for the application servers, not the door to the internet)."""
    declared = [v for v in vips if v.get("services")]
    found = [v for v in declared if services & set(v.get("services") or [])] if declared else list(vips)
    held = [v for v in found if _held_by(v, balancers)]
    return held or found


def _held_by(vip: Mapping[str, Any], balancers: Collection[str]) -> bool:
    members = [str(m.get("host", "")) for m in vip.get("members") or []]
    return bool(members) and all(m in balancers for m in members)


def mx_hosts(mail: Mapping[str, Any], vips: Sequence[Mapping[str, Any]],
             sites: Mapping[str, str], balancers: Collection[str] = ()) -> dict[str, list[str]]:
    """MX name -> its addresses: one name per site, ``mx-<site>.<domain of tier3_mail.hostname>``, with
    the addresses of that site's SMTP VIPs (a VIP whose members have no site: ``mx.<domain>``)."""
    service_domain = parent(str(mail["hostname"]))
    out: dict[str, list[str]] = {}
    for vip in fronting(vips, SMTP_SERVICES, balancers):
        site = _site_of_vip(vip, sites)
        name = f"mx-{site}.{service_domain}" if site else f"mx.{service_domain}"
        addresses = out.setdefault(name, [])
        if str(vip["address"]) not in addresses:
            addresses.append(str(vip["address"]))
    return out


def _addresses(vips: Iterable[Mapping[str, Any]]) -> list[str]:
    return list(dict.fromkeys(str(v["address"]) for v in vips))


def _address_records(name: str, addresses: Iterable[str], ttl: int) -> list[Record]:
    return [Record(name, "AAAA" if ipaddress.ip_address(a).version == 6 else "A", str(ipaddress.ip_address(a)), ttl)
            for a in addresses]


def mta_sts_policy(mx_names: Iterable[str], mode: str = MTA_STS_DEFAULT_MODE,
                   max_age: int = MTA_STS_DEFAULT_MAX_AGE) -> str:
    """The MTA-STS policy file (RFC 8461 3.2), served at https://mta-sts.<domain>/.well-known/mta-sts.txt."""
    lines = ["version: STSv1", f"mode: {mode}", *(f"mx: {n}" for n in sorted(mx_names)), f"max_age: {max_age}"]
    return "\r\n".join(lines) + "\r\n"


def domain_mta_sts_policy(domain: Mapping[str, Any], mx: Iterable[str]) -> str:
    """The policy text ``domain`` (an entry of ``tier3_mail.domains``) publishes for its MX names ``mx``: its
    ``mta_sts`` mode and max_age, or the defaults. The zone hashes it into ``_mta-sts`` and roles/haproxy serves
    it (``mta_sts_policies``), so the two read it from here and the id matches the file."""
    sts = domain.get("mta_sts") or {}
    return mta_sts_policy(mx, str(sts.get("mode") or MTA_STS_DEFAULT_MODE),
                          int(sts.get("max_age") or MTA_STS_DEFAULT_MAX_AGE))


def mta_sts_policies(mail: Mapping[str, Any], vips: Sequence[Mapping[str, Any]], sites: Mapping[str, str],
                     balancers: Collection[str] = ()) -> dict[str, str]:
    """Domain name (lower case) -> the policy file it serves at ``https://mta-sts.<domain>/.well-known/mta-sts.txt``,
    for every domain of ``mail`` (``tier3_mail``): the text whose hash ``records`` publishes. Reads only each
    domain's ``name`` and ``mta_sts`` (never a DKIM key)."""
    mx = mx_hosts(mail, vips, sites, balancers)
    return {str(d["name"]).rstrip(".").lower(): domain_mta_sts_policy(d, mx) for d in mail.get("domains") or []}


def policy_id(policy: str) -> str:
    """The ``id=`` of ``_mta-sts``: a hash of the policy text (20 hex digits; RFC 8461 allows 1-32
    alphanumerics), so it moves exactly when the policy does."""
    return hashlib.sha256(policy.encode("utf-8")).hexdigest()[:20]


def dmarc_record(dmarc: Mapping[str, Any] | None) -> str:
    dmarc = dmarc or {}
    parts = ["v=DMARC1", f"p={dmarc.get('policy') or DMARC_DEFAULT_POLICY}"]
    if dmarc.get("pct") is not None:
        parts.append(f"pct={int(dmarc['pct'])}")
    if dmarc.get("rua"):
        parts.append(f"rua={dmarc['rua']}")
    return "; ".join(parts)


def records(domain: Mapping[str, Any], mail: Mapping[str, Any], vips: Sequence[Mapping[str, Any]],
            sites: Mapping[str, str], nameservers: Sequence[Mapping[str, Any]], *,
            dkim: Mapping[str, str] | None = None, tlsa: Mapping[str, Sequence[str]] | None = None,
            ttl: int = DEFAULT_TTL, egress: Sequence[str] = (), balancers: Collection[str] = ()) -> list[Record]:
    """Every record of ``domain`` (an entry of ``tier3_mail.domains``) except the SOA.

    - ``mail``: ``tier3_mail`` (``hostname``, ``imap_hostname``); ``vips``: ``tier3_vips``; ``sites``:
      inventory host -> its ``tier3_host.site`` (a VIP's site is its members').
    - ``nameservers``: ``[{name, addresses}]``, the authoritative servers; an NS each, and their
      addresses when the name is in this zone (glue).
    - ``dkim``: selector -> the public key (base64 SubjectPublicKeyInfo, the ``p=`` of the record).
    - ``tlsa``: MX name -> SHA-256 digests (hex) of the SubjectPublicKeyInfo of every certificate that
      may answer on it: ``_25._tcp.<mx> TLSA 3 1 1 <digest>`` each.
    - ``egress``: addresses the MX hosts send from (their own), added to SPF besides the MX VIPs.
    - ``balancers``: the hosts of group lb: where they hold a VIP of a service, the names point there.

    ``mta-sts.<domain>``: A/AAAA of every MX name's addresses (the VIPs that front SMTP, where roles/haproxy
    serves the policy file on 443), beside ``_mta-sts``, which every domain publishes (mode testing by default).

    MX: every site's name at priority 10. The MX hosts are active-active behind each site's VIP
    (docs/mail.md), and the sites are peers: equal priorities let senders spread over the sites and
    retry the other one when a site does not answer, where ranked priorities would send all mail to
    one site and make the other a fallback that is exercised only in an outage.
    """
    name = str(domain["name"]).rstrip(".").lower()
    out: list[Record] = []
    for server in nameservers:
        out.append(Record(name, "NS", f"{str(server['name']).rstrip('.')}.", ttl))
    mx = mx_hosts(mail, vips, sites, balancers)
    for mx_name in sorted(mx):
        out.append(Record(name, "MX", f"{MX_PRIORITY} {mx_name}.", ttl))
    addressed: dict[str, list[str]] = {}
    for server in nameservers:
        addressed.setdefault(str(server["name"]).rstrip(".").lower(), []).extend(server.get("addresses") or [])
    for service_name, services in ((mail["hostname"], HOSTNAME_SERVICES), (mail["imap_hostname"], IMAP_SERVICES)):
        addressed.setdefault(str(service_name).lower(), []).extend(_addresses(fronting(vips, services, balancers)))
    for mx_name, addresses in mx.items():
        addressed.setdefault(mx_name.lower(), []).extend(addresses)
    # the policy's host (RFC 8461 3.3): where HAProxy serves it, on the VIPs that front SMTP, as the MX names
    addressed.setdefault(f"{MTA_STS_HOST}.{name}", []).extend(a for addresses in mx.values() for a in addresses)
    for owner in sorted(addressed):
        if in_zone(owner, name):
            out += _address_records(owner, dict.fromkeys(addressed[owner]), ttl)
    spf = domain.get("spf") or {}
    senders = [a for addresses in mx.values() for a in addresses] + list(egress)
    out.append(Record(name, "TXT", spf_record(ip4=[*senders, *(spf.get("ip4") or [])], ip6=spf.get("ip6") or [],
                                              include=spf.get("include") or []), ttl))
    for selector in sorted(dkim or {}):
        out.append(Record(f"{selector}._domainkey.{name}", "TXT", f"v=DKIM1; k=rsa; p={(dkim or {})[selector]}", ttl))
    out.append(Record(f"_dmarc.{name}", "TXT", dmarc_record(domain.get("dmarc")), ttl))
    out.append(Record(f"_mta-sts.{name}", "TXT", f"v=STSv1; id={policy_id(domain_mta_sts_policy(domain, mx))}", ttl))
    if domain.get("tls_rpt"):
        out.append(Record(f"_smtp._tls.{name}", "TXT", f"v=TLSRPTv1; rua={domain['tls_rpt']}", ttl))
    for mx_name in sorted(mx):
        if in_zone(mx_name, name):
            for digest in dict.fromkeys(d.lower() for d in (tlsa or {}).get(mx_name) or []):
                out.append(Record(f"_25._tcp.{mx_name}", "TLSA", f"3 1 1 {digest}", ttl))
    order = {t: i for i, t in enumerate(TYPE_ORDER)}
    return sorted(out, key=lambda r: (r.name != name, r.name, order.get(r.type, len(order))))


def quote(text: str) -> str:
    """A TXT value as character-strings of at most 255 bytes each, quoted (``"a" "b"``)."""
    raw = text.encode("utf-8")
    chunks = [raw[i:i + TXT_CHUNK] for i in range(0, len(raw), TXT_CHUNK)] or [b""]
    return " ".join('"' + c.decode("utf-8").replace("\\", "\\\\").replace('"', '\\"') + '"' for c in chunks)


def rname(contact: str) -> str:
    """The SOA RNAME of an address: ``hostmaster@example.net`` -> ``hostmaster.example.net.`` (a dot in
    the local part escaped)."""
    local, _, host = contact.partition("@")
    if not host:
        raise ValueError(f"the contact must be an address (hostmaster@domain), not {contact!r}")
    return f"{local.replace('.', chr(92) + '.')}.{host.rstrip('.')}."


def _owner(name: str, origin: str) -> str:
    if name == origin:
        return "@"
    return name[: -len(origin) - 1] if name.endswith("." + origin) else f"{name}."


def render(domain: str, zone_records: Iterable[Record], primary_ns: str, contact: str, *, serial: int = 1,
           ttl: int = DEFAULT_TTL) -> str:
    """The zone file (RFC 1035 master format): ``$ORIGIN``, ``$TTL``, the SOA, then the records, one a
    line, in the order given, owners relative to the origin. The same input gives the same text."""
    origin = domain.rstrip(".").lower()
    rows = [(_owner(r.name.rstrip(".").lower(), origin), r) for r in zone_records]
    width = max([len(owner) for owner, _ in rows] + [1])
    lines = [
        f"; zone {origin}: generated by tier3 (tools/tier3/dns/zone.py) from the inventory; do not edit.",
        "; The serial is a placeholder: Knot ignores it and moves its own when the content changes.",
        f"$ORIGIN {origin}.",
        f"$TTL {ttl}",
        f"{'@':<{width}} {ttl} IN SOA {primary_ns.rstrip('.')}. {rname(contact)} "
        f"({serial} {SOA_REFRESH} {SOA_RETRY} {SOA_EXPIRE} {SOA_MINIMUM})",
    ]
    for owner, record in rows:
        data = quote(record.data) if record.type == "TXT" else record.data
        lines.append(f"{owner:<{width}} {record.ttl} IN {record.type:<4} {data}")
    return "\n".join(lines) + "\n"


def zone(domain: Mapping[str, Any], mail: Mapping[str, Any], vips: Sequence[Mapping[str, Any]],
         sites: Mapping[str, str], nameservers: Sequence[Mapping[str, Any]], *, primary_ns: str, contact: str,
         dkim: Mapping[str, str] | None = None, tlsa: Mapping[str, Sequence[str]] | None = None,
         ttl: int = DEFAULT_TTL, egress: Sequence[str] = (), balancers: Collection[str] = ()) -> str:
    """``render`` of ``records``: the zone file of one domain, in one call."""
    found = records(domain, mail, vips, sites, nameservers, dkim=dkim, tlsa=tlsa, ttl=ttl, egress=egress,
                    balancers=balancers)
    return render(str(domain["name"]), found, primary_ns, contact, ttl=ttl)
