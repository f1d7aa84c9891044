"""Many inventory problems at once: every one is reported, not only the first."""

from __future__ import annotations

from collections.abc import Sequence

from tier3.errors import InventoryError


class InventorySchemaErrors(InventoryError):
    """All schema and reference errors of one inventory; ``errors`` lists each with file, key and fix."""

    def __init__(self, source: str, errors: Sequence[InventoryError]) -> None:
        self.errors = tuple(errors)
        count = len(self.errors)
        first = f"; first: {self.errors[0].one_line()}" if self.errors else ""
        super().__init__(
            source,
            "",
            f"{count} inventory error{'s' if count != 1 else ''}{first}",
            hint="fix each error listed by `tier3 validate`",
        )

    def lines(self) -> list[str]:
        """One line per error, in the order found (file, key path, problem, fix)."""
        return [e.one_line() for e in self.errors]
