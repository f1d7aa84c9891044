"""Observed encryption rules (T3-OBS-ENC-001..007, -010) over ``cryptsetup status``,
``cryptsetup luksDump`` and ``lsblk -J``.

``cryptsetup`` and ``luksdump`` answer the same questions about the cipher, the key and the header
version; each rule reads either through ``_volume``. A mapping that is not active has nothing to
judge but that (T3-OBS-ENC-005). The thresholds are policy values: ``crypt_allowed_ciphers``,
``crypt_min_key_bits``, ``crypt_weak_pbkdfs``, ``crypt_require_luks2``. None of these rules
touches redundancy: the encryption kinds' verdict is ``encrypted`` (a fact, see tier3.inspect.encryption).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tier3.model import Severity
from tier3.parsers.cryptsetup import CryptStatus, LuksHeader
from tier3.parsers.lsblk import BlockTree
from tier3.rules._registry import Category, Context, Violation, observed

ENCRYPTION_CONTROLS = ("PCI-DSS:3.5.1", "HIPAA:164.312(a)(2)(iv)", "ISO27001:A.8.24", "GDPR:32(1)(a)")
BOOT = "/boot"  # mounted before any key can be entered: never on dm-crypt


@dataclass(frozen=True)
class Volume:
    """What both tools show of one encrypted volume, and where in the output it shows."""

    name: str
    type: str  # LUKS1, LUKS2, PLAIN, ...
    cipher: str
    key_bits: int | None
    where: str

    @property
    def facts(self) -> dict[str, Any]:
        return {"type": self.type, "cipher": self.cipher, "key_bits": self.key_bits}


def _volume(facts: CryptStatus | LuksHeader) -> Volume | None:
    """The volume to judge; None for a mapping that is not active (nothing shown but its name)."""
    if isinstance(facts, CryptStatus):
        return Volume(facts.device, facts.type, facts.cipher, facts.key_bits, "line 1") if facts.active else None
    return Volume(facts.name, f"LUKS{facts.version}", facts.cipher, facts.key_bits, "Version")


H, M = Severity.HIGH, Severity.MEDIUM
COMMON: dict[str, Any] = {"category": Category.ENCRYPTION, "controls": ENCRYPTION_CONTROLS,
                          "breaks_redundancy": False}
BOTH: dict[str, Any] = {**COMMON, "kinds": ("cryptsetup", "luksdump")}


@observed("T3-OBS-ENC-001", severity=M, title="LUKS1 header",
          rationale="""A LUKS1 header has no checksum (a damaged header goes unnoticed until the volume will
          not open), no memory-hard PBKDF and no tokens; LUKS2 has all three, and a LUKS1 volume converts
          in place. Fires only while the policy value ``crypt_require_luks2`` is true (the default). The
          PBKDF of a LUKS1 key slot (always pbkdf2) is T3-OBS-ENC-002's finding, not this one's; an
          inactive mapping is T3-OBS-ENC-005's only.""",
          hint="cryptsetup convert --type luks2 (after a header backup)", policy=("crypt_require_luks2",), **BOTH)
def luks1(facts: CryptStatus | LuksHeader, ctx: Context) -> Iterator[Violation]:
    v = _volume(facts)
    if v is not None and ctx.policy["crypt_require_luks2"] and v.type.upper() == "LUKS1":
        yield Violation(v.name, "LUKS1 header: no argon2, no header checksum, no tokens", v.facts, where=v.where)


@observed("T3-OBS-ENC-002", severity=H, title="weak PBKDF on a key slot", kinds=("luksdump",),
          rationale="""A key slot's PBKDF is what an attacker holding a copy of the disk runs for every
          passphrase guessed. pbkdf2 costs no memory, so GPUs try passphrases by the billion; argon2id
          (LUKS2's default) and argon2i make each guess cost memory. The PBKDFs refused are the policy
          value ``crypt_weak_pbkdfs`` (default pbkdf2); each enabled slot is judged on its own (a disabled
          slot holds no key).""",
          hint="cryptsetup luksConvertKey --pbkdf argon2id (LUKS2)", policy=("crypt_weak_pbkdfs",), **COMMON)
def weak_pbkdf(h: LuksHeader, ctx: Context) -> Iterator[Violation]:
    weak = ctx.policy["crypt_weak_pbkdfs"]
    for ks in h.keyslots:
        if ks.enabled and ks.pbkdf in weak:
            why = ": no memory cost, cheap to brute-force on GPUs" if ks.pbkdf == "pbkdf2" else ""
            yield Violation(f"{h.name}:keyslot{ks.slot}", f"key slot {ks.slot} uses {ks.pbkdf}{why}",
                            {"pbkdf": ks.pbkdf, **ks.parameters}, where=ks.pointer or f"line {ks.line}")


@observed("T3-OBS-ENC-003", severity=H, title="key shorter than the policy minimum",
          rationale="""A key shorter than the policy value ``crypt_min_key_bits`` (default 256) is below what
          PCI DSS and the BSI accept for data at rest. XTS splits its key in two: a 256-bit XTS key is
          AES-128, cryptsetup's default of 512 bits is AES-256. Not judged on an inactive mapping
          (T3-OBS-ENC-005).""",
          hint="re-encrypt with --key-size 512 (XTS)", policy=("crypt_min_key_bits",), **BOTH)
