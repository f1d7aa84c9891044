"""The Redfish reader without a network: crawl bounds, saved trees on disk, what the client refuses
before it sends anything, and credentials that never show."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tier3.bmc import Credentials
from tier3.bmc.redfish import RedfishClient, crawl, read_directory
from tier3.errors import DeviceError, ParseError
from tier3.inspect import InspectOptions
from tier3.inspect.bmc import KINDS

TREE = Path(__file__).resolve().parents[2] / "fixtures" / "redfish" / "rack-server"
SECRET = "s3cret-Pa55"


def test_crawl_reads_each_document_once() -> None:
    calls: list[str] = []
    documents = read_directory(TREE)

    def fetch(path: str) -> dict[str, Any]:
        calls.append(path)
        return dict(documents[path])

    assert crawl(fetch, "t") == documents
    assert len(calls) == len(set(calls)) == 8


def test_crawl_is_bounded() -> None:
    documents = read_directory(TREE)
    with pytest.raises(DeviceError, match="more than 3 documents to read; is the tree looping"):
        crawl(lambda path: documents[path], "t", limit=3)


def test_crawl_refuses_links_out_of_the_service() -> None:
    root = {"Chassis": {"@odata.id": "/other/Chassis"}}
    with pytest.raises(ParseError) as caught:
        crawl(lambda _path: root, "t")
    assert (caught.value.where, caught.value.message) == (
        "/other/Chassis", "a link leaves the Redfish service (expected a path under /redfish/v1)")


def test_saved_tree_link_outside_the_directory(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(TREE, tree)
    (tree / "Chassis" / "index.json").write_text(json.dumps({"Members": [{"@odata.id": "/redfish/v1/../../etc"}]}))
    with pytest.raises(ParseError, match="a link points outside the saved tree"):
        read_directory(tree)


def test_saved_tree_missing_file_is_named(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(TREE, tree)
    shutil.rmtree(tree / "Chassis" / "1U" / "Power")
    with pytest.raises(ParseError) as caught:
        read_directory(tree)
    assert caught.value.source == str((tree / "Chassis/1U/Power/index.json").resolve())
    assert caught.value.message == "missing: the tree links /redfish/v1/Chassis/1U/Power but this file does not exist"


def test_saved_tree_invalid_json(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(TREE, tree)
    (tree / "Chassis" / "index.json").write_text('{"Members": [')
    with pytest.raises(ParseError) as caught:
        read_directory(tree)
    assert caught.value.where == "line 1 column 14"
    assert caught.value.message == "invalid JSON: Expecting value (the body ends early: truncated?)"


def test_directory_without_a_service_root(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match=re.escape("no service root: expected redfish/v1/index.json or index.json")):
        KINDS["redfish"].inspect(str(tmp_path), InspectOptions())


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("/nonexistent/tree", "no such file"),
        ("ftp://bmc.example", "unknown scheme ftp://"),
    ],
)
def test_bad_sources(source: str, message: str) -> None:
    with pytest.raises((ParseError, DeviceError), match=message):
        KINDS["redfish"].inspect(source, InspectOptions())


def test_bundle_that_is_not_a_mapping(tmp_path: Path) -> None:
    bundle = tmp_path / "b.json"
    bundle.write_text("[1]")
    with pytest.raises(ParseError, match=re.escape("expected a JSON object mapping each @odata.id to its document")):
        KINDS["redfish"].inspect(str(bundle), InspectOptions())


@pytest.mark.parametrize(
    ("url", "options", "message"),
    [
        ("http://127.0.0.1:9", {}, "plain http would send the BMC password in clear"),
        (f"https://admin:{SECRET}@127.0.0.1:9", {}, "credentials in the URL are refused"),
        ("https://127.0.0.1:9", {"auth": "kerberos"}, "unknown auth mode 'kerberos'"),
        ("https://127.0.0.1:9", {"ca_file": "/nonexistent/ca.pem"}, "CA file /nonexistent/ca.pem does not exist"),
        ("https://", {}, "expected a BMC URL like https://HOST[:PORT]"),
    ],
)
def test_client_refuses_before_sending(url: str, options: dict[str, Any], message: str) -> None:
    with pytest.raises(DeviceError) as caught:
        RedfishClient(url, **options)
    assert message in caught.value.message
    assert SECRET not in str(caught.value)
    assert SECRET not in caught.value.source


def test_credentials_never_show() -> None:
    credentials = Credentials("admin", SECRET)
    assert SECRET not in repr(credentials)
    assert SECRET not in str(credentials)
    client = RedfishClient("https://127.0.0.1:9", credentials=credentials)
    assert SECRET not in repr(client)


def test_credentials_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("T3_U", raising=False)
    monkeypatch.delenv("T3_P", raising=False)
    assert Credentials.from_env("T3_U", "T3_P", "bmc") is None
    monkeypatch.setenv("T3_P", SECRET)
    with pytest.raises(DeviceError) as caught:
        Credentials.from_env("T3_U", "T3_P", "bmc")
    assert caught.value.one_line() == ("bmc: T3_U is not set (or empty) while its partner is (fix: export both T3_U "
                                       "and T3_P, or neither for a BMC without auth)")
    monkeypatch.setenv("T3_U", "admin")
    assert Credentials.from_env("T3_U", "T3_P", "bmc") == Credentials("admin", SECRET)


def test_credentials_passed_in_must_be_credentials() -> None:
    with pytest.raises(DeviceError, match=re.escape("credentials passed in must be a tier3.bmc.Credentials")):
        KINDS["redfish"].inspect("https://127.0.0.1:9", InspectOptions(extra={"credentials": ("u", SECRET)}))


# ---- bodies are capped: tier3.sources.MAX_BYTES per answer and over one read ------------------

class FakeResponse:
    """What RedfishClient._body reads of a requests.Response: headers, iter_content, close."""

    def __init__(self, chunks: Any, length: int | None = None) -> None:
        self.headers = {} if length is None else {"Content-Length": str(length)}
        self.chunks, self.read, self.closed = chunks, 0, False

    def iter_content(self, _size: int) -> Any:
        for chunk in self.chunks:
            self.read += 1
            yield chunk

    def close(self) -> None:
        self.closed = True


def _endless(chunk: bytes) -> Any:
    while True:
        yield chunk


def test_body_streamed_past_the_cap_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tier3.sources.MAX_BYTES", 100)
    response = FakeResponse(_endless(b"x" * 64))
    with pytest.raises(DeviceError) as caught:
        RedfishClient("https://127.0.0.1:9")._body(response, "https://127.0.0.1:9/redfish/v1")  # type: ignore[arg-type]
    assert caught.value.one_line() == ("https://127.0.0.1:9/redfish/v1: answered over 100 bytes; expected one "
                                       "Redfish resource (fix: check that the URL is the BMC's Redfish service)")
    assert (response.read, response.closed) == (2, True)


def test_body_announced_over_the_cap_is_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tier3.sources.MAX_BYTES", 100)
    response = FakeResponse(_endless(b"x"), length=101)
    with pytest.raises(DeviceError, match="answered over 100 bytes"):
        RedfishClient("https://127.0.0.1:9")._body(response, "u")  # type: ignore[arg-type]
    assert (response.read, response.closed) == (0, True)


def test_bodies_share_one_cap_over_a_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tier3.sources.MAX_BYTES", 100)
    client = RedfishClient("https://127.0.0.1:9")
    assert client._body(FakeResponse([b"x" * 60]), "u1") == b"x" * 60  # type: ignore[arg-type]
    with pytest.raises(DeviceError) as caught:
        client._body(FakeResponse([b"y" * 60]), "u2")  # type: ignore[arg-type]
    assert caught.value.one_line() == ("u2: the documents read from this BMC pass 100 bytes in total; expected a "
                                       "few power resources (fix: point tier3 at the BMC of one host)")


def test_default_cap_is_the_one_readers() -> None:
    from tier3 import sources  # noqa: PLC0415
    from tier3.bmc import shown_size  # noqa: PLC0415
    from tier3.bmc.redfish import Budget  # noqa: PLC0415

    assert Budget().limit == sources.MAX_BYTES == 64 * 1024 * 1024
    assert shown_size(sources.MAX_BYTES) == "64 MiB"
