"""``tier3 inspect KIND SOURCE``: parse what a host or a BMC says, and judge it.

Each kind is an entry in ``KINDS`` (a table, never an if-chain): its ``inspect`` function takes
the SOURCE argument and the options and returns a JSON-ready report::

    {"kind": "mdstat", "source": "proc_mdstat.txt",
     "redundant": false,            # redundancy kinds; "encrypted": ... for encryption kinds
     ...parsed facts...,
     "findings": [Finding.to_dict(), ...]}

Bad input raises ``tier3.errors.ParseError`` (or ``DeviceError`` for a BMC that answers badly),
naming the source and the line or JSON pointer; the CLI turns it into one line and exit 2.

Linux tool kinds live in ``tier3.inspect.linux``; BMC kinds (redfish, ipmi-sdr) in
``tier3.inspect.bmc``. Both export ``KINDS: dict[str, Kind]``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class InspectOptions:
    """Options from the command line that some kinds use (BMC access)."""

    ca_file: str | None = None
    insecure: bool = False
    username_env: str = "TIER3_BMC_USERNAME"
    password_env: str = "TIER3_BMC_PASSWORD"
    timeout: float = 10.0
    retries: int = 2
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Kind:
    name: str
    summary: str
    verdict: str  # "redundant", "encrypted" or "facts": the top-level key the report carries
    inspect: Callable[[str, InspectOptions], dict[str, Any]]


def all_kinds() -> dict[str, Kind]:
    """Every kind, by name (imported on first use so ``tier3 validate`` does not pay for it)."""
    from tier3.inspect import bmc, linux  # noqa: PLC0415  lazy: validate must not import parsers

    return {**linux.KINDS, **bmc.KINDS}
