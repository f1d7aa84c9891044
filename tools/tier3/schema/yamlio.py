"""Reading inventory YAML fast and safely: the C loader, ``!vault`` and ``!unsafe``, vault-encrypted files.

``read_yaml(path)`` returns the document, or ``ENCRYPTED`` for a whole file encrypted with
ansible-vault (tier3 never decrypts: it has no vault password and wants none). A ``!vault`` scalar
becomes a ``Vaulted`` marker: a ``str`` that says ``<vaulted>`` and holds no ciphertext or secret;
an ``!unsafe`` string becomes ``Unsafe`` (Ansible never templates it: a literal, braces and all).
Jinja strings stay strings: nothing is templated.

Every file is read through ``tier3.sources.read_bytes``: regular files only, at most 64 MiB, so a
FIFO, a device or a huge file is refused before anything is read. A key set twice in one mapping
is kept last-wins, as Ansible does, and said in a note naming the file, the line and the key.
Every failure is an ``InventoryError`` naming the file and, for YAML syntax, the line.
"""

from __future__ import annotations

import concurrent.futures
import errno
import multiprocessing
import os
import stat
from pathlib import Path
from typing import Any, Final, NamedTuple

import yaml

from tier3.errors import InventoryError, ParseError
from tier3.sources import MAX_BYTES, MAX_MIB, STDIN, read_bytes

VAULT_HEADER: Final = b"$ANSIBLE_VAULT;"
PARALLEL_MIN_FILES: Final = 1000  # below this, starting worker processes costs more than it saves
READ_HINT: Final = "check the path and its permissions"


class Vaulted(str):
    """A ``!vault`` value: known to be a secret, its content deliberately not kept."""

    __slots__ = ()

    def __new__(cls) -> Vaulted:
        return super().__new__(cls, "<vaulted>")

    def __repr__(self) -> str:
        return "Vaulted()"

    def __getnewargs__(self) -> tuple[()]:  # type: ignore[override]  # pickled without the placeholder text
        return ()


class Unsafe(str):
    """An ``!unsafe`` string: Ansible never templates it, so a ``{{ ... }}`` in it is literal text."""

    __slots__ = ()


class _Encrypted:
    """Sentinel for a whole file encrypted with ansible-vault."""

    def __repr__(self) -> str:
        return "ENCRYPTED"

    def __reduce__(self) -> str:
        return "ENCRYPTED"  # pickled by name: still ``is ENCRYPTED`` after a trip through a worker process


ENCRYPTED: Final = _Encrypted()

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Tier3Loader(_BaseLoader):  # type: ignore[valid-type,misc]  # CSafeLoader is untyped in the stubs
    """The safe C loader plus Ansible's ``!vault`` and ``!unsafe`` tags; notes keys set twice.

    ``duplicates`` lists (line, key, line of its first setting) for every key repeated in one
    mapping. The check costs one length comparison per mapping: the dict built is shorter than the
    node's pairs only when a key repeats, and only then (or after a ``<<`` merge) are keys compared.
    """

    def __init__(self, stream: str | bytes) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, str, int]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        # SafeConstructor.flatten_mapping deletes '<<' pairs from this very list, then gives the
        # node a new list with the merged pairs in front: ``pairs`` keeps the explicit pairs
        pairs = node.value
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        if len(mapping) != len(pairs) or pairs is not node.value:
            self._note_duplicates(pairs)
        return mapping

    def _note_duplicates(self, pairs: list[tuple[yaml.Node, yaml.Node]]) -> None:
        first: dict[Any, int] = {}
        for key_node, _ in pairs:
            key = self.construct_object(key_node)  # built already: answered from the constructor's cache
            line = key_node.start_mark.line + 1
            if key in first:
                self.duplicates.append((line, str(key), first[key]))
            else:
                first[key] = line


def _vault(loader: yaml.SafeLoader, node: yaml.Node) -> Vaulted:  # noqa: ARG001  (constructor signature)
    return Vaulted()


