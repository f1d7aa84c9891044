"""Encryption kinds of ``tier3 inspect``: cryptsetup, luksdump, lsblk. SOURCE is a saved output file
or ``-``; on a live host the evidence module collects the same items (``Evidence``).

``encrypted`` is a statement of fact, not a judgement of strength (the findings judge that):
``cryptsetup``: an active dm-crypt mapping with a cipher (not ``cipher_null``); ``luksdump``: a LUKS
header with an enabled key slot. ``lsblk`` reports facts only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

from tier3.inspect import Evidence, Kind
from tier3.model import Finding
from tier3.parsers import cryptsetup, lsblk

NULL_CIPHER = "cipher_null"  # dm-crypt's identity "cipher": cipher_null-ecb


def status_encrypted(st: cryptsetup.CryptStatus, _findings: Sequence[Finding]) -> bool:
    """An active dm-crypt mapping with a cipher."""
    return st.active and bool(st.cipher) and not st.cipher.startswith(NULL_CIPHER)


def header_encrypted(h: cryptsetup.LuksHeader, _findings: Sequence[Finding]) -> bool:
    """A LUKS header with an enabled key slot."""
    return any(k.enabled for k in h.keyslots)


def status_report(st: cryptsetup.CryptStatus, _findings: Sequence[Finding], _raw: Any) -> dict[str, Any]:
    return {"device": st.device, "active": st.active, "type": st.type or None, "cipher": st.cipher or None,
            "key_bits": st.key_bits, "pbkdf": None, "backing_device": st.backing_device or None,
            "fields": dict(st.fields)}


def header_report(h: cryptsetup.LuksHeader, _findings: Sequence[Finding], _raw: Any) -> dict[str, Any]:
    enabled = [k for k in h.keyslots if k.enabled]
    return {"device": h.device or None, "version": h.version, "type": f"LUKS{h.version}", "uuid": h.uuid,
            "cipher": h.cipher, "key_bits": h.key_bits, "pbkdf": enabled[0].pbkdf if enabled else None,
            "keyslots": [{"slot": k.slot, "enabled": k.enabled, "pbkdf": k.pbkdf if k.enabled else None,
                          "parameters": dict(k.parameters)} for k in h.keyslots]}


def lsblk_report(tree: lsblk.BlockTree, _findings: Sequence[Finding], _raw: Any) -> dict[str, Any]:
    return {"devices": len(tree.walk()), "stacks": [{
        "device": s.device, "type": s.type, "fstype": s.fstype, "mountpoints": list(s.mountpoints),
        "crypt": s.crypt, "md": s.md, "mpath": s.mpath, "disks": list(s.disks),
        "chain": [f"{n} ({t})" for n, t in s.chain]} for s in tree.stacks()]}


KINDS: dict[str, Any] = {k.name: k for k in (
    Kind("cryptsetup", "a dm-crypt mapping from cryptsetup status", "encrypted",
         evidence=(Evidence(argv=("cryptsetup", "status", "{item}"), each="/dev/mapper/*"),),
         parse=lambda text, source, _o: cryptsetup.parse_cryptsetup_status(text, source),
         report=status_report, described=lambda st, how: how or f"cryptsetup status {PurePath(st.device).name}",
         decide=status_encrypted),
    # by-uuid names every device with a UUID, LUKS headers among them; luksDump of any other (a
    # filesystem) exits 1 with nothing on standard output: no LUKS header there, not an item.
    Kind("luksdump", "a LUKS header from cryptsetup luksDump", "encrypted",
         evidence=(Evidence(argv=("cryptsetup", "luksDump", "{item}"), each="/dev/disk/by-uuid/*"),),
         parse=lambda text, source, _o: cryptsetup.parse_luks_dump(text, source),
         report=header_report, described=lambda h, how: how or f"cryptsetup luksDump {h.device or 'DEVICE'}",
         decide=header_encrypted),
    Kind("lsblk", "the block device tree from lsblk -J: which filesystem sits on crypt, md, mpath", "facts",
         evidence=(Evidence(argv=("lsblk", "-J", "-O")),),
         parse=lambda text, source, _o: lsblk.parse_lsblk_json(text, source),
         report=lsblk_report, described=lambda _t, how: how or "lsblk -J -O"),
)}
