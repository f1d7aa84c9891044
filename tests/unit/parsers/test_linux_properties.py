"""Properties of the Linux parsers (hypothesis).

1. No input (random text, mutated real captures) makes a parser raise anything but ParseError.
2. No truncation of a healthy (redundant) capture is judged redundant where the format marks its
   end: /proc/mdstat (``unused devices:``), multipath -ll (the tree's last-item drawing), and the
   bonding slave blocks (each ends with ``Slave queue ID``; LACP details end with ``port state``).
   mdadm --detail is cut at lines only: its end mark is the row count of the device table, which a
   cut inside the last device path cannot change (docs/inspect.md).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from judged import is_redundant

from tier3.errors import ParseError
from tier3.parsers.bonding import parse_proc_net_bonding
from tier3.parsers.cryptsetup import parse_cryptsetup_status, parse_luks_dump
from tier3.parsers.iplink import parse_ip_link_bond
from tier3.parsers.lldp import parse_lldpctl
from tier3.parsers.lsblk import parse_lsblk_json
from tier3.parsers.mdadm import parse_mdadm_detail
from tier3.parsers.mdstat import parse_mdstat
from tier3.parsers.multipath import parse_multipath_ll

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "real"
PARSERS: dict[str, Callable[[str, str], Any]] = {
    "proc_net_bonding": parse_proc_net_bonding,
    "proc_mdstat": parse_mdstat,
    "mdadm_detail": parse_mdadm_detail,
    "multipath_ll": parse_multipath_ll,
    "cryptsetup_status": parse_cryptsetup_status,
    "luksdump": parse_luks_dump,
    "lsblk": parse_lsblk_json,
    "lldpctl": parse_lldpctl,
    "ip_d_link": parse_ip_link_bond,
}
FIXTURES = {prefix: sorted(p.read_text(encoding="utf-8") for p in REAL.glob(f"{prefix}*")) for prefix in PARSERS}
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def parse_or_refuse(parser: Callable[[str, str], Any], text: str) -> Any:
    """The parsed value, or None when the parser refused with a ParseError (other exceptions escape)."""
    try:
        return parser(text, "fuzz")
    except ParseError:
        return None


def outcome(parser: Callable[[str, str], Any], text: str) -> str:
    """'parsed', 'refused' (a ParseError naming the source), or what else happened."""
    try:
        parser(text, "fuzz")
    except ParseError as exc:
        return "refused" if exc.source == "fuzz" else f"ParseError naming {exc.source!r}"
    except Exception as exc:  # the property under test: nothing else may escape
        return f"{type(exc).__name__}: {exc}"
    return "parsed"


def test_every_parser_has_real_fixtures() -> None:
    assert {k: len(v) for k, v in FIXTURES.items() if not v} == {}


@SETTINGS
@given(name=st.sampled_from(sorted(PARSERS)), text=st.text(max_size=400))
def test_random_text_raises_only_parse_error(name: str, text: str) -> None:
    assert outcome(PARSERS[name], text) in ("parsed", "refused")


LINE_NOISE = st.sampled_from([
    "", " ", "\t", ":", "[", "]", "(F)", "[0]", "`-", "|-+-", "{", "}", "\"", "0", "-1", "99999999999999999999",
    "MII Status: down", "Slave Interface: eth9", "unused devices: <none>", "md9 : active raid1 a[0]",
    "      1 blocks [1/1] [U]", "  `- 1:0:0:0 sdz 8:0 active ready running", "Key Slot 9: ENABLED", "\x00", "é",
])


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(sorted(PARSERS)))
    lines = draw(st.sampled_from(FIXTURES[name])).splitlines()
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "replace_char", "cut"]))
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "insert":
            lines.insert(i, draw(LINE_NOISE))
        elif op == "replace_char" and lines[i]:
            k = draw(st.integers(0, len(lines[i]) - 1))
            lines[i] = lines[i][:k] + draw(LINE_NOISE) + lines[i][k + 1:]
        else:
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
    return name, "\n".join(lines) + "\n"


@SETTINGS
@given(case=mutated())
def test_mutated_captures_raise_only_parse_error(case: tuple[str, str]) -> None:
    name, text = case
    assert outcome(PARSERS[name], text) in ("parsed", "refused")


def _healthy(prefix: str, judge: Callable[[str], Any]) -> list[str]:
    return [t for t in FIXTURES[prefix] if judge(t)]


# parser -> the inspect kind whose rules judge its facts
KIND_OF = {parse_mdstat: "mdstat", parse_mdadm_detail: "mdadm-detail", parse_multipath_ll: "multipath",
           parse_proc_net_bonding: "bonding"}


def verdict(parser: Callable[[str, str], Any], parsed: Any) -> bool:
    """The one meaning of redundant, over the catalogue's findings on the parsed facts."""
    kind = KIND_OF[parser]
    converted = ("mdstat", "mdadm-detail", "multipath", "bonding")
    return is_redundant(kind, parsed) if kind in converted else bool(parsed.redundant)


