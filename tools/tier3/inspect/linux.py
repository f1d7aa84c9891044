"""Linux kinds of ``tier3 inspect``: bonding, mdstat, mdadm-detail, multipath, cryptsetup, luksdump,
lsblk, lldp (and ip-link). SOURCE is a saved output file or ``-`` for standard input.

The parsers (``tier3.parsers.*``) say what is wrong as ``Issue`` codes; ``OBS_RULES`` below turns
each code into a finding with a rule id. Every rule and the one meaning of "redundant" are
documented kind by kind in docs/inspect.md.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path, PurePath
from typing import Any

from tier3.errors import ParseError
from tier3.inspect import InspectOptions, Kind, ObservedRule, observed_findings
from tier3.model.finding import Severity
from tier3.parsers import bonding, cryptsetup, iplink, lldp, lsblk, mdadm, mdstat, multipath
from tier3.parsers._text import Issue

REDUNDANCY_CONTROLS = ("ISO27001:A.8.14", "SOC2:A1.2", "GDPR:32(1)(b)")
ENCRYPTION_CONTROLS = ("PCI-DSS:3.5.1", "HIPAA:164.312(a)(2)(iv)", "ISO27001:A.8.24", "GDPR:32(1)(a)")
MAX_BYTES = 64 * 1024 * 1024


def _r(rule_id: str, severity: Severity, title: str, hint: str, controls: tuple[str, ...] = REDUNDANCY_CONTROLS,
       ) -> ObservedRule:
    return ObservedRule(rule_id, severity, title, hint, controls)


H, C, M, L = Severity.HIGH, Severity.CRITICAL, Severity.MEDIUM, Severity.LOW
ENC = ENCRYPTION_CONTROLS
# issue code (from tier3.parsers.*) -> the rule it fires; the catalogue is docs/inspect.md
OBS_RULES: dict[str, ObservedRule] = {
    "bond-member-down": _r("T3-OBS-NET-001", H, "bond member link down",
                           "check the cable, the NIC and the switch port"),
    "bond-too-few": _r("T3-OBS-NET-002", H, "fewer than two bond members carry traffic",
                       "bring a second member up (802.3ad: in the same aggregator as the first)"),
    "bond-down": _r("T3-OBS-NET-003", C, "bond has no link", "restore at least one member link now"),
    "lacp-not-aggregated": _r("T3-OBS-NET-004", H, "802.3ad member up but outside the active aggregator",
                              "check LACP on the switch port: same LAG, same speed, LACP enabled"),
    "lacp-no-partner": _r("T3-OBS-NET-005", H, "802.3ad aggregator has no LACP partner",
                          "configure the switch ports as an LACP port-channel (mode active)"),
    "md-degraded": _r("T3-OBS-STO-001", H, "md array degraded", "replace the failed disk and --add it to the array"),
    "md-syncing": _r("T3-OBS-STO-002", M, "md array resyncing, recovering or reshaping",
                     "wait for the sync to finish; do not pull another disk meanwhile"),
    "md-no-redundancy": _r("T3-OBS-STO-003", H, "md level without redundancy (raid0 or linear)",
                           "rebuild as raid1, raid5, raid6 or raid10"),
    "md-inactive": _r("T3-OBS-STO-004", C, "md array inactive", "find the missing members, then mdadm --run or "
                      "reassemble"),
    "md-member-faulty": _r("T3-OBS-STO-005", L, "md member marked faulty (F)",
                           "mdadm --remove the faulty member and replace the disk"),
    "md-too-few": _r("T3-OBS-STO-006", H, "md array with a single member slot", "grow it to two or more devices"),
    "md-none": _r("T3-OBS-STO-007", M, "no md array assembled", "assemble the arrays (mdadm --assemble --scan)"),
    "mpath-path-failed": _r("T3-OBS-STO-010", H, "multipath path failed",
                            "check the HBA, the fabric and the array port of that path"),
    "mpath-too-few": _r("T3-OBS-STO-011", H, "fewer than two multipath paths active and ready",
                        "restore the second path (zoning, cabling, HBA)"),
    "mpath-no-path": _r("T3-OBS-STO-012", C, "multipath map has no usable path", "restore a path now"),
    "mpath-none": _r("T3-OBS-STO-013", M, "no multipath map", "check multipathd and the LUN masking"),
    "crypt-luks1": _r("T3-OBS-ENC-001", M, "LUKS1 header", "cryptsetup convert --type luks2 (after a header backup)",
                      ENC),
    "crypt-weak-pbkdf": _r("T3-OBS-ENC-002", H, "weak PBKDF (pbkdf2) on a key slot",
                           "cryptsetup luksConvertKey --pbkdf argon2id (LUKS2)", ENC),
    "crypt-short-key": _r("T3-OBS-ENC-003", H, "key shorter than 256 bits", "re-encrypt with --key-size 512 (XTS)",
                          ENC),
    "crypt-cipher": _r("T3-OBS-ENC-004", H, "cipher is not aes-xts-plain64 (or an approved XTS/Adiantum mode)",
                       "re-encrypt with --cipher aes-xts-plain64", ENC),
    "crypt-not-open": _r("T3-OBS-ENC-005", H, "dm-crypt mapping not active", "open the volume (or check its name)",
                         ENC),
    "crypt-plain": _r("T3-OBS-ENC-006", M, "plain dm-crypt (no LUKS header)", "move the data to a LUKS2 volume", ENC),
    "crypt-no-keyslot": _r("T3-OBS-ENC-007", H, "LUKS header without an enabled key slot",
                           "restore the header from its backup", ENC),
    "fs-not-encrypted": _r("T3-OBS-ENC-010", M, "mounted filesystem not on an encrypted device",
                           "move the filesystem onto a LUKS2 volume", ENC),
}


def read_source(source: str) -> str:
    """The text of SOURCE (a file or ``-``), refused with a ParseError naming it when not readable text."""
    if source == "-":
        stream = getattr(sys.stdin, "buffer", None)
        data = stream.read(MAX_BYTES + 1) if stream is not None else sys.stdin.read(MAX_BYTES + 1).encode()
    else:
        path = Path(source)
        if not path.exists():
            raise ParseError(source, "", "no such file", hint="give a saved output file or '-' for standard input")
        if not path.is_file():
            raise ParseError(source, "", "not a regular file", hint="give a saved output file or '-'")
        try:
            with path.open("rb") as fh:
                data = fh.read(MAX_BYTES + 1)
        except OSError as exc:
            raise ParseError(source, "", f"cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise ParseError(source, "", f"larger than {MAX_BYTES // (1024 * 1024)} MiB: not a tool output")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ParseError(source, f"byte {nul}", "binary data (NUL byte): expected text output")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(source, f"byte {exc.start}", "not UTF-8 text") from None


def findings(issues: Iterable[Issue], source: str, read: str) -> list[dict[str, Any]]:
    return observed_findings(issues, OBS_RULES, source, read)


def _report(kind: str, source: str, verdict: dict[str, Any], facts: dict[str, Any], *, issues: list[Issue],
            read: str) -> dict[str, Any]:
    return {"kind": kind, "source": source, **verdict, **facts, "findings": findings(issues, source, read)}


def _redundant(issues: list[Issue]) -> dict[str, Any]:
    return {"redundant": not any(i.breaks_redundancy for i in issues)}


# ---- network ------------------------------------------------------------------------------------

def bond_name(source: str, options: InspectOptions) -> str:
    """The bond's name: ``--extra name``, the file name under /proc/net/bonding, or ``bondN`` in the file name."""
    given = options.extra.get("name")
    if isinstance(given, str) and given:
        return given
    path = PurePath(source)
    if path.parent.name == "bonding":
        return path.name
    m = re.search(r"(?:^|[^a-z])(bond\d+)", path.name)
    return m[1] if m else "bond"


