"""``/proc/net/bonding/<bond>`` -> a ``Bond`` with its slaves and, for 802.3ad, its aggregators. Pure.

Expected input (Linux 6.1; 802.3ad adds the ``802.3ad info`` block and per-slave LACP details)::

    Ethernet Channel Bonding Driver: v6.1.0-50-amd64

    Bonding Mode: IEEE 802.3ad Dynamic link aggregation
    MII Status: up
    ...
    802.3ad info
    ...
    Active Aggregator Info:
    \tAggregator ID: 1
    \tNumber of ports: 2
    \tPartner Mac Address: 52:54:00:00:02:01

    Slave Interface: eth1
    MII Status: up
    Speed: 10000 Mbps
    Duplex: full
    Link Failure Count: 0
    Permanent HW addr: 52:54:00:00:01:01
    Slave queue ID: 0
    Aggregator ID: 1
    details actor lacp pdu:
        system mac address: 52:54:00:00:01:01
        port state: 63
    details partner lacp pdu:
        system mac address: 52:54:00:00:02:01
        port state: 63

Completeness: the file has no end marker, so each slave block must be whole: ``MII Status``,
``Link Failure Count`` and ``Slave queue ID`` present, and each LACP details block must end with
its ``port state``. A cut inside the last slave is a ParseError; a cut exactly between two slave
blocks cannot be seen (it leaves fewer slaves: never a member more than the bond has).

Read without CAP_NET_ADMIN (not as root), the kernel leaves out ``System priority``, ``System MAC
address``, the ``Active Aggregator Info`` block and every slave's ``details ... lacp pdu`` blocks:
such a file parses, with ``aggregator_hidden`` set and the aggregator and LACP partner unknown
(``None``). As root, a bond without an active aggregator prints ``bond NAME has no active
aggregator`` instead of the block (``aggregator_hidden`` false, the aggregator ``None``).

Not read: the output of bonding drivers before v3.7.0 (RHEL 5: ``Ethernet Channel Bonding Driver:
v3.4.0 (October 7, 2008)``), whose slave blocks have no ``Slave queue ID``: refused with a
ParseError naming that format, never judged from a guess at its shape.

The bond's name is not in the file: the caller passes it (``tier3 inspect`` takes it from the path).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tier3.errors import ParseError
from tier3.parsers._text import check_text, key_value, to_int

WHAT = "/proc/net/bonding output ('Ethernet Channel Bonding Driver: ...' first)"
MII_STATES = ("up", "down", "going back", "going down")
LACP_SYNC = 0x08  # port state bits (IEEE 802.1AX): synchronization, collecting, distributing
LACP_IN_USE = 0x08 | 0x10 | 0x20
NULL_MAC = "00:00:00:00:00:00"
_HEADER = re.compile(r"^Ethernet Channel Bonding Driver: v?(?P<version>\S*)(?P<date> \(.*\))?")
_NO_AGGREGATOR = re.compile(r"^bond \S+ has no active aggregator$")
QUEUE_ID_SINCE = (3, 7, 0)  # the bonding driver that added "Slave queue ID" to each slave block
_PDU_KEYS = ("system priority", "system mac address", "port priority", "port number", "port state")


@dataclass(frozen=True)
class LacpPdu:
    system_mac: str
    port_number: int
    port_state: int

    @property
    def in_sync(self) -> bool:
        """Synchronization, collecting and distributing all set: the port carries traffic."""
        return self.port_state & LACP_IN_USE == LACP_IN_USE


@dataclass(frozen=True)
class Slave:
    name: str
    mii_status: str
    speed: str
    duplex: str
    link_failure_count: int
    permanent_hw_addr: str
    line: int
    aggregator_id: int | None = None
    actor: LacpPdu | None = None
    partner: LacpPdu | None = None

    @property
    def up(self) -> bool:
        return self.mii_status == "up"


@dataclass(frozen=True)
class Bond:
    name: str
    mode: str  # as printed: "fault-tolerance (active-backup)", "IEEE 802.3ad Dynamic link aggregation", ...
    mii_status: str
    active_slave: str | None
    primary_slave: str | None
    slaves: tuple[Slave, ...]
    active_aggregator_id: int | None = None
    active_aggregator_ports: int | None = None
    partner_mac: str | None = None
    aggregator_hidden: bool = False  # 802.3ad read without root: aggregator and LACP details not printed

    @property
    def is_8023ad(self) -> bool:
        return "802.3ad" in self.mode

    @property
    def is_active_backup(self) -> bool:
        return "active-backup" in self.mode

    def in_active_aggregator(self, slave: Slave) -> bool:
        """802.3ad: the slave is up, in the active aggregator, and (when LACP details are shown) in sync."""
        if not slave.up or slave.aggregator_id is None or slave.aggregator_id != self.active_aggregator_id:
            return False
        pdus = [p for p in (slave.actor, slave.partner) if p is not None]
        if slave.partner is not None and slave.partner.system_mac == NULL_MAC:
            return False
        return all(p.in_sync for p in pdus)


class _Builder:
    def __init__(self, source: str) -> None:
        self.source = source
        self.bond: dict[str, str] = {}
        self.bond_lines: dict[str, int] = {}
        self.agg: dict[str, str] = {}
        self.slaves: list[dict[str, object]] = []
        self.block = "bond"  # bond, ad, agg, slave, actor, partner
        self.no_aggregator = False  # "bond NAME has no active aggregator" (root only)

    def where(self, n: int) -> str:
        return f"line {n}"

    def pdu_done(self, n: int) -> None:
        if self.block in ("actor", "partner"):
            pdu = self.slaves[-1][self.block]
            assert isinstance(pdu, dict)
            missing = [k for k in _PDU_KEYS if k not in pdu]
            if missing:
                raise ParseError(self.source, self.where(n), f"LACP {self.block} details of slave "
                                 f"{self.slaves[-1]['name']} end before {missing[0]!r} (truncated?)")

    def slave_done(self, n: int) -> None:
        self.pdu_done(n)
        if not self.slaves:
            return
        slave = self.slaves[-1]
        for key in ("MII Status", "Link Failure Count", "Slave queue ID"):
            if key not in slave:
                raise ParseError(self.source, self.where(n), f"slave {slave['name']} ends before {key!r} "
                                 "(truncated?)")

    def line(self, n: int, raw: str) -> None:
        text = raw.strip()
        if raw[:1] in (" ", "\t"):
            self.indented(n, text)
            return
        self.pdu_done(n)
        if text == "802.3ad info":
            self.block = "ad"
            return
        if text == "Active Aggregator Info:":
            self.block = "agg"
            return
        if self.block == "ad" and _NO_AGGREGATOR.match(text):
            self.no_aggregator = True
            return
        if text in ("details actor lacp pdu:", "details partner lacp pdu:"):
            if self.block not in ("slave", "actor", "partner"):
                raise ParseError(self.source, self.where(n), f"{text!r} outside a slave block")
            self.block = text.split()[1]
            self.slaves[-1][self.block] = {}
            return
        key, value = key_value(raw, self.source, self.where(n), WHAT)
        if key == "Slave Interface":
            self.slave_done(n)
            if not value:
                raise ParseError(self.source, self.where(n), "expected an interface name after 'Slave Interface:'")
            self.slaves.append({"name": value, "line": n})
            self.block = "slave"
        elif self.block == "slave":
            self.slaves[-1][key] = value
        else:
            self.bond.setdefault(key, value)
            self.bond_lines.setdefault(key, n)

    def indented(self, n: int, text: str) -> None:
        key, value = key_value(text, self.source, self.where(n), WHAT)
        if self.block == "agg":
            self.agg[key] = value
        elif self.block in ("actor", "partner"):
            pdu = self.slaves[-1][self.block]
            assert isinstance(pdu, dict)
            pdu[key.lower()] = value
        else:
            raise ParseError(self.source, self.where(n), "indented line outside 'Active Aggregator Info' or "
                             f"LACP details: {text[:60]!r}")


def _mii(value: str, source: str, where: str) -> str:
    if value not in MII_STATES:
        raise ParseError(source, where, f"expected MII Status one of {', '.join(MII_STATES)}, got {value!r}")
    return value


def parse_proc_net_bonding(text: str, source: str, name: str = "bond") -> Bond:
    """Parse one ``/proc/net/bonding/<name>`` file; ``name`` is the bond's name (not in the file)."""
    lines = check_text(text, source, WHAT)
    first = next((i for i, raw in enumerate(lines) if raw.strip()), 0)
    header = _HEADER.match(lines[first])
    if not header:
        raise ParseError(source, f"line {first + 1}", f"expected {WHAT}, got {lines[first].strip()[:60]!r}")
    _refuse_before_queue_id(header, lines, source, first + 1)
    b = _Builder(source)
    for i, raw in enumerate(lines[first + 1:], start=first + 2):
        if raw.strip():
            b.line(i, raw)
    b.slave_done(len(lines))
    _same_shape(b.slaves, source)
    for key in ("Bonding Mode", "MII Status"):
        if key not in b.bond:
            raise ParseError(source, f"line {len(lines)}", f"no {key!r} line in the bond block")
    bond_mii = _mii(b.bond["MII Status"], source, f"line {b.bond_lines['MII Status']}")
    slaves = tuple(_slave(s, source) for s in b.slaves)
    mode = b.bond["Bonding Mode"]
    agg_id = agg_ports = partner_mac = None
    if "802.3ad" in mode and b.agg:
        agg_id = to_int(b.agg.get("Aggregator ID", ""), source, "Active Aggregator Info", "Aggregator ID")
        agg_ports = to_int(b.agg.get("Number of ports", ""), source, "Active Aggregator Info", "Number of ports")
        partner_mac = b.agg.get("Partner Mac Address")
    active = b.bond.get("Currently Active Slave")
    primary = b.bond.get("Primary Slave", "").split(" ")[0] or None
    return Bond(name=name, mode=mode, mii_status=bond_mii, active_slave=None if active in (None, "None") else active,
                primary_slave=primary, slaves=slaves, active_aggregator_id=agg_id,
                active_aggregator_ports=agg_ports, partner_mac=partner_mac,
                aggregator_hidden="802.3ad" in mode and not b.agg and not b.no_aggregator)


