"""Declared versus observed encryption (T3-OBS-ENC-020..025): dm-crypt volumes against tier3_host.encrypted_volumes.

Judged on the ``topology`` kind (``HostObserved``) with the declared host of the context; silent
without one and without ``cryptsetup`` evidence (the mappings); the device and mount rules need
``lsblk`` too, the PBKDF part of T3-OBS-ENC-023 ``luksdump``. A volume is open when ``cryptsetup
status /dev/mapper/NAME`` says active.

Where the header is: the device under the mapping (lsblk's parent of the crypt device; else what
``cryptsetup status`` calls ``device``), its UUID naming the header's ``/dev/disk/by-uuid`` record. A
declared device compares with it by kernel name (``/dev/md1`` is ``md1``, ``/dev/mapper/mpatha`` is
``mpatha``); a declared udev path (``/dev/disk/by-uuid/UUID``, ``/dev/disk/by-id/virtio-SERIAL`` or
``wwn-WWN``) is the device lsblk shows with that UUID, serial or WWN, and one lsblk does not resolve
(another by-id form, no lsblk evidence) is not judged.

Preconditions keep one defect reported once: a volume that is not open (020) is judged no further.
The kinds ``cryptsetup`` and ``luksdump`` judge every mapping and header on its own (T3-OBS-ENC-001..
007); the rules here say which declared volume is concerned, in one finding per volume.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tier3.model import Severity
from tier3.model.topology import EncryptedVolume
from tier3.parsers.cryptsetup import CryptStatus, LuksHeader
from tier3.parsers.lsblk import BlockDevice
from tier3.parsers.topology import HostObserved, kernel_name, resolved
from tier3.rules._registry import Category, Context, Violation, observed
from tier3.rules.observed.crypt import ENCRYPTION_CONTROLS
from tier3.rules.observed.topology_network import declared_host

H, M, L = Severity.HIGH, Severity.MEDIUM, Severity.LOW
COMMON: dict[str, Any] = {"kinds": ("topology",), "category": Category.ENCRYPTION, "controls": ENCRYPTION_CONTROLS,
                          "breaks_redundancy": False}
LUKS = ("LUKS1", "LUKS2")


def _volumes(facts: HostObserved, ctx: Context) -> Iterator[tuple[EncryptedVolume, CryptStatus | None]]:
    host = declared_host(ctx)
    if host is None or not facts.knows("cryptsetup"):
        return
    for v in host.encrypted_volumes:
        st = facts.mappings.get(v.name)
        yield v, st if st is not None and st.active else None


def _open(facts: HostObserved, ctx: Context) -> Iterator[tuple[EncryptedVolume, CryptStatus]]:
    for v, st in _volumes(facts, ctx):
        if st is not None:
            yield v, st


def _declared(v: EncryptedVolume) -> dict[str, Any]:
    return {"volume": v.name, "device": v.device, "mount": v.mount or None, "declared_at": str(v.location)}


def _observed(st: CryptStatus) -> dict[str, Any]:
    return {"mapping": st.device, "type": st.type, "cipher": st.cipher, "key_bits": st.key_bits,
            "device": st.backing_device}


def parents(facts: HostObserved, name: str) -> list[BlockDevice]:
    """The devices right under crypt device ``name`` in lsblk's tree (one, listed once per disk below it)."""
    if facts.tree is None:
        return []
    found = {up[0].name: up[0] for dev, up in facts.tree.walk() if dev.name == name and dev.type == "crypt" and up}
    return list(found.values())


def device_names(facts: HostObserved, st: CryptStatus) -> set[str]:
    """The kernel names of the device under the mapping: what cryptsetup status and lsblk call it."""
    names = {kernel_name(st.backing_device)} if st.backing_device else set()
    for p in parents(facts, kernel_name(st.device)):
        names |= {p.name, kernel_name(p.path)}
    return names


def header_of(facts: HostObserved, st: CryptStatus, v: EncryptedVolume) -> LuksHeader | None:
    """The LUKS header under the mapping: by the UUID lsblk shows for its device, else by the declared device."""
    for p in parents(facts, kernel_name(st.device)):
        if p.uuid and p.uuid.lower() in facts.headers:
            return facts.headers[p.uuid.lower()]
    return next((h for h in facts.headers.values() if h.device and h.device == v.device), None)


