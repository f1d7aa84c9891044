"""tier3.check and tier3.evidence on real outputs (tests/fixtures/real/mail): what a host owes, how its
records are judged and stamped with their hashes, what becomes an ``error`` finding, VIP holders
across members, the listeners probed per VIP service, and the report with its evidence manifest."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tier3.check import (
    DNS_KIND,
    EVIDENCE_ERROR,
    LISTENER_KIND,
    SCAN_KIND,
    check_report,
    judge_host,
    judge_site,
    once,
    unanswered,
    vip_listeners,
)
from tier3.check.measured import unmeasured
from tier3.errors import ParseError
from tier3.evidence import EvidenceItem, items_from_answer, kinds_owed
from tier3.model import Finding, Host, Severity, Status, Topology, Vip, VipMember
from tier3.model.mail import MailConfig, MailDomain
from tier3.probe import Listener
from tier3.probe.dns import DnsPlan
from tier3.probe.dns_expected import NameServer
from tier3.validate import validate

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "real" / "mail"
SCHEMA = json.loads((Path(__file__).resolve().parents[3] / "docs" / "report.schema.json").read_text(encoding="utf-8"))
VIP_ADDRESS = "10.89.44.100"  # the address the real ip -j addr captures hold


def text(name: str) -> str:
    return (REAL / name).read_text(encoding="utf-8")


def record(kind: str, ident: str, body: str, status: str = "ok", **more: Any) -> dict[str, Any]:
    raw = body.encode()
    return {"kind": kind, "id": ident, "source": "command", "argv": ident.split(), "path": None, "item": None,
            "status": status, "rc": 0 if status == "ok" else more.pop("rc", None), "text": body, "stderr": "",
            "sha256": hashlib.sha256(raw).hexdigest() if status in ("ok", "failed") else None,
            "size": len(raw) if status in ("ok", "failed") else None, "truncated": False,
            "read_at": 1796124000.0, "detail": "", **more}


def topology() -> Topology:
    hosts = (Host("mx1", frozenset({"mx"})), Host("mx2", frozenset({"mx"})), Host("imap1", frozenset({"imap"})),
             Host("lb1", frozenset({"lb"})), Host("lb2", frozenset({"lb"})), Host("dns1", frozenset({"dns"})))
    vip = Vip("smtp-vip", VIP_ADDRESS, "10.89.44.0/24", 51, (VipMember("lb1", 150), VipMember("lb2", 100)),
              services=("smtp", "submission", "lmtp"))
    imap = Vip("imap-vip", "10.89.44.101", "10.89.44.0/24", 52, (VipMember("lb2", 150), VipMember("lb1", 100)),
               services=("imaps",))
    return Topology(hosts=hosts, vips=(vip, imap), mail=MailConfig("mail.example.test", "imap.example.test"))


def items(host: str, *records: dict[str, Any]) -> list[EvidenceItem]:
    return items_from_answer(host, {"evidence": list(records)})


def test_what_each_host_owes_comes_from_its_groups_and_vips() -> None:
    topo = topology()
    assert kinds_owed(topo, "mx1") == ("postqueue", "journald")
    assert kinds_owed(topo, "imap1") == ("replicator", "journald")
    assert kinds_owed(topo, "lb1") == ("journald", "vip-holders")
    assert kinds_owed(topo, "dns1") == ("journald",)
    assert kinds_owed(topo, "dns1", ["mdstat", "journald", "mdstat"]) == ("journald", "mdstat")
    assert kinds_owed(topo, "nobody") == ()


def test_an_empty_queue_passes_and_findings_carry_the_hash_of_their_item() -> None:
    clean = judge_host("mx1", items("mx1", record("postqueue", "postqueue -j", text("postqueue_j_empty.txt"))),
                       ("postqueue",), topology())
    assert clean.findings == ()
    assert [f["kind"] for f in clean.facts] == ["postqueue"]
    body = text("postqueue_j_125_queued.txt")
    full = judge_host("mx1", items("mx1", record("postqueue", "postqueue -j", body)), ("postqueue",), topology())
    assert full.findings, "125 queued messages are over the default queue-depth policy"
    for finding in full.findings:
        assert finding.status is Status.FAIL
        assert finding.evidence["host"] == "mx1"
        assert finding.evidence["evidence_items"] == [
            {"id": "postqueue -j", "sha256": hashlib.sha256(body.encode()).hexdigest()}]


def test_replication_joins_both_commands_into_one_judgement() -> None:
    ok = judge_host("imap1", items(
        "imap1", record("replicator", "doveadm replicator status '*'",
                        text("doveadm_replicator_status_users_in_sync.txt")),
        record("replicator", "doveadm replicator status", text("doveadm_replicator_status_in_sync.txt"))),
        ("replicator",), topology())
    assert ok.findings == ()
    bad = judge_host("imap1", items(
        "imap1", record("replicator", "doveadm replicator status '*'",
                        text("doveadm_replicator_status_users_both_failed.txt")),
        record("replicator", "doveadm replicator status", text("doveadm_replicator_status_both_failed.txt"))),
        ("replicator",), topology())
    assert bad.findings
    assert {len(f.evidence["evidence_items"]) for f in bad.findings} == {2}


@pytest.mark.parametrize(("status", "extra", "said"), [
    ("missing", {"detail": "postqueue: not installed"}, "postqueue: not installed"),
    ("failed", {"rc": 69, "stderr": "postqueue: fatal: Queue report unavailable - mail system is down\n"},
     "exit 69: postqueue: fatal: Queue report unavailable"),
])
def test_an_item_the_host_could_not_give_is_an_error_not_a_pass(status: str, extra: dict[str, Any],
                                                                said: str) -> None:
    check = judge_host("mx1", items("mx1", record("postqueue", "postqueue -j", "", status=status, **extra)),
                       ("postqueue",), topology())
    (finding,) = check.findings
    assert (finding.rule_id, finding.status, finding.subject) == (EVIDENCE_ERROR, Status.ERROR, "mx1:postqueue")
    assert said in finding.message


def test_a_kind_the_host_did_not_give_and_output_that_does_not_parse_are_errors() -> None:
    (none,) = judge_host("mx1", [], ("postqueue",), topology()).findings
    assert none.status is Status.ERROR
    assert "gave no evidence" in none.message
    (garbled,) = judge_host("mx1", items("mx1", record("postqueue", "postqueue -j", "{not json\n")),
                            ("postqueue",), topology()).findings
    assert garbled.status is Status.ERROR
    assert garbled.subject == "mx1:postqueue"
    assert garbled.evidence["evidence_items"][0]["sha256"] == hashlib.sha256(b"{not json\n").hexdigest()


def test_a_cut_item_is_not_judged() -> None:
    cut = record("postqueue", "postqueue -j", text("postqueue_j_empty.txt"), truncated=True, size=10_000)
    (finding,) = judge_host("mx1", items("mx1", cut), ("postqueue",), topology()).findings
    assert finding.status is Status.ERROR
    assert "cut at" in finding.message


def test_vip_holders_are_judged_over_every_member_at_once() -> None:
    topo = topology()
    held, released = text("ip_j_addr_vip_held.json"), text("ip_j_addr_vip_released.json")
    one = [judge_host("lb1", items("lb1", record("vip-holders", "ip -j addr", held)), ("vip-holders",), topo),
           judge_host("lb2", items("lb2", record("vip-holders", "ip -j addr", released)), ("vip-holders",), topo)]
    assert all(h.findings == () for h in one), "vip-holders is not judged per host"
    findings, _ = judge_site(topo, one, probe=False)
    assert [(f.rule_id, f.subject, f.evidence["holders"]) for f in findings] == [
        ("T3-OBS-VRP-001", "vip:imap-vip", [])], "smtp-vip held by lb1 alone passes; imap-vip is held by nobody"
    two = [judge_host(h, items(h, record("vip-holders", "ip -j addr", held)), ("vip-holders",), topo)
           for h in ("lb1", "lb2")]
    findings, _ = judge_site(topo, two, probe=False)
    split = [f for f in findings if f.subject == "vip:smtp-vip"]
    assert [(f.rule_id, f.evidence["holders"]) for f in split] == [("T3-OBS-VRP-001", ["lb1", "lb2"])]
    assert {i["id"] for i in split[0].evidence["evidence_items"]} == {"ip -j addr"}


def test_every_vip_service_but_lmtp_is_probed_with_the_name_it_must_carry() -> None:
    assert vip_listeners(topology()) == [
        Listener(VIP_ADDRESS, 25, "smtp-starttls", "mail.example.test"),
        Listener(VIP_ADDRESS, 587, "submission", "mail.example.test"),
        Listener("10.89.44.101", 993, "imaps", "imap.example.test")]


def test_the_mta_sts_policy_host_of_each_domain_is_probed_where_the_zone_points_it() -> None:
    """mta-sts.<domain> has the addresses of the VIPs that front SMTP, the load balancers' when they hold one
    (tier3.dns.zone): there, on 443, one listener per domain; not on the MX pair's relay VIP."""
    base = topology()
    relay = Vip("mx-relay", "10.89.44.102", "10.89.44.0/24", 53, (VipMember("mx1", 150), VipMember("mx2", 100)),
                services=("smtp",))
    mail = MailConfig("mail.example.test", "imap.example.test",
                      domains=(MailDomain("Example.test"), MailDomain("example.org.")))
    topo = dataclasses.replace(base, vips=(*base.vips, relay), mail=mail)
    sts = [x for x in vip_listeners(topo) if x.kind == "https"]
    assert sts == [Listener(VIP_ADDRESS, 443, "https", "mta-sts.example.test"),
                   Listener(VIP_ADDRESS, 443, "https", "mta-sts.example.org")]
    assert Listener("10.89.44.102", 25, "smtp-starttls", "mail.example.test") in vip_listeners(topo)
    # with no load balancer holding an SMTP VIP, the MX pair's VIP is the door, and the policy host too
    alone = dataclasses.replace(topo, vips=(relay,))
    assert [x.address for x in vip_listeners(alone) if x.kind == "https"] == ["10.89.44.102"] * 2


