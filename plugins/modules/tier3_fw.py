#!/usr/bin/python
# Copyright: tier3 contributors
# Apache-2.0 (see LICENSE)
"""Documentation of the tier3_fw action; the controller does the work (plugins/action/tier3_fw.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: tier3_fw
short_description: Plan, push with a revert timer, or roll back the policy of a tier3 firewall pair
version_added: "0.1.0"
description:
  - Runs on the controller only (an action plugin), with the same code as C(tier3 fw plan|push|rollback --pair NAME)
    (the Python functions of C(tier3.firewall.run)). Netmiko opens one SSH session per member.
  - Renders the pair's vendor-neutral policy (C(tier3_firewall_policies)) for its platform, reads both members' HA
    role and running policy, and returns the diff. In check mode it stops there and changes nothing.
  - Otherwise keeps a rollback copy of each member's policy, pushes with the device's revert timer armed (to the
    active member where the pair syncs its configuration, else to both, standby first), verifies that both members
    run the intended policy and that the active member did not change, and confirms; on any failure it rolls back
    every member already changed and fails with a report of what happened on each.
  - Refuses, contacting no member, a policy with a firewall finding (T3-FWL-*) at high or worse.
  - Credentials come from each member's variables, templated by Ansible (from the vault), C(ansible_host),
    C(ansible_port), C(ansible_user), C(tier3_fw_password) or C(tier3_fw_key_file) and C(tier3_fw_key_passphrase),
    C(tier3_fw_secret). They are never logged or returned.
requirements:
  - The C(tier3) Python package on the controller (shipped in the collection under C(tools/tier3)) and netmiko.
options:
  pair:
    description: The pair's name (C(tier3_firewall_pairs[].name)).
    type: str
    required: true
  state:
    description: C(pushed) pushes (C(planned) in check mode); C(rolled_back) restores the last rollback copies.
    type: str
    choices: [pushed, rolled_back]
    default: pushed
  revert_seconds:
    description: How long a push stays unconfirmed before the device rolls it back (10 to 3600).
    type: int
    default: 120
  state_dir:
    description: Where the rollback copies are kept on the controller.
    type: path
    default: ~/.local/state/tier3/fw
attributes:
  check_mode:
    support: full
    description: Reads the members and returns the diff; nothing is changed.
  diff_mode:
    support: full
    description: The diff of each member's running policy against the intended one.
author:
  - tier3 contributors
"""

EXAMPLES = r"""
- name: Firewall | the lab pair runs the lab-edge policy
  tier3.dc.tier3_fw:
    pair: lab-fw
    revert_seconds: 60
"""

RETURN = r"""
report:
  description: What happened on each member (role, outcome, events, SSH sessions) and the pair's outcome.
  returned: always
  type: dict
  sample:
    pair: lab-fw
    platform: linux
    verb: push
    ok: true
    changed: true
    message: applied to fw2, fw1; both members run the intended policy
    members:
      - {name: fw1, role: active, outcome: applied, sessions: 1}
      - {name: fw2, role: standby, outcome: applied, sessions: 1}
"""
