"""The ``firewall`` backend: the lab's firewall pair built from network namespaces on this machine
(tier3.lab.firewall holds the table, tier3.lab.firewall_hooks the hooks; docs/lab.md, "The firewall pair").

``up`` makes what is missing, in order: the namespaces (a switch with four bridges, fw1, fw2, fwout,
fwin), the veths and addresses, the lab's client key (ssh-keygen, with the passphrase of the lab's
secrets) and each member's host key, sshd config and keepalived config (each checked with ``sshd -t``
and ``keepalived -t`` before it is used), then each member's sshd and keepalived and the end hosts'
listeners; a second ``up`` finds everything and changes nothing. ``down`` kills every process of the
pair (the sshd listeners by pid file and config path, everything else by the namespace it runs in),
deletes the namespaces and the state directory.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from tier3.errors import LabError
from tier3.lab import firewall, firewall_hooks, procs
from tier3.lab.backends.base import HostStatus, Removed, Started
from tier3.lab.firewall import END_HOSTS, MEMBERS, NAMESPACES, SEGMENTS, SWITCH_NAMESPACE, EndHost, Member
from tier3.lab.hosts import LabHost
from tier3.lab.progress import Steps
from tier3.lab.secrets import FW_KEY_PASSPHRASE_VAR, LabSecrets

SOURCE = firewall.SOURCE
TOOLS: dict[str, str] = {  # command -> Debian package (tools/setup-machine installs them)
    "/usr/sbin/sshd": "openssh-server", "keepalived": "keepalived", "ssh-keygen": "openssh-client",
    "ip": "iproute2", "nft": "nftables", firewall.PYTHON: "python3",
}


def check_tools() -> None:
    missing = sorted({package for tool, package in TOOLS.items() if shutil.which(tool) is None})
    if missing:
        raise LabError(SOURCE, "tools", f"missing: {', '.join(t for t, p in TOOLS.items() if p in missing)}",
                       hint=f"apt-get install {' '.join(missing)} (or run `make setup`)")


def _ip(*args: str, check: bool = True) -> str:
    return procs.run(["ip", *args], "ip " + " ".join(args[:4]), check=check).stdout


def namespaces() -> list[str]:
    """The pair's namespaces that exist now."""
    listed = {line.split()[0] for line in _ip("netns", "list", check=False).splitlines() if line.strip()}
    return [name for name in NAMESPACES if name in listed]


def link_exists(name: str, namespace: str) -> bool:
    return procs.run(["ip", "-n", namespace, "link", "show", "dev", name], "ip link show", check=False).returncode == 0


def cable(owner: str, namespace: str, interface: str, bridge: str) -> bool:
    """A veth from ``interface`` in ``namespace`` to a port of ``bridge`` in the switch; True when made now."""
    if link_exists(interface, namespace):
        return False
    port = firewall.port_name(owner, interface)
    _ip("link", "add", interface, "netns", namespace, "type", "veth", "peer", "name", port, "netns", SWITCH_NAMESPACE)
    _ip("-n", SWITCH_NAMESPACE, "link", "set", port, "master", bridge, "up")
    _ip("-n", namespace, "link", "set", interface, "up")
    return True


