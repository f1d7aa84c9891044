"""Key paths as users read them: ``tier3_host.power_supplies[1].pdu``; and fix hints for schema issues."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tier3.schema.schemas import CerberusError, schema


def key_path(base: str, path: tuple[Any, ...]) -> str:
    """``base`` followed by ``[i]`` for list indexes and ``.name`` for mapping keys."""
    out = base
    for part in path:
        out = f"{out}[{part}]" if isinstance(part, int) else f"{out}.{part}" if out else str(part)
    return out


def _fields_at(kind: str, path: tuple[Any, ...]) -> Mapping[str, Any] | None:
    """The field rules of the mapping at ``path`` in a document of ``kind`` (None when not a mapping)."""
    fields: Mapping[str, Any] | None = schema(kind)
    rules: Mapping[str, Any] | None = None
    for part in path:
        if isinstance(part, int):
            rules = rules.get("schema") if rules else None
        else:
            rules = fields.get(part) if fields else None
        fields = rules.get("schema") if rules and rules.get("type") == "dict" else None
    return fields


def _rules_at(kind: str, path: tuple[Any, ...]) -> Mapping[str, Any]:
    parent = _fields_at(kind, path[:-1])
    if isinstance(path[-1], int):  # an item of a list: its parent's item rules
        grand = _fields_at(kind, path[:-2]) or {}
        rules: Any = grand.get(path[-2], {}).get("schema", {}) if len(path) > 1 else {}
        return rules if isinstance(rules, Mapping) else {}
    found = (parent or {}).get(path[-1])
    if found is None and parent is None and len(path) > 1:  # a value under valuesrules
        owner = (_fields_at(kind, path[:-2]) or {}).get(path[-2], {})
        found = owner.get("valuesrules")
    return found or {}


def _type_hint(rules: Mapping[str, Any], value: Any) -> str:
    wanted = rules.get("type")
    text = " or ".join(wanted) if isinstance(wanted, list) else str(wanted)
    if isinstance(value, str) and "{{" in value:
        return f"write a literal {text}: tier3 does not template Jinja in topology variables"
    return f"write a {text}" if text != "integer" else "write a whole number (no quotes, not yes/no)"


def _range_hint(rules: Mapping[str, Any]) -> str:
    low, high = rules.get("min"), rules.get("max")
    return f"use a value from {low} to {high}" if high is not None else f"use a value of at least {low}"


def _length_hint(rules: Mapping[str, Any]) -> str:
    low, high = rules.get("minlength"), rules.get("maxlength")
    return f"list exactly {low} entries" if low == high else f"list {low} to {high} entries"


_DNS_NAME = "write a DNS name of two labels or more (letters, digits and '-'), e.g. mail.example.net"
_ADDRESS = "write a mail address, user@domain, e.g. alice@example.net"
# (kind, field) -> what a value matching the field's regex looks like
_REGEX_HINTS: Mapping[tuple[str, str], str] = {
    ("host", "wwid"): "write the LUN's WWID as multipath -ll shows it (hex digits, or naa./eui./t10. form)",
    # the encrypted_volumes entries (no other host field has a regex)
    ("host", "name"): "write the dm-crypt mapping name as /dev/mapper shows it (letters, digits, '.', '_', '+', '-'), "
                      "e.g. cryptmail",
    ("host", "device"): "write the path of the device holding the LUKS header, e.g. /dev/md1 or /dev/disk/by-uuid/UUID",
    ("host", "mount"): "write an absolute mount point, e.g. /srv/mail",
    ("mail", "hostname"): _DNS_NAME,
    ("mail", "imap_hostname"): _DNS_NAME,
    ("mail", "name"): _DNS_NAME,
    ("mail", "domain"): "write a domain (example.com), or .example.com for its subdomains",
    ("mail", "selector"): "write a DKIM selector: DNS labels of letters, digits and '-', e.g. 2026a",
    ("mail", "address"): _ADDRESS,
    ("mail", "rua"): "write a mailto: URI for the aggregate reports, e.g. mailto:dmarc@example.net",
    ("mail", "tls_rpt"): "write a mailto: or https: URI for the TLS reports, e.g. mailto:tlsrpt@example.net",
    ("drill", "mailbox"): _ADDRESS,
    ("dns", "contact"): "write the zones' contact as a mail address (SOA RNAME), e.g. hostmaster@example.net",
}
# what to write where a value is missing or empty, when "add `key`" says too little (secrets, mostly)
_MISSING_HINTS: Mapping[tuple[str, str], str] = {
    ("mail", "private_key"): 'add the selector\'s PEM private key (2048 bits or more) from the vault: '
                             '"{{ vault_tier3_dkim_<selector> }}"',
    ("mail", "password"): 'add the user\'s password from the vault: "{{ vault_tier3_mail_<user> }}"',
    ("mail", "replication_password"): 'give the doveadm replication password from the vault: '
                                      '"{{ vault_tier3_mail_replication }}", or remove the key',
    ("mail", "domains"): "declare the domains the service receives mail for: [{name: example.net, dkim: [...]}]",
    ("dns", "tsig_secret"): 'add the zone transfers\' TSIG key (base64 HMAC-SHA256) from the vault: '
                            '"{{ vault_tier3_dns_tsig }}"',
    ("dns", "primary"): "name the host of group dns that holds the zones, e.g. primary: dns1",
    ("dns", "contact"): "give the zones' contact address (SOA RNAME), e.g. contact: hostmaster@example.net",
}


def _regex_hint(kind: str, path: tuple[Any, ...]) -> str:
    return _REGEX_HINTS.get((kind, str(path[-1])), "start with a letter or digit; use only letters, digits, '.', "
                                                   "'_' and '-'")


def _missing_hint(kind: str, path: tuple[Any, ...], fallback: str) -> str:
    return _MISSING_HINTS.get((kind, str(path[-1])), fallback)


# cerberus error code -> fix hint, from (kind, path, rules at path, value)
HINTS: dict[int, Callable[[str, tuple[Any, ...], Mapping[str, Any], Any], str]] = {
    0x02: lambda kind, path, _r, _v: _missing_hint(kind, path, f"add `{path[-1]}`"),
    0x03: lambda kind, path, _r, _v: (
        f"remove `{path[-1]}` or fix its spelling; allowed here: "
        + ", ".join(sorted((_fields_at(kind, path[:-1]) or {}).keys()))
    ),
    0x22: lambda kind, path, _r, _v: _missing_hint(kind, path, "give it a value"),
    0x23: lambda _k, _p, _r, _v: "give it a value or remove the key",
    0x24: lambda _k, _p, rules, value: _type_hint(rules, value),
    0x27: lambda _k, _p, rules, _v: _length_hint(rules),
    0x28: lambda _k, _p, rules, _v: _length_hint(rules),
    0x41: lambda kind, path, _r, _v: _regex_hint(kind, path),
    0x42: lambda _k, _p, rules, _v: _range_hint(rules),
    0x43: lambda _k, _p, rules, _v: _range_hint(rules),
    0x44: lambda _k, _p, rules, _v: f"use one of: {', '.join(map(str, rules.get('allowed', ())))}",
    0x45: lambda _k, _p, rules, _v: f"use only: {', '.join(map(str, rules.get('allowed', ())))}",
}


def hint(kind: str, issue: CerberusError, value: Any) -> str:
    """How to fix one schema issue, naming the allowed keys, types or values."""
    rules = _rules_at(kind, issue.path) if issue.path else {}
    make = HINTS.get(issue.code)
    return make(kind, issue.path, rules, value) if make else "see docs/inventory.md"
