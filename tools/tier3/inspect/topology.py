"""The ``topology`` kind of ``tier3 inspect``: what a host has against what the inventory declares of it.

A composite kind: no command of its own (``evidence=()``). Its input is the items one host gave for
the other kinds (``tier3.parsers.topology.KINDS``), as kind -> [(item label, text)]; its facts are a
``HostObserved`` (bonds, LLDP neighbours, md arrays, multipath maps, dm-crypt mappings, LUKS headers,
the lsblk tree), judged by the rules of ``tier3.rules.observed.topology_*`` against the declared host
(``-i INVENTORY --host HOST``; without them nothing is declared and nothing is judged).

SOURCE is a saved ``tier3_evidence`` answer: a JSON file with ``evidence: [...]`` (what the module, or
``tier3 check``'s per-host result, returns)::

    tier3 inspect topology saved/mx1-evidence.json -i inventory/prod --host fra1-mx1

``gathered`` builds the input from the items, the same for ``tier3 check`` and for a saved answer: a
record read whole goes in; a record of a glob match with nothing to read (``NOTHING_THERE``: a
filesystem under by-uuid, ``/dev/mapper/control``) or of a glob that matched nothing (status
``none``) leaves its kind present and empty (the host has none); a kind with a record that could
not be read (failed, missing, cut) is left out whole (not known: the rules needing it stay silent)
and named in ``left_out``, as is any kind the caller leaves out (``tier3 check``: those whose
evidence could not be judged).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from tier3.errors import ParseError
from tier3.evidence import EvidenceItem, items_from_answer
from tier3.inspect import InspectOptions, Kind
from tier3.inspect.encryption import NOTHING_THERE
from tier3.model import Finding
from tier3.parsers import topology as observed
from tier3.parsers.topology import HostObserved, declared_mode, parse_host_observed
from tier3.sources import read_text

NAME = "topology"
WHAT = "a saved tier3_evidence answer (JSON with 'evidence': [...])"


@dataclass(frozen=True)
class Gathered:
    """The topology's input from one host's items, the items it rests on, and the kinds left out and why."""

    raw: dict[str, list[tuple[str, str]]]
    used: tuple[EvidenceItem, ...]
    left_out: dict[str, str]


def label(item: EvidenceItem) -> str:
    """The item's name: the glob match a command ran for, else the file path or the command line."""
    return item.item or item.id


def nothing_there(item: EvidenceItem) -> str:
    """Why ``item`` is a glob match with nothing to read (``NOTHING_THERE`` of its kind), "" otherwise."""
    check = NOTHING_THERE.get(item.kind)
    return check(item) if check is not None else ""


def _unreadable(item: EvidenceItem) -> str:
    """Why an item cannot be read ("" when it can, or when it is a match with nothing there)."""
    if item.status == "none" or nothing_there(item):
        return ""
    if item.status != "ok":
        return f"{label(item)}: {item.status}"
    if item.truncated:
        return f"{label(item)}: cut at {len(item.text)} of {item.size} bytes"
    return ""


def gathered(items: Sequence[EvidenceItem], leave_out: Collection[str] = ()) -> Gathered:
    """kind -> [(label, text)] of the items read whole, of the kinds the topology is read from (see above)."""
    raw: dict[str, list[tuple[str, str]]] = {}
    used: list[EvidenceItem] = []
    left_out = {kind: "its evidence could not be judged" for kind in leave_out if kind in observed.KINDS}
    for kind in observed.KINDS:
        mine = [i for i in items if i.kind == kind]
        if not mine or kind in left_out:
            continue
        why = next((w for w in map(_unreadable, mine) if w), "")
        if why:
            left_out[kind] = why
            continue
        read = [i for i in mine if i.status == "ok" and not nothing_there(i)]
        raw[kind] = [(label(i), i.text) for i in read]
        used.extend(read)
    return Gathered(raw, tuple(used), left_out)


def _read_answer(source: str, options: InspectOptions) -> tuple[Any, str]:
    text = read_text(source)
    try:
        answer = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(source, f"line {exc.lineno} column {exc.colno}", f"invalid JSON ({exc.msg}): expected "
                         f"{WHAT}") from None
    if not isinstance(answer, dict):
        raise ParseError(source, "", f"expected {WHAT}")
    found = gathered(items_from_answer(options.host or "host", answer, source))
    return found.raw, f"tier3_evidence answer {source}"


def _parse(raw: Any, source: str, _options: InspectOptions) -> HostObserved:
    return parse_host_observed(raw, source)


def topology_report(facts: HostObserved, _findings: Sequence[Finding], _raw: Any) -> dict[str, Any]:
    """The facts as JSON: every object the rules compare, by the name they compare it under."""
    return {
        "given": sorted(facts.given),
        "bonds": {name: {"mode": b.mode, "mode_as_declared": declared_mode(b.mode) or None, "mii_status": b.mii_status,
                         "members": {s.name: s.mii_status for s in b.slaves}} for name, b in facts.bonds.items()},
        "neighbours": {iface: [{"chassis_name": n.chassis_name, "chassis_id": n.chassis_id, "port_id": n.port_id,
                                "port_descr": n.port_descr} for n in found]
                       for iface, found in facts.neighbours.items()},
        "arrays": {name: {k: v for k, v in asdict(a).items() if k != "name"} for name, a in facts.arrays.items()},
        "multipath": {wwid: {"name": m.name, "paths": [{"device": p.device, "hctl": p.hctl, "dm_state": p.dm_state,
                                                        "checker": p.checker, "online": p.online} for p in m.paths]}
                      for wwid, m in facts.maps.items()},
        "mappings": {name: {"active": st.active, "type": st.type or None, "cipher": st.cipher or None,
                            "key_bits": st.key_bits, "device": st.backing_device or None}
                     for name, st in facts.mappings.items()},
        "headers": {key: {"device": h.device or None, "version": h.version, "cipher": h.cipher,
                          "key_bits": h.key_bits, "pbkdf": [k.pbkdf for k in h.keyslots if k.enabled]}
                    for key, h in facts.headers.items()},
        "stacks": [] if facts.tree is None else [
            {"device": s.device, "type": s.type, "mountpoints": list(s.mountpoints), "crypt": s.crypt,
             "chain": [n for n, _ in s.chain]} for s in facts.tree.stacks()],
    }


KINDS: dict[str, Kind] = {NAME: Kind(
    NAME, "a host's bonds and LLDP, md arrays, multipath maps and dm-crypt volumes against what the inventory "
    "declares of it (SOURCE: a saved tier3_evidence answer; -i INVENTORY --host HOST)", "facts",
    evidence=(), parse=_parse, report=topology_report,
    described=lambda _facts, how: how or "the host's tier3_evidence items", read=_read_answer)}
