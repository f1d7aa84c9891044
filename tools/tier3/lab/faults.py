"""Faults the metal lab can inject into a running host, and heal: ``tier3 lab fault HOST FAULT`` and
``tier3 lab heal HOST FAULT``. One table, a row per fault (inject, heal); never an if-chain.

| fault | inject | heal |
|---|---|---|
| nic-down | QMP ``set_link`` off on the first data NIC (no carrier) | ``set_link`` on, until LLDP sees it |
| nic-moved | its tap moved to the other switch, until the guest's LLDP sees only that one | moved back, likewise |
| raid-member-failed | in the guest: ``mdadm --fail``, ``--remove`` the 2nd member | ``--add`` it, wait for resync |
| path-offline | in the guest: the second HBA's path ``offline`` in sysfs | ``running`` |
| psu-critical | the BMC says PSU2 Health Critical (Redfish mockup; ipmi_sim: PS2 failure) | healthy, sensors cleared |
| psu-absent | the BMC says PSU2 Absent (ipmi_sim: PS2 presence deasserted) | likewise |
| psu-other-pdu | Redfish: PSU2's ``Links.Outlet`` on PSU1's PDU (outlet 13) | likewise |

Every inject and heal is idempotent: healing a healthy host changes nothing.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tier3.errors import LabError
from tier3.lab import bmc, guest, procs, qemu, switches
from tier3.lab.metal import LLDP_TX_SECONDS, RAID_ARRAY, Metal, Nic, state_dir, switch, vm_paths
from tier3.parsers.lldp import parse_lldpctl_json

# how long a NIC fault waits for the guest's lldpd to see the switch it now reaches: the old
# neighbour lives on until its TTL (4 advertisements, lldpd's tx-hold), the new one comes with the next
LLDP_SETTLE_S = 6 * LLDP_TX_SECONDS + 10


@dataclass(frozen=True)
class Target:
    """The host a fault is injected into, and what a fault needs to know of it."""

    host: Metal
    pdus: tuple[str, str]  # the PDUs its rack declares, feed order (the mockup's A, B)
    state: Path

    def ssh(self, command: str) -> str:
        return guest.run(self.host, command, guest.lab_keys(self.state), timeout=600).stdout.strip()


@dataclass(frozen=True)
class Fault:
    name: str
    about: str
    inject: Callable[[Target], str]  # what it did, one line
    heal: Callable[[Target], str]


# ---- NICs ------------------------------------------------------------------------------------------


def neighbours_seen(target: Target, nic: Nic) -> set[str]:
    """The switches (LLDP chassis names) the guest's lldpd sees on ``nic`` now."""
    text = target.ssh("lldpctl -f json")
    return {n.chassis_name for n in parse_lldpctl_json(text, f"lldpctl on {target.host.name}")
            if n.interface == nic.guest_name}


def wait_for_neighbour(target: Target, nic: Nic, expected: str, timeout: float = LLDP_SETTLE_S) -> None:
    """Until the guest sees exactly ``expected`` on ``nic`` (so ``tier3 check`` judges the fault or the
    healed host, not lldpd's memory of the cable before); LabError after ``timeout``."""
    seen: set[str] = set()

    def settled() -> bool:
        seen.clear()
        seen.update(neighbours_seen(target, nic))
        return seen == {expected}

    if not procs.wait_until(settled, timeout, interval=1):
        raise LabError("tier3 lab", f"{target.host.name} {nic.guest_name}",
                       f"LLDP shows {', '.join(sorted(seen)) or 'no neighbour'} after {timeout:.0f} s, "
                       f"not {expected}", hint="look at lldpd in the guest and the switch namespaces")


def _set_link(up: bool) -> Callable[[Target], str]:
    def act(target: Target) -> str:
        nic = target.host.nics[0]
        qemu.qmp(vm_paths(target.host, target.state).qmp, "set_link", {"name": nic.netdev, "up": up})
        if up:  # back once its switch is seen again (a member up without a neighbour is a finding)
            wait_for_neighbour(target, nic, nic.switch)
        return f"{nic.guest_name} ({nic.netdev}) link {'up' if up else 'down'}"
    return act


def _move_nic(home: bool) -> Callable[[Target], str]:
    def act(target: Target) -> str:
        nic = target.host.nics[0]
        other = next(n.switch for n in target.host.nics if n.switch != nic.switch)
        to = switch(nic.switch if home else other)
        tap = target.host.tap(nic)
        switches.attach(tap, to, nic.port, f"{target.host.name} {nic.guest_name}", target.state)
        wait_for_neighbour(target, nic, to.name)
        return f"{nic.guest_name} (tap {tap}) cabled to {to.name} port {nic.port}"
    return act


# ---- disks and paths (in the guest) ---------------------------------------------------------------

