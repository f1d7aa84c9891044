"""`tier3 check` on the converged lab: every live host read in one round trip, judged against the rules
and inventory/lab. Healthy, it exits 0 with every evidence item hashed, the lab's name servers asked for
every record, and each host's findings exported for Prometheus; with a VIP added on the member that does
not hold it (a split brain made by hand), it exits 1 naming exactly that VIP and rule; with the secondary
name server's Knot stopped, exactly T3-OBS-DNS-001 on that server.

Runs after test_mail.py (file order): the split brain is undone and the machine's neighbour entry for
the VIP flushed before anything else talks to the VIP.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema

from conftest import ROOT, Lab, podman_exec

TIER3 = Path(sys.executable).parent / "tier3"
SHA256 = re.compile(r"^[0-9a-f]{64}$")
# what journald is configured with on every service host: Debian's file and roles/baseline's drop-in
JOURNALD_FILES = ("/etc/systemd/journald.conf", "/etc/systemd/journald.conf.d/50-tier3-retention.conf")


def check(report_dir: Path, *more: str) -> tuple[int, dict[str, Any], str]:
    proc = subprocess.run([str(TIER3), "check", "-i", str(ROOT / "inventory" / "lab"), "-o", str(report_dir), *more],
                          capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env={**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}, check=False)
    said = proc.stdout + proc.stderr
    written = report_dir / "check.json"
    assert written.is_file(), f"tier3 check exited {proc.returncode} without a report:\n{said}"
    return proc.returncode, json.loads(written.read_text(encoding="utf-8")), said


def holders(lab: Lab, address: str) -> list[str]:
    members = [m["host"] for vip in lab.vips() for m in vip["members"]]
    out = []
    for host in dict.fromkeys(members):
        said = json.loads(podman_exec(host, "ip", "-j", "addr").stdout)
        if any(a.get("local") == address for link in said for a in link.get("addr_info", [])):
            out.append(host)
    return out


def test_the_healthy_lab_passes_with_every_evidence_item_hashed(lab: Lab, tmp_path: Path) -> None:
    rc, report, said = check(tmp_path)
    assert rc == 0, said
    jsonschema.validate(report, json.loads((ROOT / "docs" / "report.schema.json").read_text(encoding="utf-8")))
    assert report["findings"] == [], said
    members = {m["host"] for vip in lab.vips() for m in vip["members"]}
    # the journald drop-in directories under /run and /usr/lib hold nothing: their globs are "none" records
    read = [e for e in report["evidence"] if e["status"] != "none"]
    items = {(e["host"], e["id"]) for e in read}
    assert items == {("mx1", "postqueue -j"), ("mx2", "postqueue -j"),
                     ("imap1", "doveadm replicator status '*'"), ("imap1", "doveadm replicator status"),
                     ("imap2", "doveadm replicator status '*'"), ("imap2", "doveadm replicator status")} | {
                         (m, "ip -j addr") for m in members} | {
                         (h, f) for h in lab.service_hosts for f in JOURNALD_FILES}
    assert all(e["status"] == "ok" and SHA256.match(e["sha256"]) for e in read), report["evidence"]
    ran = {c["rule_id"] for c in report["checks"]}
    assert {"T3-OBS-VRP-001", "T3-OBS-VRP-002", "T3-OBS-MAL-001", "T3-OBS-MAL-004", "T3-OBS-MAL-006", "T3-OBS-TLS-001",
            "T3-OBS-TLS-005", "T3-OBS-LOG-001", "T3-OBS-LOG-002"} <= ran
    # the lab's two Knot servers asked for every record of the mail domain (docs/check.md)
    assert {f"T3-OBS-DNS-00{n}" for n in range(1, 8)} <= ran
    # each service host's findings for Prometheus (roles/monitoring_agent's textfile collector)
    for host in lab.service_hosts:
        exported = podman_exec(host, "cat", "/var/lib/prometheus/node-exporter/tier3_findings.prom").stdout
        assert "tier3_check_timestamp_seconds " in exported, host
    for line in ("✓ mx1: postqueue, journald; 6 item(s) read, 0 finding(s)",
                 "✓ lb2: journald, vip-holders; 6 item(s) read"):
        assert line in said
    assert (tmp_path / "check.junit.xml").is_file()
    assert (tmp_path / "check.html").is_file()


def test_a_vip_on_both_members_is_reported_as_split_brain(lab: Lab, tmp_path: Path) -> None:
    vip = next(v for v in lab.vips() if "smtp" in v["services"])
    (holder,) = holders(lab, vip["address"])
    other = next(m["host"] for m in vip["members"] if m["host"] != holder)
    podman_exec(other, "ip", "addr", "add", f"{vip['address']}/32", "dev", "eth0")
    try:
        rc, report, said = check(tmp_path, "--no-probe")
    finally:
        podman_exec(other, "ip", "addr", "del", f"{vip['address']}/32", "dev", "eth0")
        subprocess.run(["ip", "neigh", "flush", "to", vip["address"]], check=False, capture_output=True)
    assert rc == 1, said
    failed = [(f["rule_id"], f["subject"]) for f in report["findings"] if f["status"] in ("fail", "error")]
    assert failed == [("T3-OBS-VRP-001", f"vip:{vip['name']}")], said
    assert sorted(report["findings"][0]["evidence"]["holders"]) == sorted([holder, other])
    assert holders(lab, vip["address"]) == [holder]


def test_a_stopped_name_server_is_reported_and_the_other_still_judged(lab: Lab, tmp_path: Path) -> None:
    secondary = next(h for h in lab.host_vars if h.startswith("dns") and h != lab.all_vars["tier3_dns"]["primary"])
    podman_exec(secondary, "systemctl", "stop", "knot.service")
    try:
        rc, report, said = check(tmp_path, "--no-probe")
    finally:
        podman_exec(secondary, "systemctl", "start", "knot.service")
    assert rc == 1, said
    failed = [(f["rule_id"], f["subject"]) for f in report["findings"] if f["status"] in ("fail", "error")]
    assert failed == [("T3-OBS-DNS-001", secondary)], said
    assert lab.address(secondary) in report["findings"][0]["message"]


GHOST = """\
all:
  children:
    mx:
      hosts:
        ghost:
          ansible_connection: tier3.dc.podman
          ansible_host: tier3-lab-ghost
          tier3_host:
            site: lab
            rack: lab-r01
            power_supplies:
              - {name: PSU1, pdu: lab-r01-pdu-a, capacity_watts: 500}
              - {name: PSU2, pdu: lab-r01-pdu-b, capacity_watts: 500}
"""


def test_a_host_that_cannot_be_read_is_an_error_of_its_own_and_hides_no_other(tmp_path: Path) -> None:
    extra = tmp_path / "ghost.yml"
    extra.write_text(GHOST, encoding="utf-8")  # an MX declared with no container behind it
    rc, report, said = check(tmp_path / "out", "-i", str(extra), "--no-probe")
    assert rc == 2, said
    failed = [(f["rule_id"], f["status"], f["subject"]) for f in report["findings"]]
    assert failed == [("evidence", "error", "ghost")], said
    assert "✗ ghost: unreachable: Task failed: container tier3-lab-ghost" in said
    assert "no such container" in report["findings"][0]["message"]
    assert {e["host"] for e in report["evidence"]} >= {"mx1", "mx2", "imap1", "imap2", "lb1", "lb2"}