def test_the_site_probe_results_are_judged_as_tls_listener() -> None:
    legacy = json.loads(text("tls_listener_probe_legacy.json"))
    asked: list[list[Listener]] = []

    # A stand-in for tier3.probe (no listener runs in the unit tests): it answers with a real probe record
    # captured in the lab of a listener that still takes TLS 1.0. The live probes run in molecule/cluster.
    def prober(listeners: list[Listener], _ca: str | None, _timeout: float) -> list[dict[str, Any]]:
        asked.append(listeners)
        return legacy

    findings, facts = judge_site(topology(), [], probe=True, prober=prober, scanner=None)  # no sslyze scan here
    assert len(asked) == 1
    assert len(asked[0]) == 3
    assert any(f.rule_id == "T3-OBS-TLS-001" for f in findings)
    assert facts[-1]["kind"] == "tls-listener"


def test_the_report_lists_every_item_with_its_hash_and_an_unreached_host_as_error() -> None:
    body = text("postqueue_j_empty.txt")
    check = judge_host("mx1", items("mx1", record("postqueue", "postqueue -j", body)), ("postqueue",), topology())
    report = check_report([check], [], source="inv", probed=False, extra_findings=[unanswered("mx2", "unreachable")])
    data = report.to_dict()
    jsonschema.validate(data, SCHEMA)
    assert data["evidence"] == [{
        "host": "mx1", "kind": "postqueue", "id": "postqueue -j", "source": "command", "item": None, "status": "ok",
        "rc": 0, "sha256": hashlib.sha256(body.encode()).hexdigest(), "size": len(body.encode()),
        "truncated": False, "read_at": 1796124000.0, "detail": ""}]
    (lost,) = report.findings
    assert (lost.rule_id, lost.status, lost.subject, lost.severity) == (EVIDENCE_ERROR, Status.ERROR, "mx2",
                                                                        Severity.CRITICAL)
    assert "T3-OBS-MAL-001" in {c["rule_id"] for c in data["checks"]}


