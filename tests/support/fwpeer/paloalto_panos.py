"""The recorded-session peer of a PAN-OS firewall in an active/passive HA pair (a mock of the device).

What the flow relies on: the operational prompt with the HA state (``user@host(active)>``), Netmiko's
session preparation (``set cli scripting-mode on``, ``set cli pager off``, ``show system info``),
``configure`` (``[edit]``, ``user@host(active)#``), a candidate configuration that outlives the session
(as on PAN-OS: a lost session leaves its changes in the candidate until ``revert config`` or a
commit), ``commit`` with HA config sync (the committing member's running configuration is copied to
the peer), ``show config running`` in set format, and ``show high-availability all`` per member.
There is no commit-confirmed: ``expire()`` has nothing to do.
"""

from __future__ import annotations

from .base import Cluster, DeviceModel, Faults

OPERATIONAL, CONFIG = "operational", "config"
QUIET = ("set cli scripting-mode", "set cli pager", "set cli terminal width", "set cli config-output-format")


class PanosModel(DeviceModel):
    platform = "paloalto_panos"

    def __init__(self, index: int, cluster: Cluster, faults: Faults, running: list[str]) -> None:
        super().__init__(index, cluster, faults, running)
        self.hostname = f"pa-fw{index + 1}"
        self.mode = OPERATIONAL
        self.candidate = list(running)  # shared by every session, as PAN-OS keeps one candidate
        self.jobs = 0
        self.commands: list[str] = []

    def connected(self) -> None:
        super().connected()
        self.mode = OPERATIONAL

    def in_config(self) -> bool:
        return self.mode == CONFIG

    def banner(self) -> str:
        return self.recording("banner") + "\n"

    def state(self) -> str:
        return "active" if self.active else "passive"

    def prompt(self) -> str:
        user = f"tier3@{self.hostname}({self.state()})"
        return f"[edit]\r\n{user}# " if self.mode == CONFIG else f"{user}> "

    def disconnected(self) -> None:
        """A lost session: the candidate keeps its changes (PAN-OS); there is no timer."""
        self.mode = OPERATIONAL

    def handle(self, line: str) -> str:
        line = line.strip()
        self.commands.append(line)
        return self._config(line) if self.mode == CONFIG else self._operational(line)

    def _operational(self, line: str) -> str:
        if not line or line.startswith(QUIET):
            return ""
        handler = {"show system info": self._system_info, "show high-availability all": self._ha,
                   "show config running": lambda: "\n".join(self.running), "configure": self._configure,
                   "exit": self._logout, "quit": self._logout}.get(line)
        return handler() if handler is not None else self.recording("unknown_command", command=line)

    def _system_info(self) -> str:
        return self.recording("system_info", hostname=self.hostname, octet=str(self.index + 1))

    def _ha(self) -> str:
        peer = self.cluster.peer(self.index)
        return self.recording("high_availability_all", local=self.state(), peer="passive" if self.active else "active",
                              local_octet=str(self.index + 1),
                              sync="synchronized" if peer.running == self.running else "not synchronized")

    def _configure(self) -> str:
        self.mode = CONFIG
        return "Entering configuration mode"

    def _logout(self) -> str:
        self.logged_out = True
        return ""

    def _config(self, line: str) -> str:
        verb = line.split(maxsplit=1)[0] if line else ""
        handler = {"": lambda _: "", "set": self._set, "delete": self._delete, "commit": self._commit,
                   "revert": self._revert, "exit": self._exit, "quit": self._exit}.get(verb)
        return handler(line) if handler is not None else self.recording("invalid_syntax")

    def _set(self, line: str) -> str:
        if self.faults.reject is not None and self.faults.reject in line:
            return self.recording("invalid_syntax")
        if line not in self.candidate:
            self.candidate.append(line)
        return ""

    def _delete(self, line: str) -> str:
        prefix = "set " + line.removeprefix("delete ")
        self.candidate = [entry for entry in self.candidate if entry != prefix and not entry.startswith(prefix + " ")]
        return ""

    def _revert(self, line: str) -> str:
        if line != "revert config":
            return self.recording("invalid_syntax")
        self.candidate = list(self.running)
        return ""

    def _exit(self, _line: str) -> str:
        self.mode = OPERATIONAL
        return ""

    def _commit(self, line: str) -> str:
        self.jobs += 1
        if line != "commit" or self.faults.fail_commit:
            return self.recording("commit_failed", job=str(self.jobs))
        self.running = list(self.candidate)
        peer = self.cluster.peer(self.index)  # HA config sync: the peer runs what this member committed
        peer.running = list(self.candidate)
        if isinstance(peer, PanosModel):
            peer.candidate = list(self.candidate)
        return self.recording("commit", job=str(self.jobs))
