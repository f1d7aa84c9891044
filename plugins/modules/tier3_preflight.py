#!/usr/bin/python
# Copyright: tier3 contributors
# Apache-2.0 (see LICENSE)
"""Documentation of the tier3_preflight action; the controller does the work (plugins/action/tier3_preflight.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: tier3_preflight
short_description: Validate the tier3 inventory (schema, references, redundancy rules) before touching any host
version_added: "0.1.0"
description:
  - Runs on the controller only (an action plugin); connects to no host and changes nothing.
  - Reads the inventory sources of the current run (C(ansible_inventory_sources)) or the paths given in O(inventory)
    with the same code as C(tier3 validate) (schema and reference checks first, then the redundancy rules
    T3-PWR-*, T3-NET-*, T3-STO-*, T3-PLC-*, T3-VRP-*, T3-CAP-*, T3-SEC-*).
  - Several sources (C(-i hosts.yml -i lb.yml)) are one inventory, as Ansible merges them - the hosts and groups
    of all, the C(group_vars/) and C(host_vars/) beside each, a later source winning - and are checked as one.
  - The work is done by the Python conductor C(tier3.validate.validate), the same function C(tier3 validate)
    calls, so the play and the command line always agree.
  - Fails on schema or reference errors, and on failed rules of severity O(fail_on) or worse; rules of lower
    severity are reported as warnings.
  - BMC secrets are never read or returned; vault-encrypted files are skipped (and named in RV(notes)).
requirements:
  - The C(tier3) Python package on the controller. The collection ships it (C(tools/tier3) in the collection, found
    beside C(plugins/)); without it, C(pip install tier3) into the Python that runs Ansible.
options:
  inventory:
    description:
      - Inventory directories or YAML inventory files to validate, together, as one inventory.
      - Defaults to the inventory sources of the current run; sources that are not paths (C(host1,host2,)) are skipped.
    type: list
    elements: path
  fail_on:
    description:
      - Lowest severity of a failed rule that fails the task; lower ones are reported as warnings.
      - The same default as C(tier3 validate --fail-on), so the playbook gate and the CLI gate agree.
    type: str
    choices: [critical, high, medium, low, info]
    default: low
attributes:
  check_mode:
    support: full
    description: Reads the inventory only; the same in check mode.
  diff_mode:
    support: none
    description: Nothing is changed, so there is no diff.
  platform:
    platforms: [posix]
seealso:
  - name: tier3 inventory format
    description: docs/inventory.md in the tier3 repository.
    link: https://tier3.invalid/docs/inventory.md
author:
  - tier3 contributors
"""

EXAMPLES = r"""
- name: Preflight | validate the inventory of this run (every -i source, merged)
  tier3.dc.tier3_preflight:
  register: preflight

- name: Preflight | validate another inventory, failing on medium findings too
  tier3.dc.tier3_preflight:
    inventory:
      - inventory/example
    fail_on: medium

- name: Preflight | validate an inventory kept in two sources
  tier3.dc.tier3_preflight:
    inventory:
      - inventory/prod
      - inventory/lb.yml
"""

RETURN = r"""
findings:
  description: Every failed rule, as in C(tier3 validate --format json) (rule id, severity, subject, location, hint).
  returned: always
  type: list
  elements: dict
  sample:
    - rule_id: T3-PWR-001
      severity: high
      status: fail
      subject: mx1
      title: host has at least two power supplies
      message: declares 1 power supply (PSU1); needs at least 2
      location: {file: inventory/example/host_vars/mx1.yml, key: tier3_host.power_supplies}
      hint: install a second power supply and declare it under tier3_host.power_supplies
blocking:
  description: The findings at or above O(fail_on), one line each (file, key, rule id, subject, message, fix).
  returned: always
  type: list
  elements: str
  sample: ["inventory/example/host_vars/mx1.yml: tier3_host.power_supplies: T3-PWR-001 [high] mx1: ..."]
errors:
  description: Schema, reference or YAML errors, one line each (file, key path, problem, fix); the rules did not run.
  returned: when the inventory is bad input
  type: list
  elements: str
  sample:
    - >-
      inventory/example/host_vars/mx1.yml: tier3_host.bmc.protocol: unallowed value telnet
      (fix: use one of: redfish, ipmi)
summary:
  description: One line on the inventory validated (its sources joined with C( + )).
  returned: always
  type: list
  elements: str
  sample: ["inventory/example: 24 hosts, 2 sites: clean"]
notes:
  description: What the loader skipped and why (vault-encrypted vars files, host_vars of unknown hosts).
  returned: always
  type: list
  elements: str
  sample: []
"""
