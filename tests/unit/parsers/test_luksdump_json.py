"""``cryptsetup luksDump --dump-json-metadata`` (real captures, tests/fixtures/real/capture-luks2-json.sh): the
same LuksHeader as the text form, the device and UUID from the record it was run for, and bad JSON refused with
a pointer. And which records of the per-device commands hold nothing to read (NOTHING_THERE)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tier3.errors import ParseError
from tier3.evidence import EvidenceItem
from tier3.inspect.encryption import no_header, no_mapping
from tier3.parsers.cryptsetup import parse_luks2_json, parse_luks_dump, parse_luks_header

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "real"
UUID = "8da5e4bd-276c-4036-8c7c-92cc8ba68052"


def text(name: str) -> str:
    return (REAL / name).read_text(encoding="utf-8")


def test_the_defaults_read_as_the_text_form_reads_them() -> None:
    h = parse_luks_header(text("luksdump_json_luks2_argon2id.json"), "x", f"/dev/disk/by-uuid/{UUID}")
    dumped = parse_luks_dump(text("luksdump_luks2_argon2id.txt"), "y")  # the same defaults, in text
    assert (h.version, h.cipher, h.key_bits) == (dumped.version, dumped.cipher, dumped.key_bits) == (
        2, "aes-xts-plain64", 512)
    assert (h.uuid, h.name) == (UUID, f"/dev/disk/by-uuid/{UUID}")
    (slot,) = h.keyslots
    assert (slot.slot, slot.enabled, slot.pbkdf, slot.pointer) == (0, True, "argon2id", "/keyslots/0")
    assert set(slot.parameters) == set(dumped.keyslots[0].parameters) == {"Time cost", "Memory", "Threads"}


@pytest.mark.parametrize(("name", "cipher", "bits", "pbkdf", "parameters"), [
    ("luksdump_json_luks2_pbkdf2.json", "aes-xts-plain64", 512, "pbkdf2", {"Hash", "Iterations"}),
    ("luksdump_json_luks2_cbc_256.json", "aes-cbc-essiv:sha256", 256, "pbkdf2", {"Hash", "Iterations"}),
])
def test_other_headers(name: str, cipher: str, bits: int, pbkdf: str, parameters: set[str]) -> None:
    h = parse_luks2_json(text(name), name)
    assert (h.cipher, h.key_bits, [k.pbkdf for k in h.keyslots]) == (cipher, bits, [pbkdf])
    assert set(h.keyslots[0].parameters) == parameters
    assert (h.device, h.uuid, h.name) == ("", "", "luks")  # a saved file: nothing names the device


def test_the_text_form_still_reads_and_takes_the_device_given() -> None:
    h = parse_luks_header(text("luksdump_luks2_pbkdf2.txt"), "x", "/dev/vdl")
    assert (h.device, h.uuid) == ("/dev/vdl", "b21b8890-266a-4ba5-8275-4e124fa188dd")
    luks1 = parse_luks_header(text("luksdump_luks1.txt"), "x", "/dev/other")
    assert luks1.version == 1
    assert luks1.device != "/dev/other"  # LUKS1 prints its device: that one is kept


def _doc() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(text("luksdump_json_luks2_argon2id.json"))
    return doc


def _reencrypting() -> dict[str, Any]:
    doc = _doc()
    doc["keyslots"]["1"] = {"type": "reencrypt", "key_size": 1, "mode": "reencrypt",
                            "area": {"type": "checksum", "offset": "290816", "size": "4096"}}
    return doc


def test_a_reencrypt_key_slot_is_no_passphrase_slot() -> None:
    h = parse_luks2_json(json.dumps(_reencrypting()), "x")
    assert [k.slot for k in h.keyslots] == [0]


@pytest.mark.parametrize(("change", "where", "message"), [
    (lambda d: d.pop("segments"), "/segments", "expected the 'segments' object"),
    (lambda d: d["segments"]["0"].update(type="linear"), "/segments", "no data segment of type 'crypt'"),
    (lambda d: d["keyslots"]["0"].pop("kdf"), "/keyslots/0/kdf", "expected {\"type\""),
    (lambda d: d["keyslots"]["0"].update(key_size="64"), "/keyslots/0/key_size", "key size in bytes"),
    (lambda d: d["keyslots"].update(x={}), "/keyslots/x", "expected numbered items"),
])
def test_bad_metadata_is_refused_with_a_pointer(change: Any, where: str, message: str) -> None:
    doc = _doc()
    change(doc)
    with pytest.raises(ParseError) as caught:
        parse_luks2_json(json.dumps(doc), "dump.json")
    assert (caught.value.source, caught.value.where) == ("dump.json", where)
    assert message in caught.value.message


def test_cut_json_is_refused() -> None:
    with pytest.raises(ParseError, match="invalid JSON"):
        parse_luks_header(text("luksdump_json_luks2_argon2id.json")[:400], "cut.json")


def item(kind: str, status: str, rc: int | None, out: str = "", err: str = "") -> EvidenceItem:
    return EvidenceItem(host="h", kind=kind, id=f"{kind} X", source="command", status=status, text=out, rc=rc,
                        item="/dev/X", stderr=err)


def test_records_with_nothing_to_read() -> None:
    assert no_header(item("luksdump", "failed", 1, err="Device /dev/X is not a valid LUKS device.\n")) == \
        "/dev/X: no LUKS header"
    assert no_header(item("luksdump", "failed", 1, err="Dump operation is not supported for this device type.\n")
                     ).startswith("/dev/X: a LUKS1 header")
    assert no_header(item("luksdump", "failed", 5, err="Cannot read device /dev/X.\n")) == ""  # a failure
    assert no_header(item("luksdump", "ok", 0, out="{}")) == ""
    inactive = text("cryptsetup_status_inactive.txt")
    assert no_mapping(item("cryptsetup", "failed", 4, out=inactive)) == "/dev/X: not a dm-crypt mapping"
    assert no_mapping(item("cryptsetup", "failed", 1, out="/dev/mapper/mpatha is active and is in use.\n")) != ""
    assert no_mapping(item("cryptsetup", "failed", 1, out="")) == "/dev/X: not a dm-crypt mapping"  # 2.6.1, multipath
    assert no_mapping(item("cryptsetup", "failed", 4, out="")) == ""  # silent and not exit 1: a failure
    assert no_mapping(item("cryptsetup", "ok", 0, out=text("cryptsetup_status.txt"))) == ""
    assert no_mapping(item("cryptsetup", "failed", 1, out="", err="Device not found")) == ""  # a failure
    assert no_mapping(item("cryptsetup", "failed", 1, out="/dev/mapper/X is active.\n", err="Permission denied")
                      ) == ""  # a crypt mapping that could not be read
