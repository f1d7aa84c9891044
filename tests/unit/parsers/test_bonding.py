"""parse_proc_net_bonding on real captures (kernel 6.1) and field shapes: fields, aggregators, LACP
partners, the non-root and RHEL 5 outputs; verdicts from the catalogue's rules (T3-OBS-NET-*)."""

from __future__ import annotations

from pathlib import Path

import pytest
from judged import findings, ids, is_redundant

from tier3.cli import main
from tier3.errors import ParseError
from tier3.inspect import InspectOptions, linux_kinds
from tier3.model.policy import Policy
from tier3.parsers.bonding import Bond, parse_proc_net_bonding
from tier3.rules import RULES

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
REAL = FIXTURES / "real"
FIELD = FIXTURES / "field"


def bond(name: str, where: Path = REAL) -> Bond:
    return parse_proc_net_bonding((where / name).read_text(encoding="utf-8"), name, "bond0")


def test_active_backup_both_up() -> None:
    b = bond("proc_net_bonding_bond0.txt")
    assert (b.mode, b.mii_status, b.active_slave, b.primary_slave) == (
        "fault-tolerance (active-backup)", "up", "ens8", "ens8")
    assert [(s.name, s.mii_status, s.speed, s.duplex, s.link_failure_count, s.permanent_hw_addr) for s in b.slaves] == [
        ("ens8", "up", "Unknown", "Unknown", 0, "52:54:00:12:34:11"),
        ("ens9", "up", "Unknown", "Unknown", 0, "52:54:00:12:34:12")]
    assert (is_redundant("bonding", b), ids("bonding", b)) == (True, [])


def test_active_backup_after_failover_names_the_down_member() -> None:
    b = bond("proc_net_bonding_bond0_after_failover.txt")
    assert b.active_slave == "ens9"
    assert [(f.rule_id, f.subject, f.evidence["at"]) for f in findings("bonding", b)] == [
        ("T3-OBS-NET-001", "bond0:ens8", "line 12"), ("T3-OBS-NET-002", "bond0", "")]
    assert b.slaves[0].link_failure_count == 1
    assert is_redundant("bonding", b) is False


def test_all_slaves_down_has_no_active_slave() -> None:
    b = bond("proc_net_bonding_bond0_active_backup_all_slaves_down.txt")
    assert (b.active_slave, b.mii_status) == (None, "down")
    assert [r for r, _ in ids("bonding", b)] == ["T3-OBS-NET-001", "T3-OBS-NET-001", "T3-OBS-NET-002",
                                                  "T3-OBS-NET-003"]


def test_8023ad_with_partner_reads_aggregator_and_lacp_details() -> None:
    b = bond("proc_net_bonding_bond0_8023ad_with_partner.txt")
    assert (b.is_8023ad, b.aggregator_hidden) == (True, False)
    assert (b.active_aggregator_id, b.active_aggregator_ports, b.partner_mac) == (1, 2, "52:54:00:00:02:01")
    eth1, eth2 = b.slaves
    assert (eth1.aggregator_id, eth2.aggregator_id) == (1, 1)
    assert eth1.partner is not None
    assert eth1.actor is not None
    assert (eth1.partner.system_mac, eth1.partner.port_state, eth1.actor.port_state) == ("52:54:00:00:02:01", 63, 63)
    assert (eth1.speed, eth1.duplex) == ("10000 Mbps", "full")
    assert is_redundant("bonding", b) is True


def test_8023ad_partner_lost_on_one_port_although_both_links_up() -> None:
    b = bond("proc_net_bonding_bond0_8023ad_partner_lacp_lost_one_port.txt")
    assert all(s.up for s in b.slaves)
    eth2 = b.slaves[1]
    assert (eth2.aggregator_id, eth2.partner.system_mac if eth2.partner else None) == (2, "00:00:00:00:00:00")
    assert ids("bonding", b) == [("T3-OBS-NET-002", "bond0"), ("T3-OBS-NET-004", "bond0:eth2")]


