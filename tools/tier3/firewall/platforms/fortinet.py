"""FortiGate FGCP active-passive cluster (FortiOS) over Netmiko's ``fortinet`` driver.

FGCP synchronises the configuration from the primary to the secondary, so ``syncs_config`` is true and the
workflow pushes to the primary (``get system ha status``: the unit the session is on is listed first
under ``vcluster 1``). The managed part (``tier3.firewall.render.fortinet``) is eight tables: the policy
tables whole, and in the object tables the entries that carry the tier3 comment (FortiOS predefines
others there); the device's ``set uuid`` lines are dropped on reading back. FortiOS runs each entry at
``next``: a push, in one ``send_config_set``, first arms the revert timer (``config system global`` /
``set cfg-save revert`` / ``set cfg-revert-timeout N``: changes stay unsaved, and the unit reboots on its
saved configuration unless they are saved within N seconds), then deletes the managed entries it read
before (policies first, groups before what they hold) and creates the intended ones in the renderer's
order. ``confirm`` saves (``execute cfg save``) and sets ``cfg-save automatic`` back. A refused line puts
the saved entries back in the same session and saves them, before the error is raised; ``rollback`` does
the same (rather than ``execute cfg reload``, which reboots the unit, failing the cluster over).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

from tier3.firewall.platforms.base import ACTIVE, STANDBY, UNKNOWN, DeviceError, Driver, HaState
from tier3.firewall.render.fortinet import MANAGED, TABLES

if TYPE_CHECKING:
    from netmiko import BaseConnection

SHOW_HA = "get system ha status"
OBJECT_TABLES = ("service custom", "address", "address6", "addrgrp", "addrgrp6")  # shared with predefined entries
DELETE_ORDER = ("local-in-policy6", "local-in-policy", "policy", "addrgrp6", "addrgrp", "address6", "address",
                "service custom")  # referrers before what they refer to
SAVE = "execute cfg save"
AUTOMATIC = ("config system global", "set cfg-save automatic", "end")
MIN_REVERT_SECONDS = 10  # FortiOS' least cfg-revert-timeout
ROLES = {"Primary": ACTIVE, "Secondary": STANDBY}
VCLUSTER = re.compile(r"^vcluster 1:\s*(?P<state>\S+)", re.MULTILINE)
UNIT = re.compile(r"^(?P<role>Primary|Secondary)\s*:\s*(?P<serial>[\w-]+),\s*HA operating index", re.MULTILINE)
SYNC = re.compile(r"^\s*(?P<serial>[\w-]+)\(updated [^)]*\):\s*(?P<sync>in-sync|out-of-sync)\s*$", re.MULTILINE)
MODE = re.compile(r"^Mode:\s*(?P<mode>.+?)\s*$", re.MULTILINE)
FAILED = re.compile(r"^Command fail\. Return code -?\d+")
SAVE_OK = "Configuration saved"


def parse_ha_status(text: str) -> HaState:
    """This unit's role from ``get system ha status``: the first unit listed under ``vcluster 1`` is the
    one the session is on (Primary or Secondary), the next its peer; in sync when every unit's
    Configuration Status is ``in-sync``."""
    vcluster = VCLUSTER.search(text)
    units = list(UNIT.finditer(text[vcluster.end():])) if vcluster is not None else []
    if vcluster is None or not units:
        mode = MODE.search(text)
        reason = f"Mode: {mode['mode']}" if mode else next((ln.strip() for ln in text.splitlines() if ln.strip()),
                                                           "no output")
        return HaState(UNKNOWN, detail=reason)
    syncs = [m["sync"] for m in SYNC.finditer(text)]
    in_sync = None if not syncs else all(s == "in-sync" for s in syncs)
    this = units[0]
    return HaState(ROLES[this["role"]], peer=units[1]["role"] if len(units) > 1 else "", in_sync=in_sync,
                   detail=f"vcluster 1: {vcluster['state']}; this unit {this['serial']}: {this['role']}")


def managed_block(text: str, table: str) -> list[str]:
    """The managed part of one table's ``show firewall <table>`` output: every entry of a policy table, the
    entries with the tier3 comment of an object table, without the device's ``set uuid`` lines."""
    entries: list[list[str]] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.startswith("    edit "):
            entries.append([line])
        elif entries and entries[-1][-1] != "    next" and (line.startswith("        ") or line == "    next"):
            entries[-1].append(line)
    marker = f'        set comment "{MANAGED}'
    kept = [e for e in entries if table not in OBJECT_TABLES or any(ln.startswith(marker) for ln in e)]
    body = [ln for e in kept for ln in e if not ln.startswith("        set uuid ")]
    return [f"config firewall {table}", *body, "end"]


