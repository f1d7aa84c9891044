"""Encryption kinds of ``tier3 inspect``: cryptsetup, luksdump, lsblk."""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import PurePath
from typing import Any

from tier3.inspect import InspectOptions
from tier3.inspect._legacy import Issue, LegacyKind, _redundant, _report, read_source
from tier3.parsers import cryptsetup, lsblk

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


KINDS: dict[str, Any] = {k.name: k for k in (
    LegacyKind("cryptsetup", "a dm-crypt mapping from cryptsetup status", "encrypted", inspect_cryptsetup),
    LegacyKind("luksdump", "a LUKS header from cryptsetup luksDump", "encrypted", inspect_luksdump),
    LegacyKind("lsblk", "the block device tree from lsblk -J: which filesystem sits on crypt, md, mpath", "facts",
               inspect_lsblk),
)}
