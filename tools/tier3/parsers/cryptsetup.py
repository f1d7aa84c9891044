"""``cryptsetup status NAME`` and ``cryptsetup luksDump DEVICE`` -> encryption facts. Pure.

``cryptsetup status`` (cryptsetup 2.6)::

    /dev/mapper/cryptmd is active.
      type:    LUKS2
      cipher:  aes-xts-plain64
      keysize: 512 bits
      key location: keyring
      device:  /dev/md1

(``/dev/mapper/x is inactive.`` alone for a name that is not open.)

``cryptsetup luksDump`` LUKS2 (``Data segments:``, ``Keyslots:``, ``Tokens:``, ``Digests:``)::

    LUKS header information
    Version:        2
    ...
    Keyslots:
      0: luks2
            Key:        512 bits
            Cipher:     aes-xts-plain64
            PBKDF:      argon2id
            Time cost:  4
            Memory:     141241
            Threads:    2

and LUKS1 (``Cipher name:``/``Cipher mode:``/``MK bits:``, eight ``Key Slot N: ENABLED|DISABLED``,
the PBKDF is always pbkdf2 with ``Iterations:``). Completeness: a LUKS1 dump lists all eight key
slots; a LUKS2 dump ends with its ``Digests:`` section, each digest ending with ``Digest:``.

``cryptsetup luksDump --dump-json-metadata DEVICE`` (LUKS2 only; what a host gives): the header's JSON
area, no key material and neither the UUID nor the device, which the caller passes (the UUID is read
from a ``/dev/disk/by-uuid/UUID`` device)::

    {"keyslots": {"0": {"type": "luks2", "key_size": 64,
                        "kdf": {"type": "argon2id", "time": 4, "memory": 374572, "cpus": 2, ...}, ...}},
     "tokens": {}, "segments": {"0": {"type": "crypt", "encryption": "aes-xts-plain64", ...}},
     "digests": {"0": {...}}, "config": {"json_size": "12288", "keyslots_size": "16744448"}}

``key_size`` is in bytes (64: a 512-bit XTS key). A key slot of another type than ``luks2`` (the
``reencrypt`` slot of a re-encryption in progress) holds no passphrase and is not listed. Completeness:
JSON that parses, with its four sections as objects. ``parse_luks_header`` reads either form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tier3.errors import ParseError
from tier3.parsers._text import check_text, key_value, load_json, to_int

STATUS_WHAT = "cryptsetup status output ('/dev/mapper/NAME is active.' first)"
DUMP_WHAT = "cryptsetup luksDump output ('LUKS header information' first)"
_STATUS = re.compile(r"^(?P<dev>\S+) is (?P<state>active|inactive)(?P<use> and is in use)?\.\s*$")
_LUKS1_SLOT = re.compile(r"^Key Slot (?P<n>\d+): (?P<state>ENABLED|DISABLED)\s*$")
_LUKS2_ITEM = re.compile(r"^  (?P<n>\d+): (?P<type>\S+)\s*$")
LUKS1_SLOTS = 8


@dataclass(frozen=True)
class CryptStatus:
    device: str  # /dev/mapper/NAME
    active: bool
    type: str  # LUKS1, LUKS2, PLAIN, ... ("" when inactive)
    cipher: str
    key_bits: int | None
    backing_device: str
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class KeySlot:
    slot: int
    enabled: bool
    pbkdf: str  # argon2id, argon2i, pbkdf2
    parameters: dict[str, str]  # Time cost/Memory/Threads, or Hash/Iterations
    line: int  # 0 in the JSON form: see pointer
    pointer: str = ""  # the JSON pointer of the key slot (/keyslots/0), "" in the text form


@dataclass(frozen=True)
class LuksHeader:
    device: str  # from the LUKS1 title line; "" for LUKS2 (not printed)
    version: int
    uuid: str
    cipher: str
    key_bits: int | None
    keyslots: tuple[KeySlot, ...]

    @property
    def name(self) -> str:
        """The device when the dump names it (LUKS1) or the caller does, else ``luks:UUID`` (``luks``
        when the UUID is not known either: the JSON form of a saved file)."""
        return self.device or (f"luks:{self.uuid}" if self.uuid else "luks")


def _bits(value: str, source: str, where: str) -> int:
    m = re.fullmatch(r"(\d{1,6}) bits", value.strip())
    if not m:
        raise ParseError(source, where, f"expected 'N bits', got {value.strip()[:30]!r}")
    return int(m[1])


def parse_cryptsetup_status(text: str, source: str) -> CryptStatus:
    """Parse ``cryptsetup status NAME`` for one mapping (active or not)."""
    lines = check_text(text, source, STATUS_WHAT)
    first = next(i for i, raw in enumerate(lines) if raw.strip())
    m = _STATUS.match(lines[first].strip())
    if not m:
        raise ParseError(source, f"line {first + 1}", f"expected {STATUS_WHAT}, got {lines[first].strip()[:60]!r}")
    fields: dict[str, str] = {}
    at: dict[str, int] = {}
    for n, raw in enumerate(lines[first + 1:], start=first + 2):
        if not raw.strip():
            continue
        if not raw.startswith(" "):
            raise ParseError(source, f"line {n}", f"expected an indented 'key: value' line, got {raw.strip()[:60]!r}")
        key, value = key_value(raw, source, f"line {n}", STATUS_WHAT)
        fields[key] = value
        at[key] = n
    if m["state"] == "inactive":
        if fields:
            raise ParseError(source, f"line {first + 2}", "an inactive mapping has no fields")
        return CryptStatus(m["dev"], False, "", "", None, "")
    for key in ("type", "cipher", "keysize", "device", "mode"):
        if key not in fields:
            raise ParseError(source, f"line {len(lines)}", f"no '{key}:' line (truncated?)")
    return CryptStatus(device=m["dev"], active=True, type=fields["type"], cipher=fields["cipher"],
                       key_bits=_bits(fields["keysize"], source, f"line {at['keysize']}"),
                       backing_device=fields["device"], fields=fields)


def parse_luks_dump(text: str, source: str) -> LuksHeader:
    """Parse ``cryptsetup luksDump`` of a LUKS1 or LUKS2 header."""
    lines = check_text(text, source, DUMP_WHAT)
    first = next(i for i, raw in enumerate(lines) if raw.strip())
    title = lines[first].strip()
    if not title.startswith("LUKS header information"):
        raise ParseError(source, f"line {first + 1}", f"expected {DUMP_WHAT}, got {title[:60]!r}")
    device = title.removeprefix("LUKS header information").removeprefix(" for ").strip()
    body = [(n, raw) for n, raw in enumerate(lines[first + 1:], start=first + 2) if raw.strip()]
    version_line = next(((n, raw) for n, raw in body if raw.startswith("Version:")), None)
    if version_line is None:
        raise ParseError(source, f"line {first + 2}", "no 'Version:' line")
    version = to_int(version_line[1].partition(":")[2], source, f"line {version_line[0]}", "Version")
    if version == 1:
        return _luks1(body, device, source)
    if version == 2:
        return _luks2(body, device, source)
    raise ParseError(source, f"line {version_line[0]}", f"LUKS version {version}: expected 1 or 2")


def _luks1(body: list[tuple[int, str]], device: str, source: str) -> LuksHeader:  # noqa: PLR0912  one branch per line shape
    top: dict[str, str] = {}
    slots: list[KeySlot] = []
    for n, raw in body:
        if (m := _LUKS1_SLOT.match(raw)) is not None:
            slots.append(KeySlot(int(m["n"]), m["state"] == "ENABLED", "pbkdf2", {}, n))
        elif raw[:1] in (" ", "\t"):
            if ":" not in raw:
                continue  # second line of a hex salt or digest
            key, value = key_value(raw, source, f"line {n}", DUMP_WHAT)
            if slots:
                if key != "Salt":
                    slots[-1].parameters[key] = value
            else:
                top.setdefault(key, value)
        elif not slots:
            key, value = key_value(raw, source, f"line {n}", DUMP_WHAT)
            top.setdefault(key, value)
        else:
            raise ParseError(source, f"line {n}", f"expected 'Key Slot N: ENABLED|DISABLED', got {raw.strip()[:60]!r}")
    for key in ("Cipher name", "Cipher mode", "Hash spec", "MK bits", "UUID"):
        if key not in top:
            raise ParseError(source, f"line {body[-1][0]}", f"LUKS1 dump without '{key}:'")
    if [s.slot for s in slots] != list(range(LUKS1_SLOTS)):
        raise ParseError(source, f"line {body[-1][0]}", f"LUKS1 dump lists key slots {[s.slot for s in slots]}, "
                         f"expected 0..{LUKS1_SLOTS - 1} (truncated?)")
    for s in slots:
        if s.enabled and "AF stripes" not in s.parameters:
            raise ParseError(source, f"line {s.line}", f"enabled key slot {s.slot} without 'AF stripes:' (truncated?)")
        if s.enabled:
            s.parameters["Hash"] = top["Hash spec"]
    bits = to_int(top["MK bits"], source, "MK bits", "MK bits")
    return LuksHeader(device, 1, top["UUID"], f"{top['Cipher name']}-{top['Cipher mode']}", bits, tuple(slots))


_LUKS2_SECTIONS = ("Data segments:", "Keyslots:", "Tokens:", "Digests:")


def _luks2(body: list[tuple[int, str]], device: str, source: str) -> LuksHeader:  # noqa: PLR0912  one branch per line shape
    top: dict[str, str] = {}
    section = ""
    items: dict[str, list[tuple[int, str, dict[str, str]]]] = {s: [] for s in _LUKS2_SECTIONS}
    for n, raw in body:
        if raw.strip() in _LUKS2_SECTIONS and not raw.startswith(" "):
            section = raw.strip()
            continue
        if not section:
            key, value = key_value(raw, source, f"line {n}", DUMP_WHAT)
            top.setdefault(key, value)
        elif (m := _LUKS2_ITEM.match(raw)) is not None:
            items[section].append((n, m["n"], {"type": m["type"]}))
        elif raw.startswith("\t") or raw.startswith("    "):
            if not items[section]:
                raise ParseError(source, f"line {n}", f"indented line before any item of {section!r}")
            if raw.startswith("\t") and ":" in raw:
                key, value = key_value(raw, source, f"line {n}", DUMP_WHAT)
                items[section][-1][2].setdefault(key, value)
        else:
            raise ParseError(source, f"line {n}", f"unexpected line in {section!r}: {raw.strip()[:60]!r}")
    if section != "Digests:" or not items["Digests:"]:
        raise ParseError(source, f"line {body[-1][0]}", "LUKS2 dump does not end with its 'Digests:' section "
                         "(truncated?)")
    if "Digest" not in items["Digests:"][-1][2]:
        raise ParseError(source, f"line {body[-1][0]}", "last digest without its 'Digest:' line (truncated?)")
    segments = items["Data segments:"]
    if not segments or "cipher" not in segments[0][2]:
        raise ParseError(source, "Data segments", "no data segment with a 'cipher:'")
    slots = []
    for n, num, f in items["Keyslots:"]:
        if "PBKDF" not in f or "Key" not in f:
            raise ParseError(source, f"line {n}", f"key slot {num} without 'Key:' and 'PBKDF:'")
        params = {k: v for k, v in f.items() if k in ("Time cost", "Memory", "Threads", "Hash", "Iterations")}
        slots.append(KeySlot(int(num), True, f["PBKDF"], params, n))
    key_bits = _bits(items["Keyslots:"][0][2]["Key"], source, f"line {items['Keyslots:'][0][0]}") if slots else None
    return LuksHeader(device, 2, top.get("UUID", ""), segments[0][2]["cipher"], key_bits, tuple(slots))


JSON_WHAT = "cryptsetup luksDump --dump-json-metadata output ({\"keyslots\": ..., \"segments\": ...})"
BY_UUID = "/dev/disk/by-uuid/"
_JSON_SECTIONS = ("keyslots", "tokens", "segments", "digests", "config")
# LUKS2 kdf type -> (JSON key, the name the text form prints)
_KDF_PARAMETERS: dict[str, tuple[tuple[str, str], ...]] = {
    "argon2id": (("time", "Time cost"), ("memory", "Memory"), ("cpus", "Threads")),
    "argon2i": (("time", "Time cost"), ("memory", "Memory"), ("cpus", "Threads")),
    "pbkdf2": (("hash", "Hash"), ("iterations", "Iterations")),
}


def _numbered(section: dict[str, object], source: str, ptr: str) -> list[tuple[int, object]]:
    """A LUKS2 section's items in order: their keys are decimal numbers ("0", "1", ...)."""
    bad = [k for k in section if not k.isdigit()]
    if bad:
        raise ParseError(source, f"{ptr}/{bad[0]}", f"expected numbered items in {ptr[1:]!r}, got key {bad[0]!r}")
    return sorted(((int(k), v) for k, v in section.items()), key=lambda kv: kv[0])


