#!/usr/bin/python
# Copyright: tier3 contributors
# Apache-2.0 (see LICENSE)
"""Collect, in one call, every file and command output the tier3 inspect kinds named need from this host."""

from __future__ import annotations

import codecs
import contextlib
import glob
import hashlib
import os
import shlex
import signal
import subprocess
import time
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.tier3.dc.plugins.module_utils.tier3_evidence_items import ITEMS

DOCUMENTATION = r"""
---
module: tier3_evidence
short_description: Collect the files and command outputs a host gives for tier3 inspect kinds, read-only
version_added: "0.1.0"
description:
  - Reads, in one call, every file and runs every command that the inspect kinds named in O(kinds) take as
    evidence (C(cat /proc/mdstat), C(mdadm --detail) of each C(/dev/md*), C(postqueue -j), C(ip -j addr), ...),
    and returns each output as it was read, with its SHA-256 and size. It judges nothing; the controller parses
    and judges (C(tier3 inspect), the M(tier3.dc.tier3_check) action).
  - The files and commands come from a fixed whitelist, the host-side copy of the C(tier3 inspect) kind table
    (C(plugins/module_utils/tier3_evidence_items.py)); no argument adds a path or a command. Commands run
    without a shell, as argument lists, with C(LC_ALL=C) and no standard input; C({item}) in a command is
    replaced by each match, in sorted order, of the kind's glob (C(mdadm --detail /dev/md0), ...).
  - An item that cannot be had is a record, never a failure of the task; see RV(evidence[].status). The
    module fails only on bad arguments.
options:
  kinds:
    description:
      - The inspect kinds to collect the evidence of, in the order the records are returned. A kind named twice
        is collected once.
      - Kinds the controller reads itself (C(tls-listener), C(redfish), C(ipmi-sdr)) take nothing from the host
        and are not accepted.
    type: list
    elements: str
    required: true
    choices: [mdstat, mdadm-detail, multipath, bonding, lldp, ip-link, cryptsetup, luksdump, lsblk, postqueue,
              replicator, vip-holders, journald]
  max_bytes:
    description:
      - Longest RV(evidence[].text) of an item, in bytes; a longer output is cut there and marked
        RV(evidence[].truncated). RV(evidence[].sha256) and RV(evidence[].size) are still those of the whole output.
      - C(0) returns the hashes and sizes only.
    type: int
    default: 4194304
  timeout:
    description: Seconds each command may run; one that runs longer is killed and recorded as C(failed).
    type: int
    default: 30
notes:
  - Read-only by construction. It reads files and runs only the whitelisted commands, and no option can name
    another, so it behaves the same in check mode and always returns C(changed=false).
  - One call gathers everything the kinds need, one round trip per host instead of one task per command.
  - Commands are found on the host's C(PATH) and in C(/usr/sbin), C(/sbin), C(/usr/bin) and C(/bin).
  - Output is hashed as received; RV(evidence[].text) is that output decoded as UTF-8, invalid bytes replaced.
attributes:
  check_mode:
    support: full
    description: Only reads; the same in check mode.
  diff_mode:
    support: none
    description: Nothing is changed, so there is no diff.
  platform:
    platforms: [posix]
seealso:
  - module: tier3.dc.tier3_check
    description: Judges the records this module returns with the tier3 observed rules, on the controller.
  - name: tier3 inspect kinds
    description: docs/inspect.md in the tier3 repository.
    link: https://tier3.invalid/docs/inspect.md
author:
  - tier3 contributors
"""

EXAMPLES = r"""
- name: Storage | verify | read the md arrays and the multipath maps
  tier3.dc.tier3_evidence:
    kinds: [mdstat, mdadm-detail, multipath]
  register: __storage_evidence

- name: Mail | verify | queue, replication and VIPs, hashes and sizes only
  tier3.dc.tier3_evidence:
    kinds: [postqueue, replicator, vip-holders]
    max_bytes: 0
    timeout: 10
  register: __mail_evidence
"""

