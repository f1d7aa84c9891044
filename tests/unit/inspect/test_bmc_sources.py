"""The BMC kinds read through the one reader (``tier3.sources``) and its limits: a FIFO is refused
without waiting on it, a file or standard input over the cap is refused, an unreadable file is
named; saved Redfish trees read each file the same way and are capped in total; ipmitool's output
is capped too. Every refusal is exit 2 with one line naming the source, through ``tier3.cli.main``."""

from __future__ import annotations

import io
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tier3.bmc import Credentials
from tier3.bmc.ipmi import _run, read_sdr
from tier3.bmc.redfish import read_directory
from tier3.cli import main
from tier3.errors import DeviceError, ParseError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TREE = FIXTURES / "redfish" / "rack-server"
SDR = FIXTURES / "ipmi" / "sdr_healthy.txt"
KINDS = ("redfish", "ipmi-sdr")
WAIT = 10.0  # seconds: far more than a refusal takes, far less than a hang


def refuse(kind: str, source: str, capsys: pytest.CaptureFixture[str]) -> str:
    """``tier3 inspect KIND SOURCE --json`` in a thread that must end within WAIT seconds: exit 2,
    nothing on stdout, one line on stderr naming SOURCE (or the file inside the SOURCE tree)."""
    done: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: done.update(code=main(["inspect", kind, source, "--json"])),
                              daemon=True)
    thread.start()
    thread.join(WAIT)
    assert not thread.is_alive(), f"tier3 inspect {kind} {source} still running after {WAIT} s: it blocks"
    out, err = capsys.readouterr()
    assert (done["code"], out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith((f"tier3 inspect: {source}: ", f"tier3 inspect: {source}/"))
    assert "Traceback" not in err
    return err


def fifo(tmp_path: Path, name: str = "fifo") -> Path:
    path = tmp_path / name
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("kind", KINDS)
def test_fifo_as_source_is_refused_without_blocking(kind: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Nobody ever writes to this FIFO: opening it to read would wait for ever."""
    assert "a FIFO, not a regular file" in refuse(kind, str(fifo(tmp_path)), capsys)


@pytest.mark.parametrize("kind", KINDS)
def test_file_over_the_cap_is_refused(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tier3.sources.MAX_BYTES", 64)
    big = tmp_path / "big.txt"
    big.write_text(SDR.read_text() * 4 if kind == "ipmi-sdr" else '{"/redfish/v1": {}}' + " " * 100)
    assert big.stat().st_size > 64
    assert "MiB: not a tool output or device answer" in refuse(kind, str(big), capsys)


@pytest.mark.parametrize("kind", KINDS)
def test_stdin_over_the_cap_is_refused(kind: str, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tier3.sources.MAX_BYTES", 64)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"x" * 65)))
    assert "larger than" in refuse(kind, "-", capsys)


@pytest.mark.parametrize("kind", KINDS)
def test_stdin_at_the_cap_is_read(kind: str, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Exactly MAX_BYTES is still read (and then judged as what it is: here, not a valid input)."""
    monkeypatch.setattr("tier3.sources.MAX_BYTES", 64)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"x" * 64)))
    assert "larger than" not in refuse(kind, "-", capsys)


