"""The mail service as declared in the inventory: ``tier3_mail`` and ``tier3_drill`` (docs/mail.md),
with what each domain publishes in DNS besides its DKIM keys (DMARC, SPF, MTA-STS, TLS-RPT).

Built by ``tier3.schema`` after the schema check; read by ``tier3.rules`` and the drills. No secret
is kept: a user records only that it has a password and whether that is a vault reference, a DKIM
key only what form it has and, for a plain PEM key, its type and size. Every object keeps the
``Location`` it was declared at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from tier3.model.finding import Location

NOWHERE = Location("<unknown>")

# what each VIP service is, and the groups whose hosts may front it (an lb proxies every service)
SERVICES: Final[dict[str, str]] = {
    "smtp": "mx",
    "submission": "mx",
    "imap": "imap",
    "imaps": "imap",
    "lmtp": "imap",
}
FRONTING_GROUP: Final = "lb"

# the forms of a DKIM private_key value (DkimKey.form)
KEY_VAULTED: Final = "vaulted"  # a !vault value or a Jinja expression: not read by tier3
KEY_PEM: Final = "pem"  # a plain PEM block; key_type and key_bits say what it holds when parsed
KEY_NOT_PEM: Final = "not_pem"  # plain text that is no PEM block at all


@dataclass(frozen=True)
class DkimKey:
    """One DKIM selector of a domain; the key itself is never kept."""

    selector: str
    form: str = KEY_VAULTED  # KEY_VAULTED, KEY_PEM or KEY_NOT_PEM
    key_type: str = ""  # "rsa", "ed25519", "ec"...; "" when not parsed (vaulted, or cryptography missing)
    key_bits: int = 0  # the RSA modulus size; 0 when not parsed or not RSA
    location: Location = NOWHERE


# what tier3 publishes for a domain that does not say (tier3_mail.domains[].dmarc, .mta_sts)
DMARC_POLICIES: Final = ("none", "quarantine", "reject")  # weakest first (RFC 7489 6.3, p=)
DMARC_DEFAULT_POLICY: Final = "quarantine"
MTA_STS_DEFAULT_MODE: Final = "testing"
MTA_STS_DEFAULT_MAX_AGE: Final = 604800  # one week, in seconds (RFC 8461 3.2, max_age)


@dataclass(frozen=True)
class Dmarc:
    """``tier3_mail.domains[].dmarc``: the ``_dmarc`` record's policy, report address and percentage."""

    policy: str = DMARC_DEFAULT_POLICY  # none, quarantine or reject
    rua: str = ""  # a mailto: URI for aggregate reports; "" for none
    pct: int = 100  # the share of failing mail the policy applies to (the rest: one policy weaker)
    location: Location = NOWHERE


@dataclass(frozen=True)
class Spf:
    """``tier3_mail.domains[].spf``: senders besides the MX VIPs, which tier3 lists itself."""

    include: tuple[str, ...] = ()
    ip4: tuple[str, ...] = ()
    ip6: tuple[str, ...] = ()
    location: Location = NOWHERE


@dataclass(frozen=True)
class MtaSts:
    """``tier3_mail.domains[].mta_sts``: the MTA-STS policy's mode and lifetime (RFC 8461)."""

    mode: str = MTA_STS_DEFAULT_MODE  # none, testing or enforce
    max_age: int = MTA_STS_DEFAULT_MAX_AGE
    location: Location = NOWHERE


@dataclass(frozen=True)
class MailDomain:
    name: str
    dkim: tuple[DkimKey, ...] = ()
    location: Location = NOWHERE
    dmarc: Dmarc | None = None  # None: not declared, tier3 publishes Dmarc() (p=quarantine)
    spf: Spf = field(default_factory=Spf)
    mta_sts: MtaSts | None = None  # None: not declared, tier3 publishes MtaSts() (mode testing)
    tls_rpt: str = ""  # the TLS-RPT report URI (mailto: or https:); "" for no _smtp._tls record

    @property
    def dmarc_policy(self) -> Dmarc:
        """The DMARC policy tier3 publishes: the declared one, or the default."""
        return self.dmarc if self.dmarc is not None else Dmarc(location=self.location)


@dataclass(frozen=True)
class MailUser:
    """A mailbox; only the fact that it has a password is kept, never the password."""

    address: str
    has_password: bool = False
    password_is_vaulted: bool = False  # a !vault value or a reference to a vaulted variable
    location: Location = NOWHERE

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]


@dataclass(frozen=True)
class MailTransport:
    """A route for a domain that is not ours (Postfix transport_maps): ``domain`` -> ``nexthop``."""

    domain: str
    nexthop: str
    location: Location = NOWHERE


@dataclass(frozen=True)
class MailConfig:
    """``tier3_mail``: service names, relay networks, domains with DKIM keys, users and transports."""

    hostname: str
    imap_hostname: str
    relay_networks: tuple[str, ...] = ()
    domains: tuple[MailDomain, ...] = ()
    users: tuple[MailUser, ...] = ()
    transports: tuple[MailTransport, ...] = ()
    has_replication_password: bool = False
    location: Location = NOWHERE

    def domain(self, name: str) -> MailDomain | None:
        wanted = name.casefold()
        return next((d for d in self.domains if d.name.casefold() == wanted), None)

    def user(self, address: str) -> MailUser | None:
        wanted = address.casefold()
        return next((u for u in self.users if u.address.casefold() == wanted), None)


@dataclass(frozen=True)
class DrillTargets:
    """``tier3_drill``: the mailbox the failover drills use and what every drill must stay under."""

    mailbox: str
    rto_seconds: float
    rpo_messages: int
    location: Location = NOWHERE
