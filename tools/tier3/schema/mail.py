"""``tier3_mail`` and ``tier3_drill``: schema-clean documents -> the mail model, and the checks that
tie them to each other and to the VIPs' ``services`` (each an ``InventoryError`` naming the key);
each domain's DMARC, SPF, MTA-STS and TLS-RPT keys, its SPF networks checked by address family.

Secrets are never kept: a user's password becomes ``has_password`` and ``password_is_vaulted``; a
DKIM key its form (vaulted, plain PEM, not PEM) and, for plain PEM that ``cryptography`` parses,
its type and size. A ``!vault`` value (``Vaulted``) and a Jinja expression are opaque strings here:
nothing is decrypted or templated.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable, Iterable
from typing import Any, Final

from tier3.errors import InventoryError
from tier3.model import (
    DkimKey,
    Dmarc,
    DrillTargets,
    Location,
    MailConfig,
    MailDomain,
    MailTransport,
    MailUser,
    MtaSts,
    Spf,
    Topology,
)
from tier3.model.mail import (
    DMARC_DEFAULT_POLICY,
    FRONTING_GROUP,
    KEY_NOT_PEM,
    KEY_PEM,
    KEY_VAULTED,
    MTA_STS_DEFAULT_MAX_AGE,
    MTA_STS_DEFAULT_MODE,
    SERVICES,
)
from tier3.schema.yamlio import Unsafe, Vaulted

# inventory-wide mapping variables -> schema kind (set for all hosts, like TOPOLOGY_VARS)
MAIL_VARS: Final = {"tier3_mail": "mail", "tier3_drill": "drill"}
DKIM_MIN_BITS: Final = 2048  # RFC 8301: signers MUST use at least 1024 bits, SHOULD 2048; we require it
PEM_BEGIN: Final = "-----BEGIN "


def key_form(value: Any) -> tuple[str, str, int]:
    """(form, key type, RSA bits) of a private_key value, reading only a plain PEM block."""
    if isinstance(value, Vaulted):
        return KEY_VAULTED, "", 0
    text = str(value)
    if not isinstance(value, Unsafe) and ("{{" in text or "{%" in text):
        return KEY_VAULTED, "", 0  # Jinja: Ansible resolves it (a vaulted variable); tier3 does not template
    if PEM_BEGIN not in text:
        return KEY_NOT_PEM, "", 0
    return (KEY_PEM, *_parse_pem(text))


def _parse_pem(text: str) -> tuple[str, int]:
    """The key type and RSA size of an unencrypted PEM private key; ("", 0) when it cannot be parsed."""
    try:
        from cryptography.exceptions import UnsupportedAlgorithm  # noqa: PLC0415  (only for plain PEM keys)
        from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
        from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa  # noqa: PLC0415
    except ImportError:  # pragma: no cover  (ansible-core requires cryptography)
        return "", 0
    try:
        key = serialization.load_pem_private_key(text.encode("utf-8"), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):  # not a key, or encrypted with a passphrase
        return "", 0
    if isinstance(key, rsa.RSAPrivateKey):
        return "rsa", key.key_size
    kinds: tuple[tuple[type, str], ...] = (
        (ed25519.Ed25519PrivateKey, "ed25519"), (ed448.Ed448PrivateKey, "ed448"),
        (ec.EllipticCurvePrivateKey, "ec"), (dsa.DSAPrivateKey, "dsa"),
    )
    return next((name for cls, name in kinds if isinstance(key, cls)), "other"), 0


def build_mail(doc: dict[str, Any], file: str, key: str, is_vaulted: Callable[[Any], bool]) -> MailConfig:
    """The mail model of a schema-clean ``tier3_mail``; ``is_vaulted`` judges a password value."""
    domains = []
    for i, d in enumerate(doc.get("domains") or ()):
        dkey = f"{key}.domains[{i}]"
        keys = tuple(
            DkimKey(s["selector"], *key_form(s["private_key"]), location=Location(file, f"{dkey}.dkim[{j}]"))
            for j, s in enumerate(d.get("dkim") or ())
        )
        domains.append(_domain(d, keys, Location(file, dkey)))
    return MailConfig(
        hostname=doc["hostname"],
        imap_hostname=doc["imap_hostname"],
        relay_networks=tuple(str(n) for n in doc.get("relay_networks") or ()),
        domains=tuple(domains),
        users=tuple(
            MailUser(u["address"], has_password=bool(u.get("password")),
                     password_is_vaulted=is_vaulted(u.get("password")), location=Location(file, f"{key}.users[{i}]"))
            for i, u in enumerate(doc.get("users") or ())
        ),
        transports=tuple(
            MailTransport(t["domain"], t["nexthop"], Location(file, f"{key}.transports[{i}]"))
            for i, t in enumerate(doc.get("transports") or ())
        ),
        has_replication_password=bool(doc.get("replication_password")),
        location=Location(file, key),
    )


def _domain(doc: dict[str, Any], keys: tuple[DkimKey, ...], location: Location) -> MailDomain:
    """One domain with what it publishes besides DKIM: DMARC, SPF, MTA-STS and TLS-RPT, as declared."""
    dmarc, spf, sts = doc.get("dmarc"), doc.get("spf") or {}, doc.get("mta_sts")
    return MailDomain(
        doc["name"], keys, location,
        dmarc=None if dmarc is None else Dmarc(dmarc.get("policy", DMARC_DEFAULT_POLICY), dmarc.get("rua", ""),
                                               dmarc.get("pct", 100), _at(location, "dmarc")),
        spf=Spf(_strings(spf.get("include")), _strings(spf.get("ip4")), _strings(spf.get("ip6")), _at(location, "spf")),
        mta_sts=None if sts is None else MtaSts(sts.get("mode", MTA_STS_DEFAULT_MODE),
                                                sts.get("max_age", MTA_STS_DEFAULT_MAX_AGE), _at(location, "mta_sts")),
        tls_rpt=doc.get("tls_rpt", ""),
    )


def _strings(values: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in values or ())


def _at(location: Location, key: str) -> Location:
    return Location(location.file, f"{location.key}.{key}")


def build_drill(doc: dict[str, Any], file: str, key: str) -> DrillTargets:
    return DrillTargets(doc["mailbox"], float(doc["rto_seconds"]), doc["rpo_messages"], Location(file, key))


def _error(location: Location, key: str, message: str, hint: str) -> InventoryError:
    return InventoryError(location.file, f"{location.key}.{key}" if key else location.key, message, hint=hint)


def _duplicates(kind: str, items: Iterable[tuple[str, Location]], key: str, hint: str) -> list[InventoryError]:
    """Names declared twice, compared without case (mail domains and addresses are case-blind)."""
    seen: dict[str, tuple[str, Location]] = {}
    out = []
    for name, location in items:
        first = seen.setdefault(name.casefold(), (name, location))
        if first[1] is not location:
            same = "" if first[0] == name else f" as {first[0]!r}"
            out.append(_error(location, key, f"duplicate {kind} {name!r} (first declared{same} at {first[1]})", hint))
    return out


def check_mail(topology: Topology) -> list[InventoryError]:
    """Every problem of tier3_mail, tier3_drill and the VIPs' services (a schema-clean topology)."""
    out: list[InventoryError] = []
    mail = topology.mail
    if mail is not None:
        out += _relay_networks(mail)
        out += _domains(mail)
        out += _users(mail)
        out += _duplicates("transport domain", ((t.domain, t.location) for t in mail.transports), "domain",
                           "route each domain once (Postfix transport_maps keeps one nexthop per domain)")
    out += _vip_services(topology)
    if topology.drill is not None:
        out += _drill(topology.drill, mail)
    return out


