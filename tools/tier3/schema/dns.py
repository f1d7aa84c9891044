"""``tier3_dns``: the schema-clean document -> ``DnsConfig``, and the checks that tie it to the inventory
(each an ``InventoryError`` naming the key and the fix): the primary is a host of group dns, the TSIG
secret is a vault reference (the loader's ``vault_reference``: a !vault value, or an expression that
stands for variables or a secret-store lookup, with no literal in it).

The secret is never kept: ``tsig_is_vaulted`` records the judgement only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from tier3.errors import InventoryError
from tier3.model import DnsConfig, Location, Topology
from tier3.model.dns import DEFAULT_TTL, DNS_GROUP

# inventory-wide mapping variables -> schema kind (set for all hosts, like MAIL_VARS)
DNS_VARS: Final = {"tier3_dns": "dns"}
TSIG_FIX: Final = ('make a key (keymgr -t tier3-transfer hmac-sha256, or tsig-keygen -a hmac-sha256), keep its '
                   'base64 secret in the vault (ansible-vault) and reference it: "{{ vault_tier3_dns_tsig }}"')


def build_dns(doc: dict[str, Any], file: str, key: str, is_vaulted: Callable[[Any], bool]) -> DnsConfig:
    """The model of a schema-clean ``tier3_dns``; ``is_vaulted`` judges the TSIG secret's form."""
    return DnsConfig(
        primary=doc["primary"],
        contact=doc["contact"],
        tsig_is_vaulted=is_vaulted(doc.get("tsig_secret")),
        dnssec=bool(doc.get("dnssec", True)),
        ttl=int(doc.get("ttl", DEFAULT_TTL)),
        location=Location(file, key),
    )


def _error(location: Location, key: str, message: str, hint: str) -> InventoryError:
    return InventoryError(location.file, f"{location.key}.{key}", message, hint=hint)


def check_dns(topology: Topology) -> list[InventoryError]:
    """Every problem of tier3_dns (a schema-clean topology)."""
    dns = topology.dns
    if dns is None:
        return []
    out = []
    servers = [h.name for h in topology.group(DNS_GROUP)]
    if dns.primary not in servers:
        host = topology.host(dns.primary)
        found = (f"host {dns.primary!r} is not in group {DNS_GROUP}" if host is not None
                 else f"{dns.primary!r} is not a host of the inventory")
        out.append(_error(dns.location, "primary", f"{found}: the primary must be one of the authoritative servers",
                          f"name a host of group {DNS_GROUP}: {', '.join(servers)}" if servers
                          else f"add the authoritative servers to group {DNS_GROUP} and name one of them"))
    if not dns.tsig_is_vaulted:
        out.append(_error(dns.location, "tsig_secret",
                          "the TSIG secret is a literal in the inventory (or may hold one), not a vault reference",
                          TSIG_FIX))
    return out