_ARRAY = (f"a=/dev/md/{RAID_ARRAY}; [ -e $a ] || a=/dev/{RAID_ARRAY}; "
          f"[ -e $a ] || {{ echo 'no array {RAID_ARRAY}: converge playbooks/hardware.yml first' >&2; exit 3; }}; ")


def _member(target: Target) -> str:
    return target.host.disk("raid-b").by_id


def fail_member_script(member: str) -> str:
    dev = shlex.quote(member)
    return (_ARRAY + f"d=$(readlink -f {dev}); "
            f"if mdadm --detail $a | grep -q \" $d$\"; then "
            f"mdadm --manage $a --fail {dev} && mdadm --manage $a --remove {dev} && echo removed; "
            "else echo 'not a member (already removed)'; fi")


def add_member_script(member: str) -> str:
    dev = shlex.quote(member)
    return (_ARRAY + f"d=$(readlink -f {dev}); "
            f"mdadm --detail $a | grep -q \" $d$\" || mdadm --manage $a --add {dev}; "
            "mdadm --wait $a; mdadm --detail $a | grep -q 'State : clean *$' && "
            "mdadm --detail $a | grep -E '^ *State :|Active Devices'")


def _raid(fail: bool) -> Callable[[Target], str]:
    def act(target: Target) -> str:
        member = _member(target)
        out = target.ssh(fail_member_script(member) if fail else add_member_script(member))
        if fail:
            said = "failed and removed from" if out.endswith("removed") else "was not a member of"
            return f"{member} {said} {RAID_ARRAY}"
        return f"{member} in {RAID_ARRAY}, resynced ({' '.join(out.split())})"
    return act


def path_state_script(by_path: str, state: str) -> str:
    link = shlex.quote(by_path)
    return (f"d=$(basename \"$(readlink -f {link})\"); [ -b /dev/$d ] || {{ echo 'no path {by_path}' >&2; exit 3; }}; "
            f"echo {state} > /sys/block/$d/device/state && echo $d")


def _path(state: str) -> Callable[[Target], str]:
    def act(target: Target) -> str:
        hba = target.host.hbas[-1]
        device = target.ssh(path_state_script(hba.by_path, state))
        return f"path /dev/{device} on {hba.name} ({hba.fabric}) {state}"
    return act


# ---- power supplies (the BMC emulators) -------------------------------------------------------------

# fault -> (what it means, variant of tests/fixtures/redfish/variants.json, ipmi_sim console commands
# on power.emu's sensors: 2 is PS2 Status, 3 PS Redundancy)
PSU_FAULTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "psu-critical": ("the BMC reports PSU2 Health Critical", "psu2-critical",
                     ("sensor_set_bit 0x20 0 2 1 1 1", "sensor_set_bit_clr_rest 0x20 0 3 1 1 1")),
    "psu-absent": ("the BMC reports PSU2 Absent", "psu2-absent",
                   ("sensor_set_bit 0x20 0 2 0 0 1", "sensor_set_bit_clr_rest 0x20 0 3 2 1 1")),
    "psu-other-pdu": ("the BMC reports PSU2 on PSU1's PDU (outlet 13)", "same-pdu", ()),
}


def _psu(variant: str, commands: tuple[str, ...]) -> Callable[[Target], str]:
    def act(target: Target) -> str:
        changed = bmc.apply_variant(target.host, target.pdus, variant, target.state)
        said = f"Redfish mockup of {target.host.name}: {variant} ({len(changed)} documents changed)"
        if target.host.ipmi_port and commands:
            bmc.console(target.host, *commands)
            said += f"; ipmi_sim: {len(commands)} sensor commands"
        return said
    return act


_HEAL_PSU = _psu("healthy", bmc.IPMI_HEALTHY)

FAULTS: dict[str, Fault] = {fault.name: fault for fault in (
    Fault("nic-down", "the first data NIC loses its link (QMP set_link)", _set_link(up=False), _set_link(up=True)),
    Fault("nic-moved", "the first data NIC is cabled to the other switch", _move_nic(home=False), _move_nic(home=True)),
    Fault("raid-member-failed", "the second RAID1 member fails and is removed (mdadm)", _raid(fail=True),
          _raid(fail=False)),
    Fault("path-offline", "the LUN's path on the second HBA goes offline (sysfs)", _path("offline"), _path("running")),
    *(Fault(name, about, _psu(variant, commands), _HEAL_PSU)
      for name, (about, variant, commands) in PSU_FAULTS.items()),
)}


def fault(name: str) -> Fault:
    found = FAULTS.get(name)
    if found is None:
        raise LabError("tier3 lab", "fault", f"unknown fault {name!r}", hint=f"choose from {', '.join(FAULTS)}")
    return found


def target(host: Metal, pdus: tuple[str, str], state: Path | None = None) -> Target:
    return Target(host, pdus, state or state_dir())
