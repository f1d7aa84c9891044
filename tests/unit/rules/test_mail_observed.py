"""The observed mail rules (T3-OBS-MAL-*, T3-OBS-TLS-*, T3-OBS-VRP-*) on real captures: every row of
tests/fixtures/real/mail/verdicts.yml gets exactly its findings and verdict; the catalogue entries other
code names; the mail kinds' table in docs/inspect.md; `tier3 inspect` on each mail kind."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tier3.cli import main
from tier3.inspect import InspectOptions, all_kinds
from tier3.inspect.mail import KINDS as MAIL_KINDS
from tier3.inspect.mail import listener_from_url, vips_topology
from tier3.model import Severity
from tier3.model.policy import Policy
from tier3.parsers.tlsprobe import parse_tls_listeners
from tier3.rules import RULES, Context, judge, rules_for

ROOT = Path(__file__).resolve().parents[3]
MAIL = ROOT / "tests" / "fixtures" / "real" / "mail"
ROWS: list[dict[str, Any]] = yaml.safe_load((MAIL / "verdicts.yml").read_text(encoding="utf-8"))
LAB_VIPS = [{"name": "lab-smtp", "address": "10.89.44.100", "network": "10.89.44.0/24", "vrid": 51,
             "services": ["smtp", "submission"], "members": [{"host": "lb1", "priority": 150},
                                                              {"host": "lb2", "priority": 100}]}]
NOT_FIXTURES = {"README.md", "verdicts.yml"}


def _row_id(row: dict[str, Any]) -> str:
    name = row.get("file") or "+".join(f"{h}={f}" for h, f in row["hosts"].items())
    return f"{row['kind']}:{name}:{sorted(row.get('policy', {}).items())}"


def inspect_row(row: dict[str, Any]) -> dict[str, Any]:
    options = InspectOptions(policy=Policy(row.get("policy", {})), extra={"now": row["now"]} if "now" in row else {},
                             topology=vips_topology(LAB_VIPS) if row["kind"] == "vip-holders" else None)
    kind = all_kinds()[row["kind"]]
    if "hosts" in row:
        raw = {host: (MAIL / name).read_text(encoding="utf-8") for host, name in row["hosts"].items()}
        return kind.inspect_raw(raw, "hosts", options)
    return kind.inspect(str(MAIL / row["file"]), options)


@pytest.mark.parametrize("row", ROWS, ids=[_row_id(r) for r in ROWS])
def test_verdict(row: dict[str, Any]) -> None:
    report = inspect_row(row)
    assert [[f["rule_id"], f["subject"]] for f in report["findings"]] == row["findings"], row["why"]
    if "redundant" in row:
        assert report["redundant"] is row["redundant"], row["why"]
    json.dumps(report)


def test_every_capture_has_a_row() -> None:
    files = {p.name for p in MAIL.iterdir() if p.is_file() and p.name not in NOT_FIXTURES}
    named = {r["file"] for r in ROWS if "file" in r} | {f for r in ROWS for f in r.get("hosts", {}).values()}
    assert files == named


def test_each_rule_is_shown_failing_on_a_real_capture() -> None:
    fired = {f[0] for r in ROWS for f in r["findings"]}
    mail_rules = {r for k in MAIL_KINDS for r in MAIL_KINDS[k].rule_ids}
    # not seen in a capture: MAL-003 (a backlog without a failure), TLS-002/-003/-006 (the probe tests' servers)
    assert mail_rules - fired == {"T3-OBS-MAL-003", "T3-OBS-TLS-002", "T3-OBS-TLS-003", "T3-OBS-TLS-006"}


# ---- the catalogue entries ------------------------------------------------------------------------

CATALOGUE = {
    "T3-OBS-MAL-001": ("medium", "postqueue", ("mail_queue_max_messages",), False),
    "T3-OBS-MAL-002": ("medium", "postqueue", ("mail_queue_max_age_s",), False),
    "T3-OBS-MAL-003": ("low", "replicator", ("replication_max_lag_s",), False),
    "T3-OBS-MAL-004": ("high", "replicator", (), True),
    "T3-OBS-MAL-005": ("high", "replicator", ("replication_max_lag_s",), True),
    "T3-OBS-MAL-006": ("critical", "tls-listener", (), True),
    "T3-OBS-TLS-001": ("high", "tls-listener", ("tls_refused_versions",), False),
    "T3-OBS-TLS-002": ("high", "tls-listener", (), False),
    "T3-OBS-TLS-003": ("high", "tls-listener", (), False),
    "T3-OBS-TLS-004": ("medium", "tls-listener", ("tls_expiry_warn_days",), False),
    "T3-OBS-TLS-005": ("high", "tls-listener", (), False),
    "T3-OBS-TLS-006": ("high", "tls-listener", (), False),
    "T3-OBS-VRP-001": ("critical", "vip-holders", (), True),
    "T3-OBS-VRP-002": ("medium", "vip-holders", (), True),
}


def test_the_catalogue_entries() -> None:
    got = {r.id: (r.severity.value, ", ".join(r.kinds), r.policy, r.breaks_redundancy)
           for k in MAIL_KINDS for r in rules_for(k)}
    assert got == CATALOGUE
    modules = {"MAL": "mail", "TLS": "listener", "VRP": "vip"}
    assert {i: RULES[i].check.__module__ for i in CATALOGUE} == {
        i: f"tier3.rules.observed.{'listener' if i == 'T3-OBS-MAL-006' else modules[i[7:10]]}" for i in CATALOGUE}
    assert all(len(RULES[i].rationale) > 200 for i in CATALOGUE)


def test_policy_defaults() -> None:
    policy = Policy()
    assert (policy["mail_queue_max_messages"], policy["mail_queue_max_age_s"], policy["replication_max_lag_s"],
            policy["tls_expiry_warn_days"], policy["tls_refused_versions"]) == (100, 3600, 60, 30, ("TLSv1", "TLSv1.1"))


def test_docs_inspect_md_mail_table_is_the_catalogue() -> None:
    """docs/inspect.md's mail table: rule | severity | title | kinds | policy | breaks redundancy."""
    doc = (ROOT / "docs" / "inspect.md").read_text(encoding="utf-8")
    rows = {}
    for line in doc.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) == 6 and cells[0].startswith("T3-OBS-"):
            rows[cells[0]] = cells
    assert set(rows) == set(CATALOGUE)
    for rule_id, (_, severity, title, kinds, policy, breaks) in rows.items():
        r = RULES[rule_id]
        assert (severity, title, kinds) == (r.severity.value, r.title, ", ".join(r.kinds)), rule_id
        assert policy == (", ".join(f"`{p}`" for p in r.policy) or "—"), rule_id
        assert breaks.startswith("yes") is r.breaks_redundancy, rule_id
    assert [k for k in MAIL_KINDS if f"## `{k}`" not in doc] == []


