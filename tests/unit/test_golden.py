"""The ``golden`` fixture of tests/conftest.py, run in an inner pytest session (pytester).

Missing file: fails and says how to create it, writes nothing. Same text: passes. Other text:
fails with a unified diff, leaves the file. ``--update-golden``: writes the file, byte for byte,
and the run lists what it wrote.
"""

from __future__ import annotations

from pathlib import Path

import pytest

CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"
TEST = """
def test_render(golden):
    golden.check("render/out.txt", {text!r})
"""
OLD = "first line\nsecond line\n"
NEW = "first line\nsecond line, changed\n"


@pytest.fixture
def inner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # the inner session needs no installed plugin
    pytester.makeconftest(CONFTEST.read_text(encoding="utf-8"))
    return pytester


def golden_file(pytester: pytest.Pytester) -> Path:
    return pytester.path / "golden" / "render" / "out.txt"


def run(pytester: pytest.Pytester, text: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_render=TEST.format(text=text))
    return pytester.runpytest("-p", "no:cacheprovider", *args)


def test_missing_golden_file_fails_and_says_how_to_create_it(inner: pytest.Pytester) -> None:
    result = run(inner, OLD)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*golden file *render/out.txt is missing: run pytest --update-golden to create it*"])
    assert not golden_file(inner).exists()


def test_update_creates_the_file_and_reports_it(inner: pytest.Pytester) -> None:
    result = run(inner, OLD, "--update-golden")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*golden files written*", "created *render/out.txt (+2 -0 lines)"])
    assert golden_file(inner).read_bytes() == OLD.encode()


def test_same_text_passes(inner: pytest.Pytester) -> None:
    golden_file(inner).parent.mkdir(parents=True)
    golden_file(inner).write_text(OLD)
    result = run(inner, OLD)
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*golden files written*")


def test_other_text_fails_with_a_unified_diff_and_keeps_the_file(inner: pytest.Pytester) -> None:
    golden_file(inner).parent.mkdir(parents=True)
    golden_file(inner).write_text(OLD)
    result = run(inner, NEW)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*output differs from the golden file *render/out.txt*run pytest --update-golden*",
        "--- golden/render/out.txt",
        "+++ now/render/out.txt",
        "@@ -1,2 +1,2 @@",
        " first line",
        "-second line",
        "+second line, changed",
    ])
    assert golden_file(inner).read_text() == OLD


def test_update_rewrites_a_changed_file_and_leaves_a_matching_one(inner: pytest.Pytester) -> None:
    golden_file(inner).parent.mkdir(parents=True)
    golden_file(inner).write_text(OLD)
    result = run(inner, NEW, "--update-golden")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*golden files written*", "updated *render/out.txt (+1 -1 lines)"])
    assert golden_file(inner).read_text() == NEW
    again = run(inner, NEW, "--update-golden")
    again.assert_outcomes(passed=1)
    again.stdout.fnmatch_lines(["*golden files written*", "none: every golden file already matched"])


def test_a_missing_final_newline_shows_in_the_diff(inner: pytest.Pytester) -> None:
    golden_file(inner).parent.mkdir(parents=True)
    golden_file(inner).write_text(OLD)
    result = run(inner, OLD.rstrip("\n"))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["+second line", "\\ No newline at end of file"])


@pytest.mark.parametrize("name", ["../escape.txt", "/etc/passwd", ""])
def test_a_name_must_stay_inside_the_golden_directory(inner: pytest.Pytester, name: str) -> None:
    inner.makepyfile(test_name=f"""
import pytest

def test_name(golden):
    with pytest.raises(ValueError, match="must be a relative path"):
        golden.check({name!r}, "x")
""")
    inner.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
