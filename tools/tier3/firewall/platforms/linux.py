"""``linux``: a pair of Linux firewalls running nftables, with keepalived holding the pair's VIPs.

The pair does not sync its configuration: the workflow pushes to both members (the standby first).
- HA role: the VRRP state keepalived's notify script writes to ``$STATE/vrrp_state`` (MASTER is
  active, BACKUP standby, anything else unknown).
- Running policy: ``nft list ruleset``, compared with the render through ``canonical``.
- Push, one ``send_config_set``: the member saves its own running ruleset (``rollback.nft``, with
  ``flush ruleset`` first), receives the intended ruleset (gzip and base64 in a here-document, a few
  long lines), checks it (``nft -c -f``), arms the revert timer, then applies it (``nft -f``: one kernel
  transaction). The revert timer is armed by tier3 because Linux has none: a detached ``setsid`` process
  that sleeps the revert period and then loads ``rollback.nft``, unless ``confirm`` kills it first. It
  outlives the SSH session, so a push that loses its session rolls itself back.
``$STATE`` is ``$TIER3_FW_STATE`` when the login sets it (the lab's members do), else /var/lib/tier3-fw.
"""

from __future__ import annotations

import base64
import gzip
import re
from typing import TYPE_CHECKING, ClassVar

from tier3.firewall.platforms.base import ACTIVE, STANDBY, UNKNOWN, DeviceError, Driver, HaState
from tier3.firewall.render.linux_nftables import canonical

if TYPE_CHECKING:
    from netmiko import BaseConnection

STATE = '"${TIER3_FW_STATE:-/var/lib/tier3-fw}"'
ROLES = {"MASTER": ACTIVE, "BACKUP": STANDBY}
CHUNK = 3000  # base64 characters per here-document line (bash reads them with readline: no 4 KiB cap)
EOF_MARK = "TIER3_EOF"
# markers printed by the member, never by the echo of the command that prints them ($((6*7)) is 42)
DONE = "tier3: 42 {what}"
MARK = "tier3: $((6*7)) {what}"
READ_TIMEOUT = 120.0
ERROR_LINE = re.compile(r"^.*(?:Error: |No such file|Permission denied|command not found|Is a directory|"
                        r"No space left|Read-only file system).*$", re.M)


def _payload(text: str, target: str) -> list[str]:
    """Shell lines that write ``text`` to ``target`` on the member: gzip, base64, a here-document."""
    data = base64.b64encode(gzip.compress(text.encode(), mtime=0)).decode()
    lines = [f"base64 -d <<'{EOF_MARK}' | gzip -dc > {target}"]
    lines += [data[i:i + CHUNK] for i in range(0, len(data), CHUNK)]
    lines.append(EOF_MARK)
    return lines


def _failure(output: str, step: str) -> DeviceError:
    errors = [m.group(0).strip() for m in ERROR_LINE.finditer(output) if "tier3:" not in m.group(0)]
    return DeviceError(step, errors[0] if errors else f"the member did not print '{DONE.format(what=step)}'")


def parse_vrrp_state(text: str) -> HaState:
    """The role in the notify script's state file (``MASTER``), as an ``HaState``."""
    words = text.split()
    state = words[-1].upper() if words else ""
    return HaState(ROLES.get(state, UNKNOWN), detail=f"VRRP {state or 'state unknown (no vrrp_state)'}")


class LinuxNftables(Driver):
    platform: ClassVar[str] = "linux"
    device_type: ClassVar[str] = "linux"
    renderer: ClassVar[str] = "linux_nftables"
    syncs_config: ClassVar[bool] = False
    revert: ClassVar[str] = "armed by tier3: a detached timer on the member restores the saved ruleset"

    def canonical(self, text: str) -> str:
        return canonical(text)

    def ha_state(self, conn: BaseConnection) -> HaState:
        return parse_vrrp_state(str(conn.send_command(f"cat {STATE}/vrrp_state 2>/dev/null || echo NONE")))

    def running(self, conn: BaseConnection) -> str:
        return canonical(str(conn.send_command("nft list ruleset", read_timeout=READ_TIMEOUT)))

    def push(self, conn: BaseConnection, intended: str, saved: str,  # noqa: ARG002  (see below)
             revert_seconds: int) -> None:
        # The revert target is the member's own listing taken in the same session, just before the
        # change (exactly what it ran); ``saved`` is the controller's copy, which ``rollback`` loads.
        arm = ("setsid -f sh -c 'echo $$ > \"$0/revert.pid\"; sleep \"$1\"; nft -f \"$0/rollback.nft\" && "
               "echo \"$(date -u +%FT%TZ) reverted\" >> \"$0/revert.log\"; rm -f \"$0/revert.pid\"' "
               f"{STATE} {int(revert_seconds)}")
        lines = [
            f"mkdir -p {STATE} && chmod 700 {STATE}",
            f"{{ echo 'flush ruleset'; nft list ruleset; }} > {STATE}/rollback.nft.new && "
            f"mv {STATE}/rollback.nft.new {STATE}/rollback.nft",
            *_payload(intended, f"{STATE}/intended.nft"),
            f"nft -c -f {STATE}/intended.nft && {arm} && nft -f {STATE}/intended.nft && "
            f"echo \"{MARK.format(what='applied')}\"",
        ]
        output = conn.send_config_set(lines, cmd_verify=False, read_timeout=READ_TIMEOUT)
        if DONE.format(what="applied") not in output:
            raise _failure(output, "applied")

    def confirm(self, conn: BaseConnection) -> None:
        output = str(conn.send_command(
            f"if [ -f {STATE}/revert.pid ] && kill \"$(cat {STATE}/revert.pid)\" 2>/dev/null; then "
            f"rm -f {STATE}/revert.pid; echo \"{MARK.format(what='confirmed')}\"; else echo 'tier3: no timer'; fi"))
        if DONE.format(what="confirmed") not in output:
            raise DeviceError("confirm", "no revert timer was pending: it fired before the confirm, so the "
                                         "member is back on its saved ruleset")

    def rollback(self, conn: BaseConnection, saved: str) -> None:
        lines = [
            f"mkdir -p {STATE} && chmod 700 {STATE}",
            f"[ -f {STATE}/revert.pid ] && kill \"$(cat {STATE}/revert.pid)\" 2>/dev/null; rm -f {STATE}/revert.pid",
            *_payload("flush ruleset\n" + saved, f"{STATE}/restore.nft"),
            f"nft -f {STATE}/restore.nft && echo \"{MARK.format(what='restored')}\"",
        ]
        output = conn.send_config_set(lines, cmd_verify=False, read_timeout=READ_TIMEOUT)
        if DONE.format(what="restored") not in output:
            raise _failure(output, "restored")
