"""Policy values: the thresholds the observed rules judge with, each named, typed and defaulted.

A site tightens or relaxes them in its inventory with ``tier3_policy`` (a mapping of name ->
value), set where Ansible would set any variable: ``group_vars/all`` for every host,
``group_vars/site_<name>`` for one site, ``host_vars/<host>`` for one host (Ansible's precedence,
``hash_behaviour = replace``: the most specific ``tier3_policy`` wins whole). ``tier3 rules``
lists the values each rule reads; docs/rules.md lists them with their defaults.

Plain data (layer ``model``): the schema checks an inventory's overrides against ``VALUES``,
the rules read a resolved ``Policy``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PolicyValue:
    """One named threshold: its default, its type (``int``, ``bool`` or ``names``), and its bounds."""

    name: str
    default: int | bool | tuple[str, ...]
    kind: str  # "int", "bool" or "names" (a non-empty list of strings)
    summary: str
    minimum: int | None = None
    empty_ok: bool = False  # kind "names": an empty list is a value (an exception list), not a mistake

    def problem(self, value: Any) -> str:
        """Why ``value`` is not acceptable for this policy value ("" when it is)."""
        if self.kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                return f"must be an integer, got {type(value).__name__} {value!r}"
            if self.minimum is not None and value < self.minimum:
                return f"must be at least {self.minimum}, got {value}"
        elif self.kind == "bool":
            if not isinstance(value, bool):
                return f"must be true or false, got {type(value).__name__} {value!r}"
        elif not isinstance(value, list | tuple) or not (value or self.empty_ok) \
                or not all(isinstance(v, str) and v for v in value):
            return f"must be a {'' if self.empty_ok else 'non-empty '}list of names, got {value!r}"
        return ""

    def coerce(self, value: Any) -> int | bool | tuple[str, ...]:
        return tuple(value) if self.kind == "names" else value

    def shown(self) -> str:
        """The default as docs/rules.md prints it."""
        if isinstance(self.default, tuple):
            return ", ".join(self.default) or "none"
        return str(self.default).lower() if isinstance(self.default, bool) else str(self.default)


_VALUES = (
    PolicyValue("bond_min_members", 2, "int", "bond members that must carry traffic", minimum=1),
    PolicyValue("md_min_members", 2, "int", "member slots an md array must have", minimum=1),
    PolicyValue("mpath_min_paths", 2, "int", "multipath paths that must be active and ready", minimum=1),
    PolicyValue("psu_min_count", 2, "int", "power supplies a BMC must report", minimum=1),
    PolicyValue(
        "crypt_allowed_ciphers",
        ("aes-xts-plain64", "aes-xts-plain", "serpent-xts-plain64", "twofish-xts-plain64", "aes-adiantum-plain64",
         "xchacha20,aes-adiantum-plain64", "xchacha12,aes-adiantum-plain64"),
        "names",
        "dm-crypt ciphers accepted at rest",
    ),
    PolicyValue("crypt_min_key_bits", 256, "int", "shortest dm-crypt key accepted, in bits", minimum=128),
    PolicyValue("crypt_weak_pbkdfs", ("pbkdf2",), "names", "key-slot PBKDFs refused"),
    PolicyValue("crypt_require_luks2", True, "bool", "LUKS1 headers are a finding"),
    PolicyValue("crypt_plain_mounts", (), "names",
                "mount points allowed on an unencrypted device (exact; /boot and below always are)", empty_ok=True),
    PolicyValue("mail_queue_max_messages", 100, "int", "messages a Postfix queue may hold (every queue together)",
                minimum=0),
    PolicyValue("mail_queue_max_age_s", 3600, "int", "seconds a deferred message may wait in the queue", minimum=1),
    PolicyValue("replication_max_lag_s", 60, "int",
                "seconds a mailbox change may wait for its replication to the IMAP peer", minimum=1),
    PolicyValue("tls_expiry_warn_days", 30, "int", "days before a listener certificate's expiry that it is a finding",
                minimum=0),
    PolicyValue("log_retention_days", 365, "int", "days a host's journal (the mail log in it) must be kept at least",
                minimum=1),
    PolicyValue("tls_refused_versions", ("TLSv1", "TLSv1.1"), "names", "TLS versions a mail listener must refuse"),
)
VALUES: Mapping[str, PolicyValue] = {v.name: v for v in _VALUES}


class Policy(Mapping[str, Any]):
    """Resolved policy: the overrides given, every other value at its default. Read-only."""

    __slots__ = ("_overrides",)

    def __init__(self, overrides: Mapping[str, Any] | None = None) -> None:
        given = dict(overrides or {})
        unknown = sorted(set(given) - set(VALUES))
        if unknown:  # the schema reports these with file and key first; this guards direct callers
            raise KeyError(f"unknown policy value(s): {', '.join(unknown)}")
        self._overrides = {name: VALUES[name].coerce(value) for name, value in given.items()}

    def __getitem__(self, name: str) -> Any:
        if name in self._overrides:
            return self._overrides[name]
        return VALUES[name].default

    def __iter__(self) -> Iterator[str]:
        return iter(VALUES)

    def __len__(self) -> int:
        return len(VALUES)

    @property
    def overrides(self) -> dict[str, Any]:
        """Only what the inventory changed (what reports print as the policy in force)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self._overrides.items()}

    def __hash__(self) -> int:
        return hash(tuple(sorted((k, repr(v)) for k, v in self._overrides.items())))

    def __repr__(self) -> str:
        return f"Policy({self.overrides!r})"


DEFAULT_POLICY = Policy()
