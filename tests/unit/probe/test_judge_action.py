"""The tier3.dc.tier3_judge action under ansible-playbook (localhost, connection local): real captures of
tests/fixtures/real/mail/ as the roles' verify steps hand them over, and real TLS listeners on 127.0.0.1
(mailservers.py) probed from the controller. One playbook of checks that must pass, and plays that must
fail naming the rules. About 10 s."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from mailservers import SERVICE_NAME, StartServer

ROOT = Path(__file__).resolve().parents[3]
MAIL = ROOT / "tests" / "fixtures" / "real" / "mail"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"

PLAY_HEAD = f"""\
---
- name: Judge | real captures and listeners
  hosts: lb1:lb2
  gather_facts: false
  connection: local
  vars:
    ansible_python_interpreter: "{sys.executable}"
    mail: "{MAIL}"
    tier3_vips:
      - {{name: lab-smtp, address: 10.89.44.100, network: 10.89.44.0/24, vrid: 51, services: [smtp, submission],
         members: [{{host: lb1, priority: 150}}, {{host: lb2, priority: 100}}]}}
  tasks:
"""

CHECKS = """\
    - name: Judge | each member's ip -j addr, both holding the VIP (split brain)
      ansible.builtin.set_fact:
        __keepalived_addresses: {stdout: "{{ lookup('file', mail + '/ip_j_addr_vip_held.json') }}"}

    - name: Judge | the module documentation's example, word for word
      tier3.dc.tier3_judge:
        kind: vip-holders
        raw: >-
          {{ dict(ansible_play_hosts | zip(ansible_play_hosts
             | map('extract', hostvars, ['__keepalived_addresses', 'stdout']))) }}
      run_once: true
      register: vips
      failed_when: false

    - name: Judge | split brain named
      ansible.builtin.assert:
        that:
          - vips.failed_rules == ['T3-OBS-VRP-001 vip:lab-smtp']
          - "'declared members lb1, lb2; observed holders lb1, lb2' in vips.msg"
          - vips.report.redundant == false
      run_once: true

    - name: Judge | a deep queue
      tier3.dc.tier3_judge:
        kind: postqueue
        raw: "{{ lookup('file', mail + '/postqueue_j_125_queued.txt') }}"
        now: 1796125223  # a minute after the capture: ages are the capture's, not the age of the file
      register: queue
      failed_when: false
      run_once: true

    - name: Judge | the queue finding, the host, the message
      ansible.builtin.assert:
        that:
          - queue.failed_rules == ['T3-OBS-MAL-001 mail queue']
          - queue.findings[0].evidence.host == 'lb1'
          - "'1 rule(s) failed at low or worse: T3-OBS-MAL-001 mail queue' in queue.msg"
          - "queue.report.per_queue == {'deferred': 124, 'hold': 1}"
      run_once: true

    - name: Judge | the same queue under a policy that allows it
      tier3.dc.tier3_judge:
        kind: postqueue
        raw: "{{ lookup('file', mail + '/postqueue_j_125_queued.txt') }}"
        now: 1796125223  # a minute after the capture: ages are the capture's, not the age of the file
        policy: {mail_queue_max_messages: 200}
      register: allowed
      run_once: true

    - name: Judge | the same queue, failing only on high (a warning)
      tier3.dc.tier3_judge:
        kind: postqueue
        raw: "{{ lookup('file', mail + '/postqueue_j_125_queued.txt') }}"
        now: 1796125223  # a minute after the capture: ages are the capture's, not the age of the file
        fail_on: high
      register: warned
      run_once: true

    - name: Judge | passed, and warned
      ansible.builtin.assert:
        that:
          - allowed.failed_rules == [] and allowed.findings == []
          - warned.failed_rules == [] and warned.warnings | length == 1
          - "'T3-OBS-MAL-001 [medium] mail queue' in warned.warnings[0]"
      run_once: true

    - name: Judge | replication, both outputs as a mapping
      tier3.dc.tier3_judge:
        kind: replicator
        raw:
          users: "{{ lookup('file', mail + '/doveadm_replicator_status_users_stuck.txt') }}"
          summary: "{{ lookup('file', mail + '/doveadm_replicator_status_stuck.txt') }}"
      register: replication
      failed_when: false
      run_once: true

    - name: Judge | the failed and the late user
      ansible.builtin.assert:
        that:
          - replication.failed_rules == ['T3-OBS-MAL-004 bob@lab.tier3.test', 'T3-OBS-MAL-005 alice@lab.tier3.test']
          - replication.report.redundant == false
      run_once: true

    - name: Judge | saved probe records
      tier3.dc.tier3_judge:
        kind: tls-listener
        raw: "{{ lookup('file', mail + '/tls_listener_probe_hardened.json') | from_json }}"
        policy: {tls_expiry_warn_days: 14}
      register: saved
      run_once: true

    - name: Judge | probe the listeners from the controller
      tier3.dc.tier3_judge:
        kind: tls-listener
        listeners:
          - {address: 127.0.0.1, port: "{{ modern_port }}", kind: smtp-starttls, server_hostname: "{{ name }}"}
          - {address: 127.0.0.1, port: "{{ legacy_port }}", kind: imap-starttls, server_hostname: "{{ name }}"}
        ca_file: "{{ ca_file }}"
        timeout: 3
      register: probed
      failed_when: false
      run_once: true

    - name: Judge | the one that accepts TLS 1.0
      ansible.builtin.assert:
        that:
          - saved.failed_rules == []
          - probed.failed_rules == ['T3-OBS-TLS-001 127.0.0.1:' + legacy_port | string]
          - "probed.report.listeners[0].versions == {'TLSv1': 'refused', 'TLSv1.1': 'refused', 'TLSv1.2': 'accepted',
            'TLSv1.3': 'accepted'}"
          - probed.report.listeners[1].versions.TLSv1 == 'accepted'
      run_once: true

    - name: Judge | output that is not the kind's
      tier3.dc.tier3_judge:
        kind: replicator
        raw: "{{ lookup('file', mail + '/postqueue_j_deferred.txt') }}"
      register: bad
      failed_when: false
      run_once: true

    - name: Judge | bad input is one line, not a traceback
      ansible.builtin.assert:
        that:
          - bad.errors | length == 1
          - "'line 1: expected doveadm replicator status output' in bad.errors[0]"
      run_once: true
