"""``tier3 drill NAME``: arguments, and bad input (exit 2, one line naming the key) before anything is touched."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tier3.cli import main


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("tier3 ")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(("argv", "says"), [
    (["drill", "dns-failover"], "argument NAME: invalid choice: 'dns-failover'"),
    (["drill"], "the following arguments are required: NAME"),
    (["drill", "lb-failover", "--duration", "1"], "argument --duration: expected 4 to 3600 seconds, got '1'"),
    (["drill", "lb-failover", "--duration", "soon"], "argument --duration: expected seconds, got 'soon'"),
    (["drill", "lb-failover", "--rate", "0"], "argument --rate: expected a rate above 0 and at most 50"),
    (["drill", "lb-failover", "--rate", "inf"], "argument --rate: expected a rate above 0 and at most 50"),
])
def test_bad_arguments_exit_2(argv: list[str], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert says in err


def _drop(*path: str | int) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        node: Any = data
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
    return edit


def _mailbox(data: dict[str, Any]) -> None:
    data["tier3_drill"]["mailbox"] = "nobody@lab.tier3.test"


def _lxc(data: dict[str, Any]) -> None:
    data["ansible_connection"] = "community.general.lxc"


# what the inventory lacks -> the drill, and the one line's piece naming the key
MISSING = {
    "tier3_drill": (_drop("tier3_drill"), "lb-failover", ": tier3_drill: missing (fix: declare tier3_drill:"),
    "mailbox": (_drop("tier3_drill", "mailbox"), "imap-failover", ": tier3_drill.mailbox: missing"),
    "mailbox user": (_mailbox, "mx-failover",
                     ": tier3_drill.mailbox: nobody@lab.tier3.test is not one of tier3_mail.users"),
    "tier3_mail": (_drop("tier3_mail"), "lb-failover", ": tier3_mail: missing"),
    "vips": (_drop("tier3_vips"), "lb-failover", ": tier3_vips: missing or empty"),
    "services": (_drop("tier3_vips", 1, "services"), "imap-failover", ": tier3_vips[1].services: missing"),
    "connection": (_lxc, "mx-failover", ": imap1: ansible_connection: no fault driver for connection "
                                        "'community.general.lxc'"),
}


@pytest.mark.parametrize(("edit", "drill", "says"), MISSING.values(), ids=MISSING.keys())
def test_an_inventory_without_what_the_drill_needs_exits_2_naming_the_key(
        write_inventory: Callable[..., Path], edit: Callable[[dict[str, Any]], None], drill: str, says: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    inventory = write_inventory(edit)
    assert main(["drill", drill, "-i", str(inventory)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    line = _one_line(err)
    assert line.startswith(f"tier3 drill: {inventory}")
    assert says in line


def test_a_drill_needs_its_pair(write_inventory: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    hosts = {"all": {"children": {
        "mx": {"hosts": {"mx1": {}}},
        "imap": {"hosts": {"imap1": {}, "imap2": {}}},
        "lb": {"hosts": {"lb1": {}, "lb2": {}}}}}}
    inventory = write_inventory(hosts=hosts)
    assert main(["drill", "mx-failover", "-i", str(inventory)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"{inventory}: groups.mx: the drill needs at least two hosts in group mx, found 1" in line


def test_members_that_cannot_be_read_stop_the_drill_before_any_kill(write_inventory: Callable[..., Path],
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The containers do not exist: reading the VIP's holders fails, and nothing is killed (exit 2)."""
    inventory = write_inventory()
    assert main(["drill", "lb-failover", "-i", str(inventory)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "vip:lab-smtp: cannot read the addresses of lb1, lb2 before the drill; nothing was killed" in line


def test_an_unreadable_inventory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "hosts.yml").write_text("all: [unclosed\n", encoding="utf-8")
    assert main(["drill", "lb-failover", "-i", str(tmp_path / "hosts.yml")]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "ansible-inventory failed" in line or "no host in the groups" in line


def test_help_lists_the_drills_their_runbooks_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["drill", "--help"]) == 0
    out = capsys.readouterr().out
    for name in ("lb-failover", "mx-failover", "imap-failover"):
        assert f"docs/runbooks/{name}.md" in out
        assert (Path(__file__).parents[3] / "docs" / "runbooks" / f"{name}.md").is_file()
    assert "exit status:" in out
    assert "  2    bad input" in out
