"""Properties of the mail parsers (hypothesis): no input, random or a mutated real capture of
tests/fixtures/real/mail/, makes postqueue, replicator, ip -j addr or the probe-record parser raise
anything but ParseError (naming the source it was given)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tier3.errors import ParseError
from tier3.parsers.ipaddr import parse_ip_j_addr
from tier3.parsers.postqueue import parse_postqueue_json
from tier3.parsers.replicator import parse_replicator_status
from tier3.parsers.tlsprobe import parse_tls_listeners

MAIL = Path(__file__).resolve().parents[2] / "fixtures" / "real" / "mail"
PARSERS: dict[str, Callable[[str, str], Any]] = {
    "postqueue_j": parse_postqueue_json,
    "doveadm_replicator": parse_replicator_status,
    "ip_j_addr": parse_ip_j_addr,
    "tls_listener_probe": parse_tls_listeners,
}
FIXTURES = {p: sorted(f.read_text(encoding="utf-8") for f in MAIL.glob(f"{p}*") if f.stat().st_size) for p in PARSERS}
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NOISE = st.sampled_from(["", " ", ":", "{", "}", "[", "]", '"', ",", "-", "y", "00:00:0", "99999999999999999999",
                         "null", "true", '"queue_name"', "Queued 'x' requests 1", "\x00", "é"])


def outcome(parser: Callable[[str, str], Any], text: str) -> str:
    try:
        parser(text, "fuzz")
    except ParseError as exc:
        return "refused" if exc.source == "fuzz" else f"ParseError naming {exc.source!r}"
    except Exception as exc:  # the property under test: nothing else may escape
        return f"{type(exc).__name__}: {exc}"
    return "parsed"


def test_every_parser_has_real_fixtures() -> None:
    assert {k: len(v) for k, v in FIXTURES.items()} == {
        "postqueue_j": 5, "doveadm_replicator": 11, "ip_j_addr": 3, "tls_listener_probe": 3}


@SETTINGS
@given(name=st.sampled_from(sorted(PARSERS)), text=st.text(max_size=400))
def test_random_text_raises_only_parse_error(name: str, text: str) -> None:
    assert outcome(PARSERS[name], text) in ("parsed", "refused")


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(sorted(PARSERS)))
    text = draw(st.sampled_from(FIXTURES[name]))
    for _ in range(draw(st.integers(1, 4))):
        if not text:
            break
        i = draw(st.integers(0, len(text) - 1))
        op = draw(st.sampled_from(["delete", "insert", "replace", "cut"]))
        if op == "delete":
            text = text[:i] + text[i + draw(st.integers(1, 20)):]
        elif op == "insert":
            text = text[:i] + draw(NOISE) + text[i:]
        elif op == "replace":
            text = text[:i] + draw(NOISE) + text[i + 1:]
        else:
            text = text[:i]
    return name, text


@SETTINGS
@given(case=mutated())
def test_mutated_captures_raise_only_parse_error(case: tuple[str, str]) -> None:
    name, text = case
    assert outcome(PARSERS[name], text) in ("parsed", "refused")
