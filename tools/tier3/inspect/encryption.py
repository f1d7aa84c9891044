"""Encryption kinds of ``tier3 inspect``: cryptsetup, luksdump, lsblk. SOURCE is a saved output file
or ``-``; on a live host the evidence module collects the same items (``Evidence``).

``encrypted`` is a statement of fact, not a judgement of strength (the findings judge that):
``cryptsetup``: an active dm-crypt mapping with a cipher (not ``cipher_null``); ``luksdump``: a LUKS
header with an enabled key slot. ``lsblk`` reports facts only.

A host runs both commands on every match of a glob, and some matches hold nothing to read: the
``/dev/mapper/control`` node and the maps that are not dm-crypt (multipath, LVM) under
``/dev/mapper``, the filesystems under ``/dev/disk/by-uuid``. ``NOTHING_THERE`` tells such a record
from a failure (``tier3.check`` counts it as a glob match with nothing behind it, not an error).
``luksDump --dump-json-metadata`` reads LUKS2 only: on a LUKS1 header it says so and exits 1, and that
header is judged from ``cryptsetup status`` of its open mapping instead (type LUKS1).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import PurePath
from typing import Any

from tier3.evidence import EvidenceItem
from tier3.inspect import Evidence, InspectOptions, Kind
from tier3.model import Finding
from tier3.parsers import cryptsetup, lsblk
from tier3.sources import read_text

NULL_CIPHER = "cipher_null"  # dm-crypt's identity "cipher": cipher_null-ecb


_STATUS_ONLY = re.compile(r"^\S+ is (?:inactive|active(?: and is in use)?)\.\s*(?:type:\s+n/a\s*)?$")
NO_HEADER = "is not a valid LUKS device"  # luksDump on a device without a LUKS header (exit 1)
NOT_LUKS2 = "Dump operation is not supported for this device type"  # --dump-json-metadata on LUKS1 (exit 1)


def no_mapping(item: EvidenceItem) -> str:
    """Why a ``cryptsetup status`` record holds no dm-crypt mapping ("" when it may): the name is not
    open (``/dev/mapper/control``: ``is inactive.``, exit 4) or the map is not dm-crypt (exit 1 with the
    status line alone, or with nothing at all: cryptsetup 2.6.1 of Debian 12 on a multipath map, measured
    on the lab's metal hosts). Anything on standard error is a failure to report, not this."""
    if item.status != "failed" or not item.rc or item.stderr.strip():
        return ""
    said = " ".join(item.text.split())
    if _STATUS_ONLY.match(said) or (item.rc == 1 and not said):
        return f"{item.item or item.id}: not a dm-crypt mapping"
    return ""


def no_header(item: EvidenceItem) -> str:
    """Why a ``cryptsetup luksDump`` record holds no header to read ("" when it may): no LUKS header on the
    device, or a LUKS1 header, which the JSON dump does not read (exit 1, nothing on standard output)."""
    if item.status != "failed" or item.rc != 1 or item.text.strip():
        return ""
    if NO_HEADER in item.stderr:
        return f"{item.item or item.id}: no LUKS header"
    if NOT_LUKS2 in item.stderr:
        return f"{item.item or item.id}: a LUKS1 header (judged from cryptsetup status of its mapping)"
    return ""


# kind -> why one of its records is a glob match with nothing to read ("" for a record to judge)
NOTHING_THERE: dict[str, Callable[[EvidenceItem], str]] = {"cryptsetup": no_mapping, "luksdump": no_header}


def _read_dump(source: str, _options: InspectOptions) -> tuple[Any, str]:
    text = read_text(source)
    return text, "cryptsetup luksDump --dump-json-metadata" if text.lstrip().startswith("{") else "cryptsetup luksDump"


def _dump_device(options: InspectOptions) -> str:
    """The device a dump was run on, when the caller knows it (``tier3 check``: the item of the record)."""
    given = options.extra.get("item")
    return given if isinstance(given, str) else ""


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
    # filesystem) exits 1 with nothing on standard output: no LUKS header there, not an item (no_header).
    # The JSON metadata holds no key material; a saved text dump (luksDump without the option) reads too.
    Kind("luksdump", "a LUKS header from cryptsetup luksDump --dump-json-metadata (or its text form)", "encrypted",
         evidence=(Evidence(argv=("cryptsetup", "luksDump", "--dump-json-metadata", "{item}"),
                            each="/dev/disk/by-uuid/*"),),
         parse=lambda text, source, o: cryptsetup.parse_luks_header(text, source, _dump_device(o)),
         report=header_report, read=_read_dump,
         described=lambda h, how: f"{how or 'cryptsetup luksDump --dump-json-metadata'} {h.device or 'DEVICE'}",
         decide=header_encrypted),
    Kind("lsblk", "the block device tree from lsblk -J: which filesystem sits on crypt, md, mpath", "facts",
         evidence=(Evidence(argv=("lsblk", "-J", "-O")),),
         parse=lambda text, source, _o: lsblk.parse_lsblk_json(text, source),
         report=lsblk_report, described=lambda _t, how: how or "lsblk -J -O"),
)}