"""


def play(tmp_path: Path, body: str, *extra: str) -> subprocess.CompletedProcess[str]:
    playbook = tmp_path / "judge.yml"
    playbook.write_text(PLAY_HEAD + body, encoding="utf-8")
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_FORCE_COLOR": "0"}
    return subprocess.run([str(ANSIBLE_PLAYBOOK), "-i", "lb1,lb2,", str(playbook), *extra], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False, timeout=300)


def folded(run: subprocess.CompletedProcess[str]) -> str:
    return " ".join((run.stdout + run.stderr).split())


@pytest.mark.parametrize("mode", [(), ("--check",)], ids=["run", "check"])
def test_the_action_judges_captures_and_probes_listeners(
        tmp_path: Path, mail_server: StartServer, ca_file: Path, mode: tuple[str, ...]) -> None:
    modern, legacy = mail_server("smtp"), mail_server("imap", oldest=ssl.TLSVersion.TLSv1)
    run = play(tmp_path, CHECKS, *mode, "-e", f"modern_port={modern.port} legacy_port={legacy.port}",
               "-e", f"ca_file={ca_file} name={SERVICE_NAME}")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "failed=0" in run.stdout
    assert "changed=0" in run.stdout
    assert modern.settled().handshakes  # the controller probed the real listener


def test_a_failed_rule_fails_the_play_naming_it(tmp_path: Path) -> None:
    body = """\
    - name: Judge | replication of a stuck user
      tier3.dc.tier3_judge:
        kind: replicator
        raw: "{{ lookup('file', mail + '/doveadm_replicator_status_users_stuck.txt') }}"
        fail_on: high
      run_once: true
"""
    run = play(tmp_path, body)
    assert run.returncode == 2, run.stdout + run.stderr
    text = folded(run)
    assert "replicator of lb1: 2 rule(s) failed at high or worse: T3-OBS-MAL-004 bob@lab.tier3.test, " \
           "T3-OBS-MAL-005 alice@lab.tier3.test" in text
    assert "high priority sync waiting (last success 66 s ago); the policy allows 60 s" in text


@pytest.mark.parametrize(("args", "message"), [
    ("kind: pop3\n        raw: x", "unknown kind 'pop3'"),
    ("kind: postqueue", "raw: no evidence given for postqueue"),
    ("kind: postqueue\n        raw: ''\n        policy: {mail_queue_max_messages: -1}",
     "policy: mail_queue_max_messages: mail_queue_max_messages must be at least 0, got -1"),
    ("kind: postqueue\n        raw: ''\n        fail_on: severe", "fail_on: must be one of"),
    ("kind: vip-holders\n        raw: {lb1: '[]'}\n        vips: [{name: x}]", "vips: [0]: "),
    ("kind: tls-listener\n        listeners: [{address: 127.0.0.1, port: 25, kind: pop3}]",
     "listeners[0]: kind: unknown listener kind 'pop3'"),
])
def test_bad_arguments_fail_in_one_line(tmp_path: Path, args: str, message: str) -> None:
    body = f"""\
    - name: Judge | bad arguments
      tier3.dc.tier3_judge:
        {args}
      run_once: true
"""
    run = play(tmp_path, body)
    assert run.returncode == 2, run.stdout + run.stderr
    assert message in folded(run)
    assert "Traceback" not in run.stdout + run.stderr
