"""Each declared object of each checked host, and what ``tier3 check`` made of it.

The findings say what differs; this says, object by object, what was compared at all: every bond,
md array, multipath LUN and encrypted volume of a host's ``tier3_host``, and every power supply of a
host with a BMC, is

- ``matched``: its evidence was judged and no failed finding of that host names it;
- ``differs``: a failed finding of that host names it (the rule ids are listed);
- ``not evaluated``: the host gave nothing, or not all the evidence the object's comparison rests on
  (``OBJECTS``: a kind was not asked for, or its items could not be judged: the ``error`` finding
  says why). A bond whose LLDP could not be read is not evaluated: its switches were not compared.

A finding names an object when its subject is the object's name, starts with ``NAME:`` (a bond's
member ``bond0:enp0s4``, a LUN's path ``lun0:sdb``) or ends with ``/NAME`` or ``:NAME`` (``/dev/md0``,
``/dev/mapper/data``, the BMC's ``1U/PSU2``, ``metal2:PSU2``): the subjects the observed rules give.
A finding about several objects at once (both supplies on one PDU: ``pdu:NAME``) names none of them;
it is in the findings all the same.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tier3.model import Finding, Host, Status, Topology

MATCHED = "matched"
DIFFERS = "differs"
NOT_EVALUATED = "not evaluated"
TOPOLOGY = "topology"  # tier3.inspect.topology's kind: declared versus observed
BMC_KINDS = ("redfish", "ipmi")
POWER_SUPPLY = "power supply"  # read from the BMC: judged on every host, whatever tier3_check_hardware says
HARDWARE_OFF = "not looked for: tier3_check_hardware is false (the host is not the machine it declares)"

# object kind -> (the host's declared objects' names, the evidence its comparison rests on: each entry
# a kind, or alternatives of which one is enough (the BMC is read over Redfish or IPMI))
OBJECTS: dict[str, tuple[Callable[[Host], Sequence[str]], tuple[tuple[str, ...], ...]]] = {
    "bond": (lambda h: [b.name for b in h.bonds], (("bonding",), ("lldp",), (TOPOLOGY,))),
    "md array": (lambda h: [a.name for a in h.raid_arrays], (("mdstat",), ("mdadm-detail",), (TOPOLOGY,))),
    "multipath LUN": (lambda h: [lun.name for lun in h.multipath_luns], (("multipath",), (TOPOLOGY,))),
    "encrypted volume": (lambda h: [v.name for v in h.encrypted_volumes],
                         (("cryptsetup",), ("luksdump",), ("lsblk",), (TOPOLOGY,))),
    POWER_SUPPLY: (lambda h: [p.name for p in h.power_supplies] if h.bmc is not None else [], (BMC_KINDS,)),
}


@dataclass(frozen=True)
class DeclaredObject:
    host: str
    kind: str
    name: str
    status: str
    rule_ids: tuple[str, ...] = ()
    why: str = ""  # for not evaluated

    def to_dict(self) -> dict[str, Any]:
        return {"host": self.host, "kind": self.kind, "name": self.name, "status": self.status,
                **({"rule_ids": list(self.rule_ids)} if self.rule_ids else {}),
                **({"why": self.why} if self.why else {})}


def names(subject: str, name: str) -> bool:
    """Whether a finding's ``subject`` names the declared object ``name`` (the module's rule)."""
    return (subject == name or subject.startswith(f"{name}:") or subject.endswith((f"/{name}", f":{name}")))


def _host_of(finding: Finding) -> str:
    return str(finding.evidence.get("host") or "")


def _unjudged(kinds: tuple[str, ...], needed: tuple[tuple[str, ...], ...], errored: set[str]) -> str:
    """Why an object resting on ``needed`` was not evaluated on a host that gave ``kinds``, or '' when it was:
    a kind not asked for, or one whose evidence could not be judged (its error finding says why)."""
    for alternatives in needed:
        asked = [k for k in alternatives if k in kinds]
        if not asked:
            return f"not asked for ({' or '.join(alternatives)})"
        if all(k in errored for k in asked):
            return f"its {' or '.join(asked)} evidence could not be judged (see the error finding)"
    return ""


def declared_objects(topology: Topology, checked: Sequence[tuple[str, tuple[str, ...]]],
                     findings: Sequence[Finding], hardware_off: Collection[str] = ()) -> list[DeclaredObject]:
    """Every declared object of the ``checked`` hosts ((host, the kinds it gave evidence for) each, in
    order), with its status against ``findings`` (the run's, deduplicated). The hosts of ``hardware_off``
    (``tier3_check_hardware: false``: not the machine their tier3_host describes) are not evaluated, and
    say so; their power supplies, read from the BMC, are judged as everywhere."""
    out: list[DeclaredObject] = []
    for host_name, kinds in checked:
        host = topology.host(host_name)
        if host is None:
            continue
        mine = [f for f in findings if _host_of(f) == host_name]
        failed = [f for f in mine if f.status is Status.FAIL]
        errored = {f.subject.removeprefix(f"{host_name}:") for f in mine if f.status is Status.ERROR}
        lost = host_name in errored  # the host gave nothing at all
        for kind, (declared, needed) in OBJECTS.items():
            for name in declared(host):
                why = "the host gave no evidence" if lost else (
                    HARDWARE_OFF if host_name in hardware_off and kind != POWER_SUPPLY else
                    _unjudged(kinds, needed, errored))
                if why:
                    out.append(DeclaredObject(host_name, kind, name, NOT_EVALUATED, why=why))
                    continue
                rule_ids = tuple(sorted({f.rule_id for f in failed if names(f.subject, name)}))
                out.append(DeclaredObject(host_name, kind, name, DIFFERS if rule_ids else MATCHED, rule_ids))
    return out


def summary(objects: Sequence[Mapping[str, Any]]) -> str:
    """``5 declared object(s): 4 matched, 1 differs`` (the statuses that occur, in this order), of the
    objects as the report holds them (``DeclaredObject.to_dict``)."""
    counts = {s: sum(1 for o in objects if o.get("status") == s) for s in (MATCHED, DIFFERS, NOT_EVALUATED)}
    shown = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    return f"{len(objects)} declared object(s)" + (f": {shown}" if shown else "")
