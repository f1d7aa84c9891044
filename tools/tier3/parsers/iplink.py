"""``ip -d link show BOND`` -> the bond's link state and, for 802.3ad, its active aggregator. Pure.

Expected input (iproute2 6.1)::

    7: bond0: <BROADCAST,MULTICAST,MASTER,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT ...
        link/ether 52:54:00:00:01:01 brd ff:ff:ff:ff:ff:ff promiscuity 0 ...
        bond mode 802.3ad miimon 100 ... ad_aggregator 1 ad_num_ports 2 ad_actor_key 15 ad_partner_key 15
        ad_partner_mac 52:54:00:00:02:01 ...

``ip -d link`` does not list the slaves, so outside 802.3ad it can only say that the bond is down;
whether it is redundant is then unknown (``None``): read ``/proc/net/bonding/BOND`` for that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tier3.errors import ParseError
from tier3.parsers._text import Issue, check_text, to_int

WHAT = "ip -d link show output ('N: NAME: <FLAGS> ...' first, a 'bond mode' line)"
NULL_MAC = "00:00:00:00:00:00"
_FIRST = re.compile(r"^\d+: (?P<name>[^:@\s]+)(?:@\S+)?: <(?P<flags>[^>]*)>.*\bstate (?P<state>\S+)")


@dataclass(frozen=True)
class BondLink:
    name: str
    flags: tuple[str, ...]
    state: str  # UP, DOWN, UNKNOWN, ...
    mode: str
    options: dict[str, str]

    @property
    def carrier(self) -> bool:
        return self.state == "UP" and "NO-CARRIER" not in self.flags and "LOWER_UP" in self.flags

    def issues(self) -> list[Issue]:
        out: list[Issue] = []
        if not self.carrier:
            out.append(Issue("bond-down", self.name, f"link state {self.state}, flags {','.join(self.flags)}",
                             "line 1", {"state": self.state, "flags": list(self.flags)}))
        if self.mode == "802.3ad":
            ports = self.options.get("ad_num_ports", "0")
            partner = self.options.get("ad_partner_mac", NULL_MAC)
            if partner == NULL_MAC:
                out.append(Issue("lacp-no-partner", self.name, "the active aggregator has no LACP partner",
                                 evidence={"ad_partner_mac": partner}))
            if not ports.isdigit() or int(ports) < 2:
                out.append(Issue("bond-too-few", self.name, f"{ports} port(s) in the active aggregator",
                                 evidence={"ad_aggregator": self.options.get("ad_aggregator"), "ad_num_ports": ports}))
        return out

    @property
    def redundant(self) -> bool | None:
        """False when an issue shows; True only for 802.3ad (the only mode whose member count is shown)."""
        if any(i.breaks_redundancy for i in self.issues()):
            return False
        return True if self.mode == "802.3ad" else None


def parse_ip_link_bond(text: str, source: str) -> BondLink:
    """Parse ``ip -d link show BOND`` for one bond device."""
    lines = check_text(text, source, WHAT)
    m = _FIRST.match(lines[0])
    if not m:
        raise ParseError(source, "line 1", f"expected {WHAT}, got {lines[0].strip()[:60]!r}")
    bond_line = next(((n, raw.split()) for n, raw in enumerate(lines[1:], start=2)
                      if raw.strip().startswith("bond mode ")), None)
    if bond_line is None:
        raise ParseError(source, f"line {len(lines)}", "no 'bond mode ...' line: not a bond, or -d was not given")
    n, words = bond_line
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
    return BondLink(m["name"], tuple(m["flags"].split(",")), m["state"], mode, options)
