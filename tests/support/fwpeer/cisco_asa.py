"""The recorded-session peer of a Cisco ASA Active/Standby failover unit (a mock of the device).

What the flow relies on: user EXEC (``fw1>``), ``enable`` with a password, privileged EXEC (``fw1#``),
``configure terminal`` (the standby warns that it does not replicate, as the real one does), object
sub-modes, lines applied at once (no candidate), the active unit's running config replicated to the
standby, ``write memory`` saving both units' startup config, and ``show failover`` per unit. There is
no revert timer: a lost session leaves what was applied running (unsaved), as on the device.
"""

from __future__ import annotations

from .base import Cluster, DeviceModel, Faults

USER, PASSWORD, ENABLE, CONFIG = "user", "password", "enable", "config"
SUBMODES = {  # block header -> (sub-mode prompt, whether a new sub-line replaces the old one)
    "object network": ("config-network-object", True),
    "object service": ("config-service-object", True),
    "object-group network": ("config-network-object-group", False),
    "object-group service": ("config-service-object-group", False),
}
SUB_COMMANDS = ("host", "subnet", "range", "fqdn", "service", "network-object", "group-object", "service-object",
                "port-object", "icmp-object", "protocol-object", "description")
CLEARABLE = ("access-group", "access-list", "object-group", "object")
UNIT = ("Primary", "Secondary")


class AsaModel(DeviceModel):
    platform = "cisco_asa"
    uncounted = ("end", "exit", "terminal width")  # Netmiko sets the width in config mode on every login

    def __init__(self, index: int, cluster: Cluster, faults: Faults, running: list[str]) -> None:
        super().__init__(index, cluster, faults, running)
        self.hostname = f"fw{index + 1}"
        self.startup = list(running)
        self.mode = USER
        self.block: str | None = None  # the object or object-group being edited
        self.commands: list[str] = []  # every line received, for the tests

    def connected(self) -> None:
        super().connected()
        self.mode, self.block = USER, None

    def banner(self) -> str:
        return self.recording("banner") + "\n"

    def prompt(self) -> str:
        if self.mode == PASSWORD:
            return "Password: "
        if self.mode == USER:
            return f"{self.hostname}> "
        if self.mode == ENABLE:
            return f"{self.hostname}# "
        if self.block is not None:
            return f"{self.hostname}({SUBMODES[self._header(self.block)][0]})# "
        return f"{self.hostname}(config)# "

    def echoes(self) -> bool:
        return self.mode != PASSWORD

    def in_config(self) -> bool:
        return self.mode == CONFIG

    def disconnected(self) -> None:
        self.mode, self.block = USER, None

    def expire(self) -> None:
        """An ASA has no revert timer: what was applied stays running."""

    def handle(self, line: str) -> str:
        self.commands.append(line)
        command = line.strip()
        if self.mode == PASSWORD:
            self.mode = ENABLE
            return ""
        if not command:
            return ""
        if self.mode == CONFIG:
            return self._config(line, command)
        return self._exec(command)

    # --- EXEC ---------------------------------------------------------------------------------------------------

    def _exec(self, command: str) -> str:
        privileged = self.mode == ENABLE
        if command in ("exit", "logout", "quit"):
            self.logged_out = True
            return "\nLogoff\n"
        if command == "enable" and not privileged:
            self.mode = PASSWORD
            return ""
        if command in ("terminal pager 0", "enable"):
            return ""
        if command in ("show curpriv", "show failover"):
            return self._show(command, privileged)
        if privileged:
            return self._privileged(command)
        return self._invalid(command)

    def _show(self, command: str, privileged: bool) -> str:
        if command == "show curpriv":
            return self.recording("show_curpriv", level="15" if privileged else "1",
                                  mode="P_PRIV" if privileged else "P_UNPR")
        return self.recording("show_failover_active" if self.active else "show_failover_standby",
                              unit=UNIT[self.index], mate=UNIT[1 - self.index])

    def _privileged(self, command: str) -> str:
        if command.startswith("show running-config"):
            return self._show_running(command.removeprefix("show running-config").strip())
        if command in ("write memory", "write mem", "copy running-config startup-config"):
            return self._write_memory()
        if command in ("configure terminal", "conf t"):
            self.mode = CONFIG
            return "" if self.active else self.recording("standby_config_warning")
        return self._invalid(command)

    def _show_running(self, section: str) -> str:
        lines: list[str] = []
        block = False
        for line in self.running:
            if not line.startswith(" "):
                block = not section or line.split()[0] == section or line.startswith(section + " ")
            if block:
                lines.append(line)
        return "\n".join(lines)

    def _write_memory(self) -> str:
        if self.faults.fail_commit:
            return self.recording("write_memory_failed")
        for member in self.cluster.members:
            if isinstance(member, AsaModel):
                member.startup = list(member.running)
        return self.recording("write_memory")

    def _invalid(self, command: str) -> str:
        return self.recording("invalid_input", line=command, marker=" " * min(len(command), 2))

    # --- configuration ------------------------------------------------------------------------------------------

    def _config(self, line: str, command: str) -> str:
        if self.faults.reject is not None and self.faults.reject in line:
            return self._invalid(command)
        words = command.split()
        if self.block is not None and words[0] in SUB_COMMANDS:
            self._sub_line(command)
        elif command == "end":
            self.mode, self.block = ENABLE, None
        elif command == "exit":
            self.mode = ENABLE if self.block is None else CONFIG
            self.block = None
        elif command.startswith("terminal width"):
            self.block = None
        elif self._header(command) in SUBMODES and len(words) == 3:
            self._open_block(command)
        elif words[0] == "clear" and words[1:2] == ["configure"] and len(words) == 3 and words[2] in CLEARABLE:
            self._clear(words[2])
        elif words[0] in ("access-list", "access-group") or command.startswith("service resetinbound"):
            self.block = None
            self._add(command)
        elif words[0] == "no" and command.removeprefix("no ") in self.running:
            self.running.remove(command.removeprefix("no "))
        else:
            return self._invalid(command)
        self._replicate()
        return ""

    @staticmethod
    def _header(command: str) -> str:
        return " ".join(command.split()[:2])

    def _open_block(self, command: str) -> None:
        self.block = command
        if command not in self.running:
            self.running.append(command)

    def _block_range(self, header: str) -> tuple[int, int]:
        start = self.running.index(header)
        end = start + 1
        while end < len(self.running) and self.running[end].startswith(" "):
            end += 1
        return start, end

    def _sub_line(self, command: str) -> None:
        assert self.block is not None
        start, end = self._block_range(self.block)
        line = " " + command
        if SUBMODES[self._header(self.block)][1] and not command.startswith("description"):
            self.running[start + 1:end] = [line]
        elif line not in self.running[start + 1:end]:
            self.running.insert(end, line)

    def _clear(self, kind: str) -> None:
        kept: list[str] = []
        dropping = False
        for line in self.running:
            if not line.startswith(" "):
                first = line.split()[0]
                dropping = first == kind
            if not dropping:
                kept.append(line)
        self.running = kept

    def _add(self, command: str) -> None:
        if command not in self.running:
            self.running.append(command)

    def _replicate(self) -> None:
        """Failover copies each command the active unit runs to the standby; the standby copies nothing."""
        if self.active:
            self.cluster.peer(self.index).running = list(self.running)
