"""What a host gave: the records of the ``tier3_evidence`` module, checked, and the kinds a host owes.

The module (plugins/modules/tier3_evidence.py) gathers, in one call, every file and command output
that the kind table of ``tier3.inspect`` names for the kinds asked; each record carries its command
or path, exit code, time and SHA-256. ``items_from_answer`` turns the module's answer into
``EvidenceItem`` values and refuses an answer that is not what the module returns (naming the host,
the record and the key), so nothing downstream judges half a record. ``kinds_owed`` says which kinds
a host must give, from what the inventory declares of it: the mail kinds by its groups and the VIPs
it is a member of, plus any the operator asks for.

Pure: no I/O. The conductor ``tier3.check`` judges the items; ``manifest`` is what a report lists
(every item with its hash, never the text).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tier3.errors import ParseError
from tier3.model import Topology

STATUSES = ("ok", "failed", "missing", "none")  # as the module documents them
SOURCES = ("command", "file")

# inventory group -> the kinds its hosts give: the mail cluster's queue and replication, and on every host of
# the mail service (the groups whose plays run roles/baseline) the journal's retention, the mail log in it
LOG_KIND = "journald"
GROUP_KINDS: dict[str, tuple[str, ...]] = {
    "mx": ("postqueue", LOG_KIND), "imap": ("replicator", LOG_KIND),
    **dict.fromkeys(("lb", "archive", "dns", "monitoring"), (LOG_KIND,)),
}
# a VIP member gives vip-holders
VIP_KIND = "vip-holders"
# what a host declares (a tier3_host key) -> the kinds that show it on the host; declaring any of them
# owes TOPOLOGY_KIND too, the comparison of what is declared with what those kinds show
DECLARED_KINDS: dict[str, tuple[str, ...]] = {
    "bonds": ("bonding", "ip-link", "lldp"),
    "raid_arrays": ("mdstat", "mdadm-detail", "lsblk"),  # lsblk resolves /dev/disk/by-id members
    "multipath_luns": ("multipath",),
    "encrypted_volumes": ("cryptsetup", "luksdump", "lsblk"),
}
TOPOLOGY_KIND = "topology"


@dataclass(frozen=True)
class EvidenceItem:
    """One file or command output a host gave, as the module recorded it."""

    host: str
    kind: str
    id: str  # the command line or the file path
    source: str  # "command" or "file"
    status: str  # ok, failed, missing, none
    text: str = ""
    sha256: str | None = None
    size: int | None = None
    rc: int | None = None
    item: str | None = None  # the glob match a command ran for (/dev/md0)
    read_at: float = 0.0
    truncated: bool = False
    detail: str = ""
    stderr: str = ""

    @property
    def usable(self) -> bool:
        """Read in full and answered: what a parser may be given."""
        return self.status == "ok" and not self.truncated

    def manifest_entry(self) -> dict[str, Any]:
        """The item as a report lists it: what was read, when, its hash; never its text."""
        return {"host": self.host, "kind": self.kind, "id": self.id, "source": self.source, "item": self.item,
                "status": self.status, "rc": self.rc, "sha256": self.sha256, "size": self.size,
                "truncated": self.truncated, "read_at": self.read_at, "detail": self.detail}


def _field(doc: Mapping[str, Any], key: str, types: type | tuple[type, ...], where: str,
           optional: bool = False) -> Any:
    value = doc.get(key)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, types):
        wanted = " or ".join(t.__name__ for t in (types if isinstance(types, tuple) else (types,)))
        raise ParseError(where, key, f"expected {key} to be {wanted}, got {type(value).__name__}",
                         hint="the answer is not tier3_evidence's: run the module of this checkout")
    return value


def item_from_record(host: str, doc: Any, where: str) -> EvidenceItem:
    """One module record -> an ``EvidenceItem``; ParseError naming the key when it is not one."""
    if not isinstance(doc, Mapping):
        raise ParseError(where, "", f"expected a record (mapping), got {type(doc).__name__}",
                         hint="the answer is not tier3_evidence's: run the module of this checkout")
    status = _field(doc, "status", str, where)
    if status not in STATUSES:
        raise ParseError(where, "status", f"unknown status {status!r}", hint=f"one of {', '.join(STATUSES)}")
    source = _field(doc, "source", str, where)
    if source not in SOURCES:
        raise ParseError(where, "source", f"unknown source {source!r}", hint=f"one of {', '.join(SOURCES)}")
    sha = _field(doc, "sha256", str, where, optional=True)
    if status in ("ok", "failed") and doc.get("rc") is not None and sha is None:
        raise ParseError(where, "sha256", "a record that was read has no sha256",
                         hint="the answer is not tier3_evidence's: run the module of this checkout")
    return EvidenceItem(
        host=host, kind=_field(doc, "kind", str, where), id=_field(doc, "id", str, where), source=source,
        status=status, text=_field(doc, "text", str, where, optional=True) or "", sha256=sha,
        size=_field(doc, "size", int, where, optional=True), rc=_field(doc, "rc", int, where, optional=True),
        item=_field(doc, "item", str, where, optional=True),
        read_at=float(_field(doc, "read_at", (int, float), where)),
        truncated=bool(doc.get("truncated", False)), detail=str(doc.get("detail") or ""),
        stderr=str(doc.get("stderr") or ""))


def items_from_answer(host: str, answer: Mapping[str, Any], where: str = "") -> list[EvidenceItem]:
    """The ``evidence`` list of one tier3_evidence answer -> items (ParseError on a malformed answer)."""
    src = where or f"tier3_evidence on {host}"
    records = answer.get("evidence")
    if not isinstance(records, list):
        raise ParseError(src, "evidence", f"expected a list of records, got {type(records).__name__}",
                         hint="the answer is not tier3_evidence's: run the module of this checkout")
    return [item_from_record(host, doc, f"{src}: evidence[{i}]") for i, doc in enumerate(records)]


def kinds_owed(topology: Topology, host: str, extra: Iterable[str] = (), *, hardware: bool = True,
               ) -> tuple[str, ...]:
    """The kinds ``host`` must give, in a stable order: by its groups (mx: postqueue, imap: replicator, every
    mail service group journald),
    vip-holders when it is a member of a declared VIP, the kinds that show what its tier3_host declares
    (``DECLARED_KINDS``: bonds -> bonding, ip-link, lldp; ...) and ``topology`` with them, then ``extra``
    (asked by the operator). ``topology`` has no evidence of its own: the host collects the others.
    ``hardware`` false (the host variable ``tier3_check_hardware``): the host is not the machine its
    tier3_host describes (a container standing in for a server, as in the lab), so its declared NICs,
    arrays, LUNs and volumes are not looked for on it."""
    declared = topology.host(host)
    groups = declared.groups if declared is not None else frozenset()
    kinds = [k for group, owed in GROUP_KINDS.items() if group in groups for k in owed]
    if any(m.host == host for vip in topology.vips for m in vip.members):
        kinds.append(VIP_KIND)
    shown = [k for key, owed in DECLARED_KINDS.items() if hardware and declared is not None and getattr(declared, key)
             for k in owed]
    kinds.extend([*shown, TOPOLOGY_KIND] if shown else [])
    kinds.extend(extra)
    return tuple(dict.fromkeys(kinds))


def manifest(items: Sequence[EvidenceItem]) -> list[dict[str, Any]]:
    return [i.manifest_entry() for i in items]
