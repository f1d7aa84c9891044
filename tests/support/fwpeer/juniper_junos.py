"""The recorded-session peer of a Juniper SRX chassis cluster node (a mock of the device).

What the flow relies on: the CLI (``user@host>``, with the node's ``{primary:node0}`` context line above
the prompt), ``configure``/``configure private`` (``[edit]``, ``user@host#``), a candidate configuration
(``set``/``delete`` change only the candidate; a private one is dropped on exit or a lost session),
``commit confirmed N`` (the previous commit is kept and comes back when the timer runs out:
``expire()``), a plain ``commit`` confirming it, ``rollback 0``, and one configuration for the whole
cluster: a commit on either node sets both nodes' running configuration, as chassis cluster does.
"""

from __future__ import annotations

from .base import Cluster, DeviceModel, Faults

OPERATIONAL, CONFIG, EXIT_QUESTION = "operational", "config", "exit-question"
CLI_SETTINGS = {  # Netmiko's session preparation and what Junos answers
    "set cli screen-width": "Screen width set to {}",
    "set cli complete-on-space": "Disabling complete-on-space",
    "set cli screen-length": "Screen length set to {}",
}
SHOW = {"show configuration security | display set": "set security ",
        "show configuration applications | display set": "set applications "}
EXITS = ("exit configuration-mode", "exit", "quit")


class JunosModel(DeviceModel):
    platform = "juniper_junos"

    def __init__(self, index: int, cluster: Cluster, faults: Faults, running: list[str]) -> None:
        super().__init__(index, cluster, faults, running)
        self.hostname = f"srx-node{index}"
        self.mode = OPERATIONAL
        self.private = False
        self.candidate: list[str] = []
        self.previous: list[str] | None = None  # the commit a pending ``commit confirmed`` returns to
        self.commands: list[str] = []  # every line received, for the tests

    # --- the session ------------------------------------------------------------------------------------

    def connected(self) -> None:
        super().connected()
        self.mode = OPERATIONAL

    def in_config(self) -> bool:
        return self.mode != OPERATIONAL

    def banner(self) -> str:
        return self.recording("banner") + "\n"

    def prompt(self) -> str:
        context = f"{{{'primary' if self.active else 'secondary'}:node{self.index}}}"
        if self.mode == EXIT_QUESTION:
            return "Exit with uncommitted changes? [yes,no] (yes) "
        if self.mode == CONFIG:
            return f"{context}[edit]\r\n{self.user()}# "
        return f"{context}\r\n{self.user()}> "

    def user(self) -> str:
        return f"tier3@{self.hostname}"

    def disconnected(self) -> None:
        """A lost session: a private candidate is gone; a pending ``commit confirmed`` keeps its timer."""
        if self.private:
            self.candidate = list(self.running)
        self.mode, self.private = OPERATIONAL, False

    def expire(self) -> None:
        """The ``commit confirmed`` timer ran out: the whole cluster returns to the previous commit."""
        for member in self.cluster.members:
            if isinstance(member, JunosModel) and member.previous is not None:
                member.running, member.previous = member.previous, None
                member.candidate = list(member.running)

    # --- lines ------------------------------------------------------------------------------------------

    def handle(self, line: str) -> str:
        line = line.strip()
        self.commands.append(line)
        if self.mode == EXIT_QUESTION:
            return self._answer_exit(line)
        if self.mode == CONFIG:
            return self._config(line)
        return self._operational(line)

    def _caret(self, line: str, token: str, name: str) -> str:
        column = len(f"{self.user()}# ") + max(line.find(token), 0)
        return self.recording(name, caret=" " * column + "^")

    def _operational(self, line: str) -> str:
        setting = next((c for c in CLI_SETTINGS if line.startswith(c)), None)
        if setting is not None:
            return CLI_SETTINGS[setting].format(line.rsplit(" ", 1)[-1])
        if line in SHOW:
            return "\n".join(entry for entry in self.running if entry.startswith(SHOW[line]))
        handler = {"": lambda: "", "show chassis cluster status": self._cluster_status, "configure": self._configure,
                   "configure private": self._configure, "exit": self._logout, "quit": self._logout}.get(line)
        return handler() if handler is not None else self._caret(line, line.split(maxsplit=1)[0], "unknown_command")

    def _cluster_status(self) -> str:
        statuses = {member.index: "primary" if member.active else "secondary" for member in self.cluster.members}
        return self.recording("chassis_cluster_status", node0=statuses[0], node1=statuses[1])

    def _configure(self) -> str:
        self.mode, self.private = CONFIG, self.commands[-1].endswith("private")
        self.candidate = list(self.running)
        return self.recording("configure_private") if self.private else "Entering configuration mode"

    def _logout(self) -> str:
        self.logged_out = True
        return ""

    def _config(self, line: str) -> str:
        if line in EXITS:
            return self._exit()
        verb = line.split(maxsplit=1)[0] if line else ""
        handler = {"": lambda _: "", "set": self._set, "delete": self._delete, "rollback": self._rollback,
                   "commit": self._commit}.get(verb)
        return handler(line) if handler is not None else self._caret(line, verb, "syntax_error")

    def _set(self, line: str) -> str:
        reject = self.faults.reject
        if reject is not None and reject in line:
            return self._caret(line, next(word for word in line.split() if reject in word or word in reject),
                               "syntax_error")
        if line not in self.candidate:
            self.candidate.append(line)
        return ""

    def _delete(self, line: str) -> str:
        prefix = "set " + line.removeprefix("delete ")
        kept = [entry for entry in self.candidate if entry != prefix and not entry.startswith(prefix + " ")]
        found = len(kept) != len(self.candidate)
        self.candidate = kept
        return "" if found else "warning: statement not found"

    def _rollback(self, line: str) -> str:
        if line != "rollback 0":
            return self._caret(line, line.rsplit(" ", 1)[-1], "syntax_error")
        self.candidate = list(self.running)
        return "load complete"

    def _exit(self) -> str:
        if self.candidate != self.running:
            self.mode = EXIT_QUESTION
            return self.recording("exit_uncommitted")
        self.mode, self.private = OPERATIONAL, False
        return "Exiting configuration mode"

    def _answer_exit(self, line: str) -> str:
        if line in ("", "yes"):
            self.mode, self.private = OPERATIONAL, False
            self.candidate = list(self.running)
            return "Exiting configuration mode"
        self.mode = CONFIG
        return ""

    def _commit(self, line: str) -> str:
        """``commit`` or ``commit confirmed [N]``: the candidate runs on every node of the cluster."""
        words = line.split()
        confirmed = words[1:2] == ["confirmed"]
        if self.faults.fail_commit:
            return self.recording("commit_failed")
        for member in self.cluster.members:  # one configuration for the cluster
            if not isinstance(member, JunosModel):
                continue
            if confirmed and member.previous is None:
                member.previous = list(member.running)
            if not confirmed:
                member.previous = None
            member.running = list(self.candidate)
            if member is not self:
                member.candidate = list(self.candidate)
        if confirmed:
            return self.recording("commit_confirmed", minutes=(words[2:] or ["10"])[0])
        return self.recording("commit")