def test_8023ad_down_slave_still_reports_aggregator_1_but_is_not_counted() -> None:
    b = bond("proc_net_bonding_bond0_8023ad_with_partner_one_link_down.txt")
    assert [(s.name, s.mii_status, s.aggregator_id) for s in b.slaves] == [("eth1", "up", 1), ("eth2", "down", 1)]
    assert b.active_aggregator_ports == 1
    assert ids("bonding", b) == [("T3-OBS-NET-001", "bond0:eth2"), ("T3-OBS-NET-002", "bond0")]


def test_8023ad_without_partner_each_slave_alone() -> None:
    b = bond("proc_net_bonding_bond0_8023ad.txt")
    assert [s.aggregator_id for s in b.slaves] == [1, 2]
    assert b.partner_mac == "00:00:00:00:00:00"
    assert ("T3-OBS-NET-005", "bond0") in ids("bonding", b)


@pytest.mark.parametrize("mode", ["balance_rr", "balance_xor", "balance_alb"])
def test_other_modes_two_up_are_redundant(mode: str) -> None:
    assert is_redundant("bonding", bond(f"proc_net_bonding_bond0_{mode}.txt")) is True


def test_8023ad_slave_outside_any_aggregator_is_read() -> None:
    text = (REAL / "proc_net_bonding_bond0_8023ad_with_partner.txt").read_text(encoding="utf-8")
    head, _, _ = text.partition("Slave Interface: eth2")
    extra = ("Slave Interface: eth2\nMII Status: up\nSpeed: 10000 Mbps\nDuplex: full\nLink Failure Count: 0\n"
             "Permanent HW addr: 52:54:00:00:01:02\nSlave queue ID: 0\nAggregator ID: N/A\n")
    b = parse_proc_net_bonding(head + extra, "x", "bond0")
    assert b.slaves[1].aggregator_id is None
    assert ids("bonding", b) == [("T3-OBS-NET-002", "bond0"), ("T3-OBS-NET-004", "bond0:eth2")]


def test_second_slave_cut_before_its_lacp_details_is_refused() -> None:
    text = (REAL / "proc_net_bonding_bond0_8023ad_with_partner.txt").read_text(encoding="utf-8")
    cut = text[: text.index("Actor Churn State", text.index("Slave Interface: eth2"))]
    with pytest.raises(ParseError, match="slave eth2 lacks 'Actor Churn State', which slave eth1 has"):
        parse_proc_net_bonding(cut, "x")


# ---- read without root, no active aggregator, RHEL 5 (tests/fixtures/field) ---------------------

def test_read_without_root_hides_the_aggregator_and_says_read_it_as_root() -> None:
    b = bond("proc_net_bonding_bond0_8023ad_non_root.txt", FIELD)
    assert (b.aggregator_hidden, b.active_aggregator_id, b.partner_mac) == (True, None, None)
    assert [(s.aggregator_id, s.actor, s.partner) for s in b.slaves] == [(1, None, None), (1, None, None)]
    (hidden,) = findings("bonding", b)
    assert (hidden.rule_id, hidden.subject) == ("T3-OBS-NET-006", "bond0")
    assert "read it as root" in hidden.message
    assert hidden.hint == "read /proc/net/bonding/bond0 as root (sudo cat /proc/net/bonding/bond0)"
    assert is_redundant("bonding", b) is False  # a consumer of redundant(findings) never reads true


def test_read_without_root_still_sees_links_in_separate_aggregators() -> None:
    b = bond("proc_net_bonding_bond0_8023ad_non_root_split.txt", FIELD)
    assert ids("bonding", b) == [("T3-OBS-NET-002", "bond0"), ("T3-OBS-NET-006", "bond0")]


