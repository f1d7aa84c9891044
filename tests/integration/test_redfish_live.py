"""``tier3 inspect redfish https://...`` against live peers on 127.0.0.1.

Verdicts: sushy-static (HTTPS, a CA made at test time, ``--ca-file``) serving each variant of the
project's mockup tree. Bad inputs: sushy-static serving broken trees, and stand-in HTTPS servers
(conftest ``stand_in``) that misbehave the way broken BMCs do. Every bad input must end in exit 2
with one line naming the URL, never a verdict, and never show the password.

sushy-static accepts any credentials (it ignores the Authorization header; checked in its source,
sushy_tools/static/main.py): wrong credentials are played by a stand-in that answers 401/403.
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import certifi
import pytest

from conftest import BMC_PASSWORD, BMC_USER, Handler, LabCA, StandIn, Sushy, inspect_bmc, load_mockups

pytestmark = pytest.mark.live
MOCKUPS = load_mockups()


def inspect(source: str, **options: Any) -> tuple[int, dict[str, Any] | None, str]:
    return inspect_bmc("redfish", source, **options)


def verdict(report: dict[str, Any] | None) -> tuple[bool, list[tuple[str, str]]]:
    assert report is not None
    return report["redundant"], sorted((f["rule_id"], f["subject"]) for f in report["findings"])


def variant(tmp_path: Path, name: str) -> Path:
    return MOCKUPS.build(name, tmp_path / name)


# both schema generations are judged: a supply blamed in Power and in PowerSubsystem is named twice
PSU2 = [("T3-OBS-PWR-001", "1U/PSU2")] * 2
GROUPS = [("T3-OBS-PWR-003", "1U/PSU Redundancy"), ("T3-OBS-PWR-003", "1U/PowerSupplyRedundancy/0")]
EXPECTED = {
    "healthy": (True, []),
    "psu2-critical": (False, PSU2 + GROUPS),
    "psu2-absent": (False, PSU2 + GROUPS),
    "psu2-disabled": (False, PSU2 + GROUPS),
    "psu2-ac-lost": (False, [*PSU2, *GROUPS, ("T3-OBS-PWR-004", "1U/PSU2")]),
    "same-pdu": (False, [("T3-OBS-PWR-002", "pdu:A")]),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_variant_over_https_with_ca_file(
    name: str, sushy: Callable[[Path], Sushy], lab_ca: LabCA, bmc_env: tuple[str, str], tmp_path: Path
) -> None:
    peer = sushy(variant(tmp_path, name))
    code, report, error = inspect(peer.url, ca_file=str(lab_ca.ca_file))
    assert (code, error) == (0, "")
    assert verdict(report) == EXPECTED[name]
    assert report is not None
    assert report["documents_read"] == 8
    assert {(s["schema"], s["id"], s["pdu"]) for s in report["supplies"]} == {
        ("Power", "PSU1", None),
        ("Power", "PSU2", None),
        ("PowerSubsystem", "PSU1", "A"),
        ("PowerSubsystem", "PSU2", "A" if name == "same-pdu" else "B"),
    }
    # basic auth over TLS: the credentials reached the BMC (sushy-static logs request headers)
    token = base64.b64encode(f"{BMC_USER}:{BMC_PASSWORD}".encode()).decode()
    assert f"Authorization: Basic {token}" in peer.log.read_text()


# trees in the shapes other machines print: read over HTTPS as from a real BMC
OTHER_SHAPES = {  # variant: (redundant, findings, documents read)
    "power-without-supplies": (False, [("T3-OBS-PWR-005", "1U")], 8),
    "psu1-listed-twice": (False, [*GROUPS, *[("T3-OBS-PWR-005", "1U")] * 2, *[("T3-OBS-PWR-007", "1U/PSU1")] * 2], 7),
}


@pytest.mark.parametrize("name", sorted(OTHER_SHAPES))
def test_other_shapes_over_https(name: str, sushy: Callable[[Path], Sushy], lab_ca: LabCA, tmp_path: Path) -> None:
    """A Power resource without PowerSupplies is fewer than two supplies, not an error; a supply listed
    twice is counted once (and said: T3-OBS-PWR-007), so one real supply is never redundant."""
    code, report, error = inspect(sushy(variant(tmp_path, name)).url, ca_file=str(lab_ca.ca_file))
    assert (code, error) == (0, "")
    redundant, findings, documents = OTHER_SHAPES[name]
    assert verdict(report) == (redundant, findings)
    assert report is not None
    assert report["documents_read"] == documents
    assert len({(s["schema"], s["resource"]) for s in report["supplies"]}) == len(report["supplies"])


def test_messages_name_the_supply_and_the_pdu(sushy: Callable[[Path], Sushy], lab_ca: LabCA, tmp_path: Path) -> None:
    critical = inspect(sushy(variant(tmp_path, "psu2-critical")).url, ca_file=str(lab_ca.ca_file))[1]
    same = inspect(sushy(variant(tmp_path, "same-pdu")).url, ca_file=str(lab_ca.ca_file))[1]
    assert critical is not None
    assert same is not None
    assert critical["findings"][0]["message"] == "power supply Power Supply 2: health Critical (Power)"
    assert same["findings"][0]["message"] == (
        "Power Supply 1 and Power Supply 2 both draw from PDU A (/redfish/v1/PowerEquipment/RackPDUs/A): a single feed"
    )
    assert same["findings"][0]["evidence"]["outlets"] == {
        "PSU1": "/redfish/v1/PowerEquipment/RackPDUs/A/Outlets/12",
        "PSU2": "/redfish/v1/PowerEquipment/RackPDUs/A/Outlets/13",
    }


def test_fault_injected_live_then_removed(sushy: Callable[[Path], Sushy], lab_ca: LabCA, tmp_path: Path) -> None:
    """sushy-static re-reads its files on every GET: fail PSU1 while it runs, then heal it."""
    peer = sushy(variant(tmp_path, "healthy"))
    psu1 = peer.mockup / "Chassis/1U/PowerSubsystem/PowerSupplies/PSU1/index.json"
    healthy = psu1.read_text()
    assert verdict(inspect(peer.url, ca_file=str(lab_ca.ca_file))[1]) == (True, [])
    failed = json.loads(healthy)
    failed["Status"]["Health"] = "Critical"
    psu1.write_text(json.dumps(failed))
    assert verdict(inspect(peer.url, ca_file=str(lab_ca.ca_file))[1]) == (
        False,
        [("T3-OBS-PWR-001", "1U/PSU1"), ("T3-OBS-PWR-003", "1U/PowerSupplyRedundancy/0")],
    )
    psu1.write_text(healthy)
    assert verdict(inspect(peer.url, ca_file=str(lab_ca.ca_file))[1]) == (True, [])


# ---- bad inputs: each one exit 2, naming the URL ------------------------------------------------


def _answer(
    status: int,
    body: bytes,
    content_type: str = "application/json",
    length: int | None = None,
    headers: dict[str, str] | None = None,
) -> Handler:
    def handler(h: Any) -> None:
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body) if length is None else length))
        for key, value in (headers or {}).items():
            h.send_header(key, value)
        h.end_headers()
        h.wfile.write(body)
        h.wfile.flush()
        if length is not None:
            h.close_connection = True

    return handler


HTML = b"<!DOCTYPE html><html><body><h1>Login</h1></body></html>"


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        pytest.param(_answer(401, b'{"error": {}}'), "/redfish/v1: refused the credentials (HTTP 401)", id="401"),
        pytest.param(_answer(403, b'{"error": {}}'), "/redfish/v1: refused the credentials (HTTP 403)", id="403"),
        pytest.param(
            _answer(200, HTML, "text/html"),
            "/redfish/v1: answered text/html, expected application/json",
            id="html-page",
        ),
        pytest.param(
            _answer(200, b'{"@odata.id": "/redfish/v1", "Chassis": {"@odata'),
            "/redfish/v1: line 1 column 42: invalid JSON: Unterminated string (the body ends early: truncated?)",
            id="truncated-json",
        ),
        pytest.param(
            _answer(200, b'{"@odata.id": "/redfish/v1"', length=400),
            "/redfish/v1: the body was cut short",
            id="body-shorter-than-content-length",
        ),
        pytest.param(_answer(200, b"[1, 2]"), "/redfish/v1: is a JSON list, expected a JSON object", id="json-array"),
        pytest.param(_answer(200, b"\x00\xff garbage"), "/redfish/v1: byte 1: not UTF-8 text", id="binary-body"),
        pytest.param(_answer(400, b"{}"), "/redfish/v1: answered HTTP 400 Bad Request, expected 200", id="400"),
        pytest.param(
            _answer(302, b"", headers={"Location": "/redfish/v1"}),
            "/redfish/v1: redirect loop (more than 5 redirects)",
            id="redirect-loop",
        ),
        pytest.param(
            _answer(302, b"", headers={"Location": "https://127.0.0.2:1/redfish/v1"}),
            "/redfish/v1: redirects to another origin (https://127.0.0.2:1); refused, the credentials would follow",
            id="redirect-to-another-host",
        ),
        pytest.param(
            _answer(301, b""),
            "/redfish/v1: answered HTTP 301 without a Location to go to",
            id="redirect-without-location",
        ),
        pytest.param(
            _answer(200, b"{}", "application/json", headers={}),
            ": /redfish/v1#/Chassis: missing; a Redfish service root must have Chassis",
            id="root-without-chassis",
        ),
    ],
)
def test_misbehaving_bmc_exit_2(
    handler: Handler, expected: str, stand_in: Callable[[Handler], StandIn], lab_ca: LabCA, bmc_env: tuple[str, str]
) -> None:
    """Each stand-in plays a broken BMC; the error names the URL and what was expected."""
    peer = stand_in(handler)
    code, report, error = inspect(peer.url, ca_file=str(lab_ca.ca_file), retries=0)
    assert (code, report) == (2, None)
    assert error.startswith(f"tier3 inspect: {peer.url}")
    assert expected in error


def test_body_over_the_cap_exit_2(
    stand_in: Callable[[Handler], StandIn], lab_ca: LabCA, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A BMC that streams more than tier3.sources.MAX_BYTES (lowered here): stopped, exit 2 naming the URL."""
    monkeypatch.setattr("tier3.sources.MAX_BYTES", 4096)
    peer = stand_in(_answer(200, b"{" + b" " * 8192 + b"}"))
    code, _, error = inspect(peer.url, ca_file=str(lab_ca.ca_file), retries=0)
    assert code == 2
    assert error == (f"tier3 inspect: {peer.url}/redfish/v1: answered over 4096 bytes; expected one Redfish "
                     "resource (fix: check that the URL is the BMC's Redfish service)")