RETURN = r"""
evidence:
  description: One record per file read or command run, in the order of O(kinds), then of each kind's items.
  type: list
  elements: dict
  returned: always
  contains:
    kind:
      description: The inspect kind the record is evidence for.
      type: str
      sample: postqueue
    id:
      description: The command line (shell-quoted, C({item}) replaced) or the file path.
      type: str
      sample: postqueue -j
    source:
      description: Where the evidence comes from.
      type: str
      choices: [command, file]
      sample: command
    argv:
      description: The command as run (C({item}) replaced; as the whitelist names it when nothing ran); null for a file.
      type: list
      elements: str
      sample: [postqueue, -j]
    path:
      description: The file read (or the glob that matched nothing); null for a command.
      type: str
      sample: /proc/mdstat
    item:
      description: The match of the kind's glob this command ran for (C(/dev/md0)); null otherwise.
      type: str
      sample: /dev/md0
    status:
      description:
        - C(ok), the file was read or the command exited 0.
        - C(failed), the command ran and exited non-zero (RV(evidence[].rc), RV(evidence[].text) and
          RV(evidence[].stderr) kept), or was killed after O(timeout) (RV(evidence[].rc) null).
        - C(missing), the command is not installed, or the file does not exist or cannot be read
          (RV(evidence[].detail) says which).
        - C(none), the glob matched nothing (no arrays, no bonds), a fact about the host, not a failure.
      type: str
      choices: [ok, failed, missing, none]
      sample: ok
    rc:
      description: Exit status of the command (negative, the signal that ended it); null for a file, and when nothing
        ran.
      type: int
      sample: 0
    text:
      description: The output (a command's standard output), UTF-8 with invalid bytes replaced, cut at O(max_bytes).
      type: str
      sample: '[{"queue_name": "deferred", "queue_id": "4Xb9kQ1z2Lz9v", ...}]'
    stderr:
      description: The command's standard error, at most 2000 characters; empty for a file.
      type: str
      sample: ''
    sha256:
      description: SHA-256 (hex) of the whole output as received, before any cut; null when nothing was read.
      type: str
      sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    size:
      description: Bytes of the whole output; null when nothing was read.
      type: int
      sample: 1342
    truncated:
      description: Whether RV(evidence[].text) was cut at O(max_bytes).
      type: bool
      sample: false
    read_at:
      description: When the module began reading the item, seconds since the epoch.
      type: float
      sample: 1796125163.52
    detail:
      description:
        - Why the item was not had, or not whole; empty when it was.
        - "For example C(postqueue: not installed), C(/proc/mdstat: no such file), C(nothing matches /dev/md[0-9]*),
          C(timed out after 30 s)."
      type: str
      sample: ''
kinds:
  description: The kinds collected, in order (each once).
  type: list
  elements: str
  returned: always
  sample: [mdstat, mdadm-detail, postqueue]
collected_at:
  description: When the module began collecting, seconds since the epoch.
  type: float
  returned: always
  sample: 1796125163.51
"""

BIN_DIRS = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
STDERR_CHARS = 2000
CHUNK = 65536


def record(kind: str, source: str, *, argv: list[str] | None = None, path: str | None = None,
           item: str | None = None) -> dict[str, Any]:
    """A record of nothing read yet (the shape every record has)."""
    return {"kind": kind, "id": shlex.join(argv) if argv is not None else path, "source": source,
            "argv": argv, "path": path, "item": item, "status": "none", "rc": None, "text": "", "stderr": "",
            "sha256": None, "size": None, "truncated": False, "read_at": time.time(), "detail": ""}


def has_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


def matches(pattern: str) -> list[str]:
    return sorted(glob.glob(pattern))


def decoded(head: bytes, truncated: bool) -> str:
    """UTF-8 with invalid bytes replaced; a character the cut split in two is dropped, not replaced."""
    return codecs.getincrementaldecoder("utf-8")(errors="replace").decode(head, final=not truncated)


def keep(rec: dict[str, Any], digest: Any, size: int, head: bytes, max_bytes: int) -> None:
    """Store what was read: text (cut at max_bytes), sha256 and size of the whole."""
    rec["truncated"] = size > max_bytes
    rec["text"] = decoded(head[:max_bytes], rec["truncated"])
    rec["sha256"] = digest.hexdigest()
    rec["size"] = size


def read_file(kind: str, path: str, max_bytes: int) -> dict[str, Any]:
    rec = record(kind, "file", path=path)
    digest, size, head = hashlib.sha256(), 0, bytearray()
    try:
        with open(path, "rb") as f:  # /proc files report size 0: read to the end
            while chunk := f.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                if len(head) < max_bytes:
                    head += chunk[: max_bytes - len(head)]
    except FileNotFoundError:
        return {**rec, "status": "missing", "detail": f"{path}: no such file"}
    except PermissionError:
        return {**rec, "status": "missing", "detail": f"{path}: permission denied"}
    except OSError as exc:
        return {**rec, "status": "missing", "detail": f"{path}: {(exc.strerror or str(exc)).lower()}"}
    keep(rec, digest, size, bytes(head), max_bytes)
    rec["status"] = "ok"
    return rec


