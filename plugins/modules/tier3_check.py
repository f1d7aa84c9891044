#!/usr/bin/python
# Copyright: tier3 contributors
# Apache-2.0 (see LICENSE)
"""Documentation of the tier3_check action; the controller does the work (plugins/action/tier3_check.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: tier3_check
short_description: Judge a live host (and then the site) against the tier3 rules and the declared inventory
version_added: "0.2.0"
description:
  - An action plugin. In O(scope=host) (the default) it runs M(tier3.dc.tier3_evidence) once on the host, for
    the kinds the inventory makes the host owe (an C(mx) host C(postqueue), an C(imap) host C(replicator), a
    member of a declared VIP C(vip-holders), plus O(kinds)), and parses and judges every item on the controller
    with the observed rules of the one catalogue (C(tier3 rules --scope observed)). Every finding carries the id
    and SHA-256 of the evidence items it rests on. It never fails the host for a finding, so the site step sees
    every host; a host whose module fails says so in RV(error).
  - In O(scope=host), a host whose inventory declares C(tier3_host.bmc) also has its BMC read from the controller,
    in the same task (O(bmc)), over Redfish or IPMI as declared, with the clients of C(tier3 inspect redfish|ipmi-sdr).
    What it reports is judged by the observed power rules (T3-OBS-PWR-001..007) and against the declared supplies,
    PDUs and feeds (T3-OBS-PWR-010..013); each document read is an evidence item with its URL and SHA-256. A BMC that
    does not answer, refuses the credentials or answers badly is an C(error) finding of the host naming the URL.
  - The BMC user is C(tier3_host.bmc.username); the password is C(tier3_host.bmc.password), templated on the
    controller (a vault value or a vaulted variable) and never put in the result, a finding or a message. Host
    variables C(tier3_bmc_ca_file) (the CA of the BMCs' certificates; default the system's), C(tier3_bmc_insecure)
    (no TLS verification, labs only), C(tier3_bmc_timeout) (seconds per request, default 10) and
    C(tier3_bmc_retries) (default 2) say how it is reached.
  - In O(scope=site) (once, on the controller) it reads each host's registered result from C(hostvars), makes an
    C(error) finding of each host that gave nothing (unreachable, or its module failed), judges who holds each
    declared VIP over the C(ip -j addr) of all its members, probes every service of every VIP (but LMTP, an
    internal hop) from the controller (answer, TLS versions, certificate chain and name, no AUTH before TLS),
    writes C(check.json), C(check.junit.xml) and C(check.html) to O(report_dir), and fails when a rule fails at
    O(fail_on) or worse or a host could not be judged.
  - The inventory judged against is the run's own (C(ansible_inventory_sources)), read with tier3's schema, unless
    O(inventory) names one. C(playbooks/check.yml) and C(tier3 check) run both scopes.
requirements:
  - The C(tier3) Python package on the controller (shipped in the collection under C(tools/tier3)).
options:
  scope:
    description: C(host) to read and judge the current host, C(site) once after every host.
    type: str
    choices: [host, site]
    default: host
  kinds:
    description: Kinds to read besides the ones the host owes (C(mdstat), C(bonding), C(lsblk)...).
    type: list
    elements: str
  inventory:
    description: A tier3 inventory (directories or YAML files) to judge against, instead of the run's own.
    type: list
    elements: path
  bmc:
    description:
      - For O(scope=host), whether to read the host's declared BMC (C(tier3_host.bmc)) from the controller.
      - The kinds C(redfish) and C(ipmi-sdr) are never asked of M(tier3.dc.tier3_evidence); the host gives nothing
        for them.
    type: bool
    default: true
  max_bytes:
    description: Passed to M(tier3.dc.tier3_evidence); a longer item is cut, and a cut item is not judged.
    type: int
  now:
    description: The time to measure ages from (seconds since the epoch); default when the host read each item.
    type: float
  hosts:
    description: For O(scope=site), the hosts checked (each must have its result in O(results_var)).
    type: list
    elements: str
  results_var:
    description: For O(scope=site), the variable each host registered its O(scope=host) result in.
    type: str
    default: tier3_check_result
  probe:
    description: For O(scope=site), whether to probe every service of every declared VIP from the controller.
    type: bool
    default: true
  scan:
    description:
      - For O(scope=site) with O(probe), whether to scan the listeners that answered with sslyze too (the cipher
        suites of every TLS version against the Mozilla intermediate profile, SSL 2.0 and 3.0; rules
        T3-OBS-TLS-007..010). About 20 s for the lab's listeners; off, those rules are not judged.
    type: bool
    default: true
  dns:
    description:
      - For O(scope=site), whether to ask every authoritative server (group C(dns), at its address from facts,
        C(tier3_lab_address) or an address C(ansible_host)) for every record of every mail domain, compared with
        what tier3.dns.zone generates from the inventory (rules T3-OBS-DNS-001..007). Only those servers are asked.
      - Does nothing without C(tier3_dns) or dns hosts in the inventory.
    type: bool
    default: true
  ca_file:
    description: For O(scope=site), the PEM file of the CA the VIP listeners' certificates must verify against.
    type: path
  timeout:
    description:
      - For O(scope=site), seconds per connect, read and handshake of each probe.
      - Above Postfix postscreen's greet wait (6 s), which a client it has not seen yet waits once.
    type: float
    default: 10.0
  report_dir:
    description: For O(scope=site), the directory the reports are written to (created when missing).
    type: path
  fail_on:
    description: For O(scope=site), the lowest severity of a failed rule that fails the task.
    type: str
    choices: [critical, high, medium, low, info]
    default: low
attributes:
  check_mode:
    support: full
    description: Reads and judges only; the same in check mode.
  diff_mode:
    support: none
    description: Nothing is changed, so there is no diff.
  platform:
    platforms: [posix]
seealso:
  - module: tier3.dc.tier3_evidence
  - module: tier3.dc.tier3_judge
  - name: tier3 check
    description: docs/check.md in the tier3 repository.
    link: https://tier3.invalid/docs/check.md
author:
  - tier3 contributors
"""