def _version(text: str) -> tuple[int, ...] | None:
    m = re.match(r"(\d+)\.(\d+)\.(\d+)", text)
    return None if m is None else tuple(int(n) for n in m.groups())


def _refuse_before_queue_id(header: re.Match[str], lines: list[str], source: str, line: int) -> None:
    """Bonding drivers before v3.7.0 (RHEL 5) print no ``Slave queue ID``: a format not read here."""
    version = _version(header["version"])
    if version is None or version >= QUEUE_ID_SINCE or any(raw.startswith("Slave queue ID:") for raw in lines):
        return
    raise ParseError(source, f"line {line}", f"bonding driver v{header['version']}{header['date'] or ''} output "
                     "(RHEL 5 format: slave blocks without 'Slave queue ID') is not supported",
                     hint="upgrade the host past RHEL 5 (bonding driver v3.7.0 or later prints the format read "
                     "here), or judge each slave's 'MII Status' in this file by hand")


def _same_shape(slaves: list[dict[str, object]], source: str) -> None:
    """Every slave block of one bond has the fields of the first (the kernel prints one shape per mode),
    except an 802.3ad slave outside any aggregator (``Aggregator ID: N/A``, nothing after it)."""
    full = [s for s in slaves if s.get("Aggregator ID") != "N/A"]
    for s in full[1:]:
        missing = [k for k in full[0] if k not in s and k not in ("name", "line")]
        if missing:
            raise ParseError(source, f"line {s['line']}", f"slave {s['name']} lacks {missing[0]!r}, which slave "
                             f"{full[0]['name']} has (truncated?)")


