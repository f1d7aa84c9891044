"""What the observed DNS rules read in a record's text: SPF syntax (RFC 7208 4.6, 5, 6), the tags of a
DKIM (RFC 6376 3.6.1) or DMARC (RFC 7489 6.3) record, and whether an answer holds what was expected.
Pure functions on strings; the counting of SPF lookups is ``tier3.dns.spf``'s, the same the zone and the
declared rule T3-DNS-001 use.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Final

from tier3.dns.spf import QUALIFIERS, VERSION, term_name
from tier3.model.mail import DMARC_POLICIES

# mechanism -> whether its ":" argument is required (True), optional (False) or forbidden (None)
SPF_MECHANISMS: Final[dict[str, bool | None]] = {
    "all": None, "include": True, "a": False, "mx": False, "ptr": False, "ip4": True, "ip6": True, "exists": True,
}
SPF_ONCE: Final = ("redirect", "exp")  # modifiers that may appear once (RFC 7208 6)
MODIFIER_NAME: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
CIDR: Final = re.compile(r"^(/\d{1,2})?(//\d{1,3})?$")


def spf_records(texts: Iterable[str]) -> list[str]:
    """The TXT texts that are SPF records (``v=spf1`` alone or followed by a space, RFC 7208 4.5)."""
    return [t for t in texts if t.lower() == VERSION or t.lower().startswith(VERSION + " ")]


def _network_problem(name: str, value: str, term: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return f"not an {'IPv4' if name == 'ip4' else 'IPv6'} address or network: {term!r}"
    return "" if network.version == int(name[-1]) else f"wrong address family: {term!r}"


def _mechanism_problem(term: str) -> str:
    body = term[1:] if term[:1] in QUALIFIERS else term
    name = term_name(term)
    if name not in SPF_MECHANISMS:
        return f"unknown mechanism {term!r}"
    rest = body[len(name):]
    argument, _, cidr = rest[1:].partition("/") if rest.startswith(":") else ("", "", rest.lstrip("/"))
    wanted = SPF_MECHANISMS[name]
    network = name in ("ip4", "ip6")
    checks = (  # in order: the first that holds is the problem
        (wanted is None and bool(rest), f"{name} takes no argument: {term!r}"),
        (bool(wanted) and not rest.startswith(":"), f"{name} needs an argument ({name}:...): {term!r}"),
        (not network and rest.startswith(":") and not argument, f"empty domain in {term!r}"),
        (name in ("a", "mx") and bool(cidr) and not CIDR.match("/" + cidr), f"bad prefix length in {term!r}"),
    )
    said = next((message for bad, message in checks if bad), "")
    return _network_problem(name, rest[1:], term) if network and not said else said


def spf_problems(record: str) -> list[str]:
    """Why ``record`` does not parse as SPF (RFC 7208 4.6.1, 5, 6): [] when it does."""
    words = record.split()
    if not words or words[0].lower() != VERSION:
        return [f"it does not start with {VERSION}"]
    problems: list[str] = []
    seen: dict[str, int] = {}
    for term in words[1:]:
        if "=" in term.split(":", 1)[0]:  # a modifier: name=value
            name, _, value = term.partition("=")
            if not MODIFIER_NAME.match(name):
                problems.append(f"bad modifier name {term!r}")
            elif name.lower() in SPF_ONCE and not value:
                problems.append(f"{name} needs a domain: {term!r}")
            seen[name.lower()] = seen.get(name.lower(), 0) + 1
            continue
        said = _mechanism_problem(term)
        if said:
            problems.append(said)
    problems += [f"{m} appears {n} times (at most once)" for m, n in seen.items() if m in SPF_ONCE and n > 1]
    return problems


def tags(record: str) -> dict[str, str]:
    """``v=DMARC1; p=reject; rua=...`` -> {tag: value}, tags lower case, values stripped (the first of a
    repeated tag wins; a DKIM ``p=``'s whitespace removed, RFC 6376 3.6.1)."""
    out: dict[str, str] = {}
    for part in record.split(";"):
        name, sep, value = part.partition("=")
        name = name.strip().lower()
        if sep and name and name not in out:
            out[name] = "".join(value.split()) if name == "p" else value.strip()
    return out


def dmarc_strength(record: str) -> tuple[int, int]:
    """(rank of p= among none < quarantine < reject, pct): how much failing mail the record keeps out.
    A p= that is not one of the three counts as none (RFC 7489 6.6.3: the record is then ignored)."""
    found = tags(record)
    policy = found.get("p", "").lower()
    rank = DMARC_POLICIES.index(policy) if policy in DMARC_POLICIES else 0
    try:
        pct = int(found.get("pct", "100"))
    except ValueError:
        pct = 100
    return rank, max(0, min(pct, 100))


def dmarc_records(texts: Iterable[str]) -> list[str]:
    return [t for t in texts if tags(t).get("v", "").upper() == "DMARC1"]


def _spf_terms(text: str) -> set[str]:
    return {w.lower() for w in text.split()[1:]}


def holds(observed: Iterable[str], expected: Iterable[str], match: str, role: str) -> bool:
    """Whether an answer holds what was expected: the same records (DMARC: the same tags, pct=100 the
    default); ``contains`` (SPF with an MX address unknown to the controller): every expected term, and
    nothing but ip4/ip6 terms besides."""
    seen, wanted = sorted(observed), sorted(expected)
    if role == "dmarc":
        def normal(text: str) -> dict[str, str]:
            return {"pct": "100", **{k: v.lower() if k == "p" else v for k, v in tags(text).items()}}
        return sorted(map(str, map(normal, seen))) == sorted(map(str, map(normal, wanted)))
    if match == "contains" and role == "spf":
        mine, theirs = spf_records(seen), spf_records(wanted)
        if len(mine) != 1 or len(theirs) != 1:
            return mine == theirs
        extra = _spf_terms(mine[0]) - _spf_terms(theirs[0])
        return _spf_terms(theirs[0]) <= _spf_terms(mine[0]) and all(t.split(":")[0] in ("ip4", "ip6") for t in extra)
    return seen == wanted
