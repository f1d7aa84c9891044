"""parse_cryptsetup_status and parse_luks_dump on real captures (cryptsetup 2.6.1); findings from the
catalogue's rules (T3-OBS-ENC-*), the ``encrypted`` fact from the kinds, thresholds from the policy."""

from __future__ import annotations

from pathlib import Path

from judged import findings, ids

from tier3.inspect import linux_kinds
from tier3.parsers.cryptsetup import parse_cryptsetup_status, parse_luks_dump
from tier3.rules import RULES

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "real"
KINDS = linux_kinds()
WEAK_STATUS = ("/dev/mapper/old is active.\n  type:    PLAIN\n  cipher:  aes-cbc-essiv:sha256\n"
               "  keysize: 128 bits\n  device:  /dev/sdb\n  mode:    read/write\n")


def text(name: str) -> str:
    return (REAL / name).read_text(encoding="utf-8")


def encrypted(kind: str, raw: str) -> bool:
    verdict: bool = KINDS[kind].inspect_raw(raw, "x")["encrypted"]
    return verdict


def test_status_luks2() -> None:
    st = parse_cryptsetup_status(text("cryptsetup_status.txt"), "x")
    assert (st.device, st.active, st.type, st.cipher, st.key_bits, st.backing_device) == (
        "/dev/mapper/cryptdata", True, "LUKS2", "aes-xts-plain64", 512, "/dev/vdc")
    assert st.fields["key location"] == "keyring"
    assert (encrypted("cryptsetup", text("cryptsetup_status.txt")), ids("cryptsetup", st)) == (True, [])


def test_status_luks1_and_inactive() -> None:
    luks1 = parse_cryptsetup_status(text("cryptsetup_status_luks1.txt"), "x")
    assert ids("cryptsetup", luks1) == [("T3-OBS-ENC-001", "/dev/mapper/cryptluks1")]
    off = parse_cryptsetup_status(text("cryptsetup_status_inactive.txt"), "x")
    assert (off.active, encrypted("cryptsetup", text("cryptsetup_status_inactive.txt"))) == (False, False)
    assert [r for r, _ in ids("cryptsetup", off)] == ["T3-OBS-ENC-005"]


def test_status_weak_cipher_and_short_key() -> None:
    st = parse_cryptsetup_status(WEAK_STATUS, "x")
    assert [r for r, _ in ids("cryptsetup", st)] == ["T3-OBS-ENC-003", "T3-OBS-ENC-004", "T3-OBS-ENC-006"]
    assert encrypted("cryptsetup", WEAK_STATUS) is True  # a fact: a weak cipher is still a cipher


def test_null_cipher_is_not_encrypted() -> None:
    raw = WEAK_STATUS.replace("aes-cbc-essiv:sha256", "cipher_null-ecb")
    assert encrypted("cryptsetup", raw) is False
    assert "T3-OBS-ENC-004" in [r for r, _ in ids("cryptsetup", parse_cryptsetup_status(raw, "x"))]


def test_luks2_argon2id() -> None:
    h = parse_luks_dump(text("luksdump_luks2_argon2id.txt"), "x")
    assert (h.version, h.uuid, h.cipher, h.key_bits, h.device, h.name) == (
        2, "8da5e4bd-276c-4036-8c7c-92cc8ba68052", "aes-xts-plain64", 512, "",
        "luks:8da5e4bd-276c-4036-8c7c-92cc8ba68052")
    (slot,) = h.keyslots
    assert (slot.slot, slot.enabled, slot.pbkdf, slot.parameters) == (
        0, True, "argon2id", {"Time cost": "4", "Memory": "141241", "Threads": "2"})
    assert ids("luksdump", h) == []


def test_luks2_pbkdf2_is_weak() -> None:
    h = parse_luks_dump(text("luksdump_luks2_pbkdf2.txt"), "x")
    assert h.keyslots[0].parameters == {"Hash": "sha256", "Iterations": "165078"}
    assert ids("luksdump", h) == [("T3-OBS-ENC-002", "luks:b21b8890-266a-4ba5-8275-4e124fa188dd:keyslot0")]


