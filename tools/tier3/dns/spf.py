"""SPF (RFC 7208) as tier3 publishes it, and what a receiver pays to evaluate a record.

Pure functions on strings. ``spf_record`` builds the domain's record from the addresses that send its
mail and the domain's extra senders; ``spf_lookups`` counts the terms that cost a DNS lookup, which
RFC 7208 4.6.4 caps at 10 (over that the check is a permerror, and receivers treat the mail as unsigned
by SPF). The declared rule T3-DNS-001 and the zone generator (``tier3.dns.zone``) both use them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Final

VERSION: Final = "v=spf1"
MAX_LOOKUPS: Final = 10  # RFC 7208 4.6.4
# the mechanisms and the modifier that make the receiver query DNS (RFC 7208 4.6.4); ip4, ip6 and all
# do not, nor does exp (evaluated only after a fail, and not counted)
LOOKUP_TERMS: Final = frozenset({"include", "a", "mx", "ptr", "exists", "redirect"})
QUALIFIERS: Final = "+-~?"


def _unique(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if value and value not in seen:
            seen[value] = None
    return list(seen)


def spf_record(ip4: Iterable[str] = (), ip6: Iterable[str] = (), include: Iterable[str] = (),
               all_qualifier: str = "-") -> str:
    """``v=spf1 ip4:... ip6:... include:... -all``: each value once, in the order given.

    ``ip4`` and ``ip6`` are addresses or networks (``192.0.2.10``, ``198.51.100.0/24``); an address of
    the other family given in one of them goes where it belongs, so callers may pass one list.
    ``ValueError`` for something that is neither.
    """
    if all_qualifier not in QUALIFIERS:
        raise ValueError(f"all_qualifier must be one of {QUALIFIERS!r}, not {all_qualifier!r}")
    v4: list[str] = []
    v6: list[str] = []
    for value in [*ip4, *ip6]:
        network = ipaddress.ip_network(value.strip(), strict=False)
        text = str(network.network_address) if network.num_addresses == 1 else str(network)
        (v4 if network.version == 4 else v6).append(text)
    terms = ([f"ip4:{a}" for a in _unique(v4)] + [f"ip6:{a}" for a in _unique(v6)]
             + [f"include:{d}" for d in _unique(d.strip().rstrip(".") for d in include)])
    return " ".join([VERSION, *terms, f"{all_qualifier}all"])


def term_name(term: str) -> str:
    """The mechanism or modifier a term names, lower case: ``-include:x`` -> ``include``, ``a/24`` -> ``a``,
    ``redirect=x`` -> ``redirect``."""
    body = term[1:] if term[:1] in QUALIFIERS else term
    for separator in (":", "/", "="):
        body = body.split(separator, 1)[0]
    return body.lower()


def spf_lookups(record: str) -> int:
    """How many DNS lookups evaluating ``record`` costs at its own level (RFC 7208 4.6.4): one per
    include, a, mx, ptr, exists and redirect. What an included record costs in turn is only known by
    resolving it; tier3 counts what it publishes. ``ValueError`` when the text is not an SPF record."""
    words = record.split()
    if not words or words[0].lower() != VERSION:
        raise ValueError(f"not an SPF record (it must start with {VERSION!r}): {record!r}")
    return sum(1 for term in words[1:] if term_name(term) in LOOKUP_TERMS)