@pytest.mark.parametrize(("answer", "key"), [
    ({"evidence": "x"}, "evidence"),
    ({"evidence": [{"kind": "postqueue"}]}, "status"),
    ({"evidence": [{**record("postqueue", "postqueue -j", ""), "status": "maybe"}]}, "status"),
    ({"evidence": [{**record("postqueue", "postqueue -j", ""), "read_at": "now"}]}, "read_at"),
    ({"evidence": [{**record("postqueue", "postqueue -j", ""), "sha256": None}]}, "sha256"),
])
def test_an_answer_that_is_not_the_modules_is_refused_naming_the_key(answer: dict[str, Any], key: str) -> None:
    with pytest.raises(ParseError) as caught:
        items_from_answer("mx1", answer)
    assert caught.value.where == key
    assert "mx1" in caught.value.source


def test_a_limit_probes_only_the_vips_and_dns_servers_of_its_hosts() -> None:
    topo = topology()
    members = {m.host for vip in topo.vips for m in vip.members}
    assert vip_listeners(topo, scope=members) == vip_listeners(topo)
    assert vip_listeners(topo, scope={"metal1"}) == []
    asked: list[object] = []
    judge_site(topo, [], probe=True, scope={"metal1"}, prober=lambda ls, _ca, _t: asked.append(ls) or [])
    assert asked == []