EXAMPLES = r"""
- name: Check | gather and judge what this host owes
  hosts: all:!localhost
  gather_facts: false
  tasks:
    - name: Check | one evidence call, judged on the controller
      tier3.dc.tier3_check:
      register: tier3_check_result
      ignore_unreachable: true

- name: Check | the site, and the reports
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Check | VIP holders, VIP services probed from here, every host's findings
      tier3.dc.tier3_check:
        scope: site
        hosts: "{{ groups['all'] }}"
        ca_file: /etc/tier3/pki/ca.crt
        report_dir: reports/check
"""

RETURN = r"""
kinds:
  description: O(scope=host) - the kinds read on the host, and of its BMC.
  returned: scope host
  type: list
  elements: str
  sample: [postqueue, vip-holders, redfish]
evidence:
  description:
    - O(scope=host) - the records of M(tier3.dc.tier3_evidence) (command or path, status, rc, text, sha256).
    - Then one record per document read from the BMC (kind C(redfish) or C(ipmi-sdr), the URL as C(id), its
      sha256 and size, no text, C(detail) saying the controller read it).
  returned: scope host
  type: list
  elements: dict
facts:
  description: O(scope=host) - what each kind's parser found, as C(tier3 inspect KIND SOURCE --json) prints it.
  returned: scope host
  type: list
  elements: dict
findings:
  description: Every failed or unjudged check (rule id, severity, status, subject, message, evidence with hashes).
  returned: always
  type: list
  elements: dict
failed_rules:
  description: C(RULE SUBJECT) of each failed finding (host scope) or of each blocking one (site scope).
  returned: always
  type: list
  elements: str
  sample: ["T3-OBS-VRP-001 vip:lab-smtp"]
textfile:
  description:
    - O(scope=host) - the host's open findings as node exporter textfile metrics (C(tier3_finding), with rule, subject,
      severity and breaks_redundancy labels, and C(tier3_check_timestamp_seconds)); playbooks/check.yml writes it to
      the host's textfile directory (roles/monitoring_agent) as C(tier3_findings.prom).
  returned: scope host, when the host was read
  type: str
error:
  description: O(scope=host) - why the host could not be read (the module failed).
  returned: when the module failed
  type: str
summary:
  description: O(scope=site) - hosts, evidence items and checks counted, and how many failed.
  returned: scope site
  type: str
report_files:
  description: O(scope=site) - the reports written.
  returned: scope site, with report_dir
  type: list
  elements: str
"""
