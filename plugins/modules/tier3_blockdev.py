#!/usr/bin/python
# Copyright: tier3 contributors
# Apache-2.0 (see LICENSE)
"""Say what each block device of a list holds (blank, LUKS, a filesystem, a partition table, md, LVM...), read-only.

roles/raid and roles/luks call it before they create an array or format a volume: each refuses any device that
is not blank, so that neither ever writes over data. The module only reads (blkid, wipefs --no-act, sysfs, the
first MiB); the roles judge.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from typing import Any

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
---
module: tier3_blockdev
short_description: Probe block devices for signatures (filesystem, partition table, LUKS, md, LVM) without changing them
version_added: "0.3.0"
description:
  - For each device of O(devices), reads what it holds with C(blkid -p) (low-level probe, no cache) and
    C(wipefs --no-act --json) (every signature and its offset), the kernel's view in sysfs (partitions, holders
    such as an md array or a dm-crypt mapping) and, when no tool finds a signature, whether the first MiB is all
    zeros; and says it in one word, RV(devices[].kind).
  - C(blank) means no signature and zeros in the first MiB. A device with data no tool recognises (a plain dm-crypt
    volume has no header and looks like random data) is C(data), never C(blank).
  - Changes nothing, ever; C(changed) is always false. roles/raid and roles/luks refuse to create an array on, or
    format, a device that is not C(blank) (or already theirs), naming RV(devices[].what).
options:
  devices:
    description: Paths of the devices (C(/dev/vdb), C(/dev/disk/by-id/virtio-data1)); links are followed.
    type: list
    elements: str
    required: true
  zero_check_bytes:
    description: How many bytes from the start must be zeros for a device without any signature to be C(blank).
    type: int
    default: 1048576
notes:
  - Needs C(blkid) and C(wipefs) (util-linux, on every Debian host). When C(mdadm) is installed, a device with an md
    superblock also gets the text of C(mdadm --examine) in RV(devices[].output).
  - A path that does not exist is a record of kind C(missing), not a failure; the role says what to fix.
attributes:
  check_mode:
    support: full
    description: Only reads; the same in check mode.
  diff_mode:
    support: none
    description: Nothing is changed.
  platform:
    platforms: [posix]
seealso:
  - module: tier3.dc.tier3_read
author:
  - tier3 contributors
"""

EXAMPLES = r"""
- name: Luks | What the declared devices hold (nothing is formatted before every one is known)
  tier3.dc.tier3_blockdev:
    devices: [/dev/disk/by-id/virtio-data1, /dev/vdc]
  register: __luks_probe

- name: Luks | Refuse a device that holds anything
  ansible.builtin.assert:
    that: __luks_probe.devices | rejectattr('kind', 'in', ['blank', 'luks2']) | list | length == 0
    fail_msg: >-
      {% for d in __luks_probe.devices | rejectattr('kind', 'in', ['blank', 'luks2']) %}refusing to format
      {{ d.device }}: it holds {{ d.what }}; wipe it yourself if it is meant for luks. {% endfor %}
"""

