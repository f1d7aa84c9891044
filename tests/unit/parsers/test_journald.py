"""journald.conf and its drop-ins (tier3.parsers.journald), then the kind ``journald`` judged by T3-OBS-LOG-001
and -002 as tier3 check judges a host's files: merged in systemd's order, each finding naming the file and line
that made the setting. The texts are written here in the shape Debian 12's systemd 252 ships (every setting
commented out under [Journal]) and roles/baseline's drop-in writes."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tier3.errors import ParseError
from tier3.inspect import InspectOptions, all_kinds
from tier3.model.policy import Policy
from tier3.parsers.journald import applied_order, parse_journald, size_bytes, span_seconds

DEBIAN = """#  This file is part of systemd.
# Entries in this file show the compile time defaults.
[Journal]
#Storage=auto
#Compress=yes
#SystemMaxUse=
#MaxRetentionSec=
#MaxFileSec=1month
"""
BASELINE = "# roles/baseline: T3-BASE-LOG-001\n[Journal]\nStorage=persistent\nMaxRetentionSec=400day\nSystemMaxUse=4G\n"
MAIN = "/etc/systemd/journald.conf"
ETC = "/etc/systemd/journald.conf.d"
KIND = all_kinds()["journald"]


def judged(files: dict[str, str], **policy: Any) -> list[tuple[str, str, str]]:
    report = KIND.inspect_raw(files, "journald of mx1", InspectOptions(policy=Policy(policy)))
    return [(f["rule_id"], f["status"], f["message"]) for f in report["findings"] if f["status"] != "pass"]


@pytest.mark.parametrize(("text", "seconds"), [
    ("3600", 3600.0), ("400day", 400 * 86400.0), ("1year", 31557600.0), ("12month 2w", 12 * 2629800.0 + 2 * 604800.0),
    ("5min30s", 330.0), ("1y 1d", 31557600.0 + 86400), ("0", 0.0), ("infinity", None), ("250ms", 0.25),
])
def test_time_spans_read_as_systemd_reads_them(text: str, seconds: float | None) -> None:
    assert span_seconds(text) == seconds


@pytest.mark.parametrize("text", ["forever", "1 fortnight", "", "day", "-5s", "3x"])
def test_what_is_not_a_time_span_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(text)}$"):
        span_seconds(text)


def test_sizes_are_base_1024() -> None:
    assert [size_bytes(s) for s in ("4G", "512M", "1048576", "1.5K", "2T")] == [4 << 30, 512 << 20, 1048576, 1536,
                                                                                2 << 40]


def test_debian_defaults_are_auto_with_no_time_limit() -> None:
    facts = parse_journald({MAIN: DEBIAN})
    assert (facts.storage, facts.max_retention_s, dict(facts.settings)) == ("auto", None, {})


def test_dropins_apply_after_the_main_file_by_name_and_etc_hides_the_same_name_elsewhere() -> None:
    paths = ["/usr/lib/systemd/journald.conf.d/10-vendor.conf", f"{ETC}/90-site.conf", MAIN,
             "/run/systemd/journald.conf.d/50-tier3-retention.conf", f"{ETC}/50-tier3-retention.conf"]
    assert applied_order(paths) == [MAIN, "/usr/lib/systemd/journald.conf.d/10-vendor.conf",
                                    f"{ETC}/50-tier3-retention.conf", f"{ETC}/90-site.conf"]
    facts = parse_journald({
        MAIN: "[Journal]\nStorage=volatile\n",
        "/usr/lib/systemd/journald.conf.d/10-vendor.conf": "[Journal]\nStorage=none\n",
        f"{ETC}/50-tier3-retention.conf": BASELINE,
        "/run/systemd/journald.conf.d/50-tier3-retention.conf": "[Journal]\nStorage=volatile\nMaxRetentionSec=1day\n",
        f"{ETC}/90-site.conf": "[Journal]\nMaxRetentionSec=\n"})
    assert facts.storage == "persistent"
    assert facts.settings["Storage"].where == f"{ETC}/50-tier3-retention.conf line 3"
    assert facts.max_retention_s is None  # the empty assignment of 90-site.conf resets it to no limit
    assert facts.size_bytes("SystemMaxUse") == 4 << 30


def test_other_sections_and_comments_set_nothing() -> None:
    text = "; a comment\n[Upload]\nStorage=volatile\n[Journal]\n# Storage=none\n Storage = persistent\n"
    facts = parse_journald(text)
    assert facts.storage == "persistent"


@pytest.mark.parametrize(("text", "where", "said"), [
    ("[Journal]\nStorage=disk\n", "line 2", "Storage=disk: expected one of volatile, persistent, auto, none"),
    ("[Journal]\n\nMaxRetentionSec=forever\n", "line 3", "MaxRetentionSec=forever: expected a time span"),
    ("[Journal]\nSystemMaxUse=lots\n", "line 2", "SystemMaxUse=lots: expected a size"),
    ("[Journal\nStorage=persistent\n", "line 1", "a section header must end with ]"),
    ("[Journal]\nStorage persistent\n", "line 2", "expected KEY=VALUE or a [Section]"),
    ("", "line 1", "empty input"),
    ("<html><body>502</body></html>", "line 1", "an HTML or XML page"),
])
def test_bad_files_name_the_file_line_and_fix(text: str, where: str, said: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_journald({MAIN: text} if text and not text.startswith("<") else text, MAIN)
    assert (info.value.source, info.value.where) == (MAIN, where)
    assert said in info.value.message


def test_an_empty_dropin_among_the_hosts_files_sets_nothing() -> None:
    assert parse_journald({MAIN: BASELINE, f"{ETC}/99-empty.conf": ""}).storage == "persistent"


def test_the_baseline_dropin_passes_both_rules() -> None:
    assert judged({MAIN: DEBIAN, f"{ETC}/50-tier3-retention.conf": BASELINE}) == []


@pytest.mark.parametrize(("storage", "why"), [("auto", "on disk only while /var/log/journal exists"),
                                              ("volatile", "in memory: lost at reboot"), ("none", "nothing kept")])
def test_a_journal_not_on_disk_is_log_001_at_the_line_that_said_so(storage: str, why: str) -> None:
    files = {MAIN: DEBIAN, f"{ETC}/50-tier3-retention.conf": BASELINE.replace("persistent", storage)}
    assert judged(files) == [("T3-OBS-LOG-001", "fail", f"Storage={storage} ({why}); the policy needs persistent")]
    report = KIND.inspect_raw(files, "journald of mx1")
    (finding,) = [f for f in report["findings"] if f["status"] == "fail"]
    assert finding["evidence"]["settings"]["Storage"] == {"value": storage,
                                                          "at": f"{ETC}/50-tier3-retention.conf line 3"}


def test_debians_default_auto_is_a_finding_naming_the_main_file() -> None:
    report = KIND.inspect_raw({MAIN: DEBIAN}, "journald of mx1")
    (finding,) = [f for f in report["findings"] if f["status"] == "fail"]
    assert finding["rule_id"] == "T3-OBS-LOG-001"
    assert (finding["location"]["key"], finding["evidence"]["read"]) == (f"{MAIN} (not set: the default)", MAIN)


def test_retention_below_the_policy_is_log_002_and_the_policy_moves_the_line() -> None:
    files = {MAIN: DEBIAN, f"{ETC}/50-tier3-retention.conf": BASELINE,
             f"{ETC}/60-short.conf": "[Journal]\nMaxRetentionSec=30day\n"}
    assert judged(files) == [("T3-OBS-LOG-002", "fail", "MaxRetentionSec=30day keeps 30 days; the policy needs 365")]
    assert judged(files, log_retention_days=30) == []
    assert judged({**files, f"{ETC}/60-short.conf": "[Journal]\nMaxRetentionSec=0\n"}) == []  # no time limit


def test_the_report_shows_the_settings_in_force_and_where() -> None:
    report = KIND.inspect_raw({MAIN: DEBIAN, f"{ETC}/50-tier3-retention.conf": BASELINE}, "journald of mx1")
    assert (report["storage"], report["max_retention_days"]) == ("persistent", 400)
    assert report["sizes"] == {"SystemMaxUse": 4 << 30}
    assert report["files"] == [MAIN, f"{ETC}/50-tier3-retention.conf"]
