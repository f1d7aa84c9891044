"""The recorded-session peer of a FortiGate in an FGCP active-passive cluster (a mock of the device).

What the flow relies on: the prompt (``fw1 # ``, ``fw1 (address) # `` in a table, ``fw1 (smtp) # `` in an
entry), ``config <path>`` / ``edit`` / ``set`` / ``unset`` / ``delete`` / ``next`` / ``end``, an entry taking
effect at ``next`` (a lost session drops the entry being edited), references checked (a member or address
that does not exist is refused, an entry still referenced cannot be deleted), ``show firewall <table>``
printing the fields in the table's own order with the device's ``set uuid`` lines and FortiOS' predefined
entries, and one configuration for the cluster (FGCP synchronises it). ``config system global`` ``set
cfg-save revert`` keeps changes unsaved: ``execute cfg save`` saves them, ``execute cfg reload`` and the
revert timer (``expire()``) put the saved configuration back (the unit reboots on it); in the default
``automatic`` mode every change is saved at once. ``get system status`` (with ``| grep``), ``get system
console`` and ``get system ha status`` answer from the recordings, for Netmiko's session preparation too.
"""

from __future__ import annotations

import copy
import re
import uuid
from dataclasses import dataclass, field

from .base import Cluster, DeviceModel, Faults, recording

Entry = dict[str, str]  # field -> value, as typed after ``set <field> ``
Table = dict[str, Entry]  # entry key (name or policy id, unquoted) -> fields
TOP, BLOCK, EDIT = "top", "block", "edit"
PLATFORM = "fortinet"
NUMBERED = ("firewall policy", "firewall local-in-policy", "firewall local-in-policy6")
TABLES = ("firewall service custom", "firewall address", "firewall address6", "firewall addrgrp",
          "firewall addrgrp6", *NUMBERED)
SETTINGS = ("system global", "system console")  # blocks without entries
WITH_UUID = ("firewall address", "firewall address6", "firewall addrgrp", "firewall addrgrp6", *NUMBERED)
_LOCAL_IN = ("uuid", "intf", "srcaddr", "dstaddr", "action", "service", "schedule", "comments")
FIELD_ORDER = {  # the order ``show`` prints fields in, whatever order they were set in
    "firewall service custom": ("category", "protocol", "protocol-number", "tcp-portrange", "udp-portrange",
                                "comment"),
    "firewall address": ("uuid", "type", "subnet", "start-ip", "end-ip", "comment"),
    "firewall address6": ("uuid", "type", "ip6", "comment"),
    "firewall addrgrp": ("uuid", "member", "comment"),
    "firewall addrgrp6": ("uuid", "member", "comment"),
    "firewall policy": ("name", "uuid", "srcintf", "dstintf", "action", "srcaddr", "dstaddr", "srcaddr6", "dstaddr6",
                        "schedule", "service", "send-deny-packet", "logtraffic", "comments"),
    "firewall local-in-policy": _LOCAL_IN,
    "firewall local-in-policy6": _LOCAL_IN,
}
_V4, _V6 = ("firewall address", "firewall addrgrp"), ("firewall address6", "firewall addrgrp6")
REFERENCES = {  # (table, field) -> the tables its names must be in
    ("firewall addrgrp", "member"): _V4, ("firewall addrgrp6", "member"): _V6,
    ("firewall policy", "srcaddr"): _V4, ("firewall policy", "dstaddr"): _V4,
    ("firewall policy", "srcaddr6"): _V6, ("firewall policy", "dstaddr6"): _V6,
    ("firewall policy", "service"): ("firewall service custom",),
    ("firewall local-in-policy", "srcaddr"): _V4, ("firewall local-in-policy", "dstaddr"): _V4,
    ("firewall local-in-policy", "service"): ("firewall service custom",),
    ("firewall local-in-policy6", "srcaddr"): _V6, ("firewall local-in-policy6", "dstaddr"): _V6,
    ("firewall local-in-policy6", "service"): ("firewall service custom",),
}
TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')
HOSTS = ("fw1", "fw2")
SERIALS = ("FGVM08TM24000001", "FGVM08TM24000002")


