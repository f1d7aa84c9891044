"""Walking an inventory's directories as Ansible does, without following a link for ever.

Symbolic links are followed, but one that dangles or loops, or a linked directory that leads back
into a directory being read (a cycle), is an ``InventoryError`` naming the link. Only links cost a
``stat``/``realpath``: the real path of a plain subdirectory is its parent's plus its name.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path

from tier3.errors import InventoryError
from tier3.schema.yamlio import symlink_loop


def is_directory(path: Path | str, shown: str, *, missing_ok: bool = False) -> bool | None:
    """True for a directory, False for anything else, following links; None when absent (``missing_ok``).

    A link that dangles or loops is an ``InventoryError`` naming it (``shown``).
    """
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except FileNotFoundError:
        if os.path.islink(path):
            raise dangling(path, shown) from None
        if missing_ok:
            return None
        raise InventoryError(shown, "", "no such file or directory", hint="check the path") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise symlink_loop(shown) from None
        raise InventoryError(shown, "", f"cannot read: {exc.strerror or exc}", hint="check its permissions") from None


def dangling(path: Path | str, shown: str) -> InventoryError:
    return InventoryError(
        shown, "", f"a symbolic link to {os.readlink(path)}, which does not exist",
        hint="point the link at an existing file or directory, or remove it",
    )


def entries(directory: Path, shown: str) -> list[os.DirEntry[str]]:
    """The directory's entries, sorted by name, with the scandir handle closed."""
    try:
        with os.scandir(directory) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError as exc:
        raise InventoryError(
            shown, "", f"cannot read the directory: {exc.strerror or exc}", hint="check its permissions"
        ) from None


def entry_is_dir(entry: os.DirEntry[str], shown: Callable[[str], str], read: Callable[[str], bool]) -> bool | None:
    """Whether ``entry`` is a directory, following a link (a plain entry costs no stat: d_type answers).

    A link that dangles or loops is an error when ``read(name)`` says a file of that name would be
    read, and None (skip it) when the name is ignored anyway.
    """
    if not entry.is_symlink():
        return entry.is_dir(follow_symlinks=False)
    try:
        return stat.S_ISDIR(os.stat(entry.path).st_mode)
    except FileNotFoundError:
        if not read(entry.name):
            return None
        raise dangling(entry.path, shown(entry.path)) from None
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise InventoryError(
                shown(entry.path), "", f"cannot read: {exc.strerror or exc}", hint="check its permissions"
            ) from None
        if not read(entry.name):
            return None
        raise symlink_loop(shown(entry.path)) from None


def subdirectory(entry: os.DirEntry[str], real: str, above: tuple[str, ...], shown: Callable[[str], str]) -> str:
    """The real path of the subdirectory ``entry`` of the directory whose real path is ``real``.

    ``above`` holds the real paths of the directories being read around it; a link back to one of
    them, or to a directory that holds them, would be read for ever: an ``InventoryError`` naming it.
    """
    if not entry.is_symlink():
        return os.path.join(real, entry.name)  # a plain subdirectory: no system call
    target = os.path.realpath(entry.path)
    for outer in (real, *above):
        if os.path.commonpath((outer, target)) == target:
            raise InventoryError(
                shown(entry.path), "", f"a symbolic link to {target}, a directory being read already: a directory "
                "cycle", hint="remove the link, or point it at a directory outside the ones that contain it",
            )
    return target