def _relay_networks(mail: MailConfig) -> list[InventoryError]:
    out = []
    for i, network in enumerate(mail.relay_networks):
        try:
            ipaddress.ip_network(network, strict=True)
        except ValueError as exc:
            out.append(_error(mail.location, f"relay_networks[{i}]", f"not a network in CIDR notation: {exc}",
                              "write the network address and prefix, e.g. 198.51.100.0/24 or 2001:db8::/64"))
    return out


def _domains(mail: MailConfig) -> list[InventoryError]:
    out = _duplicates("mail domain", ((d.name, d.location) for d in mail.domains), "name", "declare each domain once")
    for d in mail.domains:
        out += _duplicates(f"DKIM selector of {d.name}", ((k.selector, k.location) for k in d.dkim), "selector",
                           "give each key of a domain its own selector")
        out += _spf_networks(d.spf)
        for k in d.dkim:
            problem = _key_problem(k)
            if problem:
                out.append(_error(k.location, "private_key", problem,
                                  f"generate an RSA key of {DKIM_MIN_BITS} bits or more (opendkim-genkey -b "
                                  f"{DKIM_MIN_BITS} -s {k.selector} -d {d.name}) and reference it from the vault: "
                                  f'"{{{{ vault_tier3_dkim_{k.selector} }}}}"'))
    return out


