"""The evidence bundle: every item kept with its SHA-256, the manifest signed; a changed, added or missing
file, a changed manifest or another key is caught."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from tier3.audit.bundle import (
    MANIFEST,
    RawItem,
    items_from_records,
    json_item,
    public_pem,
    signing_key,
    verify_bundle,
    write_bundle,
)
from tier3.errors import Tier3Error


def _bundle(tmp_path: Path) -> Path:
    key = signing_key(tmp_path / "keys" / "audit.key")
    items = [*items_from_records("mx1", [{"kind": "postqueue", "id": "postqueue -j", "text": '{"queue_name":"x"}\n',
                                          "sha256": "ab" * 32, "read_at": 1.5}]),
             json_item("controller", "tls-scan", "10.0.0.25:25", {"versions": ["TLSv1.2"]}),
             RawItem("mx/../../etc", "weird kind!", "cat /etc/passwd", b"\x00\x01 binary")]
    write_bundle(tmp_path / "evidence", items, key)
    return tmp_path / "evidence"


def test_a_fresh_bundle_verifies_and_lists_every_item(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path)
    checked = verify_bundle(bundle)
    assert checked.ok, checked.problems
    assert checked.items == 3
    manifest = json.loads((bundle / MANIFEST).read_text())
    assert [e["host"] for e in manifest["items"]] == ["mx1", "controller", "mx/../../etc"]
    assert manifest["items"][0]["host_sha256"] == "ab" * 32
    for entry in manifest["items"]:
        path = (bundle / entry["file"]).resolve()
        assert path.is_relative_to(bundle.resolve())  # a host name never walks out of the bundle


def test_the_signing_key_is_made_once_and_private(tmp_path: Path) -> None:
    path = tmp_path / "k" / "audit.key"
    first = signing_key(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = signing_key(path)
    assert first.private_bytes_raw() == again.private_bytes_raw()


@pytest.mark.parametrize("tamper", ["change", "add", "remove", "manifest"])
def test_tampering_is_caught(tmp_path: Path, tamper: str) -> None:
    bundle = _bundle(tmp_path)
    first = sorted((bundle / "items").rglob("*.txt"))[0]
    if tamper == "change":
        first.write_text("something else\n")
    elif tamper == "add":
        (first.parent / "9999-extra.txt").write_text("planted\n")
    elif tamper == "remove":
        first.unlink()
    else:
        doc = json.loads((bundle / MANIFEST).read_text())
        doc["items"][0]["sha256"] = "00" * 32
        (bundle / MANIFEST).write_text(json.dumps(doc))
    checked = verify_bundle(bundle)
    assert not checked.ok
    assert len(checked.problems) >= 1


def test_another_key_does_not_verify(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path)
    other = signing_key(tmp_path / "other.key")
    pub = tmp_path / "other.pub"
    pub.write_bytes(public_pem(other))
    checked = verify_bundle(bundle, pub)
    assert [p for p in checked.problems if "signature does not verify" in p]


def test_not_a_bundle_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(Tier3Error, match="not an evidence bundle"):
        verify_bundle(tmp_path)


def test_a_bad_signing_key_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.key"
    bad.write_text("not a key\n")
    with pytest.raises(Tier3Error, match="Ed25519"):
        signing_key(bad)
