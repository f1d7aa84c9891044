"""Reading inventory YAML fast and safely: the C loader, ``!vault`` and ``!unsafe``, vault-encrypted files.

``read_yaml(path)`` returns the document, or ``ENCRYPTED`` for a whole file encrypted with
ansible-vault (tier3 never decrypts: it has no vault password and wants none). A ``!vault`` scalar
becomes a ``Vaulted`` marker: a ``str`` that says ``<vaulted>`` and holds no ciphertext or secret.
Jinja strings stay strings: nothing is templated. Every failure is an ``InventoryError`` naming
the file and, for YAML syntax, the line.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
from pathlib import Path
from typing import Any, Final, NamedTuple

import yaml

from tier3.errors import InventoryError

VAULT_HEADER: Final = b"$ANSIBLE_VAULT;"
PARALLEL_MIN_FILES: Final = 1000  # below this, starting worker processes costs more than it saves


class Vaulted(str):
    """A ``!vault`` value: known to be a secret, its content deliberately not kept."""

    __slots__ = ()

    def __new__(cls) -> Vaulted:
        return super().__new__(cls, "<vaulted>")

    def __repr__(self) -> str:
        return "Vaulted()"

    def __getnewargs__(self) -> tuple[()]:  # type: ignore[override]  # pickled without the placeholder text
        return ()


class _Encrypted:
    """Sentinel for a whole file encrypted with ansible-vault."""

    def __repr__(self) -> str:
        return "ENCRYPTED"

    def __reduce__(self) -> str:
        return "ENCRYPTED"  # pickled by name: still ``is ENCRYPTED`` after a trip through a worker process


ENCRYPTED: Final = _Encrypted()

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Tier3Loader(_BaseLoader):  # type: ignore[valid-type,misc]  # CSafeLoader is untyped in the stubs
    """The safe C loader plus Ansible's ``!vault`` and ``!unsafe`` tags."""


def _vault(loader: yaml.SafeLoader, node: yaml.Node) -> Vaulted:  # noqa: ARG001  (constructor signature)
    return Vaulted()


def _unsafe(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return str(loader.construct_scalar(node))
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    return None  # pragma: no cover  (the three node kinds are exhaustive)


Tier3Loader.add_constructor("!vault", _vault)
Tier3Loader.add_constructor("!unsafe", _unsafe)


def parse_yaml(text: str | bytes, source: str) -> Any:
    """Parse one YAML document; a syntax error becomes an ``InventoryError`` with its line."""
    try:
        return yaml.load(text, Loader=Tier3Loader)  # Tier3Loader is the safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        what = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        raise InventoryError(source, where, f"YAML syntax error: {what}", hint="fix the YAML at that line") from None
    except yaml.YAMLError as exc:
        raise InventoryError(source, "", f"YAML error: {exc}", hint="fix the YAML") from None


def read_yaml(path: Path, shown: str | None = None) -> Any:
    """The YAML document in ``path``, or ``ENCRYPTED``; ``shown`` is the name used in errors."""
    source = shown if shown is not None else str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InventoryError(
            source, "", f"cannot read: {exc.strerror or exc}", hint="check the path and its permissions"
        ) from None
    if data.startswith(VAULT_HEADER):
        return ENCRYPTED
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InventoryError(source, f"byte {exc.start}", "not UTF-8 text", hint="save the file as UTF-8") from None
    return parse_yaml(text, source)


def read_many(files: list[tuple[Path, str]]) -> list[Any]:
    """``read_yaml`` of each (path, shown), in order; an error comes back in place as its ``InventoryError``."""
    out: list[Any] = []
    for path, shown in files:
        try:
            out.append(read_yaml(path, shown))
        except InventoryError as exc:
            out.append(_Failed(exc.source, exc.where, exc.message, exc.hint))
    return out


class _Failed(NamedTuple):
    """An ``InventoryError`` as plain data (exceptions with extra arguments do not pickle back)."""

    source: str
    where: str
    message: str
    hint: str

    def error(self) -> InventoryError:
        return InventoryError(self.source, self.where, self.message, hint=self.hint)


def read_all(files: list[tuple[Path, str]], *, workers: int = 0) -> list[Any]:
    """Parse many YAML files, in ``workers`` forked processes when it pays (0: one per CPU).

    The C parser is fast but PyYAML builds the objects in Python: on 10,000 host_vars files that
    is most of the run, and it splits cleanly over processes. The first error raises.
    """
    count = workers or os.cpu_count() or 1
    if count < 2 or len(files) < PARALLEL_MIN_FILES or "fork" not in multiprocessing.get_all_start_methods():
        results = read_many(files)
    else:
        size = -(-len(files) // (count * 4))
        chunks = [files[i : i + size] for i in range(0, len(files), size)]
        with concurrent.futures.ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork")) as pool:
            results = [doc for part in pool.map(read_many, chunks) for doc in part]
    for doc in results:
        if isinstance(doc, _Failed):
            raise doc.error()
    return results