def tokens(text: str) -> list[str]:
    """The words of a CLI line, quotes removed and escapes resolved."""
    return [re.sub(r"\\(.)", r"\1", m[1]) if m[1] is not None else m[2] for m in TOKEN.finditer(text)]


def quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def parse_show(text: str) -> dict[str, Table]:
    """Tables from ``show`` form (``config firewall X`` / ``edit`` / ``set`` / ``next`` / ``end``)."""
    tables: dict[str, Table] = {}
    table: Table | None = None
    entry: Entry | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("config "):
            table = tables.setdefault(line.removeprefix("config "), {})
        elif line.startswith("edit ") and table is not None:
            entry = table.setdefault(tokens(line)[1], {})
        elif line.startswith("set ") and entry is not None:
            name, _, value = line.removeprefix("set ").partition(" ")
            entry[name] = value
        elif line in ("next", "end"):
            entry = None
    return tables


@dataclass
class Config:
    """The cluster's one configuration (FGCP keeps it the same on both units): running and saved."""

    running: dict[str, Table]
    saved: dict[str, Table] = field(default_factory=dict)
    pending: bool = False  # revert mode with unsaved changes: the timer runs
    predefined: frozenset[tuple[str, str]] = frozenset()
    created: int = 0  # entries created so far (for their uuids)

    def mode(self) -> str:
        return self.running.get("system global", {}).get("", {}).get("cfg-save", "automatic")

    def changed(self) -> None:
        """A change took effect: saved at once in automatic mode; in revert mode the timer starts."""
        if self.mode() == "automatic":
            self.save()
        else:
            self.pending = self.running != self.saved

    def save(self) -> None:
        self.saved, self.pending = copy.deepcopy(self.running), False

    def reload(self) -> None:
        self.running, self.pending = copy.deepcopy(self.saved), False

    def new_uuid(self, path: str, key: str) -> str:
        self.created += 1
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"fwpeer:{path}:{key}:{self.created}"))


