"""BMC I/O at the edge: the Redfish client (``tier3.bmc.redfish``) and the ipmitool runner
(``tier3.bmc.ipmi``). They read; ``tier3.parsers`` judges what they read.

Credentials (``Credentials``) come from environment variables named on the command line, or
from Ansible (vault) through ``InspectOptions.extra["credentials"]``; they are never printed,
logged, put in an error message or shown by ``repr``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

from tier3.errors import DeviceError


def split_url(url: str, expected: str) -> SplitResult:
    """``url`` split, with its port checked; a URL that cannot be parsed (``https://[::1``, a port out
    of range) is a DeviceError naming it and the expected form, never a ValueError."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # parsed lazily by urllib: make it fail here
    except ValueError as exc:
        raise DeviceError(url, "", f"not a valid URL ({exc})", hint=f"expected {expected}") from None
    return parts


def shown_size(size: int) -> str:
    """A byte limit as messages say it: ``64 MiB``, or ``4096 bytes`` when not whole MiB."""
    mib = 1024 * 1024
    return f"{size // mib} MiB" if size >= mib and size % mib == 0 else f"{size} bytes"


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)

    def __str__(self) -> str:
        return f"user {self.username!r}"

    @classmethod
    def from_env(cls, username_env: str, password_env: str, source: str) -> Credentials | None:
        """Credentials from two environment variables; None when neither is set.

        Errors name the variables, never their values.
        """
        user, password = os.environ.get(username_env), os.environ.get(password_env)
        if user is None and password is None:
            return None
        if not user or password is None:
            missing = username_env if not user else password_env
            raise DeviceError(
                source, "", f"{missing} is not set (or empty) while its partner is",
                hint=f"export both {username_env} and {password_env}, or neither for a BMC without auth",
            )
        return cls(user, password)
