"""``ip -d link show BOND`` -> the bond's link state and, for 802.3ad, its active aggregator. Pure.

Expected input (iproute2 6.1)::

    7: bond0: <BROADCAST,MULTICAST,MASTER,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT ...
        link/ether 52:54:00:00:01:01 brd ff:ff:ff:ff:ff:ff promiscuity 0 ...
        bond mode 802.3ad miimon 100 ... ad_aggregator 1 ad_num_ports 2 ad_actor_key 15 ad_partner_key 15
        ad_partner_mac 52:54:00:00:02:01 ...

``ip -d link`` does not list the slaves: outside 802.3ad (whose ``ad_num_ports`` counts the ports
of the active aggregator) it shows the bond's link, not its members; ``/proc/net/bonding/BOND``
shows those.

``ip -d link show`` without a device lists every link: the one bond among them is read (``name``
picks one when there are several).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tier3.errors import ParseError
from tier3.parsers._text import check_text, to_int

WHAT = "ip -d link show output ('N: NAME: <FLAGS> ...' first, a 'bond mode' line)"
_FIRST = re.compile(r"^\d+: (?P<name>[^:@\s]+)(?:@\S+)?: <(?P<flags>[^>]*)>.*\bstate (?P<state>\S+)")


@dataclass(frozen=True)
class BondLink:
    name: str
    flags: tuple[str, ...]
    state: str  # UP, DOWN, UNKNOWN, ...
    mode: str
    options: dict[str, str]
    line: int = 1  # the bond's first line (``N: NAME: <FLAGS> ...``)

    @property
    def carrier(self) -> bool:
        return self.state == "UP" and "NO-CARRIER" not in self.flags and "LOWER_UP" in self.flags


def _links(lines: list[str], source: str) -> list[tuple[int, re.Match[str], list[tuple[int, str]]]]:
    """The link blocks: (line number, first line's match, the block's lines), each from its ``N: NAME:`` line."""
    out: list[tuple[int, re.Match[str], list[tuple[int, str]]]] = []
    for n, raw in enumerate(lines, start=1):
        m = _FIRST.match(raw) if raw[:1].isdigit() else None
        if m is not None:
            out.append((n, m, []))
        elif not out:
            raise ParseError(source, "line 1", f"expected {WHAT}, got {lines[0].strip()[:60]!r}")
        else:
            out[-1][2].append((n, raw))
    return out


def parse_ip_link_bond(text: str, source: str, name: str | None = None) -> BondLink:
    """Parse ``ip -d link show BOND`` for one bond device (or the bond ``name`` in ``ip -d link show``)."""
    lines = check_text(text, source, WHAT)
    links = _links(lines, source)
    bonds = [(first, m, block) for first, m, block in links
             if any(raw.strip().startswith("bond mode ") for _, raw in block)]
    if name is not None and len(bonds) > 1:
        bonds = [b for b in bonds if b[1]["name"] == name] or bonds
    if len(bonds) > 1:
        raise ParseError(source, f"line {bonds[1][0]}", f"several bonds ({', '.join(b[1]['name'] for b in bonds)}) "
                         "and none named", hint="save ip -d link show BOND for one bond, or name the bond")
    if not bonds:
        raise ParseError(source, f"line {len(lines)}", "no 'bond mode ...' line: not a bond, or -d was not given")
    first, m, block = bonds[0]
    n, words = next((n, raw.split()) for n, raw in block if raw.strip().startswith("bond mode "))
    if len(words) < 3 or (len(words) - 3) % 2:
        raise ParseError(source, f"line {n}", "bond options are not 'key value' pairs after 'bond mode MODE' "
                         "(truncated?)")
    mode = words[2]
    options = dict(zip(words[3::2], words[4::2], strict=True))
    if mode == "802.3ad":
        for key in ("ad_num_ports", "ad_partner_mac"):
            if key not in options:
                raise ParseError(source, f"line {n}", f"802.3ad bond without {key} (truncated?)")
        to_int(options["ad_num_ports"], source, f"line {n}", "ad_num_ports")
    return BondLink(m["name"], tuple(m["flags"].split(",")), m["state"], mode, options, first)
