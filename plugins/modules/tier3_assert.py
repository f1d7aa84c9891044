#!/usr/bin/python
# Copyright: tier3 contributors
# Apache-2.0 (see LICENSE)
"""Documentation of the tier3_assert action; the controller does the work (plugins/action/tier3_assert.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: tier3_assert
short_description: Several named assertions in one task, each with its own message, all reported
version_added: "0.2.0"
description:
  - An action plugin; nothing runs on the host. It evaluates each check of O(checks) in order, as
    M(ansible.builtin.assert) evaluates its O(ansible.builtin.assert#module:that), and fails when any check fails,
    with the message of every failed check, each prefixed with the check's name (not only the first failure).
  - One task instead of one M(ansible.builtin.assert) per message. Each task costs the controller a worker process
    per host whatever it does, so a role's preflight or verify step with ten assertions is ten times the cost.
  - A check's O(checks[].that), O(checks[].when) and O(checks[].fail_msg) are templated only when the check is
    evaluated, so a message may read data that exists only when its check fails, and a check whose O(checks[].when)
    is false reads nothing. A check that cannot be evaluated (an undefined variable, a filter error) fails with
    that error.
options:
  checks:
    description: The checks, evaluated in order.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: What the check says, with the rule id where there is one (C(T3-BASE-SSH-001 sshd keys only)).
        type: str
      that:
        description: A conditional, or a list of conditionals that must all hold (as for M(ansible.builtin.assert)).
        type: raw
        required: true
      fail_msg:
        description: The message when the check fails (templated then).
        type: str
        default: assertion failed
      when:
        description: The check is evaluated only when this conditional (or each of a list) holds; else it is skipped.
        type: raw
attributes:
  check_mode:
    support: full
    description: Evaluates the same in check mode.
  diff_mode:
    support: none
    description: Nothing is changed.
  platform:
    platforms: [posix]
seealso:
  - module: ansible.builtin.assert
author:
  - tier3 contributors
"""

EXAMPLES = r"""
- name: "T3-BASE-SSH-001 T3-BASE-FW-001 | AUDIT | sshd takes keys only; the input chain drops by default"
  tier3.dc.tier3_assert:
    checks:
      - name: T3-BASE-SSH-001 sshd refuses passwords
        that: "'passwordauthentication no' in __baseline_read.commands.sshd.stdout_lines"
        fail_msg: "sshd -T: {{ __baseline_read.commands.sshd.stdout_lines | select('match', '^passwordauth') }}"
      - name: T3-BASE-FW-001 the input chain drops by default
        that: __baseline_input_chain.policy == 'drop'
        fail_msg: "nft input chain: policy {{ __baseline_input_chain.policy }}"
        when: not ansible_check_mode
"""

RETURN = r"""
checks:
  description: One record per check, in order.
  type: list
  elements: dict
  returned: always
  contains:
    name:
      description: The check's name (C(check N) when it has none).
      type: str
    status:
      description: C(passed), C(failed) or C(skipped) (its O(checks[].when) was false).
      type: str
failed_checks:
  description: The names of the checks that failed.
  type: list
  elements: str
  returned: when a check failed
"""
