#!/usr/bin/python
# Copyright: tier3 contributors
# Apache-2.0 (see LICENSE)
"""Everything a role's verify step reads on a host, in one call: ports waited for, commands run, files stat'ed."""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import socket
import stat
import subprocess
import time
from typing import Any

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
---
module: tier3_read
short_description: Wait for ports, run read-only commands and stat files, all in one call
version_added: "0.1.0"
description:
  - The reads of a role's verify (and preflight) step in one module call per host, where each would be a task of
    its own (M(ansible.builtin.wait_for), M(ansible.builtin.command) with C(changed_when=false),
    M(ansible.builtin.stat), M(ansible.builtin.slurp)). The role asserts on the result on the controller.
  - In this order, so that a service just restarted by a handler is up before it is asked anything, first every
    port of O(ports) is waited for, then every command of O(commands) runs, then every file of O(files) is read.
  - It judges nothing and fails only on bad arguments; a command that exits non-zero, a port that stays closed or
    a missing file is a record for the role to assert on.
  - Give it only commands that change nothing; it reports C(changed=false) and runs the same in check mode.
options:
  ports:
    description: TCP ports to wait for.
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: The key of the record in RV(ports).
        type: str
        required: true
      port:
        description: The port.
        type: int
        required: true
      host:
        description: The address to connect to.
        type: str
        default: 127.0.0.1
      timeout:
        description: Seconds to wait for the port to accept a connection; C(0) tries once.
        type: int
        default: 0
  commands:
    description: Commands, run without a shell, with C(LC_ALL=C).
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: The key of the record in RV(commands).
        type: str
        required: true
      argv:
        description: The command and its arguments.
        type: list
        elements: str
        required: true
      stdin:
        description: Text for the command's standard input (none when unset).
        type: str
      timeout:
        description: Seconds the command may run; one that runs longer is killed, and its record says so.
        type: int
        default: 30
  files:
    description: Files (or directories) to stat, and read if asked.
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: The key of the record in RV(files).
        type: str
        required: true
      path:
        description: The path.
        type: path
        required: true
      read:
        description: Return the content too (text, invalid UTF-8 replaced), up to 1 MiB.
        type: bool
        default: false
