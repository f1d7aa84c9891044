"""Cisco ASA Active/Standby failover over Netmiko's ``cisco_asa`` driver.

Failover replicates every command the active unit runs to the standby (and ``write memory`` on the
active saves both), so ``syncs_config`` is true and the workflow pushes to the active unit only; the
standby warns that it does not replicate, and the driver refuses to configure it. An ASA runs each
line at once: there is no candidate and no revert timer. A push replaces the managed part (every
object, object-group, ACL and ``access-group``, which the pair owns whole) in one batch: ``clear
configure`` of each kind, then the intended lines; a refused line puts the saved policy back in the
same session before the error is raised. Nothing is saved until ``confirm`` (``write memory``): a lost
session leaves the pushed policy running unsaved, and the workflow's rollback re-pushes the saved one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from tier3.firewall.platforms.base import ACTIVE, STANDBY, UNKNOWN, DeviceError, Driver, HaState

if TYPE_CHECKING:
    from netmiko import BaseConnection

SHOW_FAILOVER = "show failover"
# the managed sections in the order ``show running-config`` prints them, each read with its own command
SECTIONS = ("object", "object-group", "access-list", "access-group", "service")
CLEAR = tuple(f"clear configure {kind}" for kind in ("access-group", "access-list", "object-group", "object"))
RESET = "service resetinbound "  # the only ``service`` lines of the managed part
STANDBY_WARNING = "Configuration Replication is NOT performed"
WRITE_OK = "[OK]"
ROLES = {"active": ACTIVE, "standby ready": STANDBY, "standby": STANDBY}
HOST_LINE = re.compile(r"^\s*(?P<who>This|Other) host:\s*(?P<unit>\w+)\s*-\s*(?P<state>.+?)\s*$", re.MULTILINE)
ERROR = re.compile(r"^(ERROR: .*|%Error.*|% .*)$")


def parse_show_failover(text: str) -> HaState:
    """This unit's role from ``show failover`` (``This host: Primary - Active``) and its mate's state."""
    if re.search(r"^Failover Off", text, re.MULTILINE):
        return HaState(UNKNOWN, detail="Failover Off: the unit is not in a failover pair")
    hosts = {m["who"]: m for m in HOST_LINE.finditer(text)}
    this = hosts.get("This")
    if this is None:
        return HaState(UNKNOWN, detail="no 'This host:' line in show failover")
    other = hosts.get("Other")
    return HaState(ROLES.get(this["state"].lower(), UNKNOWN), peer="" if other is None else other["state"],
                   detail=f"This host: {this['unit']} - {this['state']}")


def managed_lines(texts: list[str]) -> str:
    """The managed part from the sections' ``show running-config`` outputs, in ``SECTIONS`` order: object
    blocks, ACL and ``access-group`` lines, and the ``service resetinbound`` lines (other ``service``
    lines are not ours)."""
    out: list[str] = []
    for text in texts:
        for raw in text.splitlines():
            line = raw.rstrip()
            if line and (not line.startswith("service ") or line.startswith(RESET)):
                out.append(line)
    return "".join(f"{line}\n" for line in out)


def replace_lines(text: str, previous: str) -> list[str]:
    """The configuration lines that turn the managed part ``previous`` into ``text``."""
    resets = [f"no {line}" for line in previous.splitlines() if line.startswith(RESET)]
    return [*CLEAR, *resets, *(line for line in text.splitlines() if line.strip())]


def rejected(output: str) -> str | None:
    """The first command the ASA refused in ``send_config_set`` output, with its error, or None: the ASA
    prints the command, a caret line and ``ERROR: ...``."""
    lines = [line.rstrip() for line in output.splitlines()]
    for index, line in enumerate(lines):
        if ERROR.match(line.strip()):
            command = next((lines[i].strip() for i in range(index - 1, -1, -1)
                            if lines[i].strip() and lines[i].strip() != "^" and "#" not in lines[i]), "")
            return f"{command}: {line.strip()}" if command else line.strip()
    return None


def _command(conn: BaseConnection, command: str) -> str:
    """One EXEC command's output as text (Netmiko returns text unless asked to parse it)."""
    return str(conn.send_command(command))


@dataclass
class CiscoAsa(Driver):
    platform: ClassVar[str] = "cisco_asa"
    device_type: ClassVar[str] = "cisco_asa"
    renderer: ClassVar[str] = "cisco_asa"
    syncs_config: ClassVar[bool] = True
    has_revert_timer: ClassVar[bool] = False
    revert: ClassVar[str] = ("none on the device: an ASA has no revert timer; the push is not saved until the "
                             "confirm (write memory), and the workflow's rollback re-pushes the saved policy")
    read_timeout: float = 30.0  # seconds Netmiko waits for each line's prompt in the batch

    def ha_state(self, conn: BaseConnection) -> HaState:
        return parse_show_failover(_command(conn, SHOW_FAILOVER))

    def running(self, conn: BaseConnection) -> str:
        return managed_lines([_command(conn, f"show running-config {section}") for section in SECTIONS])

    def push(self, conn: BaseConnection, intended: str, saved: str, revert_seconds: int) -> None:
        del revert_seconds  # no timer on an ASA (``revert``)
        warning = conn.config_mode()
        if STANDBY_WARNING in warning:
            conn.exit_config_mode()
            raise DeviceError("push", next(line.strip() for line in warning.splitlines() if STANDBY_WARNING in line))
        refused = self._send(conn, replace_lines(intended, saved), enter=False)
        if refused is not None:
            self._send(conn, replace_lines(saved, intended), enter=True)
            raise DeviceError("push", refused)

    def confirm(self, conn: BaseConnection) -> None:
        output = _command(conn, "write memory")
        if WRITE_OK not in output:
            failed = next((line.strip() for line in output.splitlines() if ERROR.match(line.strip())), output.strip())
            raise DeviceError("confirm", failed)

    def rollback(self, conn: BaseConnection, saved: str) -> None:
        refused = self._send(conn, replace_lines(saved, self.running(conn)), enter=True)
        if refused is not None:
            raise DeviceError("rollback", refused)

    def _send(self, conn: BaseConnection, lines: list[str], *, enter: bool) -> str | None:
        output = conn.send_config_set(lines, enter_config_mode=enter, read_timeout=self.read_timeout)
        return rejected(output)