def as_non_root(text: str) -> str:
    """A root capture as a non-root reader sees it: the lines bond_procfs.c prints only to CAP_NET_ADMIN dropped."""
    out, skip = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith(("Active Aggregator Info:", "details actor lacp pdu:", "details partner lacp pdu:")):
            skip = True
        elif skip and not line.startswith(("\t", " ")):
            skip = False
        if not skip and not line.startswith(("System priority:", "System MAC address:")):
            out.append(line)
    return "".join(out)


def test_real_capture_read_without_root_is_not_known() -> None:
    text = as_non_root((REAL / "proc_net_bonding_bond0_8023ad_with_partner.txt").read_text(encoding="utf-8"))
    assert "Partner Mac Address" not in text
    assert "port state" not in text
    b = parse_proc_net_bonding(text, "x", "bond0")
    assert ids("bonding", b) == [("T3-OBS-NET-006", "bond0")]
    report = linux_kinds()["bonding"].inspect_raw(text, "x")
    assert (report["redundant"], report["lacp_details_hidden"], report["active_aggregator"]) == (None, True, None)
    assert [s["in_active_aggregator"] for s in report["slaves"]] == [None, None]


def test_root_bond_without_active_aggregator() -> None:
    b = parse_proc_net_bonding((FIELD / "proc_net_bonding_bond1_8023ad_no_active_aggregator.txt").read_text(),
                               "x", "bond1")
    assert (b.aggregator_hidden, b.active_aggregator_id, b.slaves) == (False, None, ())
    assert ids("bonding", b) == [("T3-OBS-NET-002", "bond1"), ("T3-OBS-NET-003", "bond1"),
                                 ("T3-OBS-NET-005", "bond1")]


RHEL5 = ["proc_net_bonding_bond0_rhel5_v3.4.0.txt", "proc_net_bonding_bond0_rhel5_v3.4.0-1.txt"]


@pytest.mark.parametrize("name", RHEL5)
def test_rhel5_format_is_refused_naming_the_format_and_the_fix(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = FIELD / name
    with pytest.raises(ParseError, match=r"RHEL 5 format: slave blocks without 'Slave queue ID'\) is not supported"):
        parse_proc_net_bonding(path.read_text(encoding="utf-8"), name)
    assert main(["inspect", "bonding", str(path), "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"tier3 inspect: {path}: line 1: bonding driver v3.4.0")
    assert "(fix: upgrade the host past RHEL 5" in err


def test_modern_driver_cut_before_slave_queue_id_is_still_a_cut() -> None:
    text = (REAL / "proc_net_bonding_bond0.txt").read_text(encoding="utf-8")
    with pytest.raises(ParseError, match="ends before 'Slave queue ID' \\(truncated\\?\\)"):
        parse_proc_net_bonding(text[: text.index("Slave queue ID")], "x")


# ---- the policy value bond_min_members ----------------------------------------------------------

def test_bond_min_members_changes_the_verdict_both_ways() -> None:
    two_up = bond("proc_net_bonding_bond0_8023ad_with_partner.txt")
    assert ids("bonding", two_up, bond_min_members=3) == [("T3-OBS-NET-002", "bond0")]
    assert findings("bonding", two_up, bond_min_members=3)[0].evidence["minimum"] == 3
    one_up = bond("proc_net_bonding_bond0_after_failover.txt")
    assert ids("bonding", one_up, bond_min_members=1) == [("T3-OBS-NET-001", "bond0:ens8")]
    assert RULES["T3-OBS-NET-002"].policy == ("bond_min_members",)


def test_bond_min_members_reaches_the_kind_verdict() -> None:
    text = (REAL / "proc_net_bonding_bond0_8023ad_with_partner.txt").read_text(encoding="utf-8")
    kind = linux_kinds()["bonding"]
    verdicts = [kind.inspect_raw(text, "x", InspectOptions(policy=Policy({"bond_min_members": n})))["redundant"]
                for n in (2, 3)]
    assert verdicts == [True, False]