def inspect_bonding(source: str, options: InspectOptions) -> dict[str, Any]:
    bond = bonding.parse_proc_net_bonding(read_source(source), source, bond_name(source, options))
    agg = None if bond.active_aggregator_id is None else {
        "id": bond.active_aggregator_id, "ports": bond.active_aggregator_ports, "partner_mac": bond.partner_mac}
    slaves = [{
        "name": s.name, "mii_status": s.mii_status, "speed": s.speed, "duplex": s.duplex,
        "link_failure_count": s.link_failure_count, "permanent_hw_addr": s.permanent_hw_addr,
        "aggregator_id": s.aggregator_id,
        "in_active_aggregator": bond.in_active_aggregator(s) if bond.is_8023ad else None,
        "partner_mac": None if s.partner is None else s.partner.system_mac,
        "actor_port_state": None if s.actor is None else s.actor.port_state,
        "partner_port_state": None if s.partner is None else s.partner.port_state,
    } for s in bond.slaves]
    facts = {"bond": bond.name, "mode": bond.mode, "mii_status": bond.mii_status, "active_slave": bond.active_slave,
             "primary_slave": bond.primary_slave, "active_aggregator": agg, "slaves": slaves}
    return _report("bonding", source, _redundant(list(bond.issues)), facts, issues=list(bond.issues),
                   read=f"cat /proc/net/bonding/{bond.name}")