RETURN = r"""
devices:
  description: One record per device, in the order given.
  type: list
  elements: dict
  returned: always
  contains:
    device:
      description: The path as given.
      type: str
      sample: /dev/disk/by-id/virtio-data1
    path:
      description: The path with links resolved.
      type: str
      sample: /dev/vdb
    exists:
      description: Whether the path exists.
      type: bool
    block:
      description: Whether it is a block device (a regular file is probed too, but is not one).
      type: bool
    kind:
      description:
        - C(blank), C(luks2), C(luks1), C(md), C(lvm), C(swap), C(filesystem:TYPE) (C(filesystem:ext4)),
          C(partition-table:TYPE) (C(partition-table:gpt)), C(raid:TYPE), C(crypto:TYPE) and C(other:TYPE) for other
          signatures, C(ambivalent) (several signatures, blkid will not choose), C(data) (no signature, not zeros),
          C(missing) (no such path), C(unreadable) (the probe failed; RV(devices[].what) says why).
      type: str
      sample: filesystem:ext4
    type:
      description: blkid's C(TYPE) (or C(PTTYPE) for a partition table); empty when none.
      type: str
      sample: ext4
    usage:
      description: blkid's C(USAGE) (C(filesystem), C(crypto), C(raid), C(other)); empty when none.
      type: str
    uuid:
      description: blkid's C(UUID) (the LUKS header's, the filesystem's, the md array's); empty when none.
      type: str
    label:
      description: blkid's C(LABEL) (an md 1.x superblock's array name, C(host:md0)); empty when none.
      type: str
    version:
      description: blkid's C(VERSION) (C(2) for LUKS2, C(1.2) for md metadata 1.2); empty when none.
      type: str
    md_uuid:
      description: For C(md), the array UUID as mdadm writes it (C(01020304:05060708:090a0b0c:0d0e0f10)); else empty.
      type: str
    md_array:
      description: For C(md) with a 1.x superblock, the array's name without its home host (C(md0)); else empty.
      type: str
    signatures:
      description: Every signature wipefs finds, with its offset (C(type), C(offset), C(uuid), C(label)).
      type: list
      elements: dict
      sample: [{type: ext4, offset: "0x438", uuid: 5f0c..., label: null}]
    partitions:
      description: The kernel's partitions of the device (C(vdb1)).
      type: list
      elements: str
    holders:
      description:
        - What the kernel has on top of the device (sysfs C(holders)); a dm device's record has its C(mapping) name
          and C(dm_uuid) (C(CRYPT-LUKS2-...) for an open LUKS2 volume).
      type: list
      elements: dict
      sample: [{name: dm-0, mapping: data, dm_uuid: CRYPT-LUKS2-3c1e...-data}]
    zeroed:
      description: Whether the first O(zero_check_bytes) are zeros; null when a signature made reading them needless.
      type: bool
    what:
      description: What it holds, in words, with the offsets (for a refusal message).
      type: str
      sample: a filesystem (ext4, UUID 5f0c..., offset 0x438)
    output:
      description: The tools' own output (C(blkid), C(wipefs), C(mdadm) when run), as evidence.
      type: dict
blank:
  description: The devices (as given) whose kind is C(blank).
  type: list
  elements: str
  returned: always
"""

DEFAULT_ZERO_CHECK = 1024 * 1024
BLKID_FOUND = 0  # blkid -p exit codes: found, nothing found, several signatures (it will not choose)
BLKID_NOTHING = 2
BLKID_AMBIVALENT = 8

# blkid TYPE -> kind, for the signatures the roles tell apart; others by USAGE (USAGE_KINDS)
TYPE_KINDS: dict[str, str] = {
    "linux_raid_member": "md",
    "LVM2_member": "lvm",
    "LVM1_member": "lvm",
    "swap": "swap",
}
USAGE_KINDS: dict[str, str] = {"filesystem": "filesystem", "raid": "raid", "crypto": "crypto"}
# kind (or its family, before ':') -> how a refusal names it
WORDS: dict[str, str] = {
    "luks2": "a LUKS2 header",
    "luks1": "a LUKS1 header",
    "md": "an md RAID superblock",
    "lvm": "an LVM physical volume",
    "swap": "a swap area",
    "filesystem": "a filesystem",
    "partition-table": "a partition table",
    "raid": "a RAID member signature",
    "crypto": "an encryption header",
    "other": "a signature",
    "ambivalent": "several signatures",
}


def parse_export(text: str) -> dict[str, str]:
    """``blkid -o export`` (KEY=value lines) -> a mapping."""
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def parse_wipefs(text: str) -> list[dict[str, Any]]:
    """``wipefs --no-act --json`` -> its signatures (none when it printed nothing, as some versions do)."""
    if not text.strip():
        return []
    found = json.loads(text).get("signatures") or []
    return [{k: s.get(k) for k in ("type", "offset", "uuid", "label")} for s in found]


