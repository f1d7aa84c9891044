"""The interface every firewall platform's driver keeps: one class per platform, one table (``DRIVERS``).

A driver turns the pair workflow's verbs (``tier3.firewall.pair``) into one platform's commands over
a Netmiko connection the workflow opened: read the HA role, read the running policy in the form the
platform's renderer writes (so that the two compare line for line), push the intended policy batched
in one ``send_config_set`` with a revert timer the device keeps where it has one, confirm, and roll
back. Parsing is in pure functions beside each driver (``parse_*``), tested on recorded output.
A driver never logs a credential and never decides whether to push: the workflow does.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from netmiko import BaseConnection

ACTIVE, STANDBY, UNKNOWN = "active", "standby", "unknown"


@dataclass(frozen=True)
class HaState:
    """What one member says of the pair: its own role, its peer's, and whether the configuration is in
    sync where the platform reports it (None: it does not say)."""

    role: str  # ACTIVE, STANDBY or UNKNOWN
    peer: str = ""  # the peer's state as the member words it ("Standby Ready", "passive", "BACKUP")
    in_sync: bool | None = None
    detail: str = ""  # one line for the report ("This host: Primary - Active")


class DeviceError(Exception):
    """The device refused or failed a step: ``line`` is what it printed (the rejected command's error)."""

    def __init__(self, step: str, line: str) -> None:
        super().__init__(f"{step}: {line}")
        self.step = step
        self.line = line


class Driver(ABC):
    """One platform. Class attributes describe it; methods act on an open Netmiko connection."""

    platform: ClassVar[str]  # the key of tier3_firewall_pairs[].platform ("cisco_asa")
    device_type: ClassVar[str]  # Netmiko's device_type ("cisco_asa")
    renderer: ClassVar[str]  # the renderer's name in tier3.firewall.render.RENDERERS ("cisco_asa")
    syncs_config: ClassVar[bool]  # the active member copies its configuration to the standby itself
    revert: ClassVar[str]  # how a push whose session is lost rolls back, for the report and the docs
    has_revert_timer: ClassVar[bool] = True  # the device restores by itself a push nobody confirms

    def canonical(self, text: str) -> str:
        """``text`` (a render, or what ``running`` read) reduced to what the device holds, for comparing
        the two; the identity where the renderer already writes the read-back form."""
        return text

    def close(self, conn: BaseConnection) -> None:
        """End the session (Netmiko's own logout, unless the platform knows a quicker one)."""
        conn.disconnect()

    @abstractmethod
    def ha_state(self, conn: BaseConnection) -> HaState:
        """This member's HA role, read with the platform's own status command."""

    @abstractmethod
    def running(self, conn: BaseConnection) -> str:
        """The managed part of the running configuration, normalised to the renderer's form."""

    @abstractmethod
    def push(self, conn: BaseConnection, intended: str, saved: str, revert_seconds: int) -> None:
        """Apply ``intended`` (a renderer's output) in one batched ``send_config_set``, armed to revert to
        ``saved`` (this member's running policy, read before) after ``revert_seconds`` unless confirmed.
        Raise ``DeviceError`` naming the rejected line; the device is then as before or reverting."""

    @abstractmethod
    def confirm(self, conn: BaseConnection) -> None:
        """Keep what ``push`` applied: disarm the revert timer (and save where the platform needs it)."""

    @abstractmethod
    def rollback(self, conn: BaseConnection, saved: str) -> None:
        """Put ``saved`` back now (the push failed on this or another member)."""
