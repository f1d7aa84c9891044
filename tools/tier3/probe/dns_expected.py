"""What the authoritative servers must answer: the questions to ask them, each with the answer the zone
generator (``tier3.dns.zone``) makes the inventory publish. Pure; the sockets are ``tier3.probe.dns``'s.

The inputs are the ones roles/dns_authoritative feeds the generator (its vars/main.yml), taken from the
inventory's variables as the controller holds them (``plan_from_vars``):

- ``tier3_mail``, ``tier3_vips``, each host's ``tier3_host.site``, group ``lb``: as the role;
- the servers: the hosts of group ``dns``, each at its address (``host_addresses``: the facts' default
  IPv4/IPv6, as the role's NS glue; else ``tier3_lab_address``; else ``ansible_host`` when it is an
  address). Only these addresses are ever queried;
- the NS names: ``<host>.<dns_authoritative_nameserver_domain>`` (default the domain of tier3_mail.hostname);
- DKIM: the public half of each ``tier3_mail.domains[].dkim[].private_key``, derived here as the role
  derives it (base64 of the DER SubjectPublicKeyInfo); the private key goes no further;
- SPF: the MX hosts' addresses (their egress) besides the MX VIPs. When one is not known here, the
  published record is only required to hold every expected term (``match: contains``);
- TLSA: the role reads the MX certificates on the MX hosts. The controller holds them only when the
  inventory gives them (pki_mode provided: ``pki_certificate``); then the expected digests are exact.
  Otherwise a TLSA record is required to exist, and ``tier3.check`` compares it with the certificate
  the MX listeners serve (the listener probe of the same site judgement).
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from tier3.dns import tlsa as dns_tlsa
from tier3.dns import zone as dns_zone
from tier3.model.dns import DNS_GROUP

DNS_PORT: Final = 53
# what ``plan_from_vars`` reads of each host, and (of the dns hosts only) of the site and the role
HOST_KEYS: Final = ("ansible_facts", "tier3_lab_address", "ansible_host", "tier3_host", "pki_mode", "pki_certificate")
SITE_KEYS: Final = ("tier3_dns", "tier3_mail", "tier3_vips", "dns_authoritative_nameserver_domain",
                    "dns_authoritative_tlsa")
TLSA_PORT: Final = 25  # _25._tcp.<mx>: SMTP, where the MX listeners serve their certificates
# roles: the observed rule that judges a record's content beside "missing or different" (tier3.rules.observed.dns)
ROLES: Final = ("", "spf", "dkim", "dmarc", "tlsa")
MATCHES: Final = ("exact", "contains")


@dataclass(frozen=True)
class NameServer:
    """One authoritative server: its inventory name and the address tier3 queries ("" when unknown)."""

    host: str
    address: str
    port: int = DNS_PORT


@dataclass(frozen=True)
class Question:
    """One name and type to ask every server, with the answer expected (``None``: not known here)."""

    name: str
    type: str
    expected: tuple[str, ...] | None = ()
    role: str = ""  # "", spf, dkim, dmarc, tlsa
    match: str = "exact"  # exact, or contains (every expected term, more ip4/ip6 allowed: SPF with unknown egress)
    addresses: tuple[str, ...] = ()  # tlsa: the MX name's addresses, whose served certificate the record must match
    certificates: tuple[str, ...] = ()  # tlsa: SPKI SHA-256 of the certificates the inventory gives (pki provided)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "role": self.role, "match": self.match,
                "expected": None if self.expected is None else list(self.expected),
                "addresses": list(self.addresses),
                "certificates": [{"address": "", "spki_sha256": d, "source": "inventory"} for d in self.certificates]}


@dataclass(frozen=True)
class ZonePlan:
    zone: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class DnsPlan:
    """Every server to ask and every zone's questions; ``notes`` say what the controller could not know."""

    servers: tuple[NameServer, ...]
    zones: tuple[ZonePlan, ...]
    notes: tuple[str, ...] = ()


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def host_addresses(host_vars: Mapping[str, Any]) -> list[str]:
    """A host's addresses as the controller knows them: the facts' default IPv4 and IPv6 (what the role
    publishes as glue), else ``tier3_lab_address``, else ``ansible_host`` when it is an address."""
    facts = host_vars.get("ansible_facts") or {}
    found = [str((facts.get(key) or {}).get("address") or "") for key in ("default_ipv4", "default_ipv6")]
    found = [a for a in found if a and _is_address(a)]
    if found:
        return found
    for key in ("tier3_lab_address", "ansible_host"):
        value = str(host_vars.get(key) or "")
        if _is_address(value):
            return [value]
    return []


def dkim_public_key(private_pem: str) -> str:
    """The ``p=`` of a DKIM record: base64 of the DER SubjectPublicKeyInfo of the PEM private key.
    ``ValueError`` when the text is not a private key this controller can read."""
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415  (only with DKIM keys)

    try:
        key = serialization.load_pem_private_key(private_pem.encode("utf-8"), password=None)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not an unencrypted PEM private key ({exc})") from None
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode("ascii")


def _normal(record: dns_zone.Record) -> str:
    return record.data if record.type == "TXT" else " ".join(record.data.lower().split())


def _role(name: str, rtype: str, zone: str) -> str:
    if rtype == "TLSA":
        return "tlsa"
    if rtype != "TXT":
        return ""
    if name == zone:
        return "spf"
    if name.endswith("._domainkey." + zone):
        return "dkim"
    return "dmarc" if name == f"_dmarc.{zone}" else ""


