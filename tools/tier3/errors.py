"""The one error family shown to users: where it happened, what is wrong, how to fix it.

The CLI prints ``str(error)`` on one line and exits 2. Tracebacks are for bugs only.
"""

from __future__ import annotations


class Tier3Error(Exception):
    """Bad input from a user or a device: carries where, what and the fix."""

    exit_code = 2

    def __init__(self, source: str, where: str, message: str, hint: str = "") -> None:
        self.source = source
        self.where = where
        self.message = message
        self.hint = hint
        super().__init__(self.one_line())

    def one_line(self) -> str:
        place = f"{self.source}: {self.where}" if self.where else self.source
        text = f"{place}: {self.message}"
        return f"{text} (fix: {self.hint})" if self.hint else text


class InventoryError(Tier3Error):
    """An inventory that cannot be read, fails its schema, or names something undefined.

    ``where`` is the key path inside the file, e.g. ``tier3_host.power_supplies[1].pdu``.
    """


class ParseError(Tier3Error):
    """Tool output or a device answer that is not what its parser expects.

    ``where`` is a line (``line 12``) or a JSON pointer (``/PowerSupplies/0/Status``).
    """


class DeviceError(Tier3Error):
    """A device (BMC, firewall) that answered badly or not at all."""


class LabError(Tier3Error):
    """The local lab could not be built, started or removed."""


class ArchiveError(Tier3Error):
    """An archive operation refused or impossible: a purge of a held or unexpired object, a store that
    cannot be written, an object that is not what its address says.

    ``where`` names the object (its address) or the store file.
    """
