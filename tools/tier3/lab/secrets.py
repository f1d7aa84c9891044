"""The lab's secrets: a password per mail user, the doveadm replication password, the DKIM key, the
TSIG key of the DNS servers' zone transfers, the password of the metal hosts' BMC emulators and the key of
their LUKS2 volumes.

Made once (``secrets.token_urlsafe``, a 2048-bit RSA key from ``cryptography``, 32 random bytes in
base64 for HMAC-SHA256) and kept in
inventory/lab/group_vars/all/secrets.yml (mode 0600), as plain text: the lab's stand-in for an
ansible-vault encrypted vars file. ``tier3 lab up`` reads them back before it renders the inventory
(``load_or_create``), so they stay the same from one ``up`` to the next, and makes only those that are
missing; ``tier3 lab down`` removes them with the inventory. mail.yml refers to them by name
(``"{{ vault_tier3_mail_alice }}"``), as a production inventory refers to its vault.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import yaml

from tier3.errors import LabError
from tier3.lab.hosts import DKIM_SELECTOR, MAIL_USERS

SOURCE = "tier3 lab"
SECRETS_FILE: Final = "group_vars/all/secrets.yml"  # relative to the lab inventory
PASSWORD_BYTES: Final = 24  # token_urlsafe(24): 32 characters, 192 bits
DKIM_KEY_BITS: Final = 2048
REPLICATION_VAR: Final = "vault_tier3_mail_replication"
TSIG_VAR: Final = "vault_tier3_dns_tsig"
BMC_PASSWORD_VAR: Final = "vault_tier3_bmc_password"  # the metal hosts' BMC emulators (tier3.lab.bmc)
LUKS_KEY_VAR: Final = "vault_tier3_luks_key"  # the metal hosts' LUKS2 volumes (roles/luks luks_keys)
TSIG_KEY_BYTES: Final = 32  # HMAC-SHA256: a key as long as the hash (RFC 2104 2)


def password_var(user: str) -> str:
    """The variable holding a lab user's password (``alice`` -> ``vault_tier3_mail_alice``)."""
    return f"vault_tier3_mail_{user}"


def dkim_var(selector: str) -> str:
    return f"vault_tier3_dkim_{selector}"


DKIM_VAR: Final = dkim_var(DKIM_SELECTOR)
NAMES: Final[tuple[str, ...]] = (*(password_var(u) for u in MAIL_USERS), REPLICATION_VAR, DKIM_VAR, TSIG_VAR,
                                  BMC_PASSWORD_VAR, LUKS_KEY_VAR)


@dataclass(frozen=True)
class LabSecrets(Mapping[str, str]):
    """Variable name -> secret value; the values never appear in a repr."""

    by_name: Mapping[str, str] = field(repr=False)

    def __getitem__(self, name: str) -> str:
        return self.by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.by_name)

    def __len__(self) -> int:
        return len(self.by_name)


def new_password() -> str:
    return secrets.token_urlsafe(PASSWORD_BYTES)


def new_dkim_key() -> str:
    """A fresh 2048-bit RSA private key, PEM (PKCS#1, the form opendkim-genkey writes)."""
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415  (only when a key is made)
    from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415

    key = rsa.generate_private_key(public_exponent=65537, key_size=DKIM_KEY_BITS)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption()).decode("ascii")


def new_tsig_key() -> str:
    """A fresh HMAC-SHA256 TSIG key: 32 random bytes, base64 (as ``keymgr -t`` and ``tsig-keygen`` print it)."""
    return base64.b64encode(secrets.token_bytes(TSIG_KEY_BYTES)).decode("ascii")


# IPMI 1.5 carries 16 bytes of password, IPMI 2.0 20 (ipmitool refuses more); ipmi_sim 2.0.33 takes at
# most 19 (measured: a 20-byte password fails RAKP 2). 16 fit every one of them.
BMC_PASSWORD_CHARS: Final = 16


def new_bmc_password() -> str:
    """A BMC password IPMI can carry: 16 characters of token_urlsafe (96 bits)."""
    return secrets.token_urlsafe(BMC_PASSWORD_CHARS * 3 // 4)


# the others are passwords
MAKERS: Final = {DKIM_VAR: new_dkim_key, TSIG_VAR: new_tsig_key, BMC_PASSWORD_VAR: new_bmc_password}


# what a kept secret must still be, or it is made anew (a BMC password made before IPMI's limit was known)
USABLE: Final = {BMC_PASSWORD_VAR: lambda value: len(value.encode()) <= BMC_PASSWORD_CHARS}


def complete(existing: Mapping[str, object]) -> LabSecrets:
    """Every secret the lab needs: those of ``existing`` kept, the missing (or empty, or unusable: ``USABLE``)
    ones made anew."""
    values: dict[str, str] = {}
    for name in NAMES:
        value = existing.get(name)
        if isinstance(value, str) and value and USABLE.get(name, bool)(value):
            values[name] = value
        elif value is None or isinstance(value, str):
            values[name] = MAKERS.get(name, new_password)()
        else:
            raise LabError(SOURCE, f"{SECRETS_FILE}: {name}", f"must be a string, not {type(value).__name__}",
                           hint="remove the line (or the file) to have a new secret generated")
    return LabSecrets(values)


def read(path: Path) -> dict[str, object]:
    """The secrets kept at ``path`` (empty when there is no file yet)."""
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise LabError(SOURCE, str(path), f"cannot read the lab's secrets: {exc}",
                       hint="remove the file to have new secrets generated (the lab's mail passwords change)") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise LabError(SOURCE, str(path), "the lab's secrets file is not a mapping of variables",
                       hint="remove the file to have new secrets generated")
    return {str(k): v for k, v in data.items()}


def load_or_create(path: Path) -> LabSecrets:
    """The secrets at ``path``, completed: the same on every ``lab up`` once they exist."""
    return complete(read(path))
