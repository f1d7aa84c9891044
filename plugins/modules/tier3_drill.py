#!/usr/bin/python
# Copyright: tier3 contributors
# Apache-2.0 (see LICENSE)
"""Documentation of the tier3_drill action; the controller does the work (plugins/action/tier3_drill.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: tier3_drill
short_description: Run a failover drill of the tier3 mail cluster and judge it against the RTO and RPO
version_added: "0.1.0"
description:
  - Runs on the controller only (an action plugin). Kills one node of the mail cluster hard while a client on the
    controller streams mail through the VIP, then restores it, with the same code as C(tier3 drill NAME)
    (the Python conductor C(tier3.drill.execute)), so the play and the command line measure alike.
  - C(lb-failover) kills the load balancer holding the smtp VIP, C(mx-failover) the first host of the C(mx) group,
    C(imap-failover) the first host of the C(imap) group (HAProxy's non-backup server) while a reader polls IMAPS
    through the IMAP VIP.
  - "Lab hosts (connection C(containers.podman.podman) or C(tier3.dc.podman)): C(podman kill), C(podman start).
    SSH hosts: C(systemctl kill --signal=SIGKILL) of the role's service (haproxy, postfix@-, dovecot), then
    C(systemctl start)."
  - Reads the site from the play's variables (C(tier3_drill), C(tier3_mail), C(tier3_vips), C(pki_ca_dir), each host's
    connection), templated by Ansible; the drill mailbox's password comes from C(tier3_mail.users) (the vault).
  - Judges the figures with the rules T3-OBS-DRL-001..003 (takeover within C(tier3_drill.rto_seconds), messages lost
    within C(tier3_drill.rpo_messages), exactly one holder of each VIP afterwards) and writes a JSON report.
  - Fails when a drill rule fails, or before killing anything when the cluster is not fit for a drill (a VIP on 0 or
    2 members, mail not accepted, the mailbox unreadable) or the inventory lacks a key it needs.
requirements:
  - The C(tier3) Python package on the controller (shipped in the collection under C(tools/tier3)).
  - The controller reaches the VIPs on ports 25 and 993.
options:
  name:
    description: The drill to run.
    type: str
    required: true
    choices: [lb-failover, mx-failover, imap-failover]
  duration:
    description: Seconds of streaming (4 to 3600); the node dies at min(5, duration/4) seconds.
    type: float
    default: 20.0
  rate:
    description: Messages (and IMAP polls) per second, above 0 and at most 50.
    type: float
    default: 5.0
  output:
    description:
      - Path of the JSON report; the probe log goes beside it (C(.probe.json)).
      - Defaults to C(reports/drills/NAME-YYYYMMDDTHHMMSSZ.json) under the current directory.
    type: path
  keep_messages:
    description: Leave the drill's messages in the drill mailbox (by default they are deleted once counted).
    type: bool
    default: false
attributes:
  check_mode:
    support: partial
    description: Checks that the inventory has what the drill needs, then skips; nothing is killed.
  diff_mode:
    support: none
    description: Nothing is configured, so there is no diff.
  platform:
    platforms: [posix]
seealso:
  - name: tier3 failover drills
    description: docs/drills.md in the tier3 repository.
    link: https://tier3.invalid/docs/drills.md
author:
  - tier3 contributors
"""

EXAMPLES = r"""
- name: Drill | kill the LB holding the smtp VIP
  tier3.dc.tier3_drill:
    name: lb-failover
  register: drill

- name: Drill | a longer IMAP drill, report kept in a named file
  tier3.dc.tier3_drill:
    name: imap-failover
    duration: 60
    rate: 10
    output: reports/drills/imap-failover-latest.json
"""

RETURN = r"""
drill:
  description: The figures, as C(tier3 drill NAME) prints them.
  returned: when the drill ran
  type: dict
  sample:
    drill: lb-failover
    target: lb1
    takeover_s: 0.91
    sent: 100
    accepted: 92
    readable_on_survivor: 92
    readable_after_rejoin: 92
    delayed: 0
    lost: 0
    holders_after: 1
    passed: true
report:
  description: Path of the JSON report (docs/report.md's schema).
  returned: when the drill ran
  type: str
  sample: reports/drills/lb-failover-20260101T120000Z.json
findings:
  description: One finding per drill rule (pass or fail) with the figures it judged.
  returned: when the drill ran
  type: list
  elements: dict
"""
