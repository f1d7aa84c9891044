#!/usr/bin/python
# Copyright: tier3 contributors
# Apache-2.0 (see LICENSE)
"""Documentation of the tier3_judge action; the controller does the work (plugins/action/tier3_judge.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: tier3_judge
short_description: Judge what a host said (or probe a mail listener) with the tier3 observed rules
version_added: "0.1.0"
description:
  - Runs on the controller only (an action plugin); connects to no managed host and changes nothing.
  - Parses O(raw), the output of a command a previous task ran on a host (C(postqueue -j),
    C(doveadm replicator status), C(ip -j addr) of each VIP member, C(cat /proc/mdstat), ...), as the
    inspect kind O(kind), and judges it with the observed rules of the one catalogue
    (C(tier3 rules --scope observed)), as C(tier3 inspect KIND SOURCE) does.
  - With O(kind=tls-listener) and O(listeners), probes each listener from the controller instead, connecting
    only to the addresses given, with short timeouts. It finds whether the listener answers, the TLS versions it
    accepts (1.0 to 1.3, each tried alone), whether its certificate verifies with O(ca_file) and names
    C(server_hostname), the days to its expiry, and whether it offers AUTH before STARTTLS.
  - Fails when a rule fails at O(fail_on) or worse, with a message naming each failed rule id and subject;
    failed rules of lower severity are warnings. Bad input (output that does not parse, an unknown kind, a bad
    policy value) fails with one line naming what and where.
  - The thresholds are the policy values of docs/rules.md, taken from O(policy), else from the C(tier3_policy)
    variable in force for the host, else the defaults; with O(inventory), from that inventory's C(tier3_policy)
    for O(host).
requirements:
  - The C(tier3) Python package on the controller (shipped in the collection under C(tools/tier3)).
options:
  kind:
    description:
      - The inspect kind of O(raw), as C(tier3 inspect --help) lists them.
      - C(postqueue) (C(postqueue -j)), C(replicator) (C(doveadm replicator status '*') and/or
        C(doveadm replicator status)), C(vip-holders) (a mapping of host name to its C(ip -j addr) output),
        C(tls-listener) (probe records, or O(listeners) to probe), and the Linux and BMC kinds.
    type: str
    required: true
  raw:
    description:
      - The evidence, as the command printed it (a registered C(stdout)), or a mapping for the kinds that take
        one (C(vip-holders) host -> output; C(replicator) name -> output, the facts joined).
      - Required unless O(kind=tls-listener) with O(listeners).
    type: raw
  host:
    description:
      - The host the evidence belongs to (named in each finding's evidence; its C(tier3_policy) applies with
        O(inventory)). Defaults to C(inventory_hostname).
    type: str
  source:
    description: How findings name where the evidence came from. Defaults to C(KIND of HOST).
    type: str
  policy:
    description:
      - C(tier3_policy) overrides to judge with (name -> value, checked against docs/rules.md's policy values).
      - Defaults to the C(tier3_policy) variable of the task, else the built-in defaults.
    type: dict
  vips:
    description:
      - The VIPs, as C(tier3_vips) declares them, for C(vip-holders) (who should hold what) and to name a
        listener's VIP. Defaults to the C(tier3_vips) variable of the task.
    type: list
    elements: dict
  inventory:
    description:
      - A tier3 inventory (directories or YAML files, together) to take the policy for O(host) and the VIPs from,
        instead of the play's variables.
    type: list
    elements: path
  listeners:
    description:
      - For O(kind=tls-listener), the listeners to probe from the controller.
    type: list
    elements: dict
    suboptions:
      address: {description: The address to connect to (a VIP or a node)., type: str, required: true}
      port: {description: The TCP port., type: int, required: true}
      kind:
        description: How it talks before TLS.
        type: str
        required: true
        choices: [smtp-starttls, submission, imap-starttls, imaps, lmtp-starttls]
      server_hostname:
        description: The name its certificate must carry (and the SNI sent); defaults to the address.
        type: str
  ca_file:
    description: PEM file on the controller of the CA the listeners' certificates must verify against.
    type: path
  timeout:
    description: Seconds per connect, read and handshake of the probe.
    type: float
    default: 5.0
  now:
    description: The time the evidence was read (seconds since the epoch), for ages (C(postqueue)); default now.
    type: float
  fail_on:
    description:
      - Lowest severity of a failed rule that fails the task; lower ones are warnings.
      - The same default as C(tier3_preflight) and C(tier3 validate --fail-on).
    type: str
    choices: [critical, high, medium, low, info]
    default: low
attributes:
  check_mode:
    support: full
    description: Reads and judges only (a probe only connects); the same in check mode.
  diff_mode:
    support: none
    description: Nothing is changed, so there is no diff.
  platform:
    platforms: [posix]
seealso:
  - name: tier3 inspect kinds and the observed rules
    description: docs/inspect.md and docs/rules.md in the tier3 repository.
    link: https://tier3.invalid/docs/inspect.md
author:
  - tier3 contributors
"""

