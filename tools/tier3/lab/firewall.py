"""The lab's firewall pair as data: its table, where its state lives and the configuration that runs it on
this machine (pure; docs/lab.md, "The firewall pair").

Two Linux firewalls, ``fw1`` and ``fw2`` (pair ``lab-fw``), each a network namespace with four
interfaces (out0, in0, sync0, mgmt0), an end host on each side (``fwout`` outside, ``fwin`` inside) and
a switch namespace whose bridges join them: no container. Each member runs keepalived (one VRRPv3
instance, unicast over sync0, both VIPs) and is reached by Netmiko over real SSH: a private ``sshd`` on
127.0.0.1 (port 2231, 2232) whose every session is a shell inside the member's namespace. Its state
(sshd config and host key, keepalived config, pid files, ``vrrp_state``) lives in
``.cache/lab/firewall/<member>/``; ``tier3 lab down`` removes all of it. The hooks that act on the
running pair are ``tier3.lab.firewall_hooks``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Final

from tier3.errors import LabError

SOURCE = "tier3 lab firewall"
FILES: Final = Path(__file__).resolve().parent / "firewall_files"
PAIR: Final = "lab-fw"
PLATFORM: Final = "linux"
POLICY: Final = "lab-edge"
GROUP: Final = "firewall"
PREFIX: Final = "tier3-lab-"  # every namespace of the pair
SWITCH_NAMESPACE: Final = f"{PREFIX}fwsw"
VRID: Final = 41
ADVERT_SECONDS: Final = 0.3  # the backup takes over after 3 adverts and its skew: about 1.1 s
SYNC_INTERFACE: Final = "sync0"
PYTHON: Final = "/usr/bin/python3"  # the machine's, for the listeners (the venv's may move)
SSHD_RUN_DIR: Final = "/run/sshd"  # sshd's privilege separation directory (the package's service would make it)
STATE_ENV: Final = "TIER3_LAB_FIREWALL_DIR"  # overrides the state directory (tests)
VRRP_STATES: Final = ("MASTER", "BACKUP", "FAULT", "STOP")


@dataclass(frozen=True)
class Segment:
    """One network of the pair: the members' interface on it, the switch's bridge, the subnet."""

    name: str
    interface: str
    bridge: str
    network: str


SEGMENTS: Final = (
    Segment("outside", "out0", "br-out", "10.89.41.0/24"),
    Segment("inside", "in0", "br-in", "10.89.42.0/24"),
    Segment("sync", "sync0", "br-sync", "10.89.43.0/24"),
    Segment("mgmt", "mgmt0", "br-mgmt", "10.89.40.0/24"),
)
# the VIPs, each on its interface, all in the one VRRP instance: they move together
VIPS: Final = (("10.89.41.1/24", "out0"), ("10.89.42.1/24", "in0"))


@dataclass(frozen=True)
class Member:
    """One firewall: its imaginary rack, VRRP priority, SSH port and an address per interface."""

    name: str
    rack: str
    priority: int
    ssh_port: int
    addresses: tuple[tuple[str, str], ...]  # (interface, address/prefix), in SEGMENTS order

    @property
    def namespace(self) -> str:
        return f"{PREFIX}{self.name}"

    def address(self, interface: str) -> str:
        """The member's address on ``interface``, without the prefix length."""
        return dict(self.addresses)[interface].split("/", 1)[0]


MEMBERS: Final = (
    Member("fw1", "lab-r01", 150, 2231, (("out0", "10.89.41.2/24"), ("in0", "10.89.42.2/24"),
                                         ("sync0", "10.89.43.1/24"), ("mgmt0", "10.89.40.2/24"))),
    Member("fw2", "lab-r02", 100, 2232, (("out0", "10.89.41.3/24"), ("in0", "10.89.42.3/24"),
                                         ("sync0", "10.89.43.2/24"), ("mgmt0", "10.89.40.3/24"))),
)


@dataclass(frozen=True)
class EndHost:
    """A host on one side of the pair: its addresses on eth0, its default route (a VIP), its listeners."""

    name: str
    segment: str  # a Segment name
    addresses: tuple[str, ...]
    gateway: str
    listeners: tuple[str, ...]  # fw-listen specs: tcp:PORT, udp:PORT

    @property
    def namespace(self) -> str:
        return f"{PREFIX}{self.name}"


END_HOSTS: Final = (
    # 10.89.41.66: a second address, "a known abuser" (the policy's blocked address)
    EndHost("fwout", "outside", ("10.89.41.10/24", "10.89.41.66/24"), "10.89.41.1", ("tcp:25",)),
    # 10.89.42.10: the mail VIP's address, 10.89.42.11 the IMAP one
    EndHost("fwin", "inside", ("10.89.42.10/24", "10.89.42.11/24"), "10.89.42.1",
            ("tcp:25", "tcp:587", "tcp:993", "udp:33434")),
)
NAMESPACES: Final = (SWITCH_NAMESPACE, *(m.namespace for m in MEMBERS), *(h.namespace for h in END_HOSTS))


def member(name: str) -> Member:
    for found in MEMBERS:
        if found.name == name:
            return found
    raise LabError(SOURCE, name, "is no member of the firewall pair", hint=f"use {', '.join(m.name for m in MEMBERS)}")


def segment(name: str) -> Segment:
    return next(s for s in SEGMENTS if s.name == name)


