"""The tier3.dc.tier3_files action and module, run for real through ansible-playbook on this machine (localhost,
connection local) in a temporary directory: templates rendered on the controller, created once and then unchanged,
every check run before anything is written, check mode and diff, secret files never shown, clear refusals.
About 10 s."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from support import localhost_play, run_playbook, task_results


def play(tmp: Path, tasks: list[dict[str, Any]], *extra: str) -> list[dict[str, Any]]:
    """Run ``tasks`` on localhost; the result of each task, in order."""
    playbook = tmp / "files.yml"
    playbook.write_text(localhost_play("Files", [{**t, "ignore_errors": True} for t in tasks], greeting="hello"),
                        encoding="utf-8")
    _, report = run_playbook(playbook, *extra)
    return task_results(report)


def files_task(**args: Any) -> dict[str, Any]:
    return {"name": "files", "tier3.dc.tier3_files": args}


def mode(path: Path) -> str:
    return f"{stat.S_IMODE(path.stat().st_mode):04o}"


@pytest.fixture
def where(tmp_path: Path) -> Path:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "greeting.j2").write_text(
        "{{ ansible_managed | comment }}\n{% if true %}\nsay {{ greeting }}\n{% endif %}\n", encoding="utf-8")
    return tmp_path


def test_renders_creates_then_leaves_alone(where: Path) -> None:
    out = where / "out"
    wanted = files_task(directories=[{"path": str(out / "conf.d"), "mode": "0750"}],
                        files=[{"dest": str(out / "conf.d" / "greeting.conf"), "src": "greeting.j2", "mode": "0640"},
                               {"dest": str(out / "plain"), "content": "plain\n", "mode": "0600"}])
    first, second = play(where, [wanted, wanted])
    assert first.get("failed") is not True, first
    assert first["changed"] is True
    assert [f["action"] for f in first["files"]] == ["created", "created", "created"]
    text = (out / "conf.d" / "greeting.conf").read_text(encoding="utf-8")
    assert text.startswith("#\n# Ansible managed")  # ansible_managed, as ansible.builtin.template gives it
    assert text.endswith("\nsay hello\n")  # trim_blocks: no blank line left by the {% %} lines
    assert mode(out / "conf.d") == "0750"
    assert mode(out / "conf.d" / "greeting.conf") == "0640"
    assert mode(out / "plain") == "0600"
    assert second["changed"] is False
    assert second["changed_files"] == []
    assert [f["action"] for f in second["files"]] == ["unchanged"] * 3


def test_mode_only_is_fixed_in_place_and_absent_removes(where: Path) -> None:
    target, gone = where / "a.conf", where / "gone.conf"
    target.write_text("same\n", encoding="utf-8")
    target.chmod(0o666)
    gone.write_text("x\n", encoding="utf-8")
    (result,) = play(where, [files_task(files=[{"dest": str(target), "content": "same\n", "mode": "0644"},
                                                {"dest": str(gone), "state": "absent"}])])
    assert [(f["action"], f["changes"]) for f in result["files"]] == [("attributes", ["mode"]), ("removed", ["exists"])]
    assert mode(target) == "0644"
    assert not gone.exists()


def test_check_mode_reports_and_diffs_without_writing(where: Path) -> None:
    target = where / "a.conf"
    target.write_text("old\n", encoding="utf-8")
    (result,) = play(where, [files_task(files=[{"dest": str(target), "content": "new\n", "mode": "0644"}])],
                     "--check", "--diff")
    assert result["changed"] is True
    assert result["changed_files"] == [str(target)]
    assert result["diff"] == [{"before_header": str(target), "after_header": str(target), "before": "old\n",
                               "after": "new\n"}]
    assert target.read_text(encoding="utf-8") == "old\n"


def test_a_failed_check_writes_nothing(where: Path) -> None:
    first, second = where / "first.conf", where / "second.conf"
    first.write_text("first old\n", encoding="utf-8")
    (result,) = play(where, [files_task(files=[
        {"dest": str(first), "content": "first new\n", "mode": "0644"},
        {"dest": str(second), "content": "refused\n", "mode": "0644", "validate": "grep -q accepted %s"}])])
    assert result["failed"] is True
    assert f"{second}: grep -q accepted " in result["msg"]
    assert "refused the new content (exit 1); nothing was written" in result["msg"]
    assert first.read_text(encoding="utf-8") == "first old\n"  # the other file's change did not land either
    assert not second.exists()


def test_validate_together_sees_every_file_by_name(where: Path) -> None:
    main, master = where / "main.cf", where / "master.cf"
    together = "grep -q smtpd %s/master.cf"
    good, bad = play(where, [
        files_task(files=[{"dest": str(main), "content": "a = 1\n", "mode": "0644"},
                          {"dest": str(master), "content": "smtp inet n - y - - smtpd\n", "mode": "0644"}],
                   validate_together=together),
        files_task(files=[{"dest": str(main), "content": "a = 2\n", "mode": "0644"},
                          {"dest": str(master), "content": "nothing\n", "mode": "0644"}],
                   validate_together=together)])
    assert good["changed"] is True, good
    assert bad["failed"] is True
    assert bad["msg"].startswith("validate_together: grep -q smtpd ")
    assert main.read_text(encoding="utf-8") == "a = 1\n"


def test_strict_validate_fails_on_a_warning(where: Path) -> None:
    target = where / "warned.conf"
    warns = "sh -c 'echo careful >&2' %s"
    lax, strict = play(where, [
        files_task(files=[{"dest": str(target), "content": "x\n", "mode": "0644", "validate": warns}]),
        files_task(files=[{"dest": str(target), "content": "y\n", "mode": "0644", "validate": warns}],
                   strict_validate=True)])
    assert lax["changed"] is True, lax
    assert strict["failed"] is True
    assert "warned about the new content; nothing was written: careful" in strict["msg"]
    assert target.read_text(encoding="utf-8") == "x\n"


def test_a_secret_is_never_shown(where: Path) -> None:
    target = where / "key"
    target.write_text("old secret\n", encoding="utf-8")
    (result,) = play(where, [files_task(files=[{"dest": str(target), "content": "new secret\n", "mode": "0600",
                                                 "secret": True}])], "--diff", "-v")
    shown = json.dumps(result)
    assert "secret\\n" not in shown.replace("(secret: not shown)\\n", "")
    assert result["diff"][0]["after"] == "(secret: not shown)\n"
    invocation = result["invocation"]["module_args"]["files"][0]["content"]
    assert invocation.startswith("(11 bytes, sha256 ")
    assert target.read_text(encoding="utf-8") == "new secret\n"


REFUSALS: list[tuple[dict[str, Any], str]] = [
    ({"content": "x\n", "mode": "644"}, "mode '644' must be an octal string with a leading 0"),
    ({"content": "x\n", "mode": "0x1"}, "is not an octal mode"),
    ({"content": "x\n"}, "no mode (fix: mode:"),
    ({"mode": "0644"}, "no content (fix: give src, a template, or content)"),
    ({"src": "nosuch.j2", "mode": "0644"}, "template 'nosuch.j2' not found"),
    ({"content": "x\n", "mode": "0644", "owner": "no-such-user-t3"}, "owner 'no-such-user-t3' does not exist"),
    ({"content": "x\n", "mode": "0644", "group": "no-such-group-t3"}, "group 'no-such-group-t3' does not exist"),
    ({"content": "x\n", "mode": "0644", "validate": "/no/such/checker %s"},
     "the check /no/such/checker is not installed"),
    ({"content": "x\n", "mode": "0644", "validate": "true"}, "has no %s for the new content"),
]


def test_refusals_name_the_file_and_the_fix(where: Path) -> None:
    targets = [where / f"refused{n}.conf" for n in range(len(REFUSALS))]
    results = play(where, [files_task(files=[{"dest": str(t), **entry}]) for t, (entry, _) in zip(targets, REFUSALS,
                                                                                                    strict=True)])
    for target, (entry, message), result in zip(targets, REFUSALS, results, strict=True):
        assert result["failed"] is True, entry
        assert message in result["msg"], (entry, result["msg"])
        assert not target.exists()
    (where / "taken").mkdir()
    (taken,) = play(where, [files_task(files=[{"dest": str(where / "taken"), "content": "x\n", "mode": "0644"}])])
    assert taken["failed"] is True
    assert "is a directory, not a file" in taken["msg"]


def test_copy_sends_a_controller_file_as_it_is_and_one_source_only(where: Path) -> None:
    program = where / "program.py"
    program.write_text('"""a {{ not_a_variable }} and {% raw %} stay as they are"""\n', encoding="utf-8")
    out = where / "out.py"
    copied, both = play(where, [files_task(files=[{"dest": str(out), "copy": str(program), "mode": "0644"}]),
                                files_task(files=[{"dest": str(out), "copy": str(program), "content": "x\n"}])])
    assert copied["changed"] is True
    assert out.read_text(encoding="utf-8") == program.read_text(encoding="utf-8")  # no templating
    assert both["failed"] is True
    assert "give one of src, copy and content" in both["msg"]