HEALTHY_MDSTAT = _healthy("proc_mdstat", lambda t: verdict(parse_mdstat, parse_mdstat(t, "x")))
HEALTHY_MPATH = _healthy("multipath_ll", lambda t: verdict(parse_multipath_ll, parse_multipath_ll(t, "x")))
HEALTHY_BOND = _healthy("proc_net_bonding", lambda t: verdict(parse_proc_net_bonding, parse_proc_net_bonding(t, "x")))
HEALTHY_MDADM = _healthy("mdadm_detail", lambda t: verdict(parse_mdadm_detail, parse_mdadm_detail(t, "x")))


def test_there_are_healthy_captures_to_cut() -> None:
    assert [len(HEALTHY_MDSTAT), len(HEALTHY_MPATH), len(HEALTHY_BOND), len(HEALTHY_MDADM)] == [9, 5, 9, 6]


def redundant_when_cut(parser: Callable[[str, str], Any], text: str, cut: int) -> bool | None:
    """The verdict on the first ``cut`` characters; None when refused."""
    parsed = parse_or_refuse(parser, text[:cut])
    return None if parsed is None else verdict(parser, parsed)


@SETTINGS
@given(data=st.data())
def test_cut_mdstat_is_never_redundant(data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(HEALTHY_MDSTAT))
    end = text.index("unused devices:") + len("unused devices:")
    assert redundant_when_cut(parse_mdstat, text, data.draw(st.integers(0, end - 1))) is not True


@SETTINGS
@given(data=st.data())
def test_cut_multipath_is_never_redundant(data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(HEALTHY_MPATH))
    assert redundant_when_cut(parse_multipath_ll, text, data.draw(st.integers(0, len(text.rstrip()) - 1))) is not True


@SETTINGS
@given(data=st.data())
def test_cut_bonding_is_never_redundant(data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(HEALTHY_BOND))
    cut = data.draw(st.integers(0, len(text.rstrip()) - 1))
    assert redundant_when_cut(parse_proc_net_bonding, text, cut) is not True


def test_every_line_cut_of_healthy_captures_is_never_redundant() -> None:
    """Exhaustive over lines for all four kinds (mdadm --detail included)."""
    judged_redundant = []
    for parser, texts in ((parse_mdstat, HEALTHY_MDSTAT), (parse_multipath_ll, HEALTHY_MPATH),
                          (parse_proc_net_bonding, HEALTHY_BOND), (parse_mdadm_detail, HEALTHY_MDADM)):
        for text in texts:
            lines = text.rstrip("\n").splitlines(keepends=True)
            for keep in range(len(lines)):
                if redundant_when_cut(parser, text, len("".join(lines[:keep]))):
                    judged_redundant.append((parser.__name__, lines[0].strip(), keep))
    assert judged_redundant == []