notes:
  - The ids of O(ports), O(commands) and O(files) must each be unique within their list.
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
  - module: tier3.dc.tier3_evidence
    description: The whitelisted evidence of tier3 check and tier3 inspect (this module is for a role's own checks).
  - module: tier3.dc.tier3_files
author:
  - tier3 contributors
"""

EXAMPLES = r"""
- name: "T3-BASE-SSH-001 | AUDIT | Read sshd, the firewall and chrony as they run"
  tier3.dc.tier3_read:
    ports:
      - {id: ssh, port: 22, timeout: 10}
    commands:
      - {id: sshd, argv: [/usr/sbin/sshd, -T]}
      - {id: input_chain, argv: [/usr/sbin/nft, list, chain, inet, filter, input]}
    files:
      - {id: key, path: /etc/ssl/private/host.key}
  register: __baseline_read

- name: "T3-BASE-SSH-001 | AUDIT | sshd takes keys only"
  ansible.builtin.assert:
    that:
      - __baseline_read.ports.ssh.open
      - __baseline_read.commands.sshd.rc == 0
      - "'passwordauthentication no' in __baseline_read.commands.sshd.stdout_lines"
      - __baseline_read.files.key.mode == '0600'
"""

RETURN = r"""
ports:
  description: By id, whether the port accepted a connection, and after how long.
  type: dict
  returned: always
  sample: {ssh: {port: 22, host: 127.0.0.1, open: true, waited_s: 0.0}}
commands:
  description: By id, C(argv), C(rc) (null when killed or not installed), C(stdout), C(stdout_lines), C(stderr),
    C(missing) (the command is not installed) and C(timed_out).
  type: dict
  returned: always
  sample: {sshd: {argv: [/usr/sbin/sshd, -T], rc: 0, stdout: "port 22", stdout_lines: ["port 22"], stderr: "",
           missing: false, timed_out: false}}
files:
  description: By id, C(path), C(exists), C(type) (C(file), C(directory), C(link), C(other)), C(mode) (C("0644")),
    C(owner), C(group), C(size), C(sha256) (files only) and C(content) (when O(files[].read)).
  type: dict
  returned: always
  sample: {key: {path: /etc/ssl/private/host.key, exists: true, type: file, mode: "0600", owner: root,
                 group: root, size: 241, sha256: "9f86d0..."}}
"""

READ_LIMIT = 1 << 20


def _name(lookup: Any, number: int) -> str:
    try:
        return str(lookup(number)[0])
    except KeyError:
        return str(number)


def wait_port(host: str, port: int, timeout: int) -> dict[str, Any]:
    start = time.monotonic()
    while True:
        try:
            with socket.create_connection((host, port), timeout=2):
                return {"port": port, "host": host, "open": True, "waited_s": round(time.monotonic() - start, 3)}
        except OSError:
            if time.monotonic() - start >= timeout:
                return {"port": port, "host": host, "open": False, "waited_s": round(time.monotonic() - start, 3)}
            time.sleep(0.2)


def run_command(argv: list[str], stdin: str | None, timeout: int) -> dict[str, Any]:
    record: dict[str, Any] = {"argv": argv, "rc": None, "stdout": "", "stdout_lines": [], "stderr": "",
                              "missing": False, "timed_out": False}
    try:
        done = subprocess.run(argv, input=stdin, capture_output=True, text=True, errors="replace", check=False,
                              timeout=timeout, env={**os.environ, "LC_ALL": "C"},
                              stdin=None if stdin is not None else subprocess.DEVNULL)
    except FileNotFoundError:
        record.update(missing=True, stderr=f"{argv[0]}: not installed")
        return record
    except subprocess.TimeoutExpired:
        record.update(timed_out=True, stderr=f"killed after {timeout} s")
        return record
    stdout = done.stdout.rstrip("\n")
    record.update(rc=done.returncode, stdout=stdout, stdout_lines=stdout.splitlines(), stderr=done.stderr.rstrip("\n"))
    return record


def read_file(path: str, read: bool) -> dict[str, Any]:
    record: dict[str, Any] = {"path": path, "exists": False}
    try:
        now = os.lstat(path)
    except OSError:
        return record
    kind = ("link" if stat.S_ISLNK(now.st_mode) else "directory" if stat.S_ISDIR(now.st_mode)
            else "file" if stat.S_ISREG(now.st_mode) else "other")
    record.update(exists=True, type=kind, mode=f"{stat.S_IMODE(now.st_mode):04o}",
                  owner=_name(pwd.getpwuid, now.st_uid), group=_name(grp.getgrgid, now.st_gid), size=now.st_size)
    if kind == "file":
        try:
            with open(path, "rb") as source:
                body = source.read()
        except OSError as exc:
            record["error"] = exc.strerror or str(exc)
            return record
        record["sha256"] = hashlib.sha256(body).hexdigest()
        if read:
            record["content"] = body[:READ_LIMIT].decode("utf-8", "replace")
    return record


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "ports": {"type": "list", "elements": "dict", "default": [], "options": {
                "id": {"type": "str", "required": True}, "port": {"type": "int", "required": True},
                "host": {"type": "str", "default": "127.0.0.1"}, "timeout": {"type": "int", "default": 0}}},
            "commands": {"type": "list", "elements": "dict", "default": [], "options": {
                "id": {"type": "str", "required": True}, "argv": {"type": "list", "elements": "str", "required": True},
                "stdin": {"type": "str"}, "timeout": {"type": "int", "default": 30}}},
            "files": {"type": "list", "elements": "dict", "default": [], "options": {
                "id": {"type": "str", "required": True}, "path": {"type": "path", "required": True},
                "read": {"type": "bool", "default": False}}},
        },
        supports_check_mode=True,
    )
    for key in ("ports", "commands", "files"):
        given = [entry["id"] for entry in module.params[key]]
        twice = sorted({i for i in given if given.count(i) > 1})
        if twice:
            module.fail_json(msg=f"{key}: id {', '.join(twice)} named twice (fix: one id per entry)")
    for entry in module.params["commands"]:
        if not entry["argv"]:
            module.fail_json(msg=f"commands: {entry['id']}: argv is empty (fix: the command and its arguments)")
    ports = {e["id"]: wait_port(e["host"], e["port"], max(e["timeout"], 0)) for e in module.params["ports"]}
    commands = {e["id"]: run_command(e["argv"], e["stdin"], e["timeout"]) for e in module.params["commands"]}
    files = {e["id"]: read_file(e["path"], e["read"]) for e in module.params["files"]}
    module.exit_json(changed=False, ports=ports, commands=commands, files=files)


if __name__ == "__main__":
    main()
