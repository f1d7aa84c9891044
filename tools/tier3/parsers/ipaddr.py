"""``ip -j addr`` -> the addresses each interface holds; a mapping of them per host -> who holds what. Pure.

Expected input (iproute2 5.x/6.x): a JSON list, one object per link::

    [{"ifindex": 2, "ifname": "eth0", "flags": ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
      "operstate": "UP", ...,
      "addr_info": [{"family": "inet", "local": "10.89.44.11", "prefixlen": 24, "label": "eth0", ...},
                    {"family": "inet", "local": "10.89.44.100", "prefixlen": 24, ...}]}]

``parse_ip_j_addr`` reads one host's output; ``parse_vip_holders`` reads a mapping of host name ->
that output (its text, or the list already decoded), as the controller gathers it from each member
of a VIP pair. An address on a link that is not administratively up (no ``UP`` flag) is kept with
``link_up: false``: the kernel holds it but answers nothing on it. Facts only: which VIP should be
where is the topology's, and judging it is ``tier3.rules.observed.vip``'s.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tier3.errors import ParseError
from tier3.parsers._text import load_json

WHAT = "ip -j addr output (a JSON list of links, each with ifname, flags and addr_info)"
MAPPING = "a JSON object mapping each host name to its ip -j addr output"


@dataclass(frozen=True)
class Address:
    family: str  # inet, inet6
    local: str  # normalised (ipaddress): 10.89.44.100, fe80::1
    prefixlen: int
    label: str
    where: str  # JSON pointer in the host's output: /1/addr_info/1


@dataclass(frozen=True)
class Interface:
    ifname: str
    flags: tuple[str, ...]
    operstate: str
    addresses: tuple[Address, ...]
    where: str  # /1

    @property
    def link_up(self) -> bool:
        """Administratively up (the ``UP`` flag): an address on a link without it answers nothing."""
        return "UP" in self.flags


@dataclass(frozen=True)
class HostAddresses:
    host: str
    interfaces: tuple[Interface, ...]

    def holding(self, address: str) -> list[tuple[Interface, Address]]:
        """Where this host holds ``address`` (any link, up or not)."""
        wanted = _normal(address)
        return [(i, a) for i in self.interfaces for a in i.addresses if a.local == wanted]


@dataclass(frozen=True)
class VipObservation:
    hosts: tuple[HostAddresses, ...]  # in the order given

    def host(self, name: str) -> HostAddresses | None:
        return next((h for h in self.hosts if h.host == name), None)


def _normal(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address


def _str(doc: Mapping[str, Any], key: str, source: str, where: str, default: str | None = None) -> str:
    value = doc.get(key, default)
    if not isinstance(value, str):
        raise ParseError(source, f"{where}/{key}", f"expected a string for {key}: {WHAT}")
    return value


def _address(doc: Any, source: str, where: str, ifname: str) -> Address:
    if not isinstance(doc, dict):
        raise ParseError(source, where, f"expected an object per address: {WHAT}")
    local = _str(doc, "local", source, where)
    try:
        parsed = str(ipaddress.ip_address(local))
    except ValueError:
        raise ParseError(source, f"{where}/local", f"not an IP address: {local!r}") from None
    prefix = doc.get("prefixlen")
    if isinstance(prefix, bool) or not isinstance(prefix, int):
        raise ParseError(source, f"{where}/prefixlen", "expected an integer prefixlen")
    return Address(_str(doc, "family", source, where), parsed, prefix, _str(doc, "label", source, where, ifname),
                   where)


def _links(value: Any, source: str) -> tuple[Interface, ...]:
    if not isinstance(value, list):
        raise ParseError(source, "", f"expected a JSON list, got {type(value).__name__}: {WHAT}")
    out = []
    for i, link in enumerate(value):
        where = f"/{i}"
        if link == {}:  # ip -4 / -6 -j addr: a link the family filter left out
            continue
        if not isinstance(link, dict) or "ifname" not in link:
            raise ParseError(source, where, f"expected a link object with ifname: {WHAT}")
        ifname = _str(link, "ifname", source, where)
        flags = link.get("flags", [])
        if not isinstance(flags, list) or not all(isinstance(f, str) for f in flags):
            raise ParseError(source, f"{where}/flags", "expected a list of flag names")
        info = link.get("addr_info", [])
        if not isinstance(info, list):
            raise ParseError(source, f"{where}/addr_info", "expected a list of addresses")
        # ip -4 / -6 -j addr prints {} for what the family filter left out: nothing to read there
        addresses = tuple(_address(a, source, f"{where}/addr_info/{j}", ifname) for j, a in enumerate(info) if a != {})
        out.append(Interface(ifname, tuple(flags), _str(link, "operstate", source, where, "UNKNOWN"), addresses,
                             where))
    return tuple(out)


def parse_ip_j_addr(text: str | list[Any], source: str) -> tuple[Interface, ...]:
    """One host's ``ip -j addr`` (text, or the list it decodes to)."""
    value = text if isinstance(text, list) else load_json(text, source, WHAT)
    return _links(value, source)


def parse_vip_holders(raw: str | Mapping[str, Any], source: str) -> VipObservation:
    """{host: ip -j addr output} (as JSON text, or the mapping itself) -> what each host holds."""
    value = load_json(raw, source, MAPPING) if isinstance(raw, str) else raw
    if not isinstance(value, Mapping) or not value:
        raise ParseError(source, "", f"expected {MAPPING}, got {type(value).__name__}",
                         hint='give {"lb1": <ip -j addr of lb1>, "lb2": <ip -j addr of lb2>}')
    hosts = []
    for name, output in value.items():
        if not isinstance(name, str) or not name:
            raise ParseError(source, "", f"host names must be strings: {MAPPING}")
        if not isinstance(output, str | list):
            raise ParseError(source, f"/{name}", f"expected {name}'s ip -j addr output (text or list), got "
                             f"{type(output).__name__}")
        hosts.append(HostAddresses(name, parse_ip_j_addr(output, f"{source}#{name}")))
    return VipObservation(tuple(hosts))
