"""What every recorded-session peer model keeps: the faults a test injects, the pair's shared state, the model.

A ``DeviceModel`` is one member of a firewall pair as its CLI behaves: a prompt per mode, output per
input line, the managed part of its running configuration (``running``, in the device's own form) and
what it does when a session is lost. The two members share a ``Cluster`` (which one is active; the
active copies its configuration to the standby where the platform syncs). ``Faults`` are set by a test
and read by the model (``reject``, ``fail_commit``) and by the server (``unreachable``, ``drop_after``,
``flip_role_after``). A revert timer does not run in real time: the test calls ``expire()`` to say
"the timer ran out". Output comes from recordings (``recording``), not from strings in code.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import ClassVar

RECORDINGS = Path(__file__).resolve().parents[2] / "fixtures" / "firewall" / "recordings"


@dataclass
class Faults:
    """Set by a test, read by the model and the server."""

    unreachable: bool = False  # the server closes the TCP connection at once: no SSH session
    reject: str | None = None  # a config line containing this substring gets the platform's error
    drop_after: int | None = None  # the server closes the channel after this many config-mode lines
    flip_role_after: int | None = None  # the pair's active member swaps after this many config lines
    fail_commit: bool = False  # the commit/save step reports the platform's commit failure


@dataclass
class Cluster:
    """What the two members share: which is active, and the members themselves (for config sync)."""

    active: int = 0  # index 0 or 1
    members: list[DeviceModel] = field(default_factory=list)  # filled by the models, in index order
    config_lines: int = 0  # config-mode lines either member has received (for ``flip_role_after``)

    def peer(self, index: int) -> DeviceModel:
        return self.members[1 - index]

    def config_line(self, faults: Faults) -> None:
        """Count one config-mode line; swap the active member when ``faults.flip_role_after`` is reached."""
        self.config_lines += 1
        if faults.flip_role_after is not None and self.config_lines == faults.flip_role_after:
            self.active = 1 - self.active


def recording(platform: str, name: str, **values: str) -> str:
    """The recording ``<platform>/<name>.txt`` without its header (the leading lines starting with ``#``),
    with ``$name`` placeholders filled from ``values`` (``string.Template``: braces stay as printed)."""
    lines = (RECORDINGS / platform / f"{name}.txt").read_text(encoding="utf-8").splitlines()
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return Template("\n".join(lines)).substitute(values)


class DeviceModel(ABC):
    """One member's CLI. ``handle`` gets one input line (without its end) and returns its output (without the
    echo and the prompt, which the server adds); ``prompt`` is the prompt of the current mode."""

    platform: ClassVar[str]  # the recordings' directory and the driver's platform key ("cisco_asa")
    # config-mode commands that leave a mode or set up the terminal: the faults do not count them
    uncounted: ClassVar[tuple[str, ...]] = ("end", "exit")

    def __init__(self, index: int, cluster: Cluster, faults: Faults, running: list[str]) -> None:
        self.index = index
        self.cluster = cluster
        self.faults = faults
        self.running = list(running)  # the managed part of its running config, device's own form
        self.logged_out = False  # set by ``handle`` when the user leaves the CLI: the server closes
        cluster.members.append(self)

    @property
    def active(self) -> bool:
        return self.cluster.active == self.index

    def recording(self, name: str, **values: str) -> str:
        return recording(self.platform, name, **values)

    def connected(self) -> None:
        """A new session starts: reset the per-session state (mode, pending input)."""
        self.logged_out = False

    def echoes(self) -> bool:
        """Whether the terminal echoes the next input line (not while a password is asked for)."""
        return True

    @abstractmethod
    def in_config(self) -> bool:
        """Whether the next line is a configuration-mode line (the server counts them for the faults)."""

    def counted(self, line: str) -> bool:
        """Whether ``line`` is a configuration line the faults count (``drop_after``, ``flip_role_after``)."""
        command = line.strip()
        return self.in_config() and bool(command) and not any(
            command == word or command.startswith(word + " ") for word in self.uncounted)

    @abstractmethod
    def banner(self) -> str:
        """What the device prints when a shell opens, before the first prompt."""

    @abstractmethod
    def prompt(self) -> str:
        """The current prompt (modes differ: ``fw1>``, ``fw1#``, ``fw1(config)#``)."""

    @abstractmethod
    def handle(self, line: str) -> str:
        """The output for one input line, without echo and prompt; lines separated by ``\\n``."""

    @abstractmethod
    def disconnected(self) -> None:
        """The session was lost without a logout: do what the device does (keep a pending revert timer,
        drop an uncommitted candidate)."""

    def expire(self) -> None:  # noqa: B027 (a platform without a revert timer keeps this no-op)
        """The device's revert timer ran out: revert where one is pending (a platform without one: nothing)."""
