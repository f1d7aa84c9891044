"""The mail service as declared in the inventory: ``tier3_mail`` and ``tier3_drill`` (docs/mail.md).

Built by ``tier3.schema`` after the schema check; read by ``tier3.rules`` and the drills. No secret
is kept: a user records only that it has a password and whether that is a vault reference, a DKIM
key only what form it has and, for a plain PEM key, its type and size. Every object keeps the
``Location`` it was declared at.
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class MailDomain:
    name: str
    dkim: tuple[DkimKey, ...] = ()
    location: Location = NOWHERE


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