def ensure_network() -> bool:
    """Namespaces, bridges, veths, addresses, routes and forwarding, each made unless it is there;
    True when anything was made."""
    made = False
    present = set(namespaces())
    for namespace in NAMESPACES:
        if namespace not in present:
            _ip("netns", "add", namespace)
            _ip("-n", namespace, "link", "set", "lo", "up")
            made = True
    for seg in SEGMENTS:
        if not link_exists(seg.bridge, SWITCH_NAMESPACE):
            _ip("-n", SWITCH_NAMESPACE, "link", "add", seg.bridge, "type", "bridge", "stp_state", "0")
            _ip("-n", SWITCH_NAMESPACE, "link", "set", seg.bridge, "up")
            made = True
    for fw in MEMBERS:
        for interface, address in fw.addresses:
            bridge = next(s.bridge for s in SEGMENTS if s.interface == interface)
            if cable(fw.name, fw.namespace, interface, bridge):
                _ip("-n", fw.namespace, "addr", "add", address, "dev", interface)
                made = True
        procs.run(["ip", "netns", "exec", fw.namespace, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"], "sysctl")
    for host in END_HOSTS:
        if cable(host.name, host.namespace, "eth0", firewall.segment(host.segment).bridge):
            for address in host.addresses:
                _ip("-n", host.namespace, "addr", "add", address, "dev", "eth0")
            _ip("-n", host.namespace, "route", "replace", "default", "via", host.gateway)
            made = True
    return made


def keygen(path: Path, passphrase: str, comment: str) -> None:
    """An ed25519 key pair at ``path`` (and ``path``.pub), made by ssh-keygen."""
    path.unlink(missing_ok=True)
    path.with_name(path.name + ".pub").unlink(missing_ok=True)
    procs.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", comment, "-f", str(path)], "ssh-keygen")


def ensure_client_key(state: Path, passphrase: str) -> bool:
    """The lab's client key, made unless one opens with ``passphrase`` (a new passphrase: a new key);
    True when made now."""
    key = firewall.client_key(state)
    opens = key.is_file() and procs.run(["ssh-keygen", "-y", "-P", passphrase, "-f", str(key)], "ssh-keygen -y",
                                        check=False).returncode == 0
    if opens:
        return False
    keygen(key, passphrase, "tier3-lab-firewall")
    return True


def _write_checked(path: Path, text: str, check: list[str], what: str) -> bool:
    """Write ``text`` to ``path`` (0600) unless it holds it, then run ``check`` (the daemon's own config
    test, on the file as it will be used); True when written now."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    procs.write_private(path, text.encode())
    try:
        procs.run(check, f"{what} config test", hint=f"the template under {firewall.FILES} renders a bad {path.name}")
    except LabError:
        path.unlink()  # never left in place to be found "unchanged" by the next up
        raise
    return True


def ensure_member_files(fw: Member, state: Path) -> bool:
    """The member's host key, authorized_keys (the client key's), sshd_config and keepalived.conf;
    True when any was written now."""
    where = firewall.paths(fw.name, state)
    where.root.mkdir(parents=True, exist_ok=True, mode=0o700)
    Path(firewall.SSHD_RUN_DIR).mkdir(mode=0o755, exist_ok=True)  # `sshd -t` wants it too
    made = False
    if not where.host_key.is_file():
        keygen(where.host_key, "", f"tier3-lab-{fw.name}")
        made = True
    public = firewall.client_key(state).with_suffix(".pub").read_text(encoding="utf-8")
    if not where.authorized_keys.is_file() or where.authorized_keys.read_text(encoding="utf-8") != public:
        procs.write_private(where.authorized_keys, public.encode())
        made = True
    made |= _write_checked(where.sshd_config, firewall.sshd_config(fw, state),
                           ["/usr/sbin/sshd", "-t", "-f", str(where.sshd_config)], "sshd")
    made |= _write_checked(where.keepalived_conf, firewall.keepalived_config(fw, state),
                           ["ip", "netns", "exec", fw.namespace, "keepalived", "-t", "-f", str(where.keepalived_conf)],
                           "keepalived")  # in the namespace: it checks that the interfaces exist
    return made


def write_known_hosts(state: Path) -> None:
    """``[127.0.0.1]:PORT`` and each member's host key, for a client that checks host keys strictly."""
    lines = []
    for fw in MEMBERS:
        kind, key, *_ = firewall.paths(fw.name, state).host_key.with_suffix(".pub").read_text().split()
        lines.append(f"[127.0.0.1]:{fw.ssh_port} {kind} {key}\n")
    text = "".join(lines)
    target = firewall.known_hosts(state)
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")


def listener_marker(host: EndHost) -> procs.Marker:
    return procs.in_netns("python3", host.namespace)


def ensure_listeners(host: EndHost, state: Path) -> bool:
    """The end host's listeners (fw-listen), unless they run; True when started now."""
    pidfile = firewall.listener_pidfile(host, state)
    if procs.running(pidfile, listener_marker(host)) is not None:
        return False
    procs.spawn(firewall.listener_argv(host), state / f"{host.name}-listen.log", pidfile)
    return True


def member_state(name: str, state: Path) -> tuple[str, str]:
    """(running | stopped | absent, "sshd up, VRRP MASTER") of one member."""
    fw = firewall.member(name)
    if fw.namespace not in namespaces():
        return "absent", "-"
    sshd = firewall_hooks.sshd_pid(name, state) is not None
    vrrp = firewall_hooks.vrrp_state(name, state)
    whole = "running" if sshd and vrrp != "stopped" else "stopped"
    return whole, f"sshd {'up' if sshd else 'down'}, VRRP {vrrp}"


def _emptied(namespace: str) -> Callable[[], bool]:
    """A probe: no process is left in ``namespace``."""
    return lambda: not firewall_hooks.pids_in(namespace)


class FirewallBackend:
    """The firewall pair: network namespaces, a private sshd and a keepalived per member."""

    name = "firewall"
    noun = "firewall"

    def __init__(self, state: Path | None = None) -> None:
        self._state = state

    @property
    def state(self) -> Path:
        return self._state or firewall.state_dir()

    def up(self, hosts: Sequence[LabHost], steps: Steps, rebuild: bool = False,  # noqa: ARG002  (no image)
           secrets: LabSecrets | None = None) -> Started:
        if secrets is None:
            raise LabError(SOURCE, "secrets", "the firewall pair needs the lab's secrets (its key's passphrase)",
                           hint="start it through `tier3 lab up --firewall-only`")
        check_tools()
        state = self.state
        state.mkdir(parents=True, exist_ok=True, mode=0o700)
        done = Started()
        if ensure_network():
            steps.say(f"✓ firewall networks: namespaces {', '.join(NAMESPACES)}")
            done.network_created = True
        if ensure_client_key(state, secrets[FW_KEY_PASSPHRASE_VAR]):
            steps.say(f"✓ firewall client key {firewall.client_key(state)}")
        members = [firewall.member(h.name) for h in hosts]
        for fw in MEMBERS:
            ensure_member_files(fw, state)
        write_known_hosts(state)
        for fw in members:
            ssh = firewall_hooks.start_ssh(fw.name, state)
            vrrp = firewall_hooks.start_vrrp(fw.name, state)
            if ssh or vrrp:
                shown = firewall_hooks.vrrp_state(fw.name, state)
                steps.say(f"✓ {fw.name}: sshd on 127.0.0.1:{fw.ssh_port}, VRRP {shown}")
                done.created.append(fw.name)
            else:
                steps.say(f"✓ {fw.namespace} is running")
        for host in END_HOSTS:
            if ensure_listeners(host, state):
                steps.say(f"✓ {host.name} listens on {', '.join(host.listeners)}")
        return done

    def down(self, steps: Steps, purge: bool = False) -> Removed:  # noqa: ARG002  (nothing kept to purge)
        gone = Removed()
        state = self.state
        for fw in MEMBERS:
            if firewall_hooks.stop_ssh(fw.name, state):
                gone.processes.append(f"sshd {fw.name}")
        for namespace in namespaces():
            if firewall_hooks.kill_all(firewall_hooks.pids_in(namespace)):
                gone.processes.append(f"processes in {namespace}")
            procs.wait_until(_emptied(namespace), 5.0, interval=0.05)
            _ip("netns", "delete", namespace, check=False)
            gone.namespaces.append(namespace)
        if gone.namespaces or gone.processes:
            steps.say(f"✓ removed {', '.join([*gone.namespaces, *gone.processes])}")
        if state.exists():
            shutil.rmtree(state)
        return gone

    def status(self, hosts: Sequence[LabHost]) -> list[HostStatus]:
        return [HostStatus(h, *member_state(h.name, self.state)) for h in hosts]

    def exists(self) -> bool:
        """Anything of the pair on the machine (a namespace, or its state directory)."""
        return bool(namespaces()) or self.state.exists()