def _unsafe(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return Unsafe(loader.construct_scalar(node))
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    return None  # pragma: no cover  (the three node kinds are exhaustive)


Tier3Loader.add_constructor("!vault", _vault)
Tier3Loader.add_constructor("!unsafe", _unsafe)


def duplicate_note(source: str, line: int, key: str, first: int) -> str:
    """The loader note for a key set twice in one mapping."""
    return (
        f"{source}: line {line}: key {key!r} is set twice in one mapping (first at line {first}); "
        "the last value wins, as in Ansible (fix: keep one)"
    )


def parse_yaml(text: str | bytes, source: str, notes: list[str] | None = None) -> Any:
    """Parse one YAML document; a syntax error becomes an ``InventoryError`` with its line.

    A key set twice in one mapping appends a note to ``notes`` (when given).
    """
    loader = Tier3Loader(text)  # the safe loader
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        what = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        raise InventoryError(source, where, f"YAML syntax error: {what}", hint="fix the YAML at that line") from None
    except yaml.YAMLError as exc:
        raise InventoryError(source, "", f"YAML error: {exc}", hint="fix the YAML") from None
    finally:
        loader.dispose()
    if notes is not None:
        notes.extend(duplicate_note(source, line, key, first) for line, key, first in loader.duplicates)
    return data


def read_yaml(path: Path, shown: str | None = None, notes: list[str] | None = None) -> Any:
    """The YAML document in ``path``, or ``ENCRYPTED``; ``shown`` is the name used in errors and notes."""
    source = shown if shown is not None else str(path)
    name = os.fspath(path)
    try:
        data = read_bytes(os.path.join(os.curdir, name) if name == STDIN else name, hint=READ_HINT)
    except ParseError as exc:
        raise refused(path, source, exc) from None
    if data.startswith(VAULT_HEADER):
        return ENCRYPTED
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InventoryError(source, f"byte {exc.start}", "not UTF-8 text", hint="save the file as UTF-8") from None
    return parse_yaml(text, source, notes)


def refused(path: Path, source: str, exc: ParseError) -> InventoryError:
    """Why ``read_bytes`` refused an inventory file, said for an inventory (one more stat, on this path only)."""
    try:
        found = os.stat(path)
    except OSError as error:
        return _unreadable(path, source, error)
    mode = found.st_mode
    what = (
        "a directory" if stat.S_ISDIR(mode)
        else "a FIFO (named pipe)" if stat.S_ISFIFO(mode)
        else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a socket" if stat.S_ISSOCK(mode)
        else ""
    )
    if what:
        return InventoryError(
            source, "", f"{what}, not a regular file",
            hint="an inventory file must be a regular file: tier3 never reads a FIFO or a device (it may block or "
                 "never end)",
        )
    if stat.S_ISREG(mode) and found.st_size > MAX_BYTES:
        return InventoryError(
            source, "", f"larger than {MAX_MIB} MiB: not an inventory file",
            hint="check the path: inventory files are far smaller (split a huge one into group_vars/host_vars files)",
        )
    return InventoryError(source, exc.where, exc.message, hint=READ_HINT)


def _unreadable(path: Path, source: str, error: OSError) -> InventoryError:
    if isinstance(error, FileNotFoundError) and os.path.islink(path):
        return InventoryError(
            source, "", f"a symbolic link to {os.readlink(path)}, which does not exist",
            hint="point the link at an existing file, or remove it",
        )
    if isinstance(error, FileNotFoundError):
        return InventoryError(source, "", "no such file", hint=READ_HINT)
    if error.errno == errno.ELOOP:
        return symlink_loop(source)
    return InventoryError(source, "", f"cannot read: {error.strerror or error}", hint=READ_HINT)


def symlink_loop(source: str) -> InventoryError:
    """A symbolic link that never resolves (it points, maybe through others, back at itself)."""
    return InventoryError(
        source, "", "a symbolic link that loops (Too many levels of symbolic links)",
        hint="point the link at a real file or directory, or remove it",
    )


def read_many(files: list[tuple[Path, str]]) -> tuple[list[Any], list[str]]:
    """``read_yaml`` of each (path, shown), in order, and the notes; an error comes back in place as its
    ``InventoryError`` (as plain data: it crosses a process boundary)."""
    out: list[Any] = []
    notes: list[str] = []
    for path, shown in files:
        try:
            out.append(read_yaml(path, shown, notes))
        except InventoryError as exc:
            out.append(_Failed(exc.source, exc.where, exc.message, exc.hint))
    return out, notes


class _Failed(NamedTuple):
    """An ``InventoryError`` as plain data (exceptions with extra arguments do not pickle back)."""

    source: str
    where: str
    message: str
    hint: str

    def error(self) -> InventoryError:
        return InventoryError(self.source, self.where, self.message, hint=self.hint)


def read_all(files: list[tuple[Path, str]], *, workers: int = 0, notes: list[str] | None = None) -> list[Any]:
    """Parse many YAML files, in ``workers`` forked processes when it pays (0: one per CPU).

    The C parser is fast but PyYAML builds the objects in Python: on 10,000 host_vars files that
    is most of the run, and it splits cleanly over processes. The first error raises; the notes
    (keys set twice) are appended to ``notes`` in file order.
    """
    count = workers or os.cpu_count() or 1
    if count < 2 or len(files) < PARALLEL_MIN_FILES or "fork" not in multiprocessing.get_all_start_methods():
        results, found = read_many(files)
    else:
        size = -(-len(files) // (count * 4))
        chunks = [files[i : i + size] for i in range(0, len(files), size)]
        results, found = [], []
        with concurrent.futures.ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork")) as pool:
            for docs, part_notes in pool.map(read_many, chunks):
                results.extend(docs)
                found.extend(part_notes)
    for doc in results:
        if isinstance(doc, _Failed):
            raise doc.error()
    if notes is not None:
        notes.extend(found)
    return results