# SPF mechanism -> the address family its networks must be of (RFC 7208 5.6)
SPF_FAMILIES: Final = {"ip4": (ipaddress.IPv4Network, "198.51.100.0/24 or 192.0.2.25"),
                       "ip6": (ipaddress.IPv6Network, "2001:db8:100::/64 or 2001:db8::25")}


def _spf_networks(spf: Spf) -> list[InventoryError]:
    """Each spf.ip4 / spf.ip6 entry an address or a network of its family, in CIDR notation."""
    out = []
    for mechanism, (family, example) in SPF_FAMILIES.items():
        for i, value in enumerate(getattr(spf, mechanism)):
            try:
                network = ipaddress.ip_network(value, strict=True)
            except ValueError as exc:
                problem = f"not an address or a network in CIDR notation: {exc}"
            else:
                if isinstance(network, family):
                    continue
                problem = f"{value} is an IPv{network.version} network, not one for {mechanism}:"
            out.append(_error(spf.location, f"{mechanism}[{i}]", problem,
                              f"write an {mechanism} address or network, e.g. {example}"))
    return out


def _key_problem(key: DkimKey) -> str:
    if key.form == KEY_NOT_PEM:
        return "not a PEM private key, nor a vault reference"
    if key.form != KEY_PEM or not key.key_type:
        return ""  # vaulted, or a PEM block cryptography cannot read: not judged
    if key.key_type == "rsa" and key.key_bits < DKIM_MIN_BITS:
        return f"an RSA key of {key.key_bits} bits: DKIM keys need {DKIM_MIN_BITS} bits or more"
    if key.key_type not in ("rsa", "ed25519"):
        return f"a key of type {key.key_type}: DKIM signs with RSA (or Ed25519, RFC 8463)"
    return ""


def _users(mail: MailConfig) -> list[InventoryError]:
    out = _duplicates("user", ((u.address, u.location) for u in mail.users), "address", "declare each mailbox once")
    names = [d.name for d in mail.domains]
    for u in mail.users:
        if mail.domain(u.domain) is None:
            out.append(_error(u.location, "address", f"domain {u.domain!r} of {u.address} is not in tier3_mail.domains",
                              f"declare it under tier3_mail.domains, or use one of: {', '.join(names)}"))
    return out


def _vip_services(topology: Topology) -> list[InventoryError]:
    out = []
    for v in topology.vips:
        needs: dict[str, list[str]] = {}  # serving group -> the VIP's services it serves
        for service in v.services:
            needs.setdefault(SERVICES[service], []).append(service)
        for m in v.members:
            host = topology.host(m.host)
            if host is None or FRONTING_GROUP in host.groups:
                continue  # not a host of the topology: the reference check said so already
            for group, services in needs.items():
                if group not in host.groups:
                    shown = ", ".join(services)
                    out.append(_error(
                        m.location, "host",
                        f"host {m.host!r} holds VIP {v.name!r}, which fronts {shown}, but is in neither group "
                        f"{group} nor {FRONTING_GROUP}: a VIP member without the service",
                        f"make the VIP's members hosts of group {group} or {FRONTING_GROUP}, or remove {shown} "
                        "from its services"))
    return out


def _drill(drill: DrillTargets, mail: MailConfig | None) -> list[InventoryError]:
    out = []
    if mail is None or mail.user(drill.mailbox) is None:
        users = ", ".join(u.address for u in mail.users) if mail is not None and mail.users else ""
        out.append(_error(drill.location, "mailbox", f"{drill.mailbox} is not a user of tier3_mail.users",
                          f"use one of: {users}" if users else "declare it under tier3_mail.users (address, password)"))
    if not (math.isfinite(drill.rto_seconds) and drill.rto_seconds > 0):
        out.append(_error(drill.location, "rto_seconds",
                          f"must be a number of seconds above 0, not {drill.rto_seconds}",
                          "give the takeover time every drill must stay under, e.g. 3.0"))
    return out