def test_body_without_length_over_the_cap_exit_2(
    stand_in: Callable[[Handler], StandIn], lab_ca: LabCA, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No Content-Length, the body ends when the connection closes: still stopped at the cap."""
    monkeypatch.setattr("tier3.sources.MAX_BYTES", 4096)

    def endless(h: Any) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Connection", "close")
        h.end_headers()
        h.close_connection = True
        try:
            for _ in range(64):
                h.wfile.write(b" " * 1024)
        except OSError:
            return  # the client hung up at the cap

    peer = stand_in(endless)
    code, _, error = inspect(peer.url, ca_file=str(lab_ca.ca_file), retries=0)
    assert code == 2
    assert error.startswith(f"tier3 inspect: {peer.url}/redfish/v1: answered over 4096 bytes")


def test_5xx_is_retried_then_exit_2(stand_in: Callable[[Handler], StandIn], lab_ca: LabCA) -> None:
    peer = stand_in(_answer(503, b'{"error": "busy"}'))
    code, _, error = inspect(peer.url, ca_file=str(lab_ca.ca_file), retries=2)
    assert code == 2
    assert f"{peer.url}/redfish/v1: answered HTTP 503 Service Unavailable" in error
    assert len(peer.requests) == 3  # one try and two retries


def test_4xx_is_not_retried(stand_in: Callable[[Handler], StandIn], lab_ca: LabCA, bmc_env: tuple[str, str]) -> None:
    peer = stand_in(_answer(401, b"{}"))
    assert inspect(peer.url, ca_file=str(lab_ca.ca_file), retries=3)[0] == 2
    assert len(peer.requests) == 1
    assert peer.requests[0]["headers"]["Authorization"].startswith("Basic ")


def test_silent_server_times_out(silent_port: int, lab_ca: LabCA) -> None:
    url = f"https://127.0.0.1:{silent_port}"
    code, _, error = inspect(url, ca_file=str(lab_ca.ca_file), timeout=0.3, retries=1)
    assert code == 2
    assert error == (
        f"tier3 inspect: {url}/redfish/v1: no answer within 0.3 s (2 attempt(s)) "
        "(fix: check the BMC address, or raise --timeout)"
    )


def test_closed_port(closed_port: int, lab_ca: LabCA) -> None:
    url = f"https://127.0.0.1:{closed_port}"
    code, _, error = inspect(url, ca_file=str(lab_ca.ca_file), timeout=2, retries=2)
    assert code == 2
    assert error == (
        f"tier3 inspect: {url}/redfish/v1: cannot connect: Connection refused (fix: check the BMC address and port)"
    )


def test_unknown_ca_without_ca_file(sushy: Callable[[Path], Sushy], tmp_path: Path) -> None:
    peer = sushy(variant(tmp_path, "healthy"))
    code, _, error = inspect(peer.url)
    assert code == 2
    assert error == (
        f"tier3 inspect: {peer.url}/redfish/v1: TLS certificate not trusted (or TLS failed) "
        "(fix: give the BMC's CA with --ca-file)"
    )


def test_ca_file_of_another_ca(sushy: Callable[[Path], Sushy], tmp_path: Path) -> None:
    """--ca-file given, but it is not the CA that signed the BMC's certificate."""
    peer = sushy(variant(tmp_path, "healthy"))
    other = tmp_path / "other-ca.pem"
    other.write_bytes(Path(certifi.where()).read_bytes())  # a real bundle without the test CA
    code, _, error = inspect(peer.url, ca_file=str(other))
    assert code == 2
    assert error == (
        f"tier3 inspect: {peer.url}/redfish/v1: TLS certificate not trusted (or TLS failed) "
        "(fix: give the BMC's CA with --ca-file)"
    )


def test_insecure_reads_without_ca_file(sushy: Callable[[Path], Sushy], tmp_path: Path) -> None:
    peer = sushy(variant(tmp_path, "healthy"))
    assert verdict(inspect(peer.url, insecure=True)[1]) == (True, [])


def test_missing_supply_is_404_naming_its_url(sushy: Callable[[Path], Sushy], lab_ca: LabCA, tmp_path: Path) -> None:
    mockup = variant(tmp_path, "healthy")
    shutil.rmtree(mockup / "Chassis/1U/PowerSubsystem/PowerSupplies/PSU2")
    peer = sushy(mockup)
    code, _, error = inspect(peer.url, ca_file=str(lab_ca.ca_file))
    assert code == 2
    assert error.startswith(
        f"tier3 inspect: {peer.url}/redfish/v1/Chassis/1U/PowerSubsystem/PowerSupplies/PSU2: not found (HTTP 404)"
    )


def test_empty_service_is_404_at_the_root(sushy: Callable[[Path], Sushy], lab_ca: LabCA, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    peer = sushy(tmp_path / "empty")
    code, _, error = inspect(peer.url + "/redfish/v1/", ca_file=str(lab_ca.ca_file))
    assert code == 2
    assert error.startswith(f"tier3 inspect: {peer.url}/redfish/v1: not found (HTTP 404)")


def test_looping_tree_ends_in_a_parse_error(sushy: Callable[[Path], Sushy], lab_ca: LabCA, tmp_path: Path) -> None:
    """The Chassis collection lists itself: read once (no cycle), then refused with a pointer."""
    mockup = variant(tmp_path, "healthy")
    listing = mockup / "Chassis/index.json"
    doc = json.loads(listing.read_text())
    doc["Members"].append({"@odata.id": "/redfish/v1/Chassis"})
    listing.write_text(json.dumps(doc))
    peer = sushy(mockup)
    code, _, error = inspect(peer.url, ca_file=str(lab_ca.ca_file))
    assert code == 2
    assert error == (
        f"tier3 inspect: {peer.url}: /redfish/v1/Chassis#/Id: missing; a Redfish Chassis collection must have Id"
    )


def test_credentials_in_url_refused(sushy: Callable[[Path], Sushy], tmp_path: Path) -> None:
    peer = sushy(variant(tmp_path, "healthy"))
    url = peer.url.replace("https://", f"https://{BMC_USER}:{BMC_PASSWORD}@")
    code, _, error = inspect(url)
    assert code == 2
    assert error.endswith("credentials in the URL are refused (fix: pass them through --username-env / --password-env)")


def test_session_auth_logs_in_uses_the_token_and_logs_out(
    stand_in: Callable[[Handler], StandIn], lab_ca: LabCA, bmc_env: tuple[str, str], tmp_path: Path
) -> None:
    """A stand-in BMC with Redfish sessions (sushy-static answers POST with 204 and no token)."""
    tree = variant(tmp_path, "healthy")
    token = "t0k3n-4f1e"

    def bmc(h: Any) -> None:
        if h.command == "POST":
            length = int(h.headers["Content-Length"])
            assert json.loads(h.rfile.read(length)) == {"UserName": BMC_USER, "Password": BMC_PASSWORD}
            _answer(201, b"{}", headers={"X-Auth-Token": token, "Location": "/redfish/v1/SessionService/Sessions/7"})(h)
        elif h.command == "DELETE" or h.headers.get("X-Auth-Token") != token:
            _answer(204 if h.command == "DELETE" else 401, b"")(h)
        else:
            relative = h.path.rstrip("/")[len("/redfish/v1") :].strip("/")
            _answer(200, (tree / relative / "index.json").read_bytes())(h)

    peer = stand_in(bmc)
    code, report, _ = inspect(peer.url, ca_file=str(lab_ca.ca_file), extra={"auth": "session"})
    assert code == 0
    assert verdict(report) == (True, [])
    methods = [(r["method"], r["path"]) for r in peer.requests]
    assert methods[0] == ("POST", "/redfish/v1/SessionService/Sessions")
    assert methods[-1] == ("DELETE", "/redfish/v1/SessionService/Sessions/7")
    assert all(r["headers"].get("X-Auth-Token") == token for r in peer.requests[1:])
    assert not any("Authorization" in r["headers"] for r in peer.requests)


def test_session_login_without_token_exit_2(
    stand_in: Callable[[Handler], StandIn], lab_ca: LabCA, bmc_env: tuple[str, str]
) -> None:

    def bmc(h: Any) -> None:
        h.rfile.read(int(h.headers["Content-Length"]))  # read the login body: it is not a next request
        _answer(204, b"")(h)

    peer = stand_in(bmc)
    code, _, error = inspect(peer.url, ca_file=str(lab_ca.ca_file), extra={"auth": "session"})
    assert code == 2
    assert error == (
        f"tier3 inspect: {peer.url}/redfish/v1/SessionService/Sessions: session login answered "
        "HTTP 204 without X-Auth-Token (fix: use basic auth with this BMC)"
    )


def test_session_is_deleted_when_the_read_fails(
    stand_in: Callable[[Handler], StandIn], lab_ca: LabCA, bmc_env: tuple[str, str]
) -> None:
    """Logged in, then the service root answers 500: exit 2, and the session is still deleted."""

    def bmc(h: Any) -> None:
        if h.command == "POST":
            h.rfile.read(int(h.headers["Content-Length"]))
            _answer(201, b"{}", headers={"X-Auth-Token": "tok", "Location": "/redfish/v1/SessionService/Sessions/9"})(h)
        else:
            _answer(204 if h.command == "DELETE" else 500, b"" if h.command == "DELETE" else b"{}")(h)

    peer = stand_in(bmc)
    code, _, error = inspect(peer.url, ca_file=str(lab_ca.ca_file), extra={"auth": "session"}, retries=0)
    assert code == 2
    assert error.startswith(f"tier3 inspect: {peer.url}/redfish/v1: answered HTTP 500")
    assert [(r["method"], r["path"]) for r in peer.requests] == [
        ("POST", "/redfish/v1/SessionService/Sessions"),
        ("GET", "/redfish/v1"),
        ("DELETE", "/redfish/v1/SessionService/Sessions/9"),
    ]