EXAMPLES = r"""
- name: Postfix | verify | read the queue
  ansible.builtin.command: postqueue -j
  register: __postfix_queue
  changed_when: false
  check_mode: false

- name: Postfix | verify | judge the queue (depth, deferred age)
  tier3.dc.tier3_judge:
    kind: postqueue
    raw: "{{ __postfix_queue.stdout }}"

- name: Dovecot | verify | judge replication (both outputs, joined)
  tier3.dc.tier3_judge:
    kind: replicator
    raw:
      users: "{{ __dovecot_replicator_users.stdout }}"
      summary: "{{ __dovecot_replicator_summary.stdout }}"
    fail_on: high

- name: keepalived | verify | read each member's addresses
  ansible.builtin.command: ip -j addr
  register: __keepalived_addresses
  changed_when: false
  check_mode: false

- name: keepalived | verify | each VIP held by exactly one of its members (tier3_vips)
  tier3.dc.tier3_judge:
    kind: vip-holders
    raw: >-
      {{ dict(ansible_play_hosts | zip(ansible_play_hosts
         | map('extract', hostvars, ['__keepalived_addresses', 'stdout']))) }}
  run_once: true

- name: Postfix | verify | TLS on the VIP, from the controller
  tier3.dc.tier3_judge:
    kind: tls-listener
    listeners:
      - {address: 10.89.30.100, port: 25, kind: smtp-starttls, server_hostname: mail.lab.tier3.test}
      - {address: 10.89.30.100, port: 587, kind: submission, server_hostname: mail.lab.tier3.test}
    ca_file: /etc/tier3/pki/ca.crt
  run_once: true
"""

RETURN = r"""
findings:
  description: >-
    Every failed rule, as C(tier3 inspect KIND SOURCE --json) lists them (rule id, severity, subject, evidence).
  returned: always
  type: list
  elements: dict
  sample:
    - rule_id: T3-OBS-MAL-001
      severity: medium
      status: fail
      subject: mail queue
      title: mail queue holds more messages than the policy allows
      message: 125 messages queued (deferred 124, hold 1); the policy allows 100
failed_rules:
  description: C(RULE SUBJECT) of each finding at O(fail_on) or worse, sorted.
  returned: always
  type: list
  elements: str
  sample: ["T3-OBS-MAL-001 mail queue"]
blocking:
  description: The findings at O(fail_on) or worse, one line each (source, line, rule id, subject, message, fix).
  returned: always
  type: list
  elements: str
summary:
  description: One line on what was judged, and the verdict when the kind has one (redundant, encrypted).
  returned: always
  type: str
  sample: "postqueue of mx1: 1 finding(s), 1 at low or worse"
report:
  description: >-
    The parsed facts and the verdict, as C(tier3 inspect KIND SOURCE --json) prints them (without the findings).
  returned: on success and on failed rules
  type: dict
errors:
  description: Why the evidence could not be judged (one line naming the source, the line or key, and the fix).
  returned: on bad input
  type: list
  elements: str
"""