def md_uuid(blkid_uuid: str) -> str:
    """blkid's md array UUID (dashed) as mdadm writes it: four groups of eight hex digits, colons between."""
    digits = blkid_uuid.replace("-", "")
    return ":".join(digits[i:i + 8] for i in range(0, 32, 8)) if len(digits) == 32 else ""


def signature_kind(found: dict[str, str]) -> str:
    """The kind of what blkid found at the top of the device (TYPE, else PTTYPE)."""
    fs_type, version = found.get("TYPE", ""), found.get("VERSION", "")
    if fs_type == "crypto_LUKS" and version in ("1", "2"):
        return f"luks{version}"
    if fs_type:
        return TYPE_KINDS.get(fs_type) or f"{USAGE_KINDS.get(found.get('USAGE', ''), 'other')}:{fs_type}"
    return f"partition-table:{found['PTTYPE']}"


def kind_of(rc: int, found: dict[str, str], signatures: list[dict[str, Any]], zeroed: bool | None) -> tuple[str, str]:
    """(kind, type) from blkid's exit code and answer, wipefs' signatures and the zero check."""
    if rc == BLKID_AMBIVALENT:
        return "ambivalent", ""
    if found.get("TYPE") or found.get("PTTYPE"):
        return signature_kind(found), found.get("TYPE") or found.get("PTTYPE", "")
    if signatures:  # wipefs knows one that blkid did not report
        return f"other:{signatures[0].get('type') or '?'}", str(signatures[0].get("type") or "")
    return ("blank", "") if zeroed else ("data", "")


def describe(kind: str, found: dict[str, str], signatures: list[dict[str, Any]], zero_bytes: int) -> str:
    """What the device holds, in words, for a refusal: the kind, its type and identity, and every offset."""
    if kind == "blank":
        return "nothing (no signature, and zeros in the first bytes)"
    if kind == "data":
        return (f"data no tool recognises (no signature, but not zeros in the first {zero_bytes} bytes: a plain "
                "dm-crypt volume or a disk wiped with random data looks like this)")
    family = kind.split(":", 1)[0]
    details = [found.get("TYPE") or found.get("PTTYPE") or kind.partition(":")[2]]
    details += [f"{key} {found[key]}" for key in ("UUID", "PTUUID", "LABEL") if found.get(key)]
    offsets = ", ".join(f"{s.get('type')} at offset {s.get('offset')}" for s in signatures)
    details.append(offsets or "offset unknown")
    return f"{WORDS.get(family, 'a signature')} ({', '.join(d for d in details if d)})"


def sysfs_name(path: str) -> str:
    """The kernel's name of a block device (vdb, loop3, dm-0), from its device number."""
    rdev = os.stat(path).st_rdev
    link = os.path.realpath(f"/sys/dev/block/{os.major(rdev)}:{os.minor(rdev)}")
    return os.path.basename(link)


def read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def kernel_view(path: str) -> tuple[list[str], list[dict[str, str]]]:
    """(partitions, holders) of a block device, from sysfs."""
    name = sysfs_name(path)
    base = f"/sys/class/block/{name}"
    partitions = sorted(p for p in os.listdir(base) if os.path.isfile(f"{base}/{p}/partition")) \
        if os.path.isdir(base) else []
    holders: list[dict[str, str]] = []
    for holder in sorted(os.listdir(f"{base}/holders")) if os.path.isdir(f"{base}/holders") else []:
        record = {"name": holder}
        if os.path.isdir(f"/sys/class/block/{holder}/dm"):
            record["mapping"] = read_text(f"/sys/class/block/{holder}/dm/name")
            record["dm_uuid"] = read_text(f"/sys/class/block/{holder}/dm/uuid")
        holders.append(record)
    return partitions, holders