def _where(facts: HostObserved, st: CryptStatus) -> str:
    return facts.label("cryptsetup", kernel_name(st.device))


@observed("T3-OBS-ENC-020", severity=H, title="declared encrypted volume not open",
          rationale="""The inventory declares a dm-crypt volume the host does not have open (no active
          /dev/mapper/NAME): the data meant to be on it is not, or is written in clear to the directory
          it should be mounted on. Nothing else is judged on it.""",
          hint="open the volume (cryptsetup open DEVICE NAME, and /etc/crypttab for boot), or correct "
               "tier3_host.encrypted_volumes", **COMMON)
def not_open(facts: HostObserved, ctx: Context) -> Iterator[Violation]:
    for v, st in _volumes(facts, ctx):
        if st is None:
            shown = ", ".join(sorted(n for n, s in facts.mappings.items() if s.active)) or "no dm-crypt mapping"
            yield Violation(f"/dev/mapper/{v.name}", f"declared {v.name} on {v.device}, observed {shown} open",
                            {"declared": _declared(v),
                             "observed": {"open": sorted(n for n, s in facts.mappings.items() if s.active)}},
                            where="cryptsetup status /dev/mapper/*")


@observed("T3-OBS-ENC-021", severity=M, title="declared encrypted volume not LUKS2", policy=("crypt_require_luks2",),
          rationale="""The declared volume is open but not as LUKS2: plain dm-crypt (no header, no key slots, no
          PBKDF) or LUKS1 (no header checksum, no argon2). LUKS1 is a finding while the policy value
          ``crypt_require_luks2`` is true (the default); plain always is.""",
          hint="move the data to a LUKS2 volume (cryptsetup convert --type luks2 for LUKS1, after a header "
               "backup)", **COMMON)
def not_luks2(facts: HostObserved, ctx: Context) -> Iterator[Violation]:
    for v, st in _open(facts, ctx):
        kind = st.type.upper()
        if kind == "LUKS2" or (kind == "LUKS1" and not ctx.policy["crypt_require_luks2"]):
            continue
        yield Violation(f"/dev/mapper/{v.name}", f"declared {v.name} LUKS2, observed {st.type or 'unknown type'}",
                        {"declared": _declared(v), "observed": _observed(st)}, where=_where(facts, st))


@observed("T3-OBS-ENC-022", severity=H, title="encrypted volume on another device than declared",
          rationale="""The declared volume is open over another device than the inventory names: the encrypted
          data is not on the mirrored array or LUN the design put it on (the declared device may then hold
          old data in clear, or nothing). A declared /dev/disk/by-uuid or by-id (virtio-SERIAL, wwn-WWN)
          path is resolved with lsblk; one it does not resolve is not judged.""",
          hint="open the volume from its declared device, or correct tier3_host.encrypted_volumes[].device", **COMMON)
def wrong_device(facts: HostObserved, ctx: Context) -> Iterator[Violation]:
    for v, st in _open(facts, ctx):
        wanted = resolved(v.device, facts.tree)
        if wanted.startswith("disk/"):
            continue
        names = device_names(facts, st)
        if wanted not in names:
            yield Violation(f"/dev/mapper/{v.name}", f"declared {v.name} on {v.device}, observed on "
                            f"{st.backing_device or ', '.join(sorted(names)) or 'an unknown device'}",
                            {"declared": _declared(v), "observed": {**_observed(st), "device_names": sorted(names)}},
                            where=_where(facts, st))


def policy_gaps(st: CryptStatus, header: LuksHeader | None, ctx: Context) -> list[str]:
    """What of the volume's cipher, key size and PBKDFs the policy refuses, as phrases."""
    allowed = tuple(ctx.policy["crypt_allowed_ciphers"])
    least = ctx.policy["crypt_min_key_bits"]
    weak = tuple(ctx.policy["crypt_weak_pbkdfs"])
    gaps = []
    if st.cipher and st.cipher not in allowed:
        gaps.append(f"cipher {st.cipher} (allowed: {', '.join(allowed[:2])}{', ...' if len(allowed) > 2 else ''})")
    if st.key_bits is not None and st.key_bits < least:
        gaps.append(f"{st.key_bits}-bit key (minimum {least})")
    for ks in header.keyslots if header is not None else ():
        if ks.enabled and ks.pbkdf in weak:
            gaps.append(f"key slot {ks.slot} PBKDF {ks.pbkdf}")
    return gaps


