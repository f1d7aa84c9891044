"""Shared test fixtures: ``golden`` files for renderers and reports.

``golden.check(name, text)`` compares ``text`` with ``tests/golden/<name>`` and fails with a unified
diff when they differ. ``pytest --update-golden`` writes the files instead; each file written is
listed at the end of the run ("golden files written"), so review the diff before committing. A
missing golden file always fails without the option: it is never created silently.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pytest

pytest_plugins = ("pytester",)  # tests/unit/test_golden.py runs the fixture in an inner session

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
UPDATE_OPTION = "--update-golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        UPDATE_OPTION, action="store_true", default=False,
        help="write tests/golden/* from what the tests produce instead of comparing (review the diff)",
    )


@dataclass(frozen=True)
class Written:
    """A golden file written under --update-golden."""

    path: Path
    created: bool
    added: int  # lines
    removed: int


@dataclass
class Golden:
    """Compares text with the golden file of a name, or (``update``) writes the file."""

    directory: Path
    update: bool = False
    written: list[Written] = field(default_factory=list)

    def path(self, name: str) -> Path:
        relative = PurePosixPath(name)
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise ValueError(f"golden name {name!r} must be a relative path inside {self.directory}")
        return self.directory.joinpath(*relative.parts)

    def check(self, name: str, text: str) -> None:
        path = self.path(name)
        old = path.read_bytes().decode("utf-8") if path.is_file() else None
        if self.update:
            if old != text:
                self._write(path, old, text)
            return
        if old is None:
            pytest.fail(f"golden file {self._shown(path)} is missing: run pytest {UPDATE_OPTION} to create it "
                        "(then review and commit it)", pytrace=False)
        if old != text:
            pytest.fail(f"output differs from the golden file {self._shown(path)} (- golden, + now); if the change "
                        f"is intended, run pytest {UPDATE_OPTION} and review the diff:\n" + diff(old, text, name),
                        pytrace=False)

    def _write(self, path: Path, old: str | None, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        changes = [line for line in diff(old or "", text, path.name).splitlines()[2:] if line[:1] in "+-"]
        added = sum(1 for line in changes if line.startswith("+"))
        self.written.append(Written(path, old is None, added, len(changes) - added))

    def _shown(self, path: Path) -> str:
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return str(path)


def diff(old: str, new: str, name: str) -> str:
    """A unified diff of two texts (``name`` in both headers), every line ending in a newline."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"golden/{name}", f"now/{name}"
    )
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


WRITTEN = pytest.StashKey[list[Written]]()


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    """``golden.check(name, text)`` against tests/golden/<name> (``--update-golden`` writes it)."""
    written = request.config.stash.setdefault(WRITTEN, [])
    return Golden(GOLDEN_DIR, update=bool(request.config.getoption(UPDATE_OPTION)), written=written)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    written = config.stash.get(WRITTEN, [])
    if config.getoption(UPDATE_OPTION):
        terminalreporter.section("golden files written")
        for entry in written:
            what = "created" if entry.created else "updated"
            terminalreporter.write_line(f"{what} {entry.path} (+{entry.added} -{entry.removed} lines)")
        if not written:
            terminalreporter.write_line("none: every golden file already matched")