def _json_keyslot(number: int, node: object, source: str) -> tuple[KeySlot, int] | None:
    """A ``luks2`` key slot and its key size in bytes; None for a slot of another type."""
    ptr = f"/keyslots/{number}"
    if not isinstance(node, dict):
        raise ParseError(source, ptr, "expected a key slot object")
    if node.get("type") != "luks2":
        return None  # a reencrypt slot: no passphrase opens it
    kdf = node.get("kdf")
    if not isinstance(kdf, dict) or not isinstance(kdf.get("type"), str):
        raise ParseError(source, f"{ptr}/kdf", 'expected {"type": "argon2id"|"argon2i"|"pbkdf2", ...}')
    key_size = node.get("key_size")
    if isinstance(key_size, bool) or not isinstance(key_size, int) or key_size <= 0:
        raise ParseError(source, f"{ptr}/key_size", "expected the key size in bytes (a positive integer)")
    params = {shown: str(kdf[key]) for key, shown in _KDF_PARAMETERS.get(kdf["type"], ()) if key in kdf}
    return KeySlot(number, True, kdf["type"], params, 0, ptr), key_size


def parse_luks2_json(text: str, source: str, device: str = "") -> LuksHeader:
    """Parse ``cryptsetup luksDump --dump-json-metadata DEVICE``; ``device`` is the one it was run on."""
    doc = load_json(text, source, JSON_WHAT)
    if not isinstance(doc, dict):
        raise ParseError(source, "", f"expected {JSON_WHAT}")
    for key in _JSON_SECTIONS:
        if not isinstance(doc.get(key), dict):
            raise ParseError(source, f"/{key}", f"expected the {key!r} object of the LUKS2 metadata")
    crypt = next((seg for _, seg in _numbered(doc["segments"], source, "/segments")
                  if isinstance(seg, dict) and seg.get("type") == "crypt" and isinstance(seg.get("encryption"), str)),
                 None)
    if crypt is None:
        raise ParseError(source, "/segments", "no data segment of type 'crypt' with an 'encryption'")
    slots = [found for n, node in _numbered(doc["keyslots"], source, "/keyslots")
             if (found := _json_keyslot(n, node, source)) is not None]
    uuid = device[len(BY_UUID):] if device.startswith(BY_UUID) else ""
    return LuksHeader(device, 2, uuid, crypt["encryption"], slots[0][1] * 8 if slots else None,
                      tuple(ks for ks, _ in slots))


def parse_luks_header(text: str, source: str, device: str = "") -> LuksHeader:
    """``cryptsetup luksDump`` in either form, told apart by the first character (``{``: JSON); ``device``
    names the device it was run on where the output does not."""
    if isinstance(text, str) and text.lstrip().startswith("{"):
        return parse_luks2_json(text, source, device)
    header = parse_luks_dump(text, source)
    if header.device or not device:
        return header
    return LuksHeader(device, header.version, header.uuid, header.cipher, header.key_bits, header.keyslots)
