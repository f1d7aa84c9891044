"""parse_cryptsetup_status and parse_luks_dump on real captures (cryptsetup 2.6.1)."""

from __future__ import annotations

from pathlib import Path

from tier3.parsers.cryptsetup import parse_cryptsetup_status, parse_luks_dump

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "real"


def text(name: str) -> str:
    return (REAL / name).read_text(encoding="utf-8")


def test_status_luks2() -> None:
    st = parse_cryptsetup_status(text("cryptsetup_status.txt"), "x")
    assert (st.device, st.active, st.type, st.cipher, st.key_bits, st.backing_device) == (
        "/dev/mapper/cryptdata", True, "LUKS2", "aes-xts-plain64", 512, "/dev/vdc")
    assert st.fields["key location"] == "keyring"
    assert (st.encrypted, st.issues()) == (True, [])


def test_status_luks1_and_inactive() -> None:
    luks1 = parse_cryptsetup_status(text("cryptsetup_status_luks1.txt"), "x")
    assert [(i.code, i.subject) for i in luks1.issues()] == [("crypt-luks1", "/dev/mapper/cryptluks1")]
    off = parse_cryptsetup_status(text("cryptsetup_status_inactive.txt"), "x")
    assert (off.active, off.encrypted, [i.code for i in off.issues()]) == (False, False, ["crypt-not-open"])


def test_status_weak_cipher_and_short_key() -> None:
    st = parse_cryptsetup_status("/dev/mapper/old is active.\n  type:    PLAIN\n  cipher:  aes-cbc-essiv:sha256\n"
                                 "  keysize: 128 bits\n  device:  /dev/sdb\n  mode:    read/write\n", "x")
    assert [i.code for i in st.issues()] == ["crypt-short-key", "crypt-cipher", "crypt-plain"]


def test_luks2_argon2id() -> None:
    h = parse_luks_dump(text("luksdump_luks2_argon2id.txt"), "x")
    assert (h.version, h.uuid, h.cipher, h.key_bits, h.device) == (
        2, "8da5e4bd-276c-4036-8c7c-92cc8ba68052", "aes-xts-plain64", 512, "")
    (slot,) = h.keyslots
    assert (slot.slot, slot.enabled, slot.pbkdf, slot.parameters) == (
        0, True, "argon2id", {"Time cost": "4", "Memory": "141241", "Threads": "2"})
    assert h.issues() == []


def test_luks2_pbkdf2_is_weak() -> None:
    h = parse_luks_dump(text("luksdump_luks2_pbkdf2.txt"), "x")
    assert h.keyslots[0].parameters == {"Hash": "sha256", "Iterations": "165078"}
    assert [(i.code, i.subject) for i in h.issues()] == [
        ("crypt-weak-pbkdf", "luks:b21b8890-266a-4ba5-8275-4e124fa188dd:keyslot0")]


def test_luks1_dump() -> None:
    h = parse_luks_dump(text("luksdump_luks1.txt"), "x")
    assert (h.version, h.device, h.cipher, h.key_bits) == (1, "/dev/disk/by-id/virtio-T3DISK12", "aes-xts-plain64", 512)
    assert [(s.slot, s.enabled) for s in h.keyslots] == [(0, True)] + [(n, False) for n in range(1, 8)]
    assert h.keyslots[0].parameters == {"Iterations": "169562", "Key material offset": "8", "AF stripes": "4000",
                                        "Hash": "sha256"}
    assert [i.code for i in h.issues()] == ["crypt-luks1", "crypt-weak-pbkdf"]
