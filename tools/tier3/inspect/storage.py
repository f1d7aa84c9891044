"""Storage kinds of ``tier3 inspect``: mdstat, mdadm-detail, multipath. SOURCE is a saved output
file or ``-``; on a live host the evidence module collects the same items (``Evidence``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from tier3.inspect import Evidence, InspectOptions, Kind, redundant_subject
from tier3.inspect._legacy import LegacyKind, _redundant, _report, read_source
from tier3.model import Finding
from tier3.parsers import mdadm, mdstat, multipath

# ---- md RAID ------------------------------------------------------------------------------------


def mdstat_report(stat: mdstat.MdStat, findings: Sequence[Finding], _raw: Any) -> dict[str, Any]:
    arrays = [{
        "name": a.name, "device": a.device, "state": "active" if a.active else "inactive", "read_only": a.read_only,
        "level": a.level, "raid_disks": a.raid_disks, "working_disks": a.working_disks, "slot_map": a.slot_map,
        "blocks": a.blocks,
        "members": [{"device": m.device, "role": m.role, "flags": list(m.flags)} for m in a.members],
        "sync": None if a.sync is None else asdict(a.sync),
        "redundant": redundant_subject(findings, a.device),
    } for a in stat.arrays]
    return {"personalities": list(stat.personalities), "arrays": arrays, "unused_devices": list(stat.unused_devices)}


def mdadm_report(d: mdadm.MdDetail, _findings: Sequence[Finding], _raw: Any) -> dict[str, Any]:
    return {"device": d.device, "level": d.level, "state": list(d.state), "raid_devices": d.raid_devices,
            "total_devices": d.total_devices, "active_devices": d.active_devices,
            "working_devices": d.working_devices, "failed_devices": d.failed_devices,
            "spare_devices": d.spare_devices, "progress": dict(d.progress),
            "devices": [{"number": x.number, "raid_device": x.slot, "state": list(x.state), "device": x.device}
                        for x in d.devices]}


# ---- multipath (transitional: judged through tier3.inspect._legacy) -----------------------------

def inspect_multipath(source: str, _options: InspectOptions) -> dict[str, Any]:
    mp = multipath.parse_multipath_ll(read_source(source), source)
    maps = [{
        "name": m.name, "wwid": m.wwid, "dm": m.dm, "vendor": m.vendor, "product": m.product, "size": m.size,
        "features": m.features, "hwhandler": m.hwhandler, "write_protect": m.write_protect,
        "redundant": not any(i.breaks_redundancy for i in m.issues()),
        "path_groups": [{"policy": g.policy, "prio": g.prio, "status": g.status,
                         "paths": [{k: v for k, v in asdict(p).items() if k != "line"} for p in g.paths]}
                        for g in m.groups],
    } for m in mp.maps]
    issues = mp.issues()
    return _report("multipath", source, _redundant(issues), {"maps": maps}, issues=issues, read="multipath -ll")


KINDS: dict[str, Any] = {k.name: k for k in (
    Kind("mdstat", "every md array from /proc/mdstat", "redundant",
         evidence=(Evidence(path="/proc/mdstat"),),
         parse=lambda text, source, _o: mdstat.parse_mdstat(text, source),
         report=mdstat_report, described=lambda _f, _how: "cat /proc/mdstat"),
    Kind("mdadm-detail", "one md array from mdadm --detail", "redundant",
         evidence=(Evidence(argv=("mdadm", "--detail", "{item}"), each="/dev/md[0-9]*"),),
         parse=lambda text, source, _o: mdadm.parse_mdadm_detail(text, source),
         report=mdadm_report, described=lambda d, _how: f"mdadm --detail {d.device}"),
    LegacyKind("multipath", "multipath maps, path groups and paths from multipath -ll", "redundant",
               inspect_multipath),
)}