def namespace_of(name: str) -> str:
    """The network namespace of a member or an end host (fw1, fw2, fwout, fwin)."""
    for found in (*MEMBERS, *END_HOSTS):
        if found.name == name:
            return found.namespace
    raise LabError(SOURCE, name, "is no host of the firewall lab",
                   hint=f"use {', '.join(h.name for h in (*MEMBERS, *END_HOSTS))}")


def port_name(owner: str, interface: str) -> str:
    """The switch's end of the veth of ``owner``'s ``interface`` (at most 15 characters: fwout-eth0)."""
    return f"{owner}-{interface}"


# ---- where things live ------------------------------------------------------------------------------


def state_dir() -> Path:
    """``$TIER3_LAB_FIREWALL_DIR``, else ``.cache/lab/firewall`` of the project around the working directory
    (beside the lab CA: ``lab down`` removes it with the cache)."""
    from tier3.lab.control import find_inventory_dir, lab_cache_dir  # noqa: PLC0415  (control imports this)

    override = os.environ.get(STATE_ENV)
    return Path(override).resolve() if override else lab_cache_dir(find_inventory_dir()) / "firewall"


@dataclass(frozen=True)
class MemberPaths:
    """The files of one member under the state directory."""

    root: Path

    @property
    def sshd_config(self) -> Path:
        return self.root / "sshd_config"

    @property
    def host_key(self) -> Path:
        return self.root / "ssh_host_ed25519_key"

    @property
    def authorized_keys(self) -> Path:
        return self.root / "authorized_keys"

    @property
    def sshd_pid(self) -> Path:
        return self.root / "sshd.pid"

    @property
    def sshd_log(self) -> Path:
        return self.root / "sshd.log"

    @property
    def keepalived_conf(self) -> Path:
        return self.root / "keepalived.conf"

    @property
    def keepalived_pid(self) -> Path:
        """keepalived's own pid files (``-p``, ``-r``): its parent's and its VRRP child's."""
        return self.root / "keepalived.pid"

    @property
    def vrrp_pid(self) -> Path:
        return self.root / "keepalived-vrrp.pid"

    @property
    def keepalived_spawn(self) -> Path:
        """The pid file ``procs.spawn`` writes (keepalived refuses to start over its own, so not ``-p``'s)."""
        return self.root / "keepalived.spawn.pid"

    @property
    def keepalived_log(self) -> Path:
        return self.root / "keepalived.log"

    @property
    def vrrp_state(self) -> Path:
        return self.root / "vrrp_state"


def paths(name: str, state: Path | None = None) -> MemberPaths:
    return MemberPaths((state or state_dir()) / name)


def client_key(state: Path | None = None) -> Path:
    """The lab's client key (ed25519, with the passphrase of the lab's secrets)."""
    return (state or state_dir()) / "id_ed25519"


def known_hosts(state: Path | None = None) -> Path:
    return (state or state_dir()) / "known_hosts"


def listener_pidfile(host: EndHost, state: Path | None = None) -> Path:
    return (state or state_dir()) / f"{host.name}-listen.pid"


# ---- configuration (pure) ----------------------------------------------------------------------------


def _template(name: str) -> Template:
    return Template((FILES / name).read_text(encoding="utf-8"))


def sshd_config(fw: Member, state: Path) -> str:
    """The member's sshd_config: 127.0.0.1:PORT, root by key, every session fw-session in its namespace."""
    where = paths(fw.name, state)
    return _template("fw-sshd_config").substitute(
        member=fw.name, port=fw.ssh_port, namespace=fw.namespace, host_key=where.host_key,
        authorized_keys=where.authorized_keys, session=FILES / "fw-session", state=where.root)


def keepalived_config(fw: Member, state: Path) -> str:
    """The member's keepalived.conf: one VRRPv3 instance, unicast to the other member's sync0, both VIPs."""
    peer = next(m for m in MEMBERS if m.name != fw.name)
    where = paths(fw.name, state)
    return _template("fw-keepalived.conf").substitute(
        member=fw.name, pair=PAIR, interface=SYNC_INTERFACE, vrid=VRID, priority=fw.priority, advert=ADVERT_SECONDS,
        source=fw.address(SYNC_INTERFACE), peer=peer.address(SYNC_INTERFACE), state=where.root,
        tracked="\n".join(f"        {interface}" for _, interface in VIPS),
        vips="\n".join(f"        {address} dev {interface}" for address, interface in VIPS),
        notify=f"/bin/sh {FILES / 'fw-notify'} {where.root}")


def sshd_argv(fw: Member, state: Path) -> list[str]:
    return ["/usr/sbin/sshd", "-D", "-e", "-f", str(paths(fw.name, state).sshd_config)]


def keepalived_argv(fw: Member, state: Path) -> list[str]:
    where = paths(fw.name, state)
    return ["ip", "netns", "exec", fw.namespace, "keepalived", "--dont-fork", "--log-console", "--vrrp",
            "-f", str(where.keepalived_conf), "-p", str(where.keepalived_pid), "-r", str(where.vrrp_pid)]


def listener_argv(host: EndHost) -> list[str]:
    return ["ip", "netns", "exec", host.namespace, PYTHON, str(FILES / "fw-listen"), *host.listeners]


def netmiko_params(name: str, passphrase: str, state: Path | None = None) -> dict[str, object]:
    """``netmiko.ConnectHandler`` keywords for member ``name`` (the key's ``passphrase`` from the lab's secrets)."""
    fw = member(name)
    return {"device_type": PLATFORM, "host": "127.0.0.1", "port": fw.ssh_port, "username": "root",
            "key_file": str(client_key(state)), "passphrase": passphrase, "use_keys": True,
            "allow_agent": False}
