#!/usr/bin/python
# Copyright: tier3 contributors
# Apache-2.0 (see LICENSE)
"""Documentation of the tier3_audit action; the controller does the work (plugins/action/tier3_audit.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: tier3_audit
short_description: Judge the whole site for auditors and write the audit reports and the signed evidence bundle
version_added: "0.1.0"
description:
  - Runs on the controller only (an action plugin), once, after the plays of C(playbooks/check.yml) (each host's
    C(tier3_check) result, one round trip per host). The same code as C(tier3 audit) (C(tier3.audit.conduct)).
  - Every rule of the catalogue gives results; a rule with no evidence is C(not evaluated), never C(pass). The
    inventory's C(tier3_waivers) turn exactly the findings they name into C(waived) until they expire.
  - Writes C(report.html), C(report.json), C(report.junit.xml), C(summary.md), C(oscal/assessment-results.json)
    and the evidence bundle in C(evidence/) (every raw item, a manifest of their SHA-256, signed with Ed25519).
  - Touches no host.
requirements:
  - The C(tier3) Python package on the controller (shipped in the collection under C(tools/tier3)),
    compliance-trestle and cryptography.
options:
  hosts:
    description: The hosts the check read (their C(results_var) is gathered from hostvars).
    type: list
    elements: str
    required: true
  results_var:
    description: The variable each host registered the C(tier3_check) result in.
    type: str
    default: tier3_check_result
  site_var:
    description: The variable the site step of C(tier3_check) registered its result in (on the controller).
    type: str
    default: tier3_check_site
  output_dir:
    description: Where the reports and the bundle go.
    type: path
    required: true
  drills_dir:
    description: Where the drills' reports are (the last of each drill is taken).
    type: path
  extra_reports:
    description: More tier3 JSON reports to judge with the rest (C(tier3 archive verify)'s).
    type: list
    elements: path
  signing_key:
    description: The Ed25519 private key (PEM) that signs the manifest; made when missing.
    type: path
    default: ~/.config/tier3/audit-signing.key
  today:
    description: The date waivers are judged on (YYYY-MM-DD; tests); default today.
    type: str
  command:
    description: What ran, for the report's provenance.
    type: str
  fail_on_findings:
    description: Fail the task when the verdict is fail (after writing every file).
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Writes the reports on the controller in check mode too; no host is changed either way.
author:
  - tier3 contributors
"""

EXAMPLES = r"""
- name: Audit | the site, judged and reported
  tier3.dc.tier3_audit:
    hosts: "{{ groups['all'] | difference(['localhost']) }}"
    output_dir: "{{ playbook_dir }}/../reports/audit"
"""

RETURN = r"""
verdict:
  description: pass or fail.
  type: str
  returned: success
counts:
  description: Results per outcome (pass, fail, waived, not evaluated, error).
  type: dict
  returned: success
report_files:
  description: Every file written.
  type: list
  returned: success
key_sha256:
  description: SHA-256 of the public key that verifies the manifest's signature.
  type: str
  returned: success
failed_results:
  description: rule id and subject of every failed or errored result.
  type: list
  returned: success
"""
