"""Step lines with timing for long lab operations: ``→ step`` when it starts, ``✓ step (12.3 s)``
when it ends (a spinner in between on a terminal)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from rich.console import Console


class Steps:
    def __init__(self, console: Console | None = None, quiet: bool = False) -> None:
        self.console = console or Console(highlight=False, soft_wrap=True)
        self.quiet = quiet
        self.started = time.monotonic()

    def say(self, text: str) -> None:
        if not self.quiet:
            self.console.print(text, markup=False)

    @contextlib.contextmanager
    def step(self, text: str) -> Iterator[None]:
        began = time.monotonic()
        self.say(f"→ {text}")
        try:
            if self.quiet or not self.console.is_terminal:
                yield
            else:
                with self.console.status(text):
                    yield
        except BaseException:
            self.say(f"✗ {text} ({time.monotonic() - began:.1f} s)")
            raise
        self.say(f"✓ {text} ({time.monotonic() - began:.1f} s)")

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started
