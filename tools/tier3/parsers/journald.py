"""journald.conf and its drop-ins -> the settings systemd-journald runs with. Pure.

Expected input: the text of ``/etc/systemd/journald.conf``, or a mapping of path -> text of it and of
its drop-ins (``/etc/systemd/journald.conf.d/*.conf``, ``/run/...``, ``/usr/lib/...``), as the host
evidence module reads them. systemd's order is kept: the main file first, then every drop-in sorted by
file name whatever its directory, a name in ``/etc`` hiding the same name in ``/run`` and that one the
same name in ``/usr/lib``; a later assignment wins, an empty one (``Storage=``) resets to the default.
Only the ``[Journal]`` section counts; comments start with ``#`` or ``;``.

A time span is systemd's (``1year``, ``400day``, ``12month 2w``, ``3600``: seconds without a unit);
a size is a number with an optional K, M, G, T, P or E (base 1024). A value journald would refuse
(``MaxRetentionSec=forever``, ``Storage=disk``) is refused here too, naming the file and line: journald
ignores it and runs with the default, which is not what the file says.

Facts only: whether they meet the policy is for the observed rules (``tier3.rules.observed.logs``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from tier3.errors import ParseError
from tier3.parsers._text import check_text

MAIN = "/etc/systemd/journald.conf"
DROPIN_DIRS = ("/etc/systemd/journald.conf.d", "/run/systemd/journald.conf.d", "/usr/local/lib/systemd/journald.conf.d",
               "/usr/lib/systemd/journald.conf.d")  # most important first (systemd.unit(5))
STORAGES = ("volatile", "persistent", "auto", "none")
DEFAULT_STORAGE = "auto"  # journald.conf(5)
SPAN_KEYS = ("MaxRetentionSec", "MaxFileSec")
SIZE_KEYS = ("SystemMaxUse", "SystemKeepFree", "SystemMaxFileSize", "RuntimeMaxUse")
SECTION = "Journal"

_SECOND_UNITS: dict[str, float] = {
    **dict.fromkeys(("usec", "us", "µs"), 1e-6), **dict.fromkeys(("msec", "ms"), 1e-3),
    **dict.fromkeys(("seconds", "second", "sec", "s", ""), 1.0),
    **dict.fromkeys(("minutes", "minute", "min", "m"), 60.0),
    **dict.fromkeys(("hours", "hour", "hr", "h"), 3600.0), **dict.fromkeys(("days", "day", "d"), 86400.0),
    **dict.fromkeys(("weeks", "week", "w"), 604800.0), **dict.fromkeys(("months", "month", "M"), 2629800.0),
    **dict.fromkeys(("years", "year", "y"), 31557600.0),
}
_SPAN_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Zµ]*)")
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([KMGTPE]?)B?$", re.IGNORECASE)
_SIZE_FACTOR = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40, "P": 1 << 50, "E": 1 << 60}


@dataclass(frozen=True)
class Setting:
    """The assignment in force of one key: its value and the file and line that made it."""

    value: str
    file: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.file} line {self.line}"


@dataclass(frozen=True)
class JournaldConfig:
    files: tuple[str, ...]  # in the order applied
    settings: Mapping[str, Setting]  # key of [Journal] -> its assignment in force (none: the default)

    @property
    def storage(self) -> str:
        said = self.settings.get("Storage")
        return said.value if said is not None else DEFAULT_STORAGE

    @property
    def max_retention_s(self) -> float | None:
        """Seconds after which journald deletes entries; None when no time limit is set (0, unset)."""
        said = self.settings.get("MaxRetentionSec")
        seconds = span_seconds(said.value) if said is not None else None
        return seconds or None

    def size_bytes(self, key: str) -> int | None:
        said = self.settings.get(key)
        return size_bytes(said.value) if said is not None else None

    def shown(self, keys: Iterable[str]) -> dict[str, dict[str, str]]:
        """Each of ``keys`` set, in that order: its value and the file and line that set it (the evidence)."""
        return {k: {"value": s.value, "at": s.where} for k in keys if (s := self.settings.get(k)) is not None}


def span_seconds(text: str) -> float | None:
    """systemd time span -> seconds (``infinity``: None); ValueError when it is not one."""
    text = text.strip()
    if not text:
        raise ValueError(text)
    if text == "infinity":
        return None
    total, at = 0.0, 0
    while at < len(text):
        part = _SPAN_PART.match(text, at)
        if part is None or part.end() == at or part.group(2) not in _SECOND_UNITS:
            raise ValueError(text)
        total += float(part.group(1)) * _SECOND_UNITS[part.group(2)]
        at = part.end()
    return total


def size_bytes(text: str) -> int:
    """journald size (``4G``, ``512M``, ``1048576``) -> bytes; ValueError when it is not one."""
    found = _SIZE.match(text.strip())
    if found is None:
        raise ValueError(text)
    return int(float(found.group(1)) * _SIZE_FACTOR[found.group(2).upper()])


def applied_order(paths: list[str]) -> list[str]:
    """The files in the order systemd reads them: the main file, then the drop-ins by file name (one per
    name: the most important directory's); a path outside these places comes last, in the order given."""
    rank = {d: i for i, d in enumerate(DROPIN_DIRS)}
    dropins: dict[str, str] = {}
    others = []
    for path in paths:
        p = PurePosixPath(path)
        if str(p.parent) in rank and p.suffix == ".conf":
            seen = dropins.get(p.name)
            if seen is None or rank[str(p.parent)] < rank[str(PurePosixPath(seen).parent)]:
                dropins[p.name] = path
        elif path != MAIN:
            others.append(path)
    return [*([MAIN] if MAIN in paths else []), *(dropins[n] for n in sorted(dropins)), *others]


def _check_value(key: str, value: str, file: str, line: int) -> None:
    hint = "fix the value (journald.conf(5)); journald ignores it and runs with the default"
    if key == "Storage" and value not in STORAGES:
        raise ParseError(file, f"line {line}", f"Storage={value}: expected one of {', '.join(STORAGES)}", hint=hint)
    try:
        if key in SPAN_KEYS:
            span_seconds(value)
        elif key in SIZE_KEYS:
            size_bytes(value)
    except ValueError:
        raise ParseError(file, f"line {line}", f"{key}={value}: expected a "
                         f"{'time span (400day, 1year, 3600)' if key in SPAN_KEYS else 'size (4G, 512M)'}",
                         hint=hint) from None


def _assignments(text: str, file: str) -> list[tuple[str, str, int]]:
    if not isinstance(text, str):
        raise ParseError(file, "", f"expected journald.conf as text, got {type(text).__name__}")
    if "\x00" in text:
        raise ParseError(file, f"line {text.count(chr(10), 0, text.index(chr(0))) + 1}",
                         "binary data (NUL byte): expected journald.conf")
    section = ""
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                raise ParseError(file, f"line {number}", f"{line!r}: a section header must end with ]",
                                 hint="write [Journal]")
            section = line[1:-1].strip()
            continue
        key, eq, value = line.partition("=")
        if not eq or not key.strip():
            raise ParseError(file, f"line {number}", f"{line!r}: expected KEY=VALUE or a [Section]",
                             hint="journald ignores the line: fix or remove it")
        if section == SECTION:
            key, value = key.strip(), value.strip()
            if value:
                _check_value(key, value, file, number)
            out.append((key, value, number))
    return out


def parse_journald(raw: str | Mapping[str, str], source: str = "-") -> JournaldConfig:
    """journald.conf (text) or path -> text of it and its drop-ins -> the settings in force. One text (a
    saved file) must hold something; in a host's set of files an empty drop-in is a file that sets nothing."""
    if isinstance(raw, str):
        check_text(raw, source, "journald.conf")
    texts = {source: raw} if isinstance(raw, str) else dict(raw)
    if not texts:
        raise ParseError(source, "", "no journald configuration given",
                         hint=f"give {MAIN} and the drop-ins of {DROPIN_DIRS[0]}")
    settings: dict[str, Setting] = {}
    order = applied_order(list(texts))
    for path in order:
        for key, value, line in _assignments(texts[path], path):
            if value:
                settings[key] = Setting(value, path, line)
            else:
                settings.pop(key, None)
    return JournaldConfig(tuple(order), settings)