def test_luks1_dump() -> None:
    h = parse_luks_dump(text("luksdump_luks1.txt"), "x")
    assert (h.version, h.device, h.cipher, h.key_bits) == (1, "/dev/disk/by-id/virtio-T3DISK12", "aes-xts-plain64", 512)
    assert [(s.slot, s.enabled) for s in h.keyslots] == [(0, True)] + [(n, False) for n in range(1, 8)]
    assert h.keyslots[0].parameters == {"Iterations": "169562", "Key material offset": "8", "AF stripes": "4000",
                                        "Hash": "sha256"}
    assert [r for r, _ in ids("luksdump", h)] == ["T3-OBS-ENC-001", "T3-OBS-ENC-002"]


def test_header_without_enabled_slot_is_not_encrypted() -> None:
    raw = text("luksdump_luks1.txt").replace("Key Slot 0: ENABLED", "Key Slot 0: DISABLED")
    h = parse_luks_dump(raw, "x")
    assert (encrypted("luksdump", raw), ids("luksdump", h)) == (
        False, [("T3-OBS-ENC-001", "/dev/disk/by-id/virtio-T3DISK12"),
                ("T3-OBS-ENC-007", "/dev/disk/by-id/virtio-T3DISK12")])


# ---- tier3_policy overrides change the findings both ways -----------------------------------------

def test_crypt_min_key_bits() -> None:
    h = parse_luks_dump(text("luksdump_luks2_argon2id.txt"), "x")
    assert ids("luksdump", h, crypt_min_key_bits=1024) == [("T3-OBS-ENC-003", h.name)]
    assert findings("luksdump", h, crypt_min_key_bits=1024)[0].message == "512-bit key: below 1024"
    weak = parse_cryptsetup_status(WEAK_STATUS, "x")
    assert "T3-OBS-ENC-003" not in [r for r, _ in ids("cryptsetup", weak, crypt_min_key_bits=128)]


def test_crypt_weak_pbkdfs() -> None:
    pbkdf2 = parse_luks_dump(text("luksdump_luks2_pbkdf2.txt"), "x")
    assert ids("luksdump", pbkdf2, crypt_weak_pbkdfs=["argon2i"]) == []
    argon2id = parse_luks_dump(text("luksdump_luks2_argon2id.txt"), "x")
    assert ids("luksdump", argon2id, crypt_weak_pbkdfs=["argon2i", "argon2id"]) == [
        ("T3-OBS-ENC-002", f"{argon2id.name}:keyslot0")]


def test_crypt_require_luks2() -> None:
    luks1 = parse_luks_dump(text("luksdump_luks1.txt"), "x")
    assert [r for r, _ in ids("luksdump", luks1, crypt_require_luks2=False)] == ["T3-OBS-ENC-002"]
    status = parse_cryptsetup_status(text("cryptsetup_status_luks1.txt"), "x")
    assert ids("cryptsetup", status, crypt_require_luks2=False) == []


def test_crypt_allowed_ciphers() -> None:
    st = parse_cryptsetup_status(text("cryptsetup_status.txt"), "x")
    assert ids("cryptsetup", st, crypt_allowed_ciphers=["serpent-xts-plain64"]) == [
        ("T3-OBS-ENC-004", "/dev/mapper/cryptdata")]
    weak = parse_cryptsetup_status(WEAK_STATUS, "x")
    allowed = ["aes-cbc-essiv:sha256"]
    assert "T3-OBS-ENC-004" not in [r for r, _ in ids("cryptsetup", weak, crypt_allowed_ciphers=allowed)]


def test_each_threshold_rule_names_its_policy_value() -> None:
    assert {i: RULES[i].policy for i in ("T3-OBS-ENC-001", "T3-OBS-ENC-002", "T3-OBS-ENC-003", "T3-OBS-ENC-004")} == {
        "T3-OBS-ENC-001": ("crypt_require_luks2",), "T3-OBS-ENC-002": ("crypt_weak_pbkdfs",),
        "T3-OBS-ENC-003": ("crypt_min_key_bits",), "T3-OBS-ENC-004": ("crypt_allowed_ciphers",)}
