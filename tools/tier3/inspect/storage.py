"""Storage kinds of ``tier3 inspect``: mdstat, mdadm-detail, multipath. SOURCE is a saved output
file or ``-``; on a live host the evidence module collects the same items (``Evidence``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from tier3.inspect import Evidence, Kind, redundant_subject
from tier3.model import Finding
from tier3.parsers import mdadm, mdstat, multipath
from tier3.rules import redundant

# ---- md RAID ------------------------------------------------------------------------------------


def _array_verdict(stat: mdstat.MdStat, a: mdstat.MdArray, findings: Sequence[Finding]) -> bool | None:
    """An array's own ``redundant``: None for a container (its volumes hold the data) and for the last
    array of a cut file that nothing blames (the cut may have hidden its resync or slot lines)."""
    verdict = redundant_subject(findings, a.device)
    if a.container or (verdict and not stat.complete and a is stat.arrays[-1]):
        return None
    return verdict


def mdstat_report(stat: mdstat.MdStat, findings: Sequence[Finding], _raw: Any) -> dict[str, Any]:
    arrays = [{
        "name": a.name, "device": a.device, "state": "active" if a.active else "inactive", "read_only": a.read_only,
        "level": a.level, "raid_disks": a.raid_disks, "working_disks": a.working_disks, "slot_map": a.slot_map,
        "blocks": a.blocks, "metadata": a.metadata, "container": a.container, "in_container": a.in_container,
        "members": [{"device": m.device, "role": m.role, "flags": list(m.flags)} for m in a.members],
        "sync": None if a.sync is None else asdict(a.sync),
        "redundant": _array_verdict(stat, a, findings),
    } for a in stat.arrays]
    return {"personalities": list(stat.personalities), "arrays": arrays,
            "unused_devices": None if stat.unused_devices is None else list(stat.unused_devices),
            "complete": stat.complete,
            "unread": None if stat.unread is None else {"line": stat.unread[0], "text": stat.unread[1]},
            "prompt_lines": [{"line": n, "text": text} for n, text in stat.prompt_lines]}


def mdadm_report(d: mdadm.MdDetail, _findings: Sequence[Finding], _raw: Any) -> dict[str, Any]:
    return {"device": d.device, "level": d.level, "version": d.version, "container": d.container,
            "container_of": d.container_of, "state": list(d.state), "raid_devices": d.raid_devices,
            "total_devices": d.total_devices, "active_devices": d.active_devices,
            "working_devices": d.working_devices, "failed_devices": d.failed_devices,
            "spare_devices": d.spare_devices, "progress": dict(d.progress),
            "devices": [{"number": x.number, "raid_device": x.slot, "state": list(x.state), "device": x.device}
                        for x in d.devices]}


def mdadm_verdict(d: mdadm.MdDetail, findings: Sequence[Finding]) -> bool | None:
    """None for an IMSM/DDF container: it holds no data of its own (read its volumes)."""
    return None if d.container else redundant(findings)


# ---- multipath ----------------------------------------------------------------------------------


def multipath_report(mp: multipath.Multipath, findings: Sequence[Finding], _raw: Any) -> dict[str, Any]:
    maps = [{
        "name": m.name, "wwid": m.wwid, "dm": m.dm, "vendor": m.vendor, "product": m.product, "size": m.size,
        "features": m.features, "hwhandler": m.hwhandler, "write_protect": m.write_protect,
        "redundant": redundant_subject(findings, m.name),
        "path_groups": [{"policy": g.policy, "prio": g.prio, "status": g.status,
                         "paths": [{**{k: v for k, v in asdict(p).items() if k != "line"}, "gone": p.gone}
                                   for p in g.paths]}
                        for g in m.groups],
    } for m in mp.maps]
    return {"maps": maps}


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("mdstat", "every md array from /proc/mdstat", "redundant",
         evidence=(Evidence(path="/proc/mdstat"),),
         parse=lambda text, source, _o: mdstat.parse_mdstat(text, source),
         report=mdstat_report, described=lambda _f, _how: "cat /proc/mdstat"),
    Kind("mdadm-detail", "one md array from mdadm --detail", "redundant",
         evidence=(Evidence(argv=("mdadm", "--detail", "{item}"), each="/dev/md[0-9]*"),),
         parse=lambda text, source, _o: mdadm.parse_mdadm_detail(text, source),
         report=mdadm_report, described=lambda d, _how: f"mdadm --detail {d.device}", decide=mdadm_verdict),
    Kind("multipath", "multipath maps, path groups and paths from multipath -ll", "redundant",
         evidence=(Evidence(argv=("multipath", "-ll")),),
         parse=lambda text, source, _o: multipath.parse_multipath_ll(text, source),
         report=multipath_report, described=lambda _f, _how: "multipath -ll"),
)}