def inspect_ip_link(source: str, _options: InspectOptions) -> dict[str, Any]:
    link = iplink.parse_ip_link_bond(read_source(source), source)
    issues = link.issues()
    facts = {"bond": link.name, "mode": link.mode, "state": link.state, "flags": list(link.flags),
             "options": dict(link.options)}
    return _report("ip-link", source, {"redundant": link.redundant}, facts, issues=issues,
                   read=f"ip -d link show {link.name}")


def inspect_lldp(source: str, _options: InspectOptions) -> dict[str, Any]:
    text = read_source(source)
    neighbours = lldp.parse_lldpctl(text, source)
    read = "lldpctl -f json" if text.lstrip().startswith(("{", "[")) else "lldpctl"
    facts = {"interfaces": sorted({n.interface for n in neighbours}),
             "neighbours": [{k: v for k, v in asdict(n).items() if k != "where"} for n in neighbours]}
    return _report("lldp", source, {}, facts, issues=[], read=read)


# ---- storage ------------------------------------------------------------------------------------

def inspect_mdstat(source: str, _options: InspectOptions) -> dict[str, Any]:
    stat = mdstat.parse_mdstat(read_source(source), source)
    arrays = [{
        "name": a.name, "device": a.device, "state": "active" if a.active else "inactive", "read_only": a.read_only,
        "level": a.level, "raid_disks": a.raid_disks, "working_disks": a.working_disks, "slot_map": a.slot_map,
        "blocks": a.blocks,
        "members": [{"device": m.device, "role": m.role, "flags": list(m.flags)} for m in a.members],
        "sync": None if a.sync is None else asdict(a.sync),
        "redundant": not any(i.breaks_redundancy for i in a.issues()),
    } for a in stat.arrays]
    facts = {"personalities": list(stat.personalities), "arrays": arrays, "unused_devices": list(stat.unused_devices)}
    issues = stat.issues()
    return _report("mdstat", source, _redundant(issues), facts, issues=issues, read="cat /proc/mdstat")


def inspect_mdadm(source: str, _options: InspectOptions) -> dict[str, Any]:
    d = mdadm.parse_mdadm_detail(read_source(source), source)
    facts = {"device": d.device, "level": d.level, "state": list(d.state), "raid_devices": d.raid_devices,
             "total_devices": d.total_devices, "active_devices": d.active_devices,
             "working_devices": d.working_devices, "failed_devices": d.failed_devices,
             "spare_devices": d.spare_devices, "progress": dict(d.progress),
             "devices": [{"number": x.number, "raid_device": x.slot, "state": list(x.state), "device": x.device}
                         for x in d.devices]}
    issues = d.issues()
    return _report("mdadm-detail", source, _redundant(issues), facts, issues=issues, read=f"mdadm --detail {d.device}")


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


