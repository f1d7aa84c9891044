"""Palo Alto PAN-OS active/passive HA pair over Netmiko's ``paloalto_panos`` driver.

With HA config synchronisation the member a commit is made on copies its running configuration to the
peer, so ``syncs_config`` is true and the workflow pushes to the active member. The managed part
(``tier3.firewall.render.paloalto_panos``) is five branches the pair owns whole: a push deletes them and
sets the intended lines in the candidate configuration, then ``commit``. PAN-OS has no commit-confirmed:
nothing on the device reverts a push whose session is lost after its commit, and the workflow's
rollback restores. A rollback re-pushes the saved set lines and commits them, rather than ``load config
version N``: the saved lines are exactly what was read back before, while a version number is each
member's own, and loading a version replaces the whole candidate (others' pending changes, branches
we do not manage) and may predate the last change we made.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

from tier3.firewall.platforms.base import ACTIVE, STANDBY, UNKNOWN, DeviceError, Driver, HaState
from tier3.firewall.platforms.setcli import first_rejected, managed_set_lines

if TYPE_CHECKING:
    from netmiko import BaseConnection

# the branches the pair owns whole, deleted referrers first (PAN-OS refuses to delete what is referenced)
MANAGED = ("rulebase security", "address-group", "address", "service", "zone")
SET_FORMAT = "set cli config-output-format set"
SHOW_RUNNING = "show config running"
SHOW_HA = "show high-availability all"
REVERT_CANDIDATE = "revert config"
ROLES = {"active": ACTIVE, "passive": STANDBY}
STATE = re.compile(r"^\s*State:\s*(?P<state>[\w-]+)", re.MULTILINE)
SYNC = re.compile(r"^\s*Running Configuration:\s*(?P<sync>.+?)\s*$", re.MULTILINE)
ERROR = re.compile(r"^\s*(Invalid syntax\.?|Unknown command.*|Server error.*|Validation Error.*)$", re.IGNORECASE)
COMMITTED = "configuration committed successfully"
COMMIT_SECONDS = 300.0  # a PAN-OS commit job takes minutes on a loaded box


def _state(block: str) -> str:
    found = STATE.search(block)
    return found["state"] if found else ""


def parse_high_availability(text: str) -> HaState:
    """The member's HA state from ``show high-availability all``: Local Information's State, the peer's,
    and whether the running configuration is synchronised (Configuration Synchronization)."""
    local_part = text.partition("Local Information:")[2]
    if not local_part:
        first = next((line.strip() for line in text.splitlines() if line.strip()), "no output")
        return HaState(UNKNOWN, detail=first)
    local = _state(local_part.partition("Peer Information:")[0])
    peer = _state(text.partition("Peer Information:")[2])
    sync = SYNC.search(text)
    in_sync = None if sync is None else sync["sync"].lower() == "synchronized"
    return HaState(ROLES.get(local.lower(), UNKNOWN), peer=peer, in_sync=in_sync, detail=f"Local state: {local}")


def managed_lines(text: str) -> str:
    """The managed part of ``show config running`` in set format: the lines under ``MANAGED``, in order, each once."""
    return managed_set_lines(text, MANAGED)


def rejected(output: str, sent: list[str]) -> str | None:
    """The first line the device refused in ``send_config_set`` output, with its error, or None."""
    return first_rejected(output, sent, ERROR)


def commit_error(output: str) -> str:
    """The validation errors of a failed commit, joined."""
    lines = [line.strip() for line in output.splitlines()]
    start = next((i for i, line in enumerate(lines) if line.lower().startswith("validation error")), None)
    errors = [line for line in lines[start + 1:] if line and not line.endswith(("#", ">"))] if start is not None else []
    return "; ".join(errors) or next((line for line in reversed(lines) if line), "commit failed")


def replace_lines(text: str) -> list[str]:
    return [*(f"delete {m}" for m in MANAGED), *(line for line in text.splitlines() if line.strip())]


def show(conn: BaseConnection, command: str, **options: Any) -> str:
    return str(conn.send_command(command, **options))


class PaloAltoPanos(Driver):
    platform: ClassVar[str] = "paloalto_panos"
    device_type: ClassVar[str] = "paloalto_panos"
    renderer: ClassVar[str] = "paloalto_panos"
    syncs_config: ClassVar[bool] = True
    has_revert_timer: ClassVar[bool] = False
    revert: ClassVar[str] = ("none on the device: PAN-OS has no commit-confirmed, a committed push stays until the "
                             "workflow's rollback re-pushes the saved lines")

    def ha_state(self, conn: BaseConnection) -> HaState:
        return parse_high_availability(show(conn, SHOW_HA))

    def running(self, conn: BaseConnection) -> str:
        show(conn, SET_FORMAT)
        return managed_lines(show(conn, SHOW_RUNNING))

    def push(self, conn: BaseConnection, intended: str, saved: str, revert_seconds: int) -> None:
        del saved, revert_seconds  # no device-side timer: the workflow's rollback is the revert
        self._load(conn, replace_lines(intended))

    def close(self, conn: BaseConnection) -> None:
        """Log out from operational mode, where every step of this driver leaves the session: Netmiko's logout
        first checks the mode by waiting for the channel to fall silent."""
        conn.write_channel("exit" + conn.RETURN)
        conn.paramiko_cleanup()

    def confirm(self, conn: BaseConnection) -> None:
        """Nothing to do: the commit made it permanent and config sync copied it to the peer."""
        del conn

    def rollback(self, conn: BaseConnection, saved: str) -> None:
        self._load(conn, replace_lines(saved))

    def _load(self, conn: BaseConnection, lines: list[str]) -> None:
        _configure(conn)
        output = conn.send_config_set(lines, enter_config_mode=False, exit_config_mode=False)
        refused = rejected(output, lines)
        if refused is not None:
            self._discard(conn)
            raise DeviceError("push", refused)
        output = show(conn, "commit", expect_string=r"[>#]\s*$", strip_prompt=False, read_timeout=COMMIT_SECONDS)
        if COMMITTED not in output.lower():
            self._discard(conn)
            raise DeviceError("commit", commit_error(output))
        _leave(conn)

    def _discard(self, conn: BaseConnection) -> None:
        """The candidate back to the running configuration (it outlives the session on PAN-OS)."""
        show(conn, REVERT_CANDIDATE, expect_string=r"#\s*$")
        _leave(conn)


# Netmiko's own config_mode/exit_config_mode check the mode by waiting for the channel to fall silent (about 2 s
# each on PAN-OS, four times a push); these wait for the prompt of the mode instead.
def _configure(conn: BaseConnection) -> None:
    conn.write_channel("configure" + conn.RETURN)
    conn.read_until_pattern(pattern=r"#\s*$")


def _leave(conn: BaseConnection) -> None:
    conn.write_channel("exit" + conn.RETURN)
    conn.read_until_pattern(pattern=r">\s*$")