# ---- judged with the topology ---------------------------------------------------------------------

def test_a_silent_listener_on_a_vip_is_named_with_the_vip() -> None:
    facts = parse_tls_listeners((MAIL / "tls_listener_probe_legacy.json").read_text(encoding="utf-8"), "x")
    context = Context(source="x", topology=vips_topology(LAB_VIPS))
    (silent,) = [f for f in judge("tls-listener", facts, context) if f.rule_id == "T3-OBS-MAL-006"]
    assert silent.severity is Severity.CRITICAL
    assert silent.message == "smtp-starttls on 10.89.44.100:25 (VIP lab-smtp) does not answer: timed out"
    assert silent.evidence["vip"] == "lab-smtp"


def test_vip_holders_message_names_members_and_holders() -> None:
    row = {"kind": "vip-holders", "hosts": {"lb1": "ip_j_addr_vip_held.json", "lb2": "ip_j_addr_vip_held.json"},
           "findings": []}
    (split,) = inspect_row(row)["findings"]
    assert split["message"] == "10.89.44.100: declared members lb1, lb2; observed holders lb1, lb2"
    assert split["evidence"]["at"] == "lb2:/1/addr_info/1"


# ---- tier3 inspect ----------------------------------------------------------------------------------

def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any] | None, str]:
    code = main(["inspect", *argv, "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out else None, err


def test_cli_postqueue(capsys: pytest.CaptureFixture[str]) -> None:
    code, report, _ = cli(capsys, "postqueue", str(MAIL / "postqueue_j_125_queued.txt"))
    assert code == 0
    assert report is not None
    assert (report["messages"], report["per_queue"]) == (125, {"deferred": 124, "hold": 1})
    assert report["findings"][0]["evidence"]["read"] == "postqueue -j"


def test_cli_replicator(capsys: pytest.CaptureFixture[str]) -> None:
    code, report, _ = cli(capsys, "replicator", str(MAIL / "doveadm_replicator_status_users_stuck.txt"))
    assert (code, report and report["redundant"]) == (0, False)
    assert report is not None
    assert report["findings"][0]["evidence"]["read"] == "doveadm replicator status '*'"


def test_cli_tls_listener_from_saved_records(capsys: pytest.CaptureFixture[str]) -> None:
    code, report, _ = cli(capsys, "tls-listener", str(MAIL / "tls_listener_probe_hardened.json"))
    assert code == 0
    assert report is not None
    assert [x["listener"] for x in report["listeners"]] == [
        "10.89.44.11:25", "10.89.44.11:587", "10.89.44.11:143", "10.89.44.11:993", "10.89.44.11:24"]


def test_cli_vip_holders_needs_the_inventory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mapping = tmp_path / "holders.json"
    mapping.write_text(json.dumps({"fra1-lb1": json.loads((MAIL / "ip_j_addr_vip_held.json").read_text())}))
    code, report, err = cli(capsys, "vip-holders", str(mapping))
    assert (code, report) == (2, None)
    assert "no inventory given (fix: add -i INVENTORY" in err
    code, report, _ = cli(capsys, "vip-holders", str(mapping), "-i", str(ROOT / "inventory" / "example"))
    assert code == 0
    assert report is not None
    # fra1-lb1 is a member of fra1-smtp and fra1-imap (192.0.2.10, .11): it holds neither; fra1-lb2 was not read
    assert [[f["rule_id"], f["subject"]] for f in report["findings"]] == [
        ["T3-OBS-VRP-001", "vip:fra1-imap"], ["T3-OBS-VRP-001", "vip:fra1-smtp"],
        ["T3-OBS-VRP-002", "vip:fra1-imap"], ["T3-OBS-VRP-002", "vip:fra1-smtp"]]
    assert report["redundant"] is False


def test_cli_vip_holders_of_no_declared_vip_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mapping = tmp_path / "holders.json"
    mapping.write_text(json.dumps({"stranger": json.loads((MAIL / "ip_j_addr_vip_released.json").read_text())}))
    code, _, err = cli(capsys, "vip-holders", str(mapping), "-i", str(ROOT / "inventory" / "example"))
    assert code == 2
    assert "none of stranger is a member of a declared VIP" in err


@pytest.mark.parametrize(("url", "listener"), [
    ("submission://10.89.30.100:587/mail.lab.tier3.test", ("10.89.30.100", 587, "submission", "mail.lab.tier3.test")),
    ("imaps://[2001:db8::1]:993", ("2001:db8::1", 993, "imaps", "")),
])
def test_listener_urls(url: str, listener: tuple[str, int, str, str]) -> None:
    got = listener_from_url(url)
    assert (got.address, got.port, got.kind, got.server_hostname) == listener


@pytest.mark.parametrize("url", ["pop3://10.0.0.1:110", "imaps://10.0.0.1", "smtp-starttls://:25",
                                 "imaps://10.0.0.1:99999"])
def test_bad_listener_urls_are_refused(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "tls-listener", url)
    assert code == 2
    assert "expected KIND://ADDRESS:PORT[/SERVER_NAME]" in err