def zeros_at_start(path: str, size: int) -> bool:
    """Whether the first ``size`` bytes (or the whole device, if smaller) are zeros."""
    with open(path, "rb") as handle:
        left = size
        while left > 0:
            chunk = handle.read(min(left, 65536))
            if not chunk:
                return True
            if chunk.count(0) != len(chunk):
                return False
            left -= len(chunk)
    return True


def run(argv: list[str]) -> tuple[int, str, str]:
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60,
                          env={**os.environ, "LC_ALL": "C"})
    return done.returncode, done.stdout, done.stderr


def probe(device: str, zero_bytes: int, blkid: str, wipefs: str, mdadm: str | None) -> dict[str, Any]:
    """One device's record (see RETURN)."""
    record: dict[str, Any] = {"device": device, "path": os.path.realpath(device), "exists": os.path.exists(device),
                              "block": False, "kind": "missing", "type": "", "usage": "", "uuid": "", "label": "",
                              "version": "", "md_uuid": "", "md_array": "", "signatures": [], "partitions": [],
                              "holders": [], "zeroed": None, "output": {}}
    if not record["exists"]:
        record["what"] = f"no such device ({device} does not exist: check the declared path)"
        return record
    record["block"] = stat.S_ISBLK(os.stat(record["path"]).st_mode)
    rc, out, err = run([blkid, "-p", "-o", "export", device])
    record["output"]["blkid"] = out + err
    wrc, wout, werr = run([wipefs, "--no-act", "--json", device])
    record["output"]["wipefs"] = wout + werr
    if rc not in (BLKID_FOUND, BLKID_NOTHING, BLKID_AMBIVALENT) or wrc != 0:
        record.update(kind="unreadable", what=f"an unknown state: blkid exit {rc}, wipefs exit {wrc}: "
                                             f"{(err or werr).strip()[:300]}")
        return record
    found = parse_export(out) if rc == BLKID_FOUND else {}
    record["signatures"] = parse_wipefs(wout)
    if rc == BLKID_NOTHING and not record["signatures"]:
        record["zeroed"] = zeros_at_start(device, zero_bytes)
    kind, fs_type = kind_of(rc, found, record["signatures"], record["zeroed"])
    record.update(kind=kind, type=fs_type, usage=found.get("USAGE", ""), uuid=found.get("UUID", ""),
                  label=found.get("LABEL", ""), version=found.get("VERSION", ""))
    if kind == "md":
        record["md_uuid"] = md_uuid(record["uuid"])
        record["md_array"] = record["label"].rsplit(":", 1)[-1] if record["label"] else ""
        if mdadm:
            mrc, mout, merr = run([mdadm, "--examine", device])
            record["output"]["mdadm"] = mout + merr if mrc == 0 else f"mdadm --examine: exit {mrc}: {merr}"
    if record["block"]:
        record["partitions"], record["holders"] = kernel_view(device)
    record["what"] = describe(kind, found, record["signatures"], zero_bytes)
    return record


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "devices": {"type": "list", "elements": "str", "required": True},
            "zero_check_bytes": {"type": "int", "default": DEFAULT_ZERO_CHECK},
        },
        supports_check_mode=True,
    )
    devices = module.params["devices"]
    zero_bytes = module.params["zero_check_bytes"]
    if zero_bytes < 1:
        module.fail_json(msg=f"zero_check_bytes must be at least 1, got {zero_bytes}")
    blkid, wipefs = module.get_bin_path("blkid", required=True), module.get_bin_path("wipefs", required=True)
    mdadm = module.get_bin_path("mdadm")
    try:
        records = [probe(str(d), zero_bytes, blkid, wipefs, mdadm) for d in devices]
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        module.fail_json(msg=f"tier3_blockdev: cannot probe {devices}: {exc}")
    module.exit_json(changed=False, devices=records, blank=[r["device"] for r in records if r["kind"] == "blank"])


if __name__ == "__main__":
    main()