def _pdu(raw: object, source: str, where: str) -> LacpPdu | None:
    if not isinstance(raw, dict):
        return None
    return LacpPdu(system_mac=str(raw["system mac address"]),
                   port_number=to_int(str(raw["port number"]), source, where, "port number"),
                   port_state=to_int(str(raw["port state"]), source, where, "port state"))


def _slave(raw: dict[str, object], source: str) -> Slave:
    where = f"line {raw['line']}"
    agg = raw.get("Aggregator ID")
    to_int(str(raw["Slave queue ID"]), source, where, "Slave queue ID")  # a cut last line must not pass
    return Slave(
        name=str(raw["name"]),
        mii_status=_mii(str(raw["MII Status"]), source, where),
        speed=str(raw.get("Speed", "Unknown")),
        duplex=str(raw.get("Duplex", "Unknown")),
        link_failure_count=to_int(str(raw["Link Failure Count"]), source, where, "Link Failure Count"),
        permanent_hw_addr=str(raw.get("Permanent HW addr", "")),
        line=int(str(raw["line"])),
        aggregator_id=None if agg in (None, "N/A") else to_int(str(agg), source, where, "Aggregator ID"),
        actor=_pdu(raw.get("actor"), source, where),
        partner=_pdu(raw.get("partner"), source, where),
    )

