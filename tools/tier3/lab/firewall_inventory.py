"""What inventory/lab declares of the firewall pair (pure: from ``tier3.lab.firewall`` and its state path).

The members' connections in hosts.yml (what Netmiko needs: their sshd on 127.0.0.1, the lab's client key, the
key's passphrase by reference to secrets.yml), the pair and its policy in group_vars/all/firewall.yml, and
the comments that say what each is. No Ansible play runs on a member: its SSH is a shell on this machine.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

from tier3.lab import firewall
from tier3.lab.hosts import LabHost
from tier3.lab.secrets import FW_KEY_PASSPHRASE_VAR

HOSTS_NOTE: Final = (f"# {firewall.GROUP}: the firewall pair, network namespaces `tier3-lab-<name>` driven by Netmiko"
                     " over SSH on 127.0.0.1;\n#   no Ansible play runs on them (their SSH is a shell on this "
                     "machine).\n")


def is_firewall(host: LabHost) -> bool:
    return host.backend == "firewall"


def connection(host: LabHost, state: Path | None = None) -> dict[str, Any]:
    """hosts.yml variables of a firewall member: what Netmiko needs (its sshd on 127.0.0.1, the lab's
    client key and, by reference to secrets.yml, the key's passphrase); ``state`` the pair's state
    directory (default ``tier3.lab.firewall.state_dir()``). No Ansible play runs on it."""
    return {
        "ansible_host": "127.0.0.1",
        "ansible_port": firewall.member(host.name).ssh_port,
        "ansible_user": "root",
        "tier3_fw_key_file": str(firewall.client_key(state)),
        "tier3_fw_key_passphrase": f"{{{{ {FW_KEY_PASSPHRASE_VAR} }}}}",
    }


def policy() -> dict[str, Any]:
    """The lab pair's policy (lab-edge): mail in from outside to the inside VIPs' addresses, outbound SMTP,
    a known abuser dropped, SSH from mgmt and VRRP between the members to the firewalls themselves."""
    return {
        "name": firewall.POLICY,
        "default_action": "drop",
        "zones": [{"name": seg.name, "interfaces": [seg.interface]} for seg in firewall.SEGMENTS],
        "addresses": [
            {"name": "internet-clients", "networks": [firewall.segment("outside").network]},
            {"name": "mail-vip", "networks": ["10.89.42.10/32"]},
            {"name": "imap-vip", "networks": ["10.89.42.11/32"]},
            {"name": "admins", "networks": [firewall.segment("mgmt").network]},
            {"name": "fw-peers", "networks": [f"{m.address(firewall.SYNC_INTERFACE)}/32" for m in firewall.MEMBERS]},
            {"name": "blocked", "networks": ["10.89.41.66/32"]},
        ],
        "address_groups": [{"name": "mail-front", "members": ["mail-vip", "imap-vip"]}],
        "services": [
            {"name": "smtp", "protocol": "tcp", "ports": ["25"]},
            {"name": "submission", "protocol": "tcp", "ports": ["587"]},
            {"name": "imaps", "protocol": "tcp", "ports": ["993"]},
            {"name": "ssh", "protocol": "tcp", "ports": ["22"]},
            {"name": "traceroute", "protocol": "udp", "ports": ["33434-33534"]},
            {"name": "vrrp", "protocol": "vrrp"},
        ],
        "rules": [
            {"name": "admin-ssh", "from": "mgmt", "to": "self", "source": ["admins"], "destination": ["any"],
             "service": ["ssh"], "action": "accept", "log": True, "comment": "operators reach the pair"},
            {"name": "ha-vrrp", "from": "sync", "to": "self", "source": ["fw-peers"], "destination": ["any"],
             "service": ["vrrp"], "action": "accept", "comment": "VRRP between the members"},
            {"name": "block-bad", "from": "outside", "to": "any", "source": ["blocked"], "destination": ["any"],
             "service": ["any"], "action": "drop", "log": True, "comment": "a known abuser"},
            {"name": "mail-in", "from": "outside", "to": "inside", "source": ["internet-clients"],
             "destination": ["mail-front"], "service": ["smtp", "submission", "imaps"], "action": "accept",
             "log": True, "comment": "mail from the clients to the mail addresses"},
            {"name": "traceroute", "from": "outside", "to": "inside", "source": ["internet-clients"],
             "destination": ["mail-front"], "service": ["traceroute"], "action": "reject"},
            {"name": "inside-out", "from": "inside", "to": "outside", "source": ["mail-front"],
             "destination": ["any"], "service": ["smtp"], "action": "accept", "comment": "outbound mail"},
        ],
    }


def group_vars(hosts: Iterable[LabHost]) -> dict[str, Any]:
    """group_vars/all/firewall.yml: the lab pair (tier3_firewall_pairs) and its policy; empty unless both
    members are in the inventory."""
    present = {h.name for h in hosts if is_firewall(h)}
    members = [m.name for m in firewall.MEMBERS]
    if not set(members) <= present:
        return {}
    sync = [m.address(firewall.SYNC_INTERFACE) for m in firewall.MEMBERS]
    return {
        "tier3_firewall_pairs": [{
            "name": firewall.PAIR, "platform": firewall.PLATFORM, "members": members, "policy": firewall.POLICY,
            "management": {"zone": "mgmt", "networks": [firewall.segment("mgmt").network]},
            "ha": {"zone": "sync", "addresses": sync, "state_sync": False},
        }],
        "tier3_firewall_policies": [policy()],
    }


def header(host: LabHost) -> str:
    """The comment atop a member's host_vars: its namespace, its sshd, what of it is imaginary."""
    fw = firewall.member(host.name)
    return (f"# {host.name}: network namespace {fw.namespace} (mgmt0 {host.address}), "
            f"sshd on 127.0.0.1:{fw.ssh_port};\n"
            f"# rack {host.rack}, its PDUs and bond are imaginary, as the containers'.\n")