@observed("T3-OBS-ENC-023", severity=H, title="declared encrypted volume below the policy (cipher, key, PBKDF)",
          policy=("crypt_allowed_ciphers", "crypt_min_key_bits", "crypt_weak_pbkdfs"),
          rationale="""The declared volume's cipher or key size (from cryptsetup status), or the PBKDF of an
          enabled key slot of its header (from luksDump, found by the UUID of the device under it), is
          not what the policy asks: ``crypt_allowed_ciphers``, ``crypt_min_key_bits``,
          ``crypt_weak_pbkdfs``, the values T3-OBS-ENC-002..004 judge each mapping and header by. One
          finding per volume names every gap. Without its header (no luksdump evidence, LUKS1, plain) the
          PBKDF is not judged.""",
          hint="re-encrypt with --cipher aes-xts-plain64 --key-size 512, and cryptsetup luksConvertKey --pbkdf "
               "argon2id", **COMMON)
def below_policy(facts: HostObserved, ctx: Context) -> Iterator[Violation]:
    for v, st in _open(facts, ctx):
        header = header_of(facts, st, v)
        gaps = policy_gaps(st, header, ctx)
        if gaps:
            yield Violation(f"/dev/mapper/{v.name}", f"declared {v.name} within the policy, observed {'; '.join(gaps)}",
                            {"declared": _declared(v), "observed": {
                                **_observed(st), "pbkdf": None if header is None else
                                {ks.slot: ks.pbkdf for ks in header.keyslots if ks.enabled}}, "gaps": gaps},
                            where=_where(facts, st))


@observed("T3-OBS-ENC-024", severity=L, title="open LUKS volume on the host not declared",
          rationale="""The host has a LUKS volume open that the inventory does not declare: what it holds and
          where it is mounted were never part of the design the audit reports on. Drift between the
          inventory and the host.""",
          hint="declare the volume in tier3_host.encrypted_volumes, or close it", **COMMON)
def volume_undeclared(facts: HostObserved, ctx: Context) -> Iterator[Violation]:
    host = declared_host(ctx)
    if host is None or not facts.knows("cryptsetup"):
        return
    declared = {v.name for v in host.encrypted_volumes}
    for name, st in facts.mappings.items():
        if st.active and st.type.upper() in LUKS and name not in declared:
            yield Violation(st.device, f"declared volumes {', '.join(sorted(declared)) or 'none'}, observed {name} "
                            f"({st.type} on {st.backing_device}) open too",
                            {"declared": {"volumes": sorted(declared)}, "observed": _observed(st)},
                            where=_where(facts, st))


@observed("T3-OBS-ENC-025", severity=H, title="declared mount point not on the encrypted volume",
          rationale="""The declared mount point is not mounted from the volume (lsblk: no device mounted there
          has the mapping in its chain): nothing is mounted and what is written there lands on the root
          filesystem, or another device is mounted there; either way in clear. Judged on volumes that
          declare a mount and are open.""",
          hint="mount the filesystem of /dev/mapper/NAME at the declared mount point (and in /etc/fstab)",
          **COMMON)
def mount_elsewhere(facts: HostObserved, ctx: Context) -> Iterator[Violation]:
    if facts.tree is None:
        return
    walked = facts.tree.walk()
    for v, _st in _open(facts, ctx):
        if not v.mount:
            continue
        mounted = {dev.name: [d.name for d in (dev, *up)] for dev, up in walked if v.mount in dev.mountpoints}
        if any(v.name in chain for chain in mounted.values()):
            continue
        seen = ", ".join(f"{name} (on {' on '.join(chain[1:]) or 'nothing'})" for name, chain in mounted.items())
        yield Violation(f"/dev/mapper/{v.name}", f"declared {v.mount} on {v.name}, observed "
                        f"{seen + ' mounted there' if seen else 'nothing mounted there'}",
                        {"declared": _declared(v), "observed": {"mounted_at_mount": mounted}},
                        where=facts.label("lsblk", "tree"))
