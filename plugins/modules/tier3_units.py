#!/usr/bin/python
# Copyright: tier3 contributors
# Apache-2.0 (see LICENSE)
"""Enable and start (or stop) every systemd unit of a role in one call: one systemctl show, then only what differs."""

from __future__ import annotations

import subprocess
from typing import Any

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
---
module: tier3_units
short_description: Bring every systemd unit of a role to its wanted state in one call
version_added: "0.1.0"
description:
  - Reads the state of every unit of O(units) with one C(systemctl show), then runs only what differs, as one
    C(systemctl daemon-reload), one C(systemctl enable) or C(disable), and one C(systemctl start) or C(stop) for all
    the units that need it; M(ansible.builtin.systemd_service) takes one call per unit.
  - A unit that is not loaded (no unit file) fails the task naming it, before anything is done, unless it is only
    to be stopped and disabled.
options:
  units:
    description: The units. Those that need it are started together, by one C(systemctl start).
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The unit's full name (C(ssh.service), C(apt-daily.timer)).
        type: str
        required: true
      enabled:
        description: Start at boot (C(true)) or not (C(false)); unset leaves it as it is.
        type: bool
      state:
        description: C(started) or C(stopped); unset leaves it as it is.
        type: str
        choices: [started, stopped]
  daemon_reload:
    description:
      - Run C(systemctl daemon-reload) first when a unit says its files changed since systemd loaded them
        (C(NeedDaemonReload=yes)), or a unit is not found (it may have just been written). It counts as a change.
    type: bool
    default: true
notes:
  - Units that are C(static), C(indirect), C(generated), C(transient) or C(alias) have no C([Install]) state of their
    own; O(units[].enabled=true) asks nothing of them.
attributes:
  check_mode:
    support: full
    description: Reports what it would run; runs only C(systemctl show).
  diff_mode:
    support: none
    description: The RV(units) records say what changed.
  platform:
    platforms: [posix]
seealso:
  - module: ansible.builtin.systemd_service
  - module: tier3.dc.tier3_files
author:
  - tier3 contributors
"""

EXAMPLES = r"""
- name: Baseline | Run sshd, chronyd, the nftables ruleset and the apt timers
  tier3.dc.tier3_units:
    units:
      - {name: ssh.service, enabled: true, state: started}
      - {name: nftables.service, enabled: true, state: started}
      - {name: apt-daily.timer, enabled: true, state: started}
"""

RETURN = r"""
units:
  description: One record per unit, in the order given.
  type: list
  elements: dict
  returned: always
  contains:
    name:
      description: The unit.
      type: str
      sample: ssh.service
    active:
      description: C(ActiveState) before the task (C(active), C(inactive), C(failed), ...).
      type: str
      sample: active
    unit_file_state:
      description: C(UnitFileState) before the task (C(enabled), C(disabled), C(static), ...).
      type: str
      sample: enabled
    actions:
      description: What was run (or would be, in check mode) for this unit.
      type: list
      elements: str
      sample: [enable, start]
daemon_reloaded:
  description: Whether C(systemctl daemon-reload) ran (or would have, in check mode).
  type: bool
  returned: always
"""

PROPERTIES = ("Id", "LoadState", "ActiveState", "UnitFileState", "NeedDaemonReload")
RUNNING = {"active", "activating", "reloading", "refreshing"}
ENABLED = {"enabled", "enabled-runtime", "linked", "linked-runtime"}
NO_INSTALL = {"static", "indirect", "generated", "transient", "alias"}


def parse_show(text: str, names: list[str]) -> dict[str, dict[str, str]]:
    """`systemctl show -p ... A B` prints one block per unit, in the order asked, blank line between."""
    blocks = text.strip("\n").split("\n\n") if text.strip() else []
    if len(blocks) != len(names):
        raise ValueError(f"systemctl show gave {len(blocks)} block(s) for {len(names)} unit(s)")
    state: dict[str, dict[str, str]] = {}
    for name, block in zip(names, blocks, strict=True):
        state[name] = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
    return state


def plan(units: list[dict[str, Any]], state: dict[str, dict[str, str]]) -> list[tuple[str, list[str]]]:
    """The actions each unit needs, from its wanted state and what systemd said."""
    actions = []
    for unit in units:
        now = state[unit["name"]]
        todo = []
        if unit["enabled"] is True and now.get("UnitFileState", "") not in ENABLED | NO_INSTALL:
            todo.append("enable")
        if unit["enabled"] is False and now.get("UnitFileState", "") in ENABLED:
            todo.append("disable")
        if unit["state"] == "started" and now.get("ActiveState") not in RUNNING:
            todo.append("start")
        if unit["state"] == "stopped" and now.get("ActiveState") in RUNNING:
            todo.append("stop")
        actions.append((unit["name"], todo))
    return actions


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "units": {"type": "list", "elements": "dict", "required": True, "options": {
                "name": {"type": "str", "required": True}, "enabled": {"type": "bool"},
                "state": {"type": "str", "choices": ["started", "stopped"]}}},
            "daemon_reload": {"type": "bool", "default": True},
        },
        supports_check_mode=True,
    )
    units = module.params["units"]
    names = [u["name"] for u in units]
    if len(set(names)) != len(names):
        module.fail_json(msg="units: a unit is named twice (fix: one entry per unit)")
    systemctl = module.get_bin_path("systemctl", required=True)

    def show() -> dict[str, dict[str, str]]:
        rc, out, err = module.run_command([systemctl, "show", "--property=" + ",".join(PROPERTIES), "--", *names])
        if rc != 0:
            module.fail_json(msg=f"systemctl show failed (exit {rc}): {err.strip()}")
        try:
            return parse_show(out, names)
        except ValueError as exc:
            module.fail_json(msg=str(exc))
            raise

    state = show()
    reload_needed = module.params["daemon_reload"] and any(
        s.get("NeedDaemonReload") == "yes" or s.get("LoadState") == "not-found" for s in state.values())
    if reload_needed and not module.check_mode:
        rc, _, err = module.run_command([systemctl, "daemon-reload"])
        if rc != 0:
            module.fail_json(msg=f"systemctl daemon-reload failed (exit {rc}): {err.strip()}")
        state = show()
    for unit in units:
        if state[unit["name"]].get("LoadState") == "not-found" and (unit["state"] == "started" or unit["enabled"]):
            module.fail_json(msg=f"units: {unit['name']} is not installed (no unit file; fix: install its package "
                                 "before this task, or correct the name)", changed=bool(reload_needed))
    actions = plan(units, state)
    records = [{"name": name, "active": state[name].get("ActiveState", ""),
                "unit_file_state": state[name].get("UnitFileState", ""), "actions": todo} for name, todo in actions]
    if not module.check_mode:
        for verb in ("enable", "disable", "start", "stop"):
            targets = [name for name, todo in actions if verb in todo]
            if not targets:
                continue
            done = subprocess.run([systemctl, verb, "--", *targets], capture_output=True, text=True, check=False)
            if done.returncode != 0:
                module.fail_json(msg=f"systemctl {verb} {' '.join(targets)} failed (exit {done.returncode}): "
                                     f"{done.stderr.strip()[-1500:]}", changed=True, units=records)
    changed = bool(reload_needed) or any(todo for _, todo in actions)
    module.exit_json(changed=changed, units=records, daemon_reloaded=bool(reload_needed))


if __name__ == "__main__":
    main()
