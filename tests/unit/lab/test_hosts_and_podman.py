"""The host table and the podman command lines built from it (pure)."""

from __future__ import annotations

import ipaddress
import itertools

import pytest

from tier3.errors import LabError
from tier3.lab.hosts import GATEWAY, HOSTS, NETWORK, PEER_GROUPS, PREFIX, RACKS, SUBNET, VIPS, select
from tier3.lab.podman import import_changes, network_create_args, run_args
from tier3.model.mail import SERVICES
from tier3.model.topology import SERVICE_GROUPS


def test_table_names_and_addresses_are_unique_and_on_the_lab_subnet() -> None:
    net = ipaddress.ip_network(SUBNET)
    assert len({h.name for h in HOSTS}) == len(HOSTS)
    assert len({h.address for h in HOSTS}) == len(HOSTS)
    for host in HOSTS:
        assert ipaddress.ip_address(host.address) in net
        assert host.address != GATEWAY
        assert host.container == PREFIX + host.name
    for vip in VIPS:
        assert ipaddress.ip_address(vip.address) in net
        assert vip.address not in {h.address for h in HOSTS}


def test_every_group_has_a_member_in_each_rack() -> None:
    service = [h for h in HOSTS if h.is_service_host]
    groups = {g for h in service for g in h.groups}
    assert groups == {"mx", "imap", "dns", "lb", "monitoring", "archive"}
    assert groups <= set(SERVICE_GROUPS)
    for group in groups:
        assert {h.rack for h in HOSTS if group in h.groups} == set(RACKS), group


def test_the_peers_are_containers_but_no_service_hosts() -> None:
    peers = {h.name: h for h in HOSTS if not h.is_service_host}
    assert {name: (h.groups, h.address, h.rack) for name, h in peers.items()} == {
        "client": (("clients",), "10.89.30.51", ""),
        "outside": (("outside_mx",), "10.89.30.61", ""),
    }
    assert {g for h in peers.values() for g in h.groups} == set(PEER_GROUPS)
    assert not set(PEER_GROUPS) & set(SERVICE_GROUPS)
    assert not set(PEER_GROUPS) & {h.name for h in HOSTS}  # Ansible warns when a group and a host share a name
    assert {h.backend for h in peers.values()} == {"container"}
    for host in HOSTS:  # a host is a service host or a peer, never both
        assert all(g in SERVICE_GROUPS for g in host.groups) or all(g in PEER_GROUPS for g in host.groups)


def test_the_vips_are_on_the_load_balancers_each_master_of_one() -> None:
    lbs = {h.name for h in HOSTS if "lb" in h.groups}
    assert [(v.name, v.address, v.vrid, v.services) for v in VIPS] == [
        ("lab-smtp", "10.89.30.100", 51, ("smtp", "submission")),
        ("lab-imap", "10.89.30.101", 52, ("imap", "imaps", "lmtp")),
    ]
    masters = []
    for vip in VIPS:
        assert {host for host, _ in vip.members} == lbs
        assert set(vip.services) <= set(SERVICES)
        priorities = [priority for _, priority in vip.members]
        assert len(set(priorities)) == len(priorities)
        masters.append(max(vip.members, key=lambda m: m[1])[0])
    assert masters == ["lb1", "lb2"]  # active-active: one VIP on each load balancer
    assert len({v.vrid for v in VIPS}) == len(VIPS)


def test_select() -> None:
    assert select(None) == HOSTS
    assert [h.name for h in select(["lb1", "mx1"])] == ["mx1", "lb1"]  # table order
    with pytest.raises(LabError, match="unknown lab host nope"):
        select(["nope"])


def test_run_args_for_a_systemd_container() -> None:
    mx1 = select(["mx1"])[0]
    args = run_args(mx1, "localhost/tier3-lab-debian12:abc", recipe="abc")
    assert args[:2] == ["run", "--detach"]
    pairs = list(itertools.pairwise(args))
    for pair in [("--name", "tier3-lab-mx1"), ("--hostname", "mx1"), ("--runtime", "runc"),
                 ("--network", NETWORK), ("--ip", "10.89.30.11"), ("--ulimit", "nofile=1024:1024"),
                 ("--ulimit", "nproc=4096:4096"), ("--cap-add", "NET_ADMIN"), ("--cap-add", "AUDIT_WRITE"),
                 ("--label", "tier3.lab=1"), ("--label", "tier3.lab.recipe=abc")]:
        assert pair in pairs, pair
    assert "--systemd=always" in args
    assert "--privileged" not in args
    assert ("--cap-add", "SYS_ADMIN") not in pairs  # only the load balancers need it (HAProxy's unit)
    assert args[-2:] == ["localhost/tier3-lab-debian12:abc", "/sbin/init"]


def test_load_balancers_get_sys_admin() -> None:
    lb1 = select(["lb1"])[0]
    args = run_args(lb1, "img")
    assert ("--cap-add", "SYS_ADMIN") in list(itertools.pairwise(args))


def test_network_create_args() -> None:
    assert network_create_args("tier3-lab", "10.89.30.0/24", "10.89.30.1") == [
        "network", "create", "--driver", "bridge", "--subnet", "10.89.30.0/24", "--label", "tier3.lab=1",
        "--gateway", "10.89.30.1", "tier3-lab",
    ]


def test_import_changes_boot_systemd() -> None:
    changes = import_changes()
    values = changes[1::2]
    assert set(changes[::2]) == {"--change"}
    assert 'CMD ["/sbin/init"]' in values
    assert "STOPSIGNAL SIGRTMIN+3" in values
    assert "ENV container=podman" in values