def inspect_lsblk(source: str, _options: InspectOptions) -> dict[str, Any]:
    tree = lsblk.parse_lsblk_json(read_source(source), source)
    stacks = tree.stacks()
    issues = [Issue("fs-not-encrypted", s.device, f"{s.fstype or 'filesystem'} on {s.device} mounted at "
                    f"{', '.join(s.mountpoints)} is not on a dm-crypt device", "",
                    {"mountpoints": list(s.mountpoints), "fstype": s.fstype, "chain": [n for n, _ in s.chain]})
              for s in stacks if s.mountpoints and s.crypt is None
              and not all(m.startswith("/boot") for m in s.mountpoints)]
    facts = {"devices": len(tree.walk()), "stacks": [{
        "device": s.device, "type": s.type, "fstype": s.fstype, "mountpoints": list(s.mountpoints),
        "crypt": s.crypt, "md": s.md, "mpath": s.mpath, "disks": list(s.disks),
        "chain": [f"{n} ({t})" for n, t in s.chain]} for s in stacks]}
    return _report("lsblk", source, {}, facts, issues=issues, read="lsblk -J -O")


# ---- encryption ---------------------------------------------------------------------------------

def inspect_cryptsetup(source: str, _options: InspectOptions) -> dict[str, Any]:
    st = cryptsetup.parse_cryptsetup_status(read_source(source), source)
    facts = {"device": st.device, "active": st.active, "type": st.type or None, "cipher": st.cipher or None,
             "key_bits": st.key_bits, "pbkdf": None, "backing_device": st.backing_device or None,
             "fields": dict(st.fields)}
    return _report("cryptsetup", source, {"encrypted": st.encrypted}, facts, issues=st.issues(),
                   read=f"cryptsetup status {PurePath(st.device).name}")


def inspect_luksdump(source: str, _options: InspectOptions) -> dict[str, Any]:
    h = cryptsetup.parse_luks_dump(read_source(source), source)
    enabled = [k for k in h.keyslots if k.enabled]
    facts = {"device": h.device or None, "version": h.version, "type": f"LUKS{h.version}", "uuid": h.uuid,
             "cipher": h.cipher, "key_bits": h.key_bits, "pbkdf": enabled[0].pbkdf if enabled else None,
             "keyslots": [{"slot": k.slot, "enabled": k.enabled, "pbkdf": k.pbkdf if k.enabled else None,
                           "parameters": dict(k.parameters)} for k in h.keyslots]}
    return _report("luksdump", source, {"encrypted": bool(enabled)}, facts, issues=h.issues(),
                   read=f"cryptsetup luksDump {h.device or 'DEVICE'}")


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("bonding", "a bond's members, link states and 802.3ad aggregator from /proc/net/bonding/BOND", "redundant",
         inspect_bonding),
    Kind("mdstat", "every md array from /proc/mdstat", "redundant", inspect_mdstat),
    Kind("mdadm-detail", "one md array from mdadm --detail", "redundant", inspect_mdadm),
    Kind("multipath", "multipath maps, path groups and paths from multipath -ll", "redundant", inspect_multipath),
    Kind("cryptsetup", "a dm-crypt mapping from cryptsetup status", "encrypted", inspect_cryptsetup),
    Kind("luksdump", "a LUKS header from cryptsetup luksDump", "encrypted", inspect_luksdump),
    Kind("lsblk", "the block device tree from lsblk -J: which filesystem sits on crypt, md, mpath", "facts",
         inspect_lsblk),
    Kind("lldp", "each interface's LLDP neighbour from lldpctl -f json (or plain lldpctl)", "facts", inspect_lldp),
    Kind("ip-link", "a bond's link and 802.3ad aggregator from ip -d link show BOND", "redundant", inspect_ip_link),
)}