def read_files(kind: str, pattern: str, max_bytes: int) -> list[dict[str, Any]]:
    """A plain path: one record. A glob: one record per match, or one C(none) record when nothing matches."""
    if not has_glob(pattern):
        return [read_file(kind, pattern, max_bytes)]
    found = matches(pattern)
    if not found:
        return [{**record(kind, "file", path=pattern), "detail": f"nothing matches {pattern}"}]
    return [read_file(kind, path, max_bytes) for path in found]


def run(binary: str, argv: list[str], timeout: int) -> tuple[int | None, bytes, bytes, str]:
    """(rc, stdout, stderr, detail) of argv run with ``binary`` as its program; rc None when killed on timeout.

    Its own session, so a timeout kills the command and anything it started (which would hold the pipes open).
    """
    env = {**os.environ, "LC_ALL": "C"}
    with subprocess.Popen([binary, *argv[1:]], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=env, start_new_session=True) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):  # it ended as the timeout expired
                os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            return None, out, err, f"timed out after {timeout} s"
        return proc.returncode, out, err, ""


def run_command(module: AnsibleModule, kind: str, argv: list[str], item: str | None, *, max_bytes: int,
                timeout: int) -> dict[str, Any]:
    rec = record(kind, "command", argv=argv, item=item)
    binary = module.get_bin_path(argv[0], opt_dirs=BIN_DIRS)
    if binary is None:
        return {**rec, "status": "missing", "detail": f"{argv[0]}: not installed"}
    try:
        rc, out, err, detail = run(binary, argv, timeout)
    except OSError as exc:  # found but not runnable
        return {**rec, "status": "missing", "detail": f"{binary}: {(exc.strerror or str(exc)).lower()}"}
    keep(rec, hashlib.sha256(out), len(out), out, max_bytes)
    rec.update(status="ok" if rc == 0 else "failed", rc=rc, detail=detail,
               stderr=err.decode("utf-8", errors="replace")[:STDERR_CHARS])
    return rec


def run_commands(module: AnsibleModule, kind: str, argv: list[str], each: str, *, max_bytes: int,
                 timeout: int) -> list[dict[str, Any]]:
    """One run, or one per match of ``each`` with ``{item}`` replaced; one C(none) record when nothing matches."""
    if not each:
        return [run_command(module, kind, list(argv), None, max_bytes=max_bytes, timeout=timeout)]
    found = matches(each)
    if not found:
        return [{**record(kind, "command", argv=list(argv)), "detail": f"nothing matches {each}"}]
    return [run_command(module, kind, [a.replace("{item}", match) for a in argv], match, max_bytes=max_bytes,
                        timeout=timeout) for match in found]


def collect(module: AnsibleModule, kinds: list[str], max_bytes: int, timeout: int) -> list[dict[str, Any]]:
    evidence: list[dict[str, Any]] = []
    for kind in kinds:
        for spec in ITEMS[kind]:
            if "path" in spec:
                evidence += read_files(kind, spec["path"], max_bytes)
            else:
                evidence += run_commands(module, kind, spec["argv"], spec["each"], max_bytes=max_bytes, timeout=timeout)
    return evidence


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "kinds": {"type": "list", "elements": "str", "required": True, "choices": list(ITEMS)},
            "max_bytes": {"type": "int", "default": 4194304},
            "timeout": {"type": "int", "default": 30},
        },
        supports_check_mode=True,
    )
    kinds = list(dict.fromkeys(module.params["kinds"]))
    max_bytes, timeout = module.params["max_bytes"], module.params["timeout"]
    if not kinds:
        module.fail_json(msg=f"kinds: name at least one of: {', '.join(ITEMS)}")
    if max_bytes < 0:
        module.fail_json(msg=f"max_bytes: must be at least 0, got {max_bytes}")
    if timeout < 1:
        module.fail_json(msg=f"timeout: must be at least 1 second, got {timeout}")
    collected_at = time.time()
    evidence = collect(module, kinds, max_bytes, timeout)
    module.exit_json(changed=False, evidence=evidence, kinds=kinds, collected_at=collected_at)


if __name__ == "__main__":
    main()
