"""parse_proc_net_bonding on real captures (kernel 6.1): fields, aggregators, LACP partners, verdicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tier3.errors import ParseError
from tier3.parsers.bonding import Bond, parse_proc_net_bonding

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "real"


def bond(name: str) -> Bond:
    return parse_proc_net_bonding((REAL / name).read_text(encoding="utf-8"), name, "bond0")


def test_active_backup_both_up() -> None:
    b = bond("proc_net_bonding_bond0.txt")
    assert (b.mode, b.mii_status, b.active_slave, b.primary_slave) == (
        "fault-tolerance (active-backup)", "up", "ens8", "ens8")
    assert [(s.name, s.mii_status, s.speed, s.duplex, s.link_failure_count, s.permanent_hw_addr) for s in b.slaves] == [
        ("ens8", "up", "Unknown", "Unknown", 0, "52:54:00:12:34:11"),
        ("ens9", "up", "Unknown", "Unknown", 0, "52:54:00:12:34:12")]
    assert (b.redundant, b.issues) == (True, ())


def test_active_backup_after_failover_names_the_down_member() -> None:
    b = bond("proc_net_bonding_bond0_after_failover.txt")
    assert b.active_slave == "ens9"
    assert [(i.code, i.subject, i.where) for i in b.issues] == [
        ("bond-member-down", "bond0:ens8", "line 12"), ("bond-too-few", "bond0", "")]
    assert b.slaves[0].link_failure_count == 1
    assert b.redundant is False


def test_all_slaves_down_has_no_active_slave() -> None:
    b = bond("proc_net_bonding_bond0_active_backup_all_slaves_down.txt")
    assert (b.active_slave, b.mii_status) == (None, "down")
    assert [i.code for i in b.issues] == ["bond-member-down", "bond-member-down", "bond-down", "bond-too-few"]


def test_8023ad_with_partner_reads_aggregator_and_lacp_details() -> None:
    b = bond("proc_net_bonding_bond0_8023ad_with_partner.txt")
    assert b.is_8023ad
    assert (b.active_aggregator_id, b.active_aggregator_ports, b.partner_mac) == (1, 2, "52:54:00:00:02:01")
    eth1, eth2 = b.slaves
    assert (eth1.aggregator_id, eth2.aggregator_id) == (1, 1)
    assert eth1.partner is not None
    assert eth1.actor is not None
    assert (eth1.partner.system_mac, eth1.partner.port_state, eth1.actor.port_state) == ("52:54:00:00:02:01", 63, 63)
    assert (eth1.speed, eth1.duplex) == ("10000 Mbps", "full")
    assert b.redundant is True


def test_8023ad_partner_lost_on_one_port_although_both_links_up() -> None:
    b = bond("proc_net_bonding_bond0_8023ad_partner_lacp_lost_one_port.txt")
    assert all(s.up for s in b.slaves)
    eth2 = b.slaves[1]
    assert (eth2.aggregator_id, eth2.partner.system_mac if eth2.partner else None) == (2, "00:00:00:00:00:00")
    assert [(i.code, i.subject) for i in b.issues] == [("lacp-not-aggregated", "bond0:eth2"), ("bond-too-few", "bond0")]


def test_8023ad_down_slave_still_reports_aggregator_1_but_is_not_counted() -> None:
    b = bond("proc_net_bonding_bond0_8023ad_with_partner_one_link_down.txt")
    assert [(s.name, s.mii_status, s.aggregator_id) for s in b.slaves] == [("eth1", "up", 1), ("eth2", "down", 1)]
    assert b.active_aggregator_ports == 1
    assert [(i.code, i.subject) for i in b.issues] == [("bond-member-down", "bond0:eth2"), ("bond-too-few", "bond0")]


def test_8023ad_without_partner_each_slave_alone() -> None:
    b = bond("proc_net_bonding_bond0_8023ad.txt")
    assert [s.aggregator_id for s in b.slaves] == [1, 2]
    assert b.partner_mac == "00:00:00:00:00:00"
    assert "lacp-no-partner" in [i.code for i in b.issues]


@pytest.mark.parametrize("mode", ["balance_rr", "balance_xor", "balance_alb"])
def test_other_modes_two_up_are_redundant(mode: str) -> None:
    assert bond(f"proc_net_bonding_bond0_{mode}.txt").redundant is True


def test_8023ad_slave_outside_any_aggregator_is_read() -> None:
    text = (REAL / "proc_net_bonding_bond0_8023ad_with_partner.txt").read_text(encoding="utf-8")
    head, _, _ = text.partition("Slave Interface: eth2")
    extra = ("Slave Interface: eth2\nMII Status: up\nSpeed: 10000 Mbps\nDuplex: full\nLink Failure Count: 0\n"
             "Permanent HW addr: 52:54:00:00:01:02\nSlave queue ID: 0\nAggregator ID: N/A\n")
    b = parse_proc_net_bonding(head + extra, "x", "bond0")
    assert b.slaves[1].aggregator_id is None
    assert [(i.code, i.subject) for i in b.issues] == [("lacp-not-aggregated", "bond0:eth2"), ("bond-too-few", "bond0")]


def test_second_slave_cut_before_its_lacp_details_is_refused() -> None:
    text = (REAL / "proc_net_bonding_bond0_8023ad_with_partner.txt").read_text(encoding="utf-8")
    cut = text[: text.index("Actor Churn State", text.index("Slave Interface: eth2"))]
    with pytest.raises(ParseError, match="slave eth2 lacks 'Actor Churn State', which slave eth1 has"):
        parse_proc_net_bonding(cut, "x")