def zone_questions(domain: Mapping[str, Any], mail: Mapping[str, Any], vips: Sequence[Mapping[str, Any]],
                   sites: Mapping[str, str], nameservers: Sequence[Mapping[str, Any]], *,
                   dkim: Mapping[str, str], egress: Sequence[str], egress_known: bool,
                   balancers: Sequence[str], tlsa: bool, certificates: Sequence[str]) -> ZonePlan:
    """The questions of one domain: its SOA, then one per name and type ``tier3.dns.zone.records`` publishes,
    and a TLSA per MX name of the zone when the role publishes TLSA (``tlsa``)."""
    zone = str(domain["name"]).rstrip(".").lower()
    mx = dns_zone.mx_hosts(mail, vips, sites, balancers)
    digests = sorted({d.lower() for d in certificates})
    published = dns_zone.records(domain, mail, vips, sites, nameservers, dkim=dkim,
                                 tlsa=dict.fromkeys(mx, digests) if digests else {}, egress=egress,
                                 balancers=balancers)
    grouped: dict[tuple[str, str], list[str]] = {}
    for record in published:
        grouped.setdefault((record.name.rstrip(".").lower(), record.type), []).append(_normal(record))
    questions = [Question(zone, "SOA", None)]
    for (name, rtype), values in grouped.items():
        role = _role(name, rtype, zone)
        questions.append(Question(name, rtype, tuple(sorted(values)), role,
                                  match="contains" if role == "spf" and not egress_known else "exact"))
    dkim_wanted = {f"{s['selector']}._domainkey.{zone}".lower() for s in domain.get("dkim") or [] if s.get("selector")}
    for name in sorted(dkim_wanted - {n for n, _ in grouped}):  # a key the controller could not read
        questions.append(Question(name, "TXT", None, "dkim"))
    if tlsa:
        by_name = {q.name: q for q in questions if q.type == "TLSA"}
        questions = [q for q in questions if q.type != "TLSA"]
        for mx_name in sorted(n for n in mx if dns_zone.in_zone(n, zone)):
            owner = f"_{TLSA_PORT}._tcp.{mx_name.lower()}"
            known = by_name.get(owner)
            questions.append(Question(owner, "TLSA", known.expected if known else None, "tlsa",
                                      addresses=tuple(mx[mx_name]), certificates=tuple(digests)))
    else:
        questions = [q for q in questions if q.type != "TLSA"]
    return ZonePlan(zone, tuple(questions))


def _flag(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _certificate_digests(mx_vars: Sequence[Mapping[str, Any]]) -> list[str]:
    """The SPKI digests of the MX certificates the inventory gives (pki_mode provided), when every MX gives one."""
    out = []
    for host_vars in mx_vars:
        pem = host_vars.get("pki_certificate") if host_vars.get("pki_mode") == "provided" else None
        if not pem:
            return []
        try:
            out.append(dns_tlsa.spki_sha256(str(pem)))
        except ValueError:
            return []
    return sorted(set(out))


def plan_from_vars(hostvars: Mapping[str, Mapping[str, Any]], groups: Mapping[str, Sequence[str]],
                   port: int = DNS_PORT) -> DnsPlan | None:
    """The plan from the inventory's variables (``hostvars``: host -> its variables, templated;
    ``groups``: group -> hosts), or None when there is nothing to ask: no dns hosts, no ``tier3_dns``
    or no mail domains."""
    servers = [h for h in groups.get(DNS_GROUP) or [] if h in hostvars]
    if not servers:
        return None
    primary_vars = hostvars[servers[0]]
    dns_config, mail = primary_vars.get("tier3_dns"), primary_vars.get("tier3_mail")
    if not isinstance(dns_config, Mapping) or not isinstance(mail, Mapping) or not mail.get("domains"):
        return None
    primary = str(dns_config.get("primary") or servers[0])
    role_vars = hostvars.get(primary, primary_vars)
    notes: list[str] = []
    addresses = {h: host_addresses(hostvars[h]) for h in servers}
    for host in servers:
        if not addresses[host]:
            notes.append(f"{host}: no address known on the controller (facts, tier3_lab_address or ansible_host)")
    ns_domain = str(role_vars.get("dns_authoritative_nameserver_domain") or dns_zone.parent(str(mail["hostname"])))
    nameservers = [{"name": f"{h}.{ns_domain}", "addresses": addresses[h]} for h in servers]
    mx_hosts = [h for h in groups.get("mx") or [] if h in hostvars]
    egress = [a for h in mx_hosts for a in host_addresses(hostvars[h])[:1]]
    egress_known = len(egress) == len(mx_hosts)
    if not egress_known:
        notes.append("SPF: the address of an MX host is not known here: the record must hold every expected term")
    sites = {h: str((v.get("tier3_host") or {}).get("site") or "") for h, v in hostvars.items()}
    vips = list(primary_vars.get("tier3_vips") or [])
    balancers = list(groups.get("lb") or [])
    tlsa = _flag(role_vars.get("dns_authoritative_tlsa"), default=True)
    certificates = _certificate_digests([hostvars[h] for h in mx_hosts]) if tlsa else []
    zones = []
    for domain in mail["domains"]:
        keys: dict[str, str] = {}
        for entry in domain.get("dkim") or []:
            try:
                keys[str(entry["selector"])] = dkim_public_key(str(entry.get("private_key") or ""))
            except ValueError as exc:
                notes.append(f"DKIM {domain['name']} selector {entry.get('selector')}: {exc}: not compared")
        zones.append(zone_questions(domain, mail, vips, sites, nameservers, dkim=keys, egress=egress,
                                    egress_known=egress_known, balancers=balancers, tlsa=tlsa,
                                    certificates=certificates))
    return DnsPlan(tuple(NameServer(h, (addresses[h] or [""])[0], port) for h in servers), tuple(zones), tuple(notes))