@pytest.mark.parametrize("kind", KINDS)
def test_unreadable_file_is_named(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """chmod 000; root reads it anyway, so the refusal the kernel gives anyone else is played too."""
    locked = tmp_path / "locked.txt"
    shutil.copy(SDR, locked)
    locked.chmod(0)
    if os.geteuid() == 0:
        real_open = os.open

        def deny(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
            if Path(path) == locked:
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr("tier3.sources.os.open", deny)
    assert "cannot read: Permission denied" in refuse(kind, str(locked), capsys)


def test_directory_as_ipmi_source_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "a directory, not a regular file" in refuse("ipmi-sdr", str(tmp_path), capsys)


# ---- saved Redfish trees: each file through the same reader, and a cap on the whole -------------

def _tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(TREE, tree)
    return tree


def test_fifo_inside_a_saved_tree_is_refused_without_blocking(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    tree = _tree(tmp_path)
    listing = tree / "Chassis" / "index.json"
    listing.unlink()
    os.mkfifo(listing)
    err = refuse("redfish", str(tree), capsys)
    assert err == f"tier3 inspect: {listing}: a FIFO, not a regular file (fix: save the tree in the DMTF mockup " \
                  "layout: one regular index.json file per resource)\n"


def test_fifo_as_the_service_root_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = _tree(tmp_path)
    (tree / "index.json").unlink()
    os.mkfifo(tree / "index.json")
    assert "a FIFO, not a regular file" in refuse("redfish", str(tree), capsys)


def test_one_file_of_a_tree_over_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = _tree(tmp_path)
    power = tree / "Chassis" / "1U" / "Power" / "index.json"
    monkeypatch.setattr("tier3.sources.MAX_BYTES", power.stat().st_size - 1)
    with pytest.raises(ParseError) as caught:
        read_directory(tree)
    assert caught.value.source == str(power.resolve())
    assert caught.value.message.startswith("larger than")


def test_a_tree_over_the_cap_in_total_names_the_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = _tree(tmp_path)
    largest = max(p.stat().st_size for p in tree.rglob("index.json"))
    monkeypatch.setattr("tier3.sources.MAX_BYTES", largest + 1)  # every file fits, the tree does not
    with pytest.raises(ParseError) as caught:
        read_directory(tree)
    assert caught.value.source == str(tree)
    assert caught.value.message == (f"the saved tree holds more than {largest + 1} bytes of documents: not one "
                                    "BMC's power resources")


def test_a_tree_with_too_many_documents_is_a_parse_error_naming_the_directory(tmp_path: Path) -> None:
    with pytest.raises(ParseError) as caught:
        read_directory(_tree(tmp_path), limit=3)
    assert caught.value.source == str(tmp_path / "tree")
    assert caught.value.message == "more than 3 documents to read; is the tree looping?"


def test_directory_link_in_a_tree_is_not_a_file(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    power = tree / "Chassis" / "1U" / "Power" / "index.json"
    power.unlink()
    power.mkdir()
    with pytest.raises(ParseError, match="a directory, not a regular file"):
        read_directory(tree)


# ---- ipmitool: its output is capped as any source ----------------------------------------------

def _fake_ipmitool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    fake = tmp_path / "ipmitool"
    fake.write_text(f"#!/bin/sh\n{body}\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")


def test_ipmitool_that_never_stops_printing_is_stopped_at_the_cap(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_ipmitool(tmp_path, monkeypatch, 'exec yes "PS1 Status       | 01h | ok  | 10.1 | Presence detected"')
    monkeypatch.setattr("tier3.sources.MAX_BYTES", 4096)
    with pytest.raises(DeviceError) as caught:
        read_sdr("ipmi://127.0.0.1", credentials=Credentials("u", "p"), timeout=5, retries=0)
    assert caught.value.one_line() == (
        "ipmi://127.0.0.1: ipmitool sdr type 'Power Supply' printed more than 4096 bytes in all; expected a few "
        "sensor lines (fix: check that HOST is a BMC and that ipmitool is the real one)")


def test_ipmitool_both_outputs_share_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each output alone fits, both together do not: the second call is the one refused."""
    line = "PS1 Status       | 01h | ok  | 10.1 | Presence detected"
    _fake_ipmitool(tmp_path, monkeypatch, f'for i in 1 2 3 4 5 6 7 8 9 10; do echo "{line}"; done')
    monkeypatch.setattr("tier3.sources.MAX_BYTES", 15 * (len(line) + 1))
    with pytest.raises(DeviceError, match="ipmitool sdr type 'Power Unit' printed more than"):
        read_sdr("ipmi://127.0.0.1", credentials=Credentials("u", "p"), timeout=5, retries=0)


def test_ipmitool_output_that_is_not_text_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_ipmitool(tmp_path, monkeypatch, "printf 'PS1\\000\\377'")
    with pytest.raises(ParseError) as caught:
        read_sdr("ipmi://127.0.0.1", credentials=Credentials("u", "p"), timeout=5, retries=0)
    assert (caught.value.source, caught.value.where) == ("ipmi://127.0.0.1", "byte 3")


def test_ipmitool_output_read_whole_when_within_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_ipmitool(tmp_path, monkeypatch, f"cat {SDR}")
    text = read_sdr("ipmi://127.0.0.1", credentials=Credentials("u", "p"), timeout=5, retries=0)
    assert text == SDR.read_text() * 2


def test_ipmitool_that_hangs_is_stopped_at_the_timeout() -> None:
    started = time.monotonic()
    done = _run(["sleep", "60"], dict(os.environ), 0.2, 1024)
    assert (done.timed_out, done.returncode) == (True, None)
    assert time.monotonic() - started < WAIT
