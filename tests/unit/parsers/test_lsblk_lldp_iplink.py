"""parse_lsblk_json, parse_lldpctl_json / parse_lldpctl_text and parse_ip_link_bond on real captures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tier3.errors import ParseError
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


def test_ip_link_bond() -> None:
    link = parse_ip_link_bond(text("ip_d_link_bond0_8023ad_with_partner.txt"), "x")
    assert (link.name, link.mode, link.state, link.options["ad_num_ports"], link.redundant) == (
        "bond0", "802.3ad", "UP", "2", True)
    down = parse_ip_link_bond(text("ip_d_link_bond0_active_backup_all_slaves_down.txt"), "x")
    assert ("NO-CARRIER" in down.flags, down.redundant) == (True, False)
    assert parse_ip_link_bond(text("ip_d_link_bond0.txt"), "x").redundant is None