class FortinetModel(DeviceModel):
    platform = PLATFORM
    # the console setting Netmiko changes on every login and puts back on logout: not the flow's lines
    uncounted = ("end", "exit", "config system console", "set output")

    def __init__(self, index: int, cluster: Cluster, faults: Faults, running: list[str]) -> None:
        peer = next((m for m in cluster.members if isinstance(m, FortinetModel)), None)
        self.config: Config = peer.config if peer is not None else self._new_config()
        super().__init__(index, cluster, faults, running)
        self.hostname = HOSTS[index]
        self.mode = TOP
        self.path = ""
        self.key: str | None = None
        self.entry: Entry | None = None  # the entry being edited: takes effect at ``next``
        self.commands: list[str] = []  # every line received, for the tests

    @staticmethod
    def _new_config() -> Config:
        predefined = parse_show(recording(PLATFORM, "predefined"))
        running: dict[str, Table] = {table: dict(predefined.get(table, {})) for table in TABLES}
        running["system global"] = {"": {}}
        running["system console"] = {"": {"output": "more"}}
        names = frozenset((table, key) for table, entries in predefined.items() for key in entries)
        config = Config(running, predefined=names)
        config.save()
        return config

    # --- the managed part, as the tests see it ------------------------------------------------------------

    @property
    def running(self) -> list[str]:
        """The managed part in ``show`` form, without uuids and predefined entries (the renderer's form)."""
        lines: list[str] = []
        for table in TABLES:
            lines += self._show(table, uuids=False, predefined=False)
        return lines

    @running.setter
    def running(self, lines: list[str]) -> None:
        parsed = parse_show("\n".join(lines))
        for table in TABLES:
            kept = {k: e for k, e in self.config.running[table].items() if (table, k) in self.config.predefined}
            for key, entry in parsed.get(table, {}).items():
                kept[key] = ({"uuid": self.config.new_uuid(table, key)} if table in WITH_UUID else {}) | entry
            self.config.running[table] = kept
        self.config.save()

    # --- the session ---------------------------------------------------------------------------------------

    def connected(self) -> None:
        super().connected()
        self.mode, self.path, self.key, self.entry = TOP, "", None, None

    def in_config(self) -> bool:
        return self.mode != TOP

    def banner(self) -> str:
        return ""  # FortiOS prints no banner unless a pre-login banner is configured

    def prompt(self) -> str:
        if self.mode == EDIT:
            return f"{self.hostname} ({self.key}) # "
        if self.mode == BLOCK:
            return f"{self.hostname} ({self.path.split()[-1]}) # "
        return f"{self.hostname} # "

    def disconnected(self) -> None:
        """A lost session drops the entry being edited; the revert timer, if set, keeps running."""
        self.mode, self.path, self.key, self.entry = TOP, "", None, None

    def expire(self) -> None:
        """The revert timer ran out: the unit reboots on its saved configuration (FGCP: the cluster's)."""
        if self.config.pending:
            self.config.reload()

    # --- lines ---------------------------------------------------------------------------------------------

    def handle(self, line: str) -> str:
        command = line.strip()
        self.commands.append(command)
        if not command:
            return ""
        if self.mode != TOP and self.faults.reject is not None and self.faults.reject in command:
            return self._parse_error(command)
        handler = {TOP: self._top, BLOCK: self._block, EDIT: self._edit}[self.mode]
        return handler(command)

    def _parse_error(self, command: str) -> str:
        words = tokens(command)
        if words[0] == "set" and len(words) > 2:
            return self.recording("parse_error", kind="value", token=words[2])
        return self.recording("parse_error", kind="command", token=words[0])

    def _top(self, command: str) -> str:
        what, _, grep = command.partition(" | grep ")
        if what.startswith("config "):
            return self._enter(what.removeprefix("config "))
        answers = {
            "get system status": self._status,
            "get system console": lambda: self.recording("system_console", output=self._console()),
            "get system ha status": self._ha_status,
            "execute cfg save": self._save,
            "execute cfg reload": self._reload,
            "exit": self._logout,
        }
        if what.startswith("show "):
            path = what.removeprefix("show ")
            output = "\n".join(self._show(path)) if path in TABLES else self._parse_error(what)
        elif what in answers:
            output = answers[what]()
        else:
            return self._parse_error(what)
        return "\n".join(line for line in output.splitlines() if grep in line) if grep else output

    def _console(self) -> str:
        return self.config.running["system console"][""].get("output", "more")

    def _status(self) -> str:
        return self.recording("system_status", hostname=self.hostname, serial=SERIALS[self.index],
                              ha_role="primary" if self.active else "secondary")

    def _ha_status(self) -> str:
        roles = ["Primary" if self.cluster.active == i else "Secondary" for i in (0, 1)]
        this, peer = self.index, 1 - self.index
        return self.recording(
            "ha_status", role0=roles[0].ljust(12), role1=roles[1].ljust(12),
            primary_serial=SERIALS[self.cluster.active], this_serial=SERIALS[this], peer_serial=SERIALS[peer],
            this_sync="in-sync", peer_sync="in-sync", state="work" if self.active else "standby",
            octet="1" if self.active else "2", this_role=roles[this], peer_role=roles[peer])

    def _save(self) -> str:
        if self.faults.fail_commit:
            return self.recording("cfg_save_failed")
        self.config.save()
        return self.recording("cfg_save")

    def _reload(self) -> str:
        self.config.reload()
        self.logged_out = True  # the unit reboots on the saved configuration
        return self.recording("cfg_reload")

    def _logout(self) -> str:
        self.logged_out = True
        return ""

    def _enter(self, path: str) -> str:
        if path not in (*TABLES, *SETTINGS):
            return self.recording("parse_error", kind="command", token=path.rsplit(maxsplit=1)[-1])
        self.mode, self.path = BLOCK, path
        if path in SETTINGS:
            self.key, self.entry = "", copy.deepcopy(self.config.running[path][""])
        return ""

    def _block(self, command: str) -> str:
        words = tokens(command)
        if command == "end":
            if self.path in SETTINGS:
                self._commit()
            self.mode, self.path = TOP, ""
            return ""
        if self.path in SETTINGS:
            return self._set(words)
        if words[0] == "edit" and len(words) == 2:
            return self._open(words[1])
        if words[0] == "delete" and len(words) == 2:
            return self._delete(words[1])
        return self._parse_error(command)

    def _open(self, key: str) -> str:
        table = self.config.running[self.path]
        existing = table.get(key)
        if existing is not None:
            self.entry = copy.deepcopy(existing)
        else:
            self.entry = {"uuid": self.config.new_uuid(self.path, key)} if self.path in WITH_UUID else {}
        self.mode, self.key = EDIT, key
        return ""

    def _edit(self, command: str) -> str:
        words = tokens(command)
        if command in ("next", "end"):
            self._commit()
            self.mode = BLOCK if command == "next" else TOP
            if command == "end":
                self.path = ""
            return ""
        if command == "abort":
            self.mode, self.key, self.entry = BLOCK, None, None
            return ""
        if words[0] == "unset" and len(words) == 2:
            assert self.entry is not None
            self.entry.pop(words[1], None)
            return ""
        return self._set(words)

    def _set(self, words: list[str]) -> str:
        assert self.entry is not None
        if words[0] != "set" or len(words) < 3:
            return self.recording("parse_error", kind="command", token=words[0])
        name = words[1]
        for value in words[2:]:
            if not self._exists(REFERENCES.get((self.path, name), ()), value):
                return self.recording("entry_not_found", token=quote(value))
        raw = self.commands[-1].removeprefix("set").strip().removeprefix(name).strip()
        self.entry[name] = raw
        return ""

    def _exists(self, tables: tuple[str, ...], name: str) -> bool:
        return not tables or any(name in self.config.running[t] for t in tables)

    def _commit(self) -> None:
        """The entry being edited takes effect (``next``/``end``), in the cluster's one configuration."""
        assert self.key is not None
        assert self.entry is not None
        self.config.running[self.path][self.key] = self.entry
        self.key, self.entry = None, None
        self.config.changed()

    def _delete(self, key: str) -> str:
        table = self.config.running[self.path]
        if key not in table:
            return self.recording("delete_not_found")
        users = self._references(key)
        if users:
            return self.recording("entry_in_use", count=str(users))
        del table[key]
        self.config.changed()
        return ""

    def _references(self, key: str) -> int:
        """How many entries name ``key`` of the current table in a field that refers to it."""
        count = 0
        for (table, name), targets in REFERENCES.items():
            if self.path in targets:
                count += sum(key in tokens(entry.get(name, "")) for entry in self.config.running[table].values())
        return count

    # --- show ----------------------------------------------------------------------------------------------

    def _show(self, table: str, uuids: bool = True, predefined: bool = True) -> list[str]:
        order = FIELD_ORDER[table]
        lines = [f"config {table}"]
        for key, entry in self.config.running[table].items():
            if not predefined and (table, key) in self.config.predefined:
                continue
            lines.append(f"    edit {key if table in NUMBERED else quote(key)}")
            names = sorted(entry, key=lambda n: order.index(n) if n in order else len(order))
            lines += [f"        set {n} {entry[n]}" for n in names if uuids or n != "uuid"]
            lines.append("    next")
        lines.append("end")
        return lines

