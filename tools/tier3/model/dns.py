"""The authoritative DNS of the mail domains as declared in the inventory: ``tier3_dns`` (docs/inventory.md).

Built by ``tier3.schema`` after the schema check; read by ``tier3.rules`` (category dns). The
servers are the hosts of group ``dns``: ``primary`` holds the zones, every other one is a secondary.
The TSIG secret is never kept: only whether it is a vault reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from tier3.model.finding import Location

NOWHERE = Location("<unknown>")
DNS_GROUP: Final = "dns"  # the inventory group of the authoritative servers
DEFAULT_TTL: Final = 3600  # seconds


@dataclass(frozen=True)
class DnsConfig:
    """``tier3_dns``: which server is the primary, the zones' contact, DNSSEC and the default TTL."""

    primary: str
    contact: str  # the SOA RNAME, as an address (hostmaster@example.net)
    tsig_is_vaulted: bool = False  # a !vault value or a vault reference ("{{ vault_x }}"); never the value
    dnssec: bool = True
    ttl: int = DEFAULT_TTL
    location: Location = NOWHERE
