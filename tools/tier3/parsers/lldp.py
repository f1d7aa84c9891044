"""``lldpctl -f json`` (lldpd 1.0) and plain ``lldpctl`` -> each local interface's neighbour. Pure.

lldpd's JSON changes shape with the count: one interface is an object, several are a list of
one-key objects; the same holds for chassis. All of these are accepted::

    {"lldp": {"interface": {"eth1": {"chassis": {"sw1": {"id": {"type": "mac", "value": "..."}}},
                                      "port": {"id": {"type": "ifname", "value": "Ethernet1"},
                                               "descr": "uplink"}}}}}
    {"lldp": {"interface": [{"eth1": {...}}, {"eth2": {...}}]}}
    {"lldp": {}}                                   (no neighbour)

The text form (``lldpctl`` without ``-f``) is the same data between dashed lines::

    Interface:    eth1, via: LLDP, RID: 1, Time: 0 day, 00:00:46
      Chassis:
        ChassisID:    mac 52:54:00:00:02:01
        SysName:      peer-lag
      Port:
        PortID:       mac 52:54:00:00:02:01
        PortDescr:    eth3

Errors carry a JSON pointer (``/lldp/interface/1/eth2/port``) or a line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tier3.errors import ParseError
from tier3.parsers._text import check_text, load_json

WHAT = "lldpctl -f json output ({\"lldp\": ...})"
TEXT_WHAT = "lldpctl output ('LLDP neighbors:' between dashed lines)"


@dataclass(frozen=True)
class Neighbour:
    interface: str  # the local interface
    via: str
    chassis_name: str
    chassis_id: str
    chassis_id_type: str
    port_id: str
    port_id_type: str
    port_descr: str
    where: str


def _one_key_items(value: Any, source: str, ptr: str) -> list[tuple[str, Any, str]]:
    """lldpd's object-or-list: ``{"a": {...}}`` or ``[{"a": {...}}, {"b": {...}}]`` -> [(key, value, pointer)]."""
    if isinstance(value, dict):
        return [(k, v, f"{ptr}/{k}") for k, v in value.items()]
    if isinstance(value, list):
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, dict) or len(item) != 1:
                raise ParseError(source, f"{ptr}/{i}", "expected an object with one key (the name)")
            (k, v), = item.items()
            out.append((k, v, f"{ptr}/{i}/{k}"))
        return out
    raise ParseError(source, ptr, "expected an object or a list of objects")


def _id(node: Any, source: str, ptr: str) -> tuple[str, str]:
    if node is None:
        return "", ""
    if not isinstance(node, dict) or not isinstance(node.get("value"), str):
        raise ParseError(source, ptr, "expected {\"type\": ..., \"value\": \"...\"}")
    kind = node.get("type", "")
    return str(node["value"]), kind if isinstance(kind, str) else ""


def _text(node: dict[str, Any], key: str, source: str, ptr: str) -> str:
    value = node.get(key, "")
    if not isinstance(value, str):
        raise ParseError(source, f"{ptr}/{key}", "expected a string")
    return value


def parse_lldpctl_json(text: str, source: str) -> tuple[Neighbour, ...]:
    """Parse ``lldpctl -f json``: one Neighbour per local interface and neighbour."""
    doc = load_json(text, source, WHAT)
    if not isinstance(doc, dict) or not isinstance(doc.get("lldp"), dict):
        raise ParseError(source, "/lldp", f"expected {WHAT}")
    if "interface" not in doc["lldp"]:
        return ()
    out = []
    for ifname, iface, ptr in _one_key_items(doc["lldp"]["interface"], source, "/lldp/interface"):
        if not isinstance(iface, dict):
            raise ParseError(source, ptr, "expected an interface object")
        chassis = iface.get("chassis")
        if chassis is None:
            raise ParseError(source, f"{ptr}/chassis", "interface without a neighbour chassis")
        items = _one_key_items(chassis, source, f"{ptr}/chassis")
        if len(items) == 1 and isinstance(items[0][1], dict) and "id" in items[0][1]:
            cname, cnode, cptr = items[0]
        elif isinstance(chassis, dict) and "id" in chassis:  # a chassis without a SysName
            cname, cnode, cptr = "", chassis, f"{ptr}/chassis"
        else:
            raise ParseError(source, f"{ptr}/chassis", "expected one chassis with an 'id'")
        cid, ctype = _id(cnode.get("id"), source, f"{cptr}/id")
        port = iface.get("port")
        if not isinstance(port, dict):
            raise ParseError(source, f"{ptr}/port", "expected the neighbour's port object")
        pid, ptype = _id(port.get("id"), source, f"{ptr}/port/id")
        out.append(Neighbour(ifname, _text(iface, "via", source, ptr), cname, cid, ctype, pid, ptype,
                             _text(port, "descr", source, f"{ptr}/port"), ptr))
    return tuple(out)


_IFACE = re.compile(r"^Interface:\s+(?P<name>[^,\s]+),\s+via:\s+(?P<via>[^,]+)")
_FIELD = re.compile(r"^\s+(?P<key>ChassisID|SysName|PortID|PortDescr):\s*(?P<value>.*?)\s*$")


def parse_lldpctl_text(text: str, source: str) -> tuple[Neighbour, ...]:
    """Parse plain ``lldpctl`` (the keyvalue-less human form); completeness: a dashed line closes each block."""
    lines = check_text(text, source, TEXT_WHAT)
    if not lines[0].startswith("-----") or len(lines) < 3 or lines[1].strip() != "LLDP neighbors:":
        raise ParseError(source, "line 1", f"expected {TEXT_WHAT}")
    out: list[Neighbour] = []
    cur: dict[str, str] | None = None
    for n, raw in enumerate(lines[2:], start=3):
        if raw.startswith("-----"):
            if cur is not None:
                out.append(_text_neighbour(cur, source))
            cur = None
        elif (m := _IFACE.match(raw)) is not None:
            if cur is not None:
                raise ParseError(source, f"line {n}", "interface block not closed by a dashed line")
            cur = {"interface": m["name"], "via": m["via"].strip(), "where": f"line {n}"}
        elif cur is None:
            if raw.strip():
                raise ParseError(source, f"line {n}", f"expected 'Interface: NAME, via: ...', got {raw.strip()[:60]!r}")
        elif (f := _FIELD.match(raw)) is not None:
            cur.setdefault(f["key"], f["value"])
    if cur is not None or not lines[-1].startswith("-----"):
        raise ParseError(source, f"line {len(lines)}", "output does not end with a dashed line (truncated?)")
    return tuple(out)


def _text_neighbour(cur: dict[str, str], source: str) -> Neighbour:
    for key in ("ChassisID", "PortID"):
        if key not in cur:
            raise ParseError(source, cur["where"], f"neighbour of {cur['interface']} without {key}")
    ctype, _, cid = cur["ChassisID"].partition(" ")
    ptype, _, pid = cur["PortID"].partition(" ")
    return Neighbour(cur["interface"], cur["via"], cur.get("SysName", ""), cid, ctype, pid, ptype,
                     cur.get("PortDescr", ""), cur["where"])


def parse_lldpctl(text: str, source: str) -> tuple[Neighbour, ...]:
    """JSON or text, told apart by the first character: ``{`` or ``[`` is JSON."""
    if text.lstrip().startswith(("{", "[")):
        return parse_lldpctl_json(text, source)
    return parse_lldpctl_text(text, source)
