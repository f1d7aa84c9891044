#!/usr/bin/python
# Copyright: tier3 contributors
# Apache-2.0 (see LICENSE)
"""Bring every configuration file and directory of a role to its rendered state in one call: compare, check, write."""

from __future__ import annotations

import grp
import os
import pwd
import shlex
import shutil
import stat
import subprocess
import tempfile
from dataclasses import dataclass, field
from typing import Any

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
---
module: tier3_files
short_description: Compare, check and write every file and directory of a role in one call
version_added: "0.1.0"
description:
  - Brings each directory of O(directories) and each file of O(files) to its wanted state (content, owner,
    group, mode, or absent), in one module call per host instead of a C(stat) and a C(file) or C(copy) call per
    file, as M(ansible.builtin.template) makes.
  - Use it through its action plugin, which renders O(files[].src) templates on the controller, as
    M(ansible.builtin.template) does (the role's C(templates/), C(trim_blocks)), and passes their text as
    O(files[].content).
  - Every check runs before anything is written. A file whose content would change is written to a private
    temporary directory and checked there with O(files[].validate); when anything would change, every file of
    O(files) is also written there by its base name and checked together with O(validate_together). Any failed
    check fails the task and nothing is written.
  - Then each changed file is written beside its destination and renamed over it (atomic), with its owner,
    group and mode already set; a file whose content is right but whose owner, group or mode is not is fixed in
    place.
options:
  directories:
    description: Directories to make (with their parents) or fix, before the files.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path of the directory.
        type: path
        required: true
      owner:
        description: Owner (name).
        type: str
        default: root
      group:
        description: Group (name).
        type: str
        default: root
      mode:
        description: Mode, as an octal string (C("0755")).
        type: str
        required: true
  files:
    description: Files to write, fix or remove.
    type: list
    elements: dict
    default: []
    suboptions:
      dest:
        description: Absolute path of the file.
        type: path
        required: true
      state:
        description: C(present) writes O(files[].content); C(absent) removes the file.
        type: str
        choices: [present, absent]
        default: present
      src:
        description:
          - A template, found and rendered on the controller by the action plugin as M(ansible.builtin.template)
            finds and renders its O(ansible.builtin.template#module:src). One of O(files[].src) and
            O(files[].content) with O(files[].state=present).
        type: str
      copy:
        description:
          - A file on the controller (the role's C(files/), or an absolute path), sent as it is by the action
            plugin, with no templating (program files). One of O(files[].src), O(files[].copy) and O(files[].content).
        type: str
      content:
        description: The text of the file (the action plugin fills it from O(files[].src) or O(files[].copy)).
        type: str
      owner:
        description: Owner (name).
        type: str
        default: root
      group:
        description: Group (name).
        type: str
        default: root
      mode:
        description: Mode, as an octal string (C("0644")). Required with O(files[].state=present).
        type: str
      validate:
        description:
          - A command that checks the new content before it lands; C(%s) is the path of the new content. Run
            without a shell, split as a shell would split it.
        type: str
      secret:
        description:
          - The content is secret (a private key, a password file). Its text is never in a diff or in the
            task's result; the diff says only that it changed.
        type: bool
        default: false
  validate_together:
    description:
      - A command that checks all of O(files) as one configuration (C(postfix -c %s check) reads main.cf and
        master.cf together); C(%s) is a temporary directory that holds every present file of O(files) by its
        base name. Run only when something would change.
    type: str
  strict_validate:
    description: A check that writes to its standard error fails too, as a warning of C(postfix check) must.
    type: bool
    default: false
notes:
  - One call per host for a whole role's files; with M(tier3.dc.tier3_units) and M(tier3.dc.tier3_read) a role's
    second converge is a few module calls.
  - Owners and groups are names and must exist on the host; a missing one fails the task naming the file and the
    name, before anything is written.
  - A destination that is a symbolic link is replaced by a file, as M(ansible.builtin.template) does by default.
attributes:
  check_mode:
    support: full
    description: Reports what would change and runs the checks on the new content; writes nothing.
  diff_mode:
    support: full
    description: One diff per changed file, except O(files[].secret) files (their diff says only that they change).
  platform:
    platforms: [posix]
seealso:
  - module: ansible.builtin.template
  - module: tier3.dc.tier3_units
  - module: tier3.dc.tier3_read
author:
  - tier3 contributors
"""

EXAMPLES = r"""
- name: "T3-BASE-SSH-001 | PATCH | sshd, chrony, nftables and apt's update settings"
  tier3.dc.tier3_files:
    directories:
      - {path: /etc/systemd/system/chrony.service.d, mode: "0755"}
    files:
      - {dest: /etc/ssh/sshd_config, src: sshd_config.j2, mode: "0644", validate: /usr/sbin/sshd -t -f %s}
      - {dest: /etc/nftables.conf, src: nftables.conf.j2, mode: "0644", validate: /usr/sbin/nft -c -f %s}
      - {dest: /etc/systemd/system/chrony.service.d/tier3.conf, state: absent}
  register: __baseline_files
  notify: [baseline | reload sshd, baseline | reload nftables]

- name: Postfix | main.cf and master.cf, checked together before either lands
  tier3.dc.tier3_files:
    files:
      - {dest: /etc/postfix/main.cf, src: main.cf.j2, mode: "0644"}
      - {dest: /etc/postfix/master.cf, src: master.cf.j2, mode: "0644"}
    validate_together: /usr/sbin/postfix -c %s check
    strict_validate: true
"""

RETURN = r"""
changed_files:
  description: The paths of the files and directories made, changed or removed (or that would be, in check mode).
  type: list
  elements: str
  returned: always
  sample: [/etc/ssh/sshd_config]
files:
  description: One record per directory, then per file, in the order given.
  type: list
  elements: dict
  returned: always
  contains:
    path:
      description: The path.
      type: str
      sample: /etc/ssh/sshd_config
    action:
      description:
        - C(created), C(updated) (content), C(attributes) (owner, group or mode only), C(removed) or C(unchanged).
      type: str
      sample: updated
    changes:
      description: What differed (C(content), C(owner), C(group), C(mode), C(exists)).
      type: list
      elements: str
      sample: [content]
"""

MODE_BITS = 0o7777


@dataclass
class Wanted:
    """One file or directory, as asked, and what the host has."""

    path: str
    kind: str  # "directory" | "file"
    state: str = "present"
    content: bytes | None = None
    owner: str = "root"
    group: str = "root"
    mode: int | None = None
    validate: str | None = None
    secret: bool = False
    uid: int = -1
    gid: int = -1
    before: bytes | None = None
    changes: list[str] = field(default_factory=list)

    @property
    def action(self) -> str:
        if not self.changes:
            return "unchanged"
        if self.state == "absent":
            return "removed"
        if "exists" in self.changes:
            return "created"
        return "updated" if "content" in self.changes else "attributes"


class Refused(Exception):
    """A request this module will not carry out, with the message that says why."""


def parse_mode(path: str, given: Any) -> int:
    text = str(given or "")
    try:
        value = int(text, 8)
    except ValueError:
        raise Refused(f"{path}: mode {given!r} is not an octal mode (fix: a string such as \"0644\")") from None
    if not 0 <= value <= MODE_BITS or not text.startswith("0"):
        raise Refused(f"{path}: mode {given!r} must be an octal string with a leading 0 (fix: \"0644\", not 644)")
    return value


def ids(item: Wanted) -> None:
    try:
        item.uid = pwd.getpwnam(item.owner).pw_uid
    except KeyError:
        raise Refused(f"{item.path}: owner {item.owner!r} does not exist on this host "
                      "(fix: create the user first, or install the package that does)") from None
    try:
        item.gid = grp.getgrnam(item.group).gr_gid
    except KeyError:
        raise Refused(f"{item.path}: group {item.group!r} does not exist on this host "
                      "(fix: create the group first, or install the package that does)") from None


def wanted_items(params: dict[str, Any]) -> list[Wanted]:
    """The directories, then the files, checked for what no type check catches."""
    items: list[Wanted] = []
    for given in params["directories"] or []:
        path = given["path"]
        if not os.path.isabs(path):
            raise Refused(f"directories: {path!r} is not an absolute path")
        items.append(Wanted(path=path, kind="directory", owner=given["owner"], group=given["group"],
                            mode=parse_mode(path, given["mode"])))
    seen: set[str] = set()
    for given in params["files"] or []:
        path = given["dest"]
        if not os.path.isabs(path):
            raise Refused(f"files: {path!r} is not an absolute path")
        if path in seen:
            raise Refused(f"files: {path} is named twice (fix: one entry per file)")
        seen.add(path)
        if given["state"] == "absent":
            items.append(Wanted(path=path, kind="file", state="absent"))
            continue
        if given.get("content") is None:
            raise Refused(f"{path}: no content (fix: give src, a template, or content)")
        items.append(Wanted(path=path, kind="file", content=given["content"].encode("utf-8"),
                            owner=given["owner"], group=given["group"],
                            mode=parse_mode(path, given.get("mode")) if given.get("mode") else None,
                            validate=given.get("validate"), secret=bool(given.get("secret"))))
        if items[-1].mode is None:
            raise Refused(f"{path}: no mode (fix: mode: \"0644\" or what the file needs)")
    return items


def _attributes(item: Wanted, now: os.stat_result) -> list[str]:
    changes = []
    if now.st_uid != item.uid:
        changes.append("owner")
    if now.st_gid != item.gid:
        changes.append("group")
    if item.mode is not None and stat.S_IMODE(now.st_mode) != item.mode:
        changes.append("mode")
    return changes


def compare(item: Wanted) -> None:
    """Fill item.changes (and item.before) from what the host has now (item.uid, item.gid resolved); reads only."""
    try:
        now = os.lstat(item.path)
    except FileNotFoundError:
        item.changes = [] if item.state == "absent" else ["exists"]
        return
    if item.state == "absent":
        item.changes = ["exists"]
        return
    if item.kind == "directory":
        if not stat.S_ISDIR(now.st_mode):
            raise Refused(f"{item.path}: exists and is not a directory (fix: move it away; nothing was changed)")
        item.changes = _attributes(item, now)
        return
    if stat.S_ISDIR(now.st_mode):
        raise Refused(f"{item.path}: is a directory, not a file (fix: move it away; nothing was changed)")
    if stat.S_ISLNK(now.st_mode) or not stat.S_ISREG(now.st_mode):
        item.changes = ["content", "type"]
        return
    with open(item.path, "rb") as current:
        item.before = current.read()
    item.changes = (["content"] if item.before != item.content else []) + _attributes(item, now)


def _run_check(command: str, target: str, strict: bool, what: str) -> None:
    argv = [target if word == "%s" else word.replace("%s", target) for word in shlex.split(command)]
    if "%s" not in command:
        raise Refused(f"{what}: validate {command!r} has no %s for the new content (fix: add %s where the path goes)")
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120,
                              env={**os.environ, "LC_ALL": "C"})
    except FileNotFoundError:
        raise Refused(f"{what}: the check {argv[0]} is not installed (fix: install it before this task)") from None
    except subprocess.TimeoutExpired:
        raise Refused(f"{what}: the check {shlex.join(argv)} ran over 120 s") from None
    said = (done.stderr.strip() or done.stdout.strip())[-2000:]
    if done.returncode != 0:
        raise Refused(f"{what}: {shlex.join(argv)} refused the new content (exit {done.returncode}); "
                      f"nothing was written: {said}")
    if strict and done.stderr.strip():
        raise Refused(f"{what}: {shlex.join(argv)} warned about the new content; nothing was written: {said}")


def check_new(items: list[Wanted], together: str | None, strict: bool) -> None:
    """Every validate of a changed file, then the check of the whole set; in a private directory."""
    files = [i for i in items if i.kind == "file" and i.state == "present"]
    if not any(i.changes for i in items):
        return
    names = [os.path.basename(i.path) for i in files]
    if together and len(set(names)) != len(names):
        raise Refused("validate_together: two files have the same base name (fix: check them in two tasks)")
    staging = tempfile.mkdtemp(prefix="tier3_files.")
    try:
        for item in files:
            target = os.path.join(staging, os.path.basename(item.path))
            with open(target, "wb") as out:
                out.write(item.content or b"")
            os.chmod(target, item.mode if item.mode is not None else 0o644)
        for item in files:
            if item.validate and {"content", "exists"} & set(item.changes):
                _run_check(item.validate, os.path.join(staging, os.path.basename(item.path)), strict, item.path)
        if together:
            _run_check(together, staging, strict, "validate_together")
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def apply(item: Wanted) -> None:
    if not item.changes:
        return
    if item.state == "absent":
        if os.path.isdir(item.path) and not os.path.islink(item.path):
            os.rmdir(item.path)
        else:
            os.unlink(item.path)
        return
    if item.kind == "directory":
        os.makedirs(item.path, exist_ok=True)
        os.chown(item.path, item.uid, item.gid)
        os.chmod(item.path, item.mode if item.mode is not None else 0o755)
        return
    if "content" not in item.changes and "exists" not in item.changes:
        os.chown(item.path, item.uid, item.gid)
        os.chmod(item.path, item.mode if item.mode is not None else 0o644)
        return
    handle, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(item.path)}.", dir=os.path.dirname(item.path))
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(item.content or b"")
            out.flush()
            os.fsync(out.fileno())
        os.chown(temporary, item.uid, item.gid)
        os.chmod(temporary, item.mode if item.mode is not None else 0o644)
        os.replace(temporary, item.path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def diff_of(item: Wanted) -> dict[str, str]:
    if item.secret:
        return {"before_header": item.path, "after_header": item.path,
                "before": "(secret: not shown)\n" if item.before is not None else "",
                "after": "(secret: not shown)\n" if item.state == "present" else ""}
    return {"before_header": item.path, "after_header": item.path,
            "before": (item.before or b"").decode("utf-8", "replace"),
            "after": (item.content or b"").decode("utf-8", "replace") if item.state == "present" else ""}


def main() -> None:
    path_entry = {"type": "path", "required": True}
    module = AnsibleModule(
        argument_spec={
            "directories": {"type": "list", "elements": "dict", "default": [], "options": {
                "path": path_entry, "owner": {"type": "str", "default": "root"},
                "group": {"type": "str", "default": "root"}, "mode": {"type": "str", "required": True}}},
            "files": {"type": "list", "elements": "dict", "default": [], "options": {
                "dest": path_entry, "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
                "src": {"type": "str"}, "copy": {"type": "str"}, "content": {"type": "str"},
                "owner": {"type": "str", "default": "root"}, "group": {"type": "str", "default": "root"},
                "mode": {"type": "str"}, "validate": {"type": "str"}, "secret": {"type": "bool", "default": False}}},
            "validate_together": {"type": "str"},
            "strict_validate": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    try:
        items = wanted_items(module.params)
        for item in items:
            if item.state == "present":
                ids(item)  # before compare: its owner and group are compared by id
            compare(item)
        check_new(items, module.params["validate_together"], module.params["strict_validate"])
        if not module.check_mode:
            for item in items:
                apply(item)
    except Refused as exc:
        module.fail_json(msg=str(exc), changed=False)
    except OSError as exc:
        module.fail_json(msg=f"{exc.filename or ''}: {exc.strerror or exc}", changed=False)
    changed = [i for i in items if i.changes]
    result: dict[str, Any] = {
        "changed": bool(changed),
        "changed_files": [i.path for i in changed],
        "files": [{"path": i.path, "action": i.action, "changes": i.changes} for i in items],
    }
    if module._diff:
        result["diff"] = [diff_of(i) for i in changed if i.kind == "file"]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
