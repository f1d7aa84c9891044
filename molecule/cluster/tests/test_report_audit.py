"""`tier3 audit` on the converged lab, as an auditor runs it: every file written and each checked with the tool
an auditor or a GRC system would use (the JSON against its schema, the JUnit with junitparser, the OSCAL loaded
back with compliance-trestle's models, the evidence bundle's hashes and signature); then one thing of each kind
broken on the live lab (TLS 1.0 on one listener, the archive's retention below policy, the journal kept shorter
than policy, a mail store on no declared encrypted volume, a VIP held by two nodes, a waiver past its expiry)
and each seen as exactly one failed result with the rule's control ids, in JSON, JUnit, OSCAL, summary.md and
HTML. Each break is undone before the test ends.

Runs after test_observed.py (file order), on the lab the drills of the side effect left: their reports are in
the audit too.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jsonschema
import junitparser
import pytest
import yaml
from trestle.oscal.assessment_results import AssessmentResults

from conftest import ROOT, Lab, podman_exec
from tier3.rules import RULES

TIER3 = Path(sys.executable).parent / "tier3"
LAB = ROOT / "inventory" / "lab"
WAIVERS = LAB / "group_vars" / "all" / "waivers.yml"
SCHEMA = ROOT / "tools" / "tier3" / "audit" / "schema" / "audit-report-v1.json"
STORE = "/var/lib/tier3-archive"
DRILLS = ROOT / "reports" / "drills"  # where the side effect's drills wrote their reports (side_effect.yml)


def audit(out: Path, *more: str) -> tuple[int, dict[str, Any], str]:
    proc = subprocess.run([str(TIER3), "audit", "-i", str(LAB), "-o", str(out), "--witness-dir",
                           str(out.parent / "witness"), "--drills-dir", str(DRILLS), *more], capture_output=True,
                          text=True, timeout=600, cwd=ROOT, check=False,
                          env={**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
                               "XDG_CONFIG_HOME": str(out.parent / "config")})
    said = proc.stdout + proc.stderr
    assert (out / "report.json").is_file(), f"tier3 audit exited {proc.returncode} without a report:\n{said}"
    return proc.returncode, json.loads((out / "report.json").read_text(encoding="utf-8")), said


def failed_in_every_format(out: Path) -> dict[str, set[tuple[str, str]]]:
    """(rule id, subject) of every failed or errored result, as each format tells it."""
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    by_json = {(r["rule_id"], r["subject"]) for r in data["results"] if r["outcome"] in ("fail", "error")}
    by_junit = set()
    for suite in junitparser.JUnitXml.fromfile(str(out / "report.junit.xml")):
        for case in suite:
            if any(isinstance(r, junitparser.Failure | junitparser.Error) for r in case.result):
                rule, _, subject = case.name.partition(" ")
                by_junit.add((rule, subject))
    summary = (out / "summary.md").read_text(encoding="utf-8")
    html = (out / "report.html").read_text(encoding="utf-8")
    shown = {k for k in by_json if k[0] in summary and k[1] in summary and k[0] in html and k[1] in html}
    return {"json": by_json, "junit": by_junit, "summary+html": shown}


def oscal_failed_controls(out: Path) -> set[str]:
    results = AssessmentResults.oscal_read(out / "oscal" / "assessment-results.json")
    assert results is not None
    out_ids = set()
    for result in results.results:
        for finding in result.findings or []:
            status = finding.target.status.state if finding.target.status else ""
            reason = finding.target.status.reason if finding.target.status else ""
            if str(getattr(status, "value", status)) == "not-satisfied" and reason == "fail":
                out_ids |= {p.value for p in finding.target.props or [] if p.name == "control-id"}
    return out_ids


def assert_one_failure(out: Path, rule_id: str, subject: str | None = None) -> dict[str, Any]:
    everywhere = failed_in_every_format(out)
    for fmt, found in everywhere.items():
        assert {r for r, _ in found} == {rule_id}, (fmt, found)
        assert len(found) == 1, (fmt, found)
        if subject is not None:
            assert found == {(rule_id, subject)}, (fmt, found)
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    (result,) = [r for r in data["results"] if r["outcome"] == "fail"]
    assert result["controls"] == list(RULES[rule_id].controls)
    assert oscal_failed_controls(out) == set(RULES[rule_id].controls)
    return result


@contextmanager
def restored(undo: list[tuple[str, ...]]) -> Iterator[None]:
    try:
        yield
    finally:
        for host, *argv in undo:
            podman_exec(host, *argv, check=False)


def test_the_audit_of_the_healthy_lab_writes_every_file_and_each_checks_out(lab: Lab, tmp_path: Path) -> None:
    out = tmp_path / "audit"
    rc, report, said = audit(out)
    assert rc == 0, said
    assert report["verdict"] == "pass"
    jsonschema.validate(report, json.loads(SCHEMA.read_text(encoding="utf-8")))
    counts = report["summary"]["by_outcome"]
    assert counts["fail"] == counts["error"] == 0, counts
    assert counts["pass"] > 50, counts
    # a rule with no evidence is not evaluated, never a pass: the lab's containers have no RAID or bonds
    md = next(r for r in report["results"] if r["rule_id"] == "T3-OBS-STO-001")
    assert md["outcome"] == "not evaluated"
    # and says why: nothing in the lab declares an md array, and the bonds it declares are not looked for
    assert md["message"].startswith("no audited host declares tier3_host.raid_arrays"), md["message"]
    bond = next(r for r in report["results"] if r["rule_id"] == "T3-OBS-NET-010")
    assert bond["outcome"] == "not evaluated", bond
    assert "tier3_check_hardware is false" in bond["message"], bond
    # what the live hosts and the controller measured, and the drills the side effect ran
    transit = [r for r in report["results"] if r["area"] == "encryption in transit"]
    assert transit, report["summary"]
    assert all(r["outcome"] == "pass" for r in transit), transit
    assert {d["name"] for d in report["drills"]} >= {"lb-failover", "mx-failover", "imap-failover"}, report["drills"]
    assert all(d["outcome"] == "pass" and d["lost"] == 0 for d in report["drills"]), report["drills"]
    arc = [r for r in report["results"] if r["rule_id"].startswith("T3-OBS-ARC-")]
    assert arc, report["summary"]
    assert all(r["outcome"] == "pass" for r in arc), arc
    assert {h["name"] for h in report["scope"]["hosts"] if h["reached"]} >= {"mx1", "mx2", "imap1", "imap2"}
    assert report["provenance"]["command"].startswith("tier3 audit -i")
    # the JUnit file as a CI reads it: every result a test case, none failed
    xml = junitparser.JUnitXml.fromfile(str(out / "report.junit.xml"))
    cases = [c for suite in xml for c in suite]
    assert len(cases) == len(report["results"])
    assert not [c for c in cases if any(isinstance(r, junitparser.Failure | junitparser.Error) for r in c.result)]
    # the OSCAL assessment results load back with compliance-trestle's models
    assert not oscal_failed_controls(out)
    # the evidence bundle: every file's hash is the manifest's, and the signature verifies
    manifest = json.loads((out / "evidence" / "manifest.json").read_text(encoding="utf-8"))
    assert {e["host"] for e in manifest["items"]} >= {"mx1", "imap1", "lb1", "controller"}
    for entry in manifest["items"]:
        assert hashlib.sha256((out / "evidence" / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]
    checked = subprocess.run([str(TIER3), "audit", "--verify-bundle", str(out / "evidence")], capture_output=True,
                             text=True, timeout=60, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "verifies" in checked.stdout, checked.stdout
    assert report["evidence"] == manifest["items"]
    # each mail domain's MTA-STS policy host measured on the SMTP VIP's 443 (roles/haproxy's mta_sts frontend)
    listeners = [x for e in manifest["items"] if e["host"] == "controller" and e["kind"] == "tls-listener"
                 for x in json.loads((out / "evidence" / e["file"]).read_text(encoding="utf-8"))["listeners"]]
    policy_hosts = {x["server_hostname"]: x for x in listeners if x["kind"] == "https"}
    assert sorted(policy_hosts) == ["mta-sts.lab.tier3.test"], listeners  # the lab's one mail domain
    for name, x in policy_hosts.items():
        assert x["listener"] == f"{lab.vip('smtp')}:443/{name}", x
        assert (x["answered"], x["banner"], x["chain_verified"], x["name_matches"]) == (
            True, "HTTP/1.1 200 OK", True, True), x
        assert x["versions"] == {"TLSv1": "refused", "TLSv1.1": "refused", "TLSv1.2": "accepted",
                                 "TLSv1.3": "accepted"}, x
    for line in ("✓ mx1: postqueue", "tier3 audit: verdict PASS", "report.html"):
        assert line in said, said


def test_tls_1_0_on_one_listener_is_one_failed_result_then_waived_then_failed_when_the_waiver_expired(
        lab: Lab, tmp_path: Path) -> None:
    vip = lab.vip("submission")
    settings = ("10587/inet/smtpd_tls_protocols=>=TLSv1", "10587/inet/smtpd_tls_mandatory_protocols=>=TLSv1",
                "10587/inet/tls_medium_cipherlist=DEFAULT:@SECLEVEL=0")
    undo = [(h, "sh", "-c", "postconf -PX " + " ".join(s.split("=")[0] for s in settings) + " && postfix reload")
            for h in ("mx1", "mx2")]  # the VIP's port 587 reaches the 10587 listener of either MX
    with restored(undo):
        for host in ("mx1", "mx2"):
            podman_exec(host, "sh", "-c", "postconf -P " + " ".join(f"'{s}'" for s in settings) + " && postfix reload")
        rc, _, said = audit(tmp_path / "tls", "--no-archive")
        assert rc == 1, said
        result = assert_one_failure(tmp_path / "tls", "T3-OBS-TLS-001", f"{vip}:587")
        assert "TLSv1" in result["message"], result
        WAIVERS.write_text(
            "tier3_waivers:\n"
            f"  - rule: T3-OBS-TLS-001\n    subject: \"{vip}:587\"\n"
            "    justification: \"a legacy scanner submits with TLS 1.0 until its replacement in January\"\n"
            "    owner: mail-team@lab.tier3.test\n    expires: 2027-01-31\n    ticket: CHG-0001\n",
            encoding="utf-8")
        try:
            # the waiver's runs need no sslyze scan: the probe finds TLS 1.0 (T3-OBS-TLS-001)
            rc, report, said = audit(tmp_path / "waived", "--no-archive", "--no-scan", "--today", "2027-01-31")
            assert rc == 0, said
            waived = [r for r in report["results"] if r["outcome"] == "waived"]
            assert [(r["rule_id"], r["subject"]) for r in waived] == [("T3-OBS-TLS-001", f"{vip}:587")]
            assert waived[0]["waiver"]["justification"].startswith("a legacy scanner")
            skipped = [c for suite in junitparser.JUnitXml.fromfile(str(tmp_path / "waived" / "report.junit.xml"))
                       for c in suite if any(isinstance(r, junitparser.Skipped) and "waived" in (r.message or "")
                                             for r in c.result)]
            assert len(skipped) == 1, skipped
            oscal = json.loads((tmp_path / "waived" / "oscal" / "assessment-results.json").read_text())
            assert "deviation-approved" in json.dumps(oscal)
            assert "2027-01-31" in json.dumps(oscal)
            assert "a legacy scanner" in (tmp_path / "waived" / "report.html").read_text(encoding="utf-8")
            rc, report, said = audit(tmp_path / "expired", "--no-archive", "--no-scan", "--today", "2027-02-01")
            assert rc == 1, said
            result = assert_one_failure(tmp_path / "expired", "T3-OBS-TLS-001", f"{vip}:587")
            assert "expired on 2027-01-31" in result["waiver_note"], result
        finally:
            WAIVERS.unlink(missing_ok=True)


def test_archive_retention_below_policy_is_one_failed_result(lab: Lab, tmp_path: Path) -> None:
    policy = podman_exec("archive1", "cat", f"{STORE}/policy.json").stdout
    shorter = json.loads(policy)
    shorter["domains"] = dict.fromkeys(shorter.get("domains", {lab.domain: "1y"}), "1y")
    assert shorter != json.loads(policy)
    write = f"cat > {STORE}/policy.json.new && mv {STORE}/policy.json.new {STORE}/policy.json"
    try:
        subprocess.run(["podman", "exec", "-i", "tier3-lab-archive1", "sh", "-c", write], input=json.dumps(shorter),
                       text=True, check=True, timeout=30)
        rc, _, said = audit(tmp_path / "archive", "--no-scan")
        assert rc == 1, said
        result = assert_one_failure(tmp_path / "archive", "T3-OBS-ARC-009", "archive1:policy.json")
        assert result["area"] == "retention"
    finally:
        subprocess.run(["podman", "exec", "-i", "tier3-lab-archive1", "sh", "-c", write], input=policy, text=True,
                       check=True, timeout=30)


def test_a_vip_held_by_two_nodes_is_one_failed_result(lab: Lab, tmp_path: Path) -> None:
    vip = next(v for v in lab.vips() if "imap" in v["services"])
    members = [m["host"] for m in vip["members"]]
    holders = [h for h in members if vip["address"] in podman_exec(h, "ip", "-br", "addr").stdout]
    assert len(holders) == 1, holders
    other = next(h for h in members if h not in holders)
    podman_exec(other, "ip", "addr", "add", f"{vip['address']}/32", "dev", "eth0")
    try:
        rc, _, said = audit(tmp_path / "vip", "--no-archive", "--no-scan")
    finally:
        podman_exec(other, "ip", "addr", "del", f"{vip['address']}/32", "dev", "eth0")
        subprocess.run(["ip", "neigh", "flush", "to", vip["address"]], check=False, capture_output=True)
    assert rc == 1, said
    result = assert_one_failure(tmp_path / "vip", "T3-OBS-VRP-001", f"vip:{vip['name']}")
    assert result["area"] == "redundancy"



@pytest.mark.usefixtures("lab")
def test_a_journal_kept_shorter_than_policy_is_one_failed_result(tmp_path: Path) -> None:
    """A drop-in after roles/baseline's (a later name wins) cuts mx1's journal, the mail log in it, to 30 days:
    judged on the configuration journald reads, so nothing needs restarting to show it, or to undo it."""
    dropin = "/etc/systemd/journald.conf.d/60-tier3-test-short.conf"
    podman_exec("mx1", "sh", "-c", f"printf '[Journal]\\nMaxRetentionSec=30day\\n' > {dropin}")
    try:
        rc, _, said = audit(tmp_path / "journal", "--no-archive", "--no-scan")
    finally:
        podman_exec("mx1", "rm", "-f", dropin)
    assert rc == 1, said
    result = assert_one_failure(tmp_path / "journal", "T3-OBS-LOG-002", "journald")
    assert (result["host"], result["area"]) == ("mx1", "retention"), result
    assert "30 days" in result["message"], result
    assert dropin in json.dumps(result["evidence"]), result


@pytest.mark.usefixtures("lab")
def test_a_mail_store_on_no_encrypted_volume_is_one_failed_result(tmp_path: Path) -> None:
    """imap1's declared LUKS2 volume under /var/vmail taken out of the inventory: its mailboxes are then on no
    encrypted volume (T3-ENC-001), at rest in clear. The inventory side: the lab's containers share the CI
    machine's kernel, which has no device-mapper, so no container has a real LUKS2 volume to take away; on a
    real host tier3 check proves the declared mount is on the volume (T3-OBS-ENC-025, the metal VMs)."""
    host_vars = LAB / "host_vars" / "imap1.yml"
    declared = host_vars.read_text(encoding="utf-8")
    doc = yaml.safe_load(declared)
    assert [v["mount"] for v in doc["tier3_host"]["encrypted_volumes"]] == ["/var/vmail"], doc
    del doc["tier3_host"]["encrypted_volumes"]
    try:
        host_vars.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        rc, _, said = audit(tmp_path / "at-rest", "--no-archive", "--no-scan")
    finally:
        host_vars.write_text(declared, encoding="utf-8")
    assert rc == 1, said
    result = assert_one_failure(tmp_path / "at-rest", "T3-ENC-001", "imap1:/var/vmail")
    assert (result["area"], result["scope"]) == ("encryption at rest", "declared"), result