def short_key(facts: CryptStatus | LuksHeader, ctx: Context) -> Iterator[Violation]:
    v = _volume(facts)
    least = ctx.policy["crypt_min_key_bits"]
    if v is not None and v.key_bits is not None and v.key_bits < least:
        yield Violation(v.name, f"{v.key_bits}-bit key: below {least}", {**v.facts, "minimum": least}, where=v.where)


@observed("T3-OBS-ENC-004", severity=H, title="cipher outside the policy's allowed list",
          rationale="""XTS is the mode made for disk sectors; CBC-ESSIV and ECB show patterns of the plaintext
          and ``cipher_null`` stores it in clear. The ciphers accepted are the policy value
          ``crypt_allowed_ciphers`` (default: aes-xts-plain64, aes-xts-plain, serpent-xts-plain64,
          twofish-xts-plain64 and the Adiantum modes, for CPUs without AES instructions). Not judged on
          an inactive mapping (T3-OBS-ENC-005).""",
          hint="re-encrypt with --cipher aes-xts-plain64", policy=("crypt_allowed_ciphers",), **BOTH)
def cipher(facts: CryptStatus | LuksHeader, ctx: Context) -> Iterator[Violation]:
    v = _volume(facts)
    allowed = tuple(ctx.policy["crypt_allowed_ciphers"])
    if v is not None and v.cipher and v.cipher not in allowed:
        shown = ", ".join(allowed[:2]) + (", ..." if len(allowed) > 2 else "")
        yield Violation(v.name, f"cipher {v.cipher} is not one of {shown}", {**v.facts, "allowed": list(allowed)},
                        where=v.where)


@observed("T3-OBS-ENC-005", severity=H, title="dm-crypt mapping not active", kinds=("cryptsetup",),
          rationale="""``cryptsetup status`` calls the name inactive: the volume is not open, so the data
          meant to sit on it is elsewhere (in clear, on the device underneath) or the name is wrong.
          Nothing else is judged on an inactive mapping: it shows no type, cipher or key.""",
          hint="open the volume (or check its name)", **COMMON)
def not_open(st: CryptStatus, _ctx: Context) -> Iterator[Violation]:
    if not st.active:
        yield Violation(st.device, f"{st.device} is not an active dm-crypt mapping", where="line 1")


@observed("T3-OBS-ENC-006", severity=M, title="plain dm-crypt (no LUKS header)", kinds=("cryptsetup",),
          rationale="""Plain dm-crypt has no header: no key slots (one passphrase, hashed once, no PBKDF), no
          passphrase change without re-encrypting, and nothing on the disk that says it is encrypted.
          Its cipher and key are judged as any other's (T3-OBS-ENC-003, T3-OBS-ENC-004).""",
          hint="move the data to a LUKS2 volume", **COMMON)
def plain(st: CryptStatus, _ctx: Context) -> Iterator[Violation]:
    if st.active and st.type.upper() == "PLAIN":
        yield Violation(st.device, "plain dm-crypt: no header, no key slots, no PBKDF", {"type": st.type},
                        where="type")


@observed("T3-OBS-ENC-007", severity=H, title="LUKS header without an enabled key slot", kinds=("luksdump",),
          rationale="""A LUKS header with no enabled key slot cannot be opened by anyone: the data is lost
          unless a header backup holding a slot exists. Its ``encrypted`` verdict is false (no key slot
          to open it with); its cipher and key are still judged (T3-OBS-ENC-003, T3-OBS-ENC-004).""",
          hint="restore the header from its backup", **COMMON)
def no_keyslot(h: LuksHeader, _ctx: Context) -> Iterator[Violation]:
    if not any(ks.enabled for ks in h.keyslots):
        yield Violation(h.name, "no enabled key slot: the volume cannot be opened", {"keyslots": len(h.keyslots)})


@observed("T3-OBS-ENC-010", severity=M, title="mounted filesystem not on an encrypted device", kinds=("lsblk",),
          rationale="""A mounted filesystem whose device chain (lsblk's tree, from the device down to the
          disks) has no dm-crypt layer keeps its data in clear: a disk pulled, stolen or returned under
          warranty gives it away. /boot and what is mounted under it are excepted: the boot loader reads
          them before any key can be entered. So are the mount points the policy names
          (crypt_plain_mounts, exact paths; none by default): a root filesystem that holds no mail, where the
          mail store, queue and archive are on LUKS volumes. Judged once per device, even when lsblk lists it
          under each of its parents (an md array, a multipath map).""",
          hint="move the filesystem onto a LUKS2 volume", policy=("crypt_plain_mounts",), **COMMON)
def not_encrypted(tree: BlockTree, ctx: Context) -> Iterator[Violation]:
    pointer = {d.name: d.pointer for d, _ in reversed(tree.walk())}  # where lsblk lists each device first
    plain = set(ctx.policy["crypt_plain_mounts"])
    for s in tree.stacks():
        if s.mountpoints and s.crypt is None and not all(m.startswith(BOOT) or m in plain for m in s.mountpoints):
            yield Violation(s.device, f"{s.fstype or 'filesystem'} on {s.device} mounted at {', '.join(s.mountpoints)} "
                            "is not on a dm-crypt device",
                            {"mountpoints": list(s.mountpoints), "fstype": s.fstype, "chain": [n for n, _ in s.chain]},
                            where=pointer.get(s.device, ""))
