"""What inventory/lab declares of the metal hosts (pure: from ``tier3.lab.metal`` and the state paths).

Unlike the containers' imaginary topology, this is the truth of the VMs: each bond member is the guest's
name of a NIC that is cabled to that switch and port (the switch's lldpd says so), the RAID members and
the LUKS disk are the virtio disks by serial, the LUN's WWID is the one QEMU gives it (the same on both
HBAs), each path's device and HBA are the guest's, and the power supplies and PDUs are those the host's
BMC emulator serves (``tier3.lab.bmc``: the mockup's PDUs renamed to the rack's). Only the racks, PDUs
and feeds stay imaginary, as for the containers.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tier3.lab import bmc, guest
from tier3.lab.hosts import FEEDS, SITE, LabHost
from tier3.lab.metal import (
    BMC_USER,
    ENCRYPTED_VOLUME,
    FABRICS,
    GROUP,
    LUN_NAME,
    RAID_ARRAY,
    SWITCHES,
    Metal,
    metal,
    vm_paths,
)
from tier3.lab.secrets import BMC_PASSWORD_VAR, LUKS_KEY_VAR

PSU_OUTLET = 12  # the mockup's outlet of each supply on its PDU
PSU_WATTS = 500


def is_metal(host: LabHost) -> bool:
    return GROUP in host.groups


def connection(host: LabHost, state: Path | None = None) -> dict[str, Any]:
    """hosts.yml variables of a metal host: SSH to its forwarded port, the lab's key, strict host keys."""
    spec = metal(host.name)
    keys = guest.lab_keys(state)
    return {
        "ansible_host": "127.0.0.1",
        "ansible_port": spec.ssh_port,
        "ansible_user": "root",
        "ansible_connection": "ssh",
        "ansible_ssh_private_key_file": str(keys.private),
        "ansible_ssh_common_args": f"-o UserKnownHostsFile={keys.known_hosts} -o StrictHostKeyChecking=yes "
                                   "-o IdentitiesOnly=yes",
    }


def site_parts(hosts: Iterable[LabHost]) -> dict[str, list[dict[str, str]]]:
    """The site's switches and SAN fabrics the metal hosts are cabled to (none without a metal host)."""
    if not any(is_metal(h) for h in hosts):
        return {"switches": [], "san_fabrics": []}
    return {"switches": [{"name": sw.name, "rack": sw.rack} for sw in SWITCHES],
            "san_fabrics": [{"name": fabric} for fabric in FABRICS]}


def _schema_has(key: str) -> bool:
    """True when tier3_host's schema knows ``key`` (encrypted_volumes arrives with the declared-versus-
    observed rules: written as soon as the schema accepts it, never before)."""
    from tier3.schema.schemas import schema  # noqa: PLC0415  (only the metal hosts need it)

    return key in schema("host")


def tier3_host(spec: Metal, pdus: tuple[str, str]) -> dict[str, Any]:
    declared: dict[str, Any] = {
        "site": SITE,
        "rack": spec.rack,
        "bmc": {"address": f"https://127.0.0.1:{spec.redfish_port}", "protocol": "redfish", "username": BMC_USER,
                "password": f"{{{{ {BMC_PASSWORD_VAR} }}}}"},
        "power_supplies": [{"name": f"PSU{i + 1}", "pdu": pdu, "capacity_watts": PSU_WATTS, "outlet": PSU_OUTLET}
                           for i, pdu in enumerate(pdus)],
        "bonds": [{"name": "bond0", "mode": "active-backup",
                   "members": [{"interface": nic.guest_name, "switch": nic.switch, "port": nic.port}
                               for nic in spec.nics]}],
        "raid_arrays": [{"name": RAID_ARRAY, "level": "raid1",
                         "devices": [spec.disk(k).by_id for k in ("raid-a", "raid-b")], "spares": []}],
        "multipath_luns": [{"name": LUN_NAME, "wwid": spec.lun_wwid,
                            "paths": [{"device": hba.device, "fabric": hba.fabric, "hba": hba.name}
                                      for hba in spec.hbas]}],
    }
    if _schema_has("encrypted_volumes"):
        declared["encrypted_volumes"] = [{"name": ENCRYPTED_VOLUME, "device": spec.disk("luks").by_id}]
    return declared


def role_vars(spec: Metal) -> dict[str, Any]:
    """What playbooks/hardware.yml needs beyond tier3_host: the bond's address on the switches' segment
    (so the two hosts reach each other over their bonds), the LUKS volume's key by reference to the lab's
    secrets, and no initramfs rebuild (QEMU boots the image's kernel and initramfs from the machine: the
    guest's own is never read, and rebuilding it takes minutes under TCG)."""
    return {"bonding_addresses": {"bond0": {"address": spec.bond_address}},
            "luks_keys": {ENCRYPTED_VOLUME: f"{{{{ {LUKS_KEY_VAR} }}}}"},
            "raid_update_initramfs": False}


def host_vars(host: LabHost, pdus: tuple[str, str], state: Path | None = None) -> dict[str, Any]:
    """host_vars of a metal host: tier3_host, the hardware roles' variables, the CA its BMC's certificate
    is signed by, and (the host with ipmi_sim) its IPMI endpoint for tests."""
    spec = metal(host.name)
    out: dict[str, Any] = {"tier3_host": tier3_host(spec, pdus), **role_vars(spec),
                           # the VM's root is a plain qcow2 overlay that holds no mail; the data volume is LUKS2
                           "tier3_policy": {"crypt_plain_mounts": ["/"]},
                           "tier3_bmc_ca_file": str(bmc.lab_tls(state).ca)}
    if spec.ipmi_port:
        out["tier3_lab_ipmi"] = {"address": f"ipmi://127.0.0.1:{spec.ipmi_port}", "username": BMC_USER,
                                 "password": f"{{{{ {BMC_PASSWORD_VAR} }}}}", "console_port": spec.ipmi_console_port}
    return out


def header(host: LabHost, state: Path | None = None) -> str:
    spec = metal(host.name)
    console = vm_paths(spec, state).console
    return (f"# {host.name}: QEMU VM {spec.vm} (ssh 127.0.0.1:{spec.ssh_port}, console {console});\n"
            f"# its NICs, disks, LUN and BMC are real (tools/tier3/lab/metal.py); rack {host.rack}, its PDUs and the\n"
            f"# feeds {', '.join(FEEDS)} are imaginary.\n")