def managed_text(outputs: dict[str, str]) -> str:
    """The managed part from each table's ``show`` output, in the renderer's table order."""
    return "".join(f"{line}\n" for table in TABLES for line in managed_block(outputs.get(table, ""), table))


def entry_keys(text: str) -> dict[str, list[str]]:
    """Each table's entry keys (as printed after ``edit``) in a managed-part text, in order."""
    keys: dict[str, list[str]] = {}
    table = ""
    for line in text.splitlines():
        if line.startswith("config firewall "):
            table = line.removeprefix("config firewall ")
        elif line.startswith("    edit "):
            keys.setdefault(table, []).append(line.removeprefix("    edit "))
    return keys


def replace_lines(text: str, previous: str) -> list[str]:
    """The configuration lines that turn the managed part ``previous`` into ``text``: delete every entry of
    ``previous`` (referrers first, a table's later entries first), then create ``text``'s entries."""
    keys = entry_keys(previous)
    deletes: list[str] = []
    for table in DELETE_ORDER:
        if keys.get(table):
            deletes += [f"config firewall {table}", *(f"delete {k}" for k in reversed(keys[table])), "end"]
    creates = [line.strip() for line in text.splitlines() if line.strip()]
    return [*deletes, *creates]


def revert_lines(revert_seconds: int) -> list[str]:
    """Arm the revert timer: changes from here on stay unsaved and are undone after ``revert_seconds``."""
    seconds = max(MIN_REVERT_SECONDS, revert_seconds)
    return ["config system global", "set cfg-save revert", f"set cfg-revert-timeout {seconds}", "end"]


def rejected(output: str, sent: list[str]) -> str | None:
    """The first line the device refused in ``send_config_set`` output, with its error, or None: FortiOS
    prints the error lines after the echoed command, ending ``Command fail. Return code N``."""
    current, since = "", list[str]()
    for raw in output.splitlines():
        line = raw.rstrip()
        echoed = max((c for c in sent if c and line.endswith(c)), key=len, default=None)
        if echoed is not None:
            current, since = echoed, []
        elif FAILED.match(line.strip()):
            return f"{current}: {'; '.join(since) or line.strip()}"
        elif line.strip():
            since.append(line.strip())
    return None


def show(conn: BaseConnection, command: str, **options: Any) -> str:
    """One command's output as text (Netmiko returns a list or dict only when asked to parse it)."""
    return str(conn.send_command(command, **options))


class Fortinet(Driver):
    platform: ClassVar[str] = "fortinet"
    device_type: ClassVar[str] = "fortinet"
    renderer: ClassVar[str] = "fortinet"
    syncs_config: ClassVar[bool] = True
    revert: ClassVar[str] = ("cfg-save revert: the push stays unsaved and the unit reboots on its saved configuration "
                             "unless execute cfg save confirms it within cfg-revert-timeout seconds")

    def __init__(self, read_timeout: float = 30.0) -> None:
        self.read_timeout = read_timeout  # seconds Netmiko waits for each line's prompt in the batch

    def ha_state(self, conn: BaseConnection) -> HaState:
        return parse_ha_status(show(conn, SHOW_HA))

    def running(self, conn: BaseConnection) -> str:
        return managed_text({table: show(conn, f"show firewall {table}") for table in TABLES})

    def push(self, conn: BaseConnection, intended: str, saved: str, revert_seconds: int) -> None:
        refused = self._send(conn, [*revert_lines(revert_seconds), *replace_lines(intended, saved)])
        if refused is not None:
            self.rollback(conn, saved)
            raise DeviceError("push", refused)

    def confirm(self, conn: BaseConnection) -> None:
        self._save(conn, "confirm")
        refused = self._send(conn, list(AUTOMATIC))
        if refused is not None:
            raise DeviceError("confirm", refused)

    def rollback(self, conn: BaseConnection, saved: str) -> None:
        refused = self._send(conn, replace_lines(saved, self.running(conn)))
        if refused is not None:
            raise DeviceError("rollback", refused)  # unsaved: the revert timer, where armed, still runs
        self.confirm(conn)

    def _save(self, conn: BaseConnection, step: str) -> None:
        output = show(conn, SAVE)
        if SAVE_OK not in output:
            lines = [ln.strip() for ln in output.splitlines() if ln.strip() and not FAILED.match(ln.strip())]
            raise DeviceError(step, lines[-1] if lines else output.strip())

    def _send(self, conn: BaseConnection, lines: list[str]) -> str | None:
        return rejected(str(conn.send_config_set(lines, read_timeout=self.read_timeout)), lines)