def test_a_bond_read_from_its_proc_file_is_named_after_the_file() -> None:
    """tier3 check's bonding item is /proc/net/bonding/bond0: its findings name bond0 (not 'bond', the
    fallback of a source without a bond name, which the per-host source 'bonding of HOST' is)."""
    body = (Path(__file__).resolve().parents[2] / "fixtures" / "real"
            / "proc_net_bonding_bond0_active_backup_one_slave_down.txt").read_text(encoding="utf-8")
    given = record("bonding", "/proc/net/bonding/bond0", body, source="file", argv=None,
                   path="/proc/net/bonding/bond0")
    checked = judge_host("metal1", items("metal1", given), ("bonding",), Topology())
    failed = {f.subject for f in checked.findings if f.status is Status.FAIL}
    assert failed
    assert all(s == "bond0" or s.startswith("bond0:") for s in failed), failed


def test_one_finding_per_rule_and_object_when_two_outputs_say_the_same() -> None:
    def f(message: str, ref: str, subject: str = "/dev/md0") -> Finding:
        return Finding("T3-OBS-STO-001", Severity.HIGH, Status.FAIL, subject, "md array degraded", message,
                       {"evidence_items": [{"id": ref, "sha256": ref * 4}]})

    merged = once([f("1 of 2 members", "/proc/mdstat"), f("degraded", "mdadm --detail /dev/md0"),
                   f("degraded", "mdadm --detail /dev/md0"), f("1 of 2", "/proc/mdstat", "/dev/md1")])
    assert [(m.subject, m.message, [r["id"] for r in m.evidence["evidence_items"]]) for m in merged] == [
        ("/dev/md0", "1 of 2 members; degraded", ["/proc/mdstat", "mdadm --detail /dev/md0"]),
        ("/dev/md1", "1 of 2", ["/proc/mdstat"]),
    ]


def test_unmeasured_names_each_site_step_that_will_not_run_and_why() -> None:
    topology = validate([str(Path(__file__).resolve().parents[3] / "inventory" / "example")]).topology
    plan = DnsPlan(servers=(NameServer("fra1-dns1", "192.0.2.53"),), zones=())
    assert unmeasured(topology, None, probe=True, scan=True, dns=plan) == {}
    assert unmeasured(topology, {"fra1-mx1", "fra1-dns1"}, probe=False, scan=True, dns=plan) == {
        LISTENER_KIND: "the VIP listeners were not probed (tier3_check_probe: false)",
        SCAN_KIND: "the VIP listeners were not probed (tier3_check_probe: false)"}
    assert set(unmeasured(topology, {"fra1-mx1"}, probe=True, scan=False, dns=plan)) == {SCAN_KIND, DNS_KIND}
    assert unmeasured(topology, {"fra1-dns1"}, probe=True, scan=True, dns=plan) == dict.fromkeys(
        (LISTENER_KIND, SCAN_KIND), "no audited host is a member of a VIP that serves a mail listener")
    assert unmeasured(topology, None, probe=True, scan=True, dns=None) == {
        DNS_KIND: "the DNS servers were not asked (the site step's dns: false)"}
