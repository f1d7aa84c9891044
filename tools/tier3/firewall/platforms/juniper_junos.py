"""Juniper SRX chassis cluster (Junos) over Netmiko's ``juniper_junos`` driver.

The cluster has one configuration: a commit on either node runs on both (``node0: ... node1: commit
complete``), so ``syncs_config`` is true and the workflow pushes to the primary of redundancy group 0.
The managed part (``tier3.firewall.render.juniper_srx``) is four hierarchies the pair owns whole; a push
deletes them and sets the intended lines in one private candidate (``configure private``: a lost
session leaves nothing behind), then ``commit confirmed N``: Junos rolls back to the previous commit by
itself unless a plain ``commit`` confirms within N minutes. A rollback re-pushes the saved lines and
commits them (``rollback 1`` would undo whatever the last commit was, which is not ours when the push
failed before its commit, or on another member).
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any, ClassVar

from tier3.firewall.platforms.base import ACTIVE, STANDBY, UNKNOWN, DeviceError, Driver, HaState
from tier3.firewall.platforms.setcli import first_rejected, managed_set_lines

if TYPE_CHECKING:
    from netmiko import BaseConnection

# the hierarchies the pair owns whole, in the order ``display set`` prints them
MANAGED = ("security address-book global", "security policies", "security zones", "applications")
SHOW_SECURITY = "show configuration security | display set"
SHOW_APPLICATIONS = "show configuration applications | display set"
SHOW_CLUSTER = "show chassis cluster status"
CONFIGURE = "configure private"
ROLES = {"primary": ACTIVE, "secondary": STANDBY, "secondary-hold": STANDBY}
CONTEXT = re.compile(r"^\{(?P<role>[\w-]+):node(?P<node>\d+)\}", re.MULTILINE)
NODE_ROW = re.compile(r"^node(?P<node>\d+)\s+\d+\s+(?P<status>\S+)", re.MULTILINE)
ERROR = re.compile(r"^\s*(syntax error\.?|error: .*|unknown command\.?|invalid value.*)$", re.IGNORECASE)
MAX_CONFIRM_MINUTES = 65535
COMMITTED = "commit complete"  # printed by every node once its commit is in force
COMMIT_SECONDS = 120.0  # a cluster commit takes a while on a real SRX


def parse_chassis_cluster_status(text: str) -> HaState:
    """This node's role in redundancy group 0 (the control plane, which holds the configuration), from
    ``show chassis cluster status`` read with its trailing ``{primary:node0}`` context line, which names
    the node the session is on."""
    contexts = list(CONTEXT.finditer(text))
    group0 = text.partition("Redundancy group: 0 ")[2].partition("Redundancy group:")[0]
    statuses = {m["node"]: m["status"] for m in NODE_ROW.finditer(group0)}
    if not contexts or not statuses:
        reason = next((line.strip() for line in text.splitlines() if line.strip().startswith("error:")),
                      "no redundancy group 0 or node context in the output")
        return HaState(UNKNOWN, detail=reason)
    node = contexts[-1]["node"]
    status = statuses.get(node, contexts[-1]["role"])
    peer = next((s for n, s in statuses.items() if n != node), "")
    return HaState(ROLES.get(status, UNKNOWN), peer=peer, detail=f"node{node}: {status} (redundancy group 0)")


def managed_lines(text: str) -> str:
    """The managed part of ``display set`` output: the lines under ``MANAGED``, in order, each once."""
    return managed_set_lines(text, MANAGED)


def rejected(output: str, sent: list[str]) -> str | None:
    """The first line the device refused in ``send_config_set`` output, with its error, or None."""
    return first_rejected(output, sent, ERROR)


def commit_error(output: str) -> str:
    """The commit's own error lines, joined, from a failed commit's output."""
    errors = [line.strip() for line in output.splitlines() if "error:" in line]
    return "; ".join(errors) or output.strip().splitlines()[-1]


def confirm_minutes(revert_seconds: int) -> int:
    """``commit confirmed`` counts whole minutes: the revert time rounded up, within Junos' range."""
    return min(max(1, math.ceil(revert_seconds / 60)), MAX_CONFIRM_MINUTES)


def replace_lines(text: str) -> list[str]:
    """The configuration-mode lines that make the managed part ``text`` exactly."""
    return [*(f"delete {m}" for m in MANAGED), *(line for line in text.splitlines() if line.strip())]


class JuniperJunos(Driver):
    platform: ClassVar[str] = "juniper_junos"
    device_type: ClassVar[str] = "juniper_junos"
    renderer: ClassVar[str] = "juniper_srx"
    syncs_config: ClassVar[bool] = True
    revert: ClassVar[str] = ("commit confirmed N: Junos rolls the cluster back to the previous commit unless a "
                             "plain commit confirms within N minutes (the revert time rounded up to minutes)")

    def ha_state(self, conn: BaseConnection) -> HaState:
        return parse_chassis_cluster_status(show(conn, SHOW_CLUSTER, strip_prompt=False))

    def running(self, conn: BaseConnection) -> str:
        return managed_lines(show(conn, SHOW_SECURITY) + "\n" + show(conn, SHOW_APPLICATIONS))

    def push(self, conn: BaseConnection, intended: str, saved: str, revert_seconds: int) -> None:
        del saved  # Junos keeps the previous commit itself and returns to it when the timer runs out
        self._load(conn, replace_lines(intended), confirm_minutes(revert_seconds))

    def confirm(self, conn: BaseConnection) -> None:
        conn.config_mode(config_command=CONFIGURE)
        self._commit(conn, None)

    def rollback(self, conn: BaseConnection, saved: str) -> None:
        self._load(conn, replace_lines(saved), None)

    def _load(self, conn: BaseConnection, lines: list[str], minutes: int | None) -> None:
        """Set ``lines`` in a private candidate and commit them (confirmed for ``minutes`` when given)."""
        output = conn.send_config_set(lines, exit_config_mode=False, config_mode_command=CONFIGURE)
        refused = rejected(output, lines)
        if refused is not None:
            conn.exit_config_mode()  # a private candidate is discarded on exit: the device is as before
            raise DeviceError("push", refused)
        self._commit(conn, minutes)

    def _commit(self, conn: BaseConnection, minutes: int | None) -> None:
        command = "commit" if minutes is None else f"commit confirmed {minutes}"
        output = show(conn, command, expect_string=r"[>#]\s*$", strip_prompt=False, read_timeout=COMMIT_SECONDS)
        conn.exit_config_mode()  # a refused commit leaves a private candidate: discarded on exit
        if COMMITTED not in output:
            raise DeviceError("commit", commit_error(output))


def show(conn: BaseConnection, command: str, **options: Any) -> str:
    """One command's output as text (Netmiko returns a list or dict only when asked to parse it)."""
    return str(conn.send_command(command, **options))
