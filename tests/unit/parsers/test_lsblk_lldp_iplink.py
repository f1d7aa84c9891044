"""parse_lsblk_json, parse_lldpctl_json / parse_lldpctl_text and parse_ip_link_bond on real captures;
findings from the catalogue's rules (T3-OBS-ENC-010, T3-OBS-NET-*), verdicts from the kinds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from judged import findings, ids

from tier3.errors import ParseError
from tier3.inspect import linux_kinds
from tier3.parsers.iplink import parse_ip_link_bond
from tier3.parsers.lldp import parse_lldpctl, parse_lldpctl_json, parse_lldpctl_text
from tier3.parsers.lsblk import parse_lsblk_json

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "real"


def text(name: str) -> str:
    return (REAL / name).read_text(encoding="utf-8")


def test_lsblk_stacks_crypt_on_md_and_mpath() -> None:
    tree = parse_lsblk_json(text("lsblk_crypt_on_md_and_mpath.json"), "x")
    stacks = {s.device: s for s in tree.stacks()}
    assert (stacks["cryptmd"].crypt, stacks["cryptmd"].md, stacks["cryptmd"].disks) == (
        "cryptmd", "md1", ("vde", "vdf"))
    assert (stacks["cryptmpath"].mpath, stacks["cryptmpath"].disks) == ("mpatha", ("sda", "sdb"))
    assert stacks["md1"].fstype == "crypto_LUKS"
    assert stacks["vda"].mountpoints == ("/",)
    assert tree.filesystem_on("md1") == "crypto_LUKS"
    (plain,) = findings("lsblk", tree)
    assert (plain.rule_id, plain.subject, plain.evidence["mountpoints"]) == ("T3-OBS-ENC-010", "vda", ["/"])


def test_lsblk_boot_is_excepted_and_a_crypt_below_counts() -> None:
    doc = {"blockdevices": [{"name": "sda", "type": "disk", "children": [
        {"name": "sda1", "type": "part", "fstype": "vfat", "mountpoint": "/boot/efi"},
        {"name": "sda2", "type": "part", "fstype": "ext4", "mountpoint": "/boot"},
        {"name": "sda3", "type": "part", "fstype": "crypto_LUKS", "children": [
            {"name": "root", "type": "crypt", "fstype": "LVM2_member", "children": [
                {"name": "vg-root", "type": "lvm", "fstype": "ext4", "mountpoint": "/"}]}]},
        {"name": "sda4", "type": "part", "fstype": "xfs", "mountpoint": "/srv"}]}]}
    tree = parse_lsblk_json(json.dumps(doc), "x")
    assert [(f.rule_id, f.subject, f.evidence["at"]) for f in findings("lsblk", tree)] == [
        ("T3-OBS-ENC-010", "sda4", "/blockdevices/0/children/3")]


def test_lsblk_minimal_columns_and_mountpoint_only() -> None:
    doc = {"blockdevices": [{"name": "sda", "type": "disk", "children": [
        {"name": "luks", "type": "crypt", "fstype": "ext4", "mountpoint": "/srv/mail"}]}]}
    (s,) = parse_lsblk_json(json.dumps(doc), "x").stacks()
    assert (s.device, s.mountpoints, s.crypt, s.chain) == (
        "luks", ("/srv/mail",), "luks", (("luks", "crypt"), ("sda", "disk")))


def test_lldp_one_interface_is_an_object_two_are_a_list() -> None:
    (one,) = parse_lldpctl_json(text("lldpctl_json_veth_one_interface.json"), "x")
    assert (one.interface, one.chassis_name, one.chassis_id, one.port_id, one.port_descr, one.where) == (
        "eth1", "t3-switch", "02:00:00:00:01:01", "02:00:00:00:01:01", "swp1", "/lldp/interface/eth1")
    two = parse_lldpctl_json(text("lldpctl_json_veth_two_interfaces.json"), "x")
    assert [(n.interface, n.port_descr, n.where) for n in two] == [
        ("eth1", "swp1", "/lldp/interface/0/eth1"), ("eth2", "swp2", "/lldp/interface/1/eth2")]


def test_lldp_text_and_json_agree() -> None:
    as_json = parse_lldpctl(text("lldpctl_json_neighbours_on_lag_slaves.json"), "x")
    as_text = parse_lldpctl_text(text("lldpctl_neighbours_on_lag_slaves.txt"), "x")
    key = [(n.interface, n.chassis_name, n.chassis_id, n.port_id, n.port_descr) for n in as_json]
    assert key == [(n.interface, n.chassis_name, n.chassis_id, n.port_id, n.port_descr) for n in as_text]
    assert key[1] == ("eth2", "peer-lag", "52:54:00:00:02:01", "52:54:00:00:02:02", "eth4")


def test_lldp_no_neighbour_and_chassis_without_name() -> None:
    assert parse_lldpctl_json(text("lldpctl_json_no_neighbour.json"), "x") == ()
    doc = {"lldp": {"interface": {"eth0": {"via": "LLDP", "chassis": {"id": {"type": "mac", "value": "aa"}},
                                           "port": {"id": {"type": "ifname", "value": "Gi0/1"}}}}}}
    (n,) = parse_lldpctl_json(json.dumps(doc), "x")
    assert (n.chassis_name, n.chassis_id, n.port_id, n.port_id_type) == ("", "aa", "Gi0/1", "ifname")


def test_lldp_deep_json_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_lldpctl_json("[" * 100000 + "]" * 100000, "x")


def ip_link_verdict(name: str) -> bool | None:
    verdict: bool | None = linux_kinds()["ip-link"].inspect_raw(text(name), name)["redundant"]
    return verdict


def test_ip_link_bond() -> None:
    link = parse_ip_link_bond(text("ip_d_link_bond0_8023ad_with_partner.txt"), "x")
    assert (link.name, link.mode, link.state, link.options["ad_num_ports"], link.line) == (
        "bond0", "802.3ad", "UP", "2", 1)
    assert (ids("ip-link", link), ip_link_verdict("ip_d_link_bond0_8023ad_with_partner.txt")) == ([], True)
    down = parse_ip_link_bond(text("ip_d_link_bond0_active_backup_all_slaves_down.txt"), "x")
    assert ("NO-CARRIER" in down.flags, ids("ip-link", down)) == (True, [("T3-OBS-NET-003", "bond0")])
    assert ip_link_verdict("ip_d_link_bond0_active_backup_all_slaves_down.txt") is False
    assert ip_link_verdict("ip_d_link_bond0.txt") is None


def test_ip_link_8023ad_partner_and_ports() -> None:
    link = parse_ip_link_bond(text("ip_d_link_bond0_8023ad.txt"), "x")
    assert ids("ip-link", link) == [("T3-OBS-NET-002", "bond0"), ("T3-OBS-NET-005", "bond0")]
    healthy = parse_ip_link_bond(text("ip_d_link_bond0_8023ad_with_partner.txt"), "x")
    assert ids("ip-link", healthy, bond_min_members=3) == [("T3-OBS-NET-002", "bond0")]


LO = ("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n"
      "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00 promiscuity 0 minmtu 0 maxmtu 0\n")


def test_ip_link_show_of_every_link_reads_the_bond() -> None:
    """``ip -d link show`` (the kind's evidence) lists every link: the bond's block is read, at its line."""
    bond = text("ip_d_link_bond0_8023ad_with_partner.txt")
    link = parse_ip_link_bond(LO + bond, "x")
    assert (link.name, link.line, link.options["ad_num_ports"]) == ("bond0", 3, "2")
    two = LO + bond + bond.replace("bond0", "bond1").replace("5: ", "6: ", 1)
    assert parse_ip_link_bond(two, "x", "bond1").name == "bond1"
    with pytest.raises(ParseError, match=r"several bonds \(bond0, bond1\) and none named"):
        parse_ip_link_bond(two, "x")
    with pytest.raises(ParseError, match=r"no 'bond mode \.\.\.' line"):
        parse_ip_link_bond(LO, "x")
