"""The lab's secrets: a password per mail user, the doveadm replication password, the DKIM key, the
TSIG key of the DNS servers' zone transfers, the password of the metal hosts' BMC emulators, the key of
their LUKS2 volumes and the passphrase of the firewall pair's SSH client key.

Made once (``secrets.token_urlsafe``, a 2048-bit RSA key from ``cryptography``, 32 random bytes in
base64 for HMAC-SHA256) and kept in
inventory/lab/group_vars/all/secrets.yml (mode 0600). ``tier3 lab up`` reads them back before it
renders the inventory (``load_or_create``), so they stay the same from one ``up`` to the next, and makes
only those that are missing; ``tier3 lab down`` removes them with the inventory. mail.yml refers to them
by name (``"{{ vault_tier3_mail_alice }}"``), as a production inventory refers to its vault.

The BMC password and the firewall key's passphrase (``VAULTED``) are ansible-vault values (``!vault``,
vault id ``lab``), as an operator keeps them: T3-SEC-001 follows the reference and finds them vaulted.
The lab's vault password is made once in ``.cache/lab/vault-password`` (mode 0600, beside the lab CA,
never in the inventory), and ansible.cfg's ``vault_password_file`` (tools/lab-vault-password) hands it
to Ansible. A sealed value is kept as written while it still decrypts to the same secret, so a second
``up`` changes nothing. The other secrets are plain text, for the lab only.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import yaml

from tier3.errors import LabError
from tier3.lab.hosts import DKIM_SELECTOR, MAIL_USERS

if TYPE_CHECKING:
    from ansible.parsing.vault import VaultLib

SOURCE = "tier3 lab"
SECRETS_FILE: Final = "group_vars/all/secrets.yml"  # relative to the lab inventory
PASSWORD_BYTES: Final = 24  # token_urlsafe(24): 32 characters, 192 bits
DKIM_KEY_BITS: Final = 2048
REPLICATION_VAR: Final = "vault_tier3_mail_replication"
TSIG_VAR: Final = "vault_tier3_dns_tsig"
BMC_PASSWORD_VAR: Final = "vault_tier3_bmc_password"  # the metal hosts' BMC emulators (tier3.lab.bmc)
LUKS_KEY_VAR: Final = "vault_tier3_luks_key"  # the metal hosts' LUKS2 volumes (roles/luks luks_keys)
FW_KEY_PASSPHRASE_VAR: Final = "vault_tier3_fw_key_passphrase"  # the firewall pair's client key (tier3.lab.firewall)
TSIG_KEY_BYTES: Final = 32  # HMAC-SHA256: a key as long as the hash (RFC 2104 2)


def password_var(user: str) -> str:
    """The variable holding a lab user's password (``alice`` -> ``vault_tier3_mail_alice``)."""
    return f"vault_tier3_mail_{user}"


def dkim_var(selector: str) -> str:
    return f"vault_tier3_dkim_{selector}"


DKIM_VAR: Final = dkim_var(DKIM_SELECTOR)
NAMES: Final[tuple[str, ...]] = (*(password_var(u) for u in MAIL_USERS), REPLICATION_VAR, DKIM_VAR, TSIG_VAR,
                                  BMC_PASSWORD_VAR, LUKS_KEY_VAR, FW_KEY_PASSPHRASE_VAR)


VAULT_ID: Final = "lab"
VAULT_PASSWORD_FILE: Final = "vault-password"  # in the lab's cache directory (.cache/lab)
VAULTED: Final = frozenset({BMC_PASSWORD_VAR, FW_KEY_PASSPHRASE_VAR})  # kept as !vault values


class Sealed(str):
    """An ansible-vault ciphertext (``$ANSIBLE_VAULT;1.2;AES256;lab`` ...), written as ``!vault |``."""

    __slots__ = ()


class _Loader(yaml.SafeLoader):
    """safe_load, with ``!vault`` scalars as ``Sealed``."""


def _sealed(loader: yaml.SafeLoader, node: yaml.Node) -> Sealed:
    if not isinstance(node, yaml.ScalarNode):
        raise yaml.constructor.ConstructorError(None, None, "a !vault value is a string", node.start_mark)
    return Sealed(loader.construct_scalar(node))


_Loader.add_constructor("!vault", _sealed)


def load_yaml(text: str) -> Any:
    """A YAML document of the lab inventory, as ``yaml.safe_load`` reads it, but ``!vault`` values are
    ``Sealed`` (secrets.yml holds one); raises ``yaml.YAMLError`` as safe_load does."""
    return yaml.load(text, Loader=_Loader)  # a SafeLoader


@dataclass(frozen=True)
class LabSecrets(Mapping[str, str]):
    """Variable name -> secret value; the values never appear in a repr. ``sealed``: the ansible-vault
    text of each ``VAULTED`` secret, as secrets.yml holds it."""

    by_name: Mapping[str, str] = field(repr=False)
    sealed: Mapping[str, Sealed] = field(default_factory=dict, repr=False)

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
    """The secrets kept at ``path`` (empty when there is no file yet); a vaulted one as ``Sealed``."""
    if not path.exists():
        return {}
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise LabError(SOURCE, str(path), f"cannot read the lab's secrets: {exc}",
                       hint="remove the file to have new secrets generated (the lab's mail passwords change)") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise LabError(SOURCE, str(path), "the lab's secrets file is not a mapping of variables",
                       hint="remove the file to have new secrets generated")
    return {str(k): v for k, v in data.items()}


def vault_password(cache_dir: Path) -> str:
    """The lab's vault password, from ``cache_dir/vault-password``; made (mode 0600) when there is none."""
    path = cache_dir / VAULT_PASSWORD_FILE
    try:
        found = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        found = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise LabError(SOURCE, str(path), f"cannot read the lab's vault password: {exc}",
                       hint="remove it and inventory/lab/group_vars/all/secrets.yml: `lab up` makes both anew",
                       ) from None
    if found:
        return found
    made = secrets.token_urlsafe(PASSWORD_BYTES)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(made + "\n")
    return made


def _vault(password: str) -> VaultLib:
    from ansible.parsing.vault import VaultLib, VaultSecret  # noqa: PLC0415  (ansible-core: only for the vault)

    return VaultLib([(VAULT_ID, VaultSecret(password.encode()))])


def unseal(existing: Mapping[str, object], password: str, path: Path) -> dict[str, object]:
    """``existing`` with every ``Sealed`` value decrypted; one that does not decrypt is a ``LabError``."""
    from ansible.errors import AnsibleError  # noqa: PLC0415

    out = dict(existing)
    for name, value in existing.items():
        if isinstance(value, Sealed):
            try:
                out[name] = _vault(password).decrypt(str(value).strip()).decode("utf-8")
            except (AnsibleError, UnicodeDecodeError) as exc:
                raise LabError(SOURCE, f"{path}: {name}", f"does not decrypt with the lab's vault password ({exc})",
                               hint=f"remove the line: `lab up` makes a new {name}") from None
    return out


def seal(values: LabSecrets, existing: Mapping[str, object], opened: Mapping[str, object],
         password: str) -> LabSecrets:
    """``values`` with the ``VAULTED`` ones sealed: the text already kept (``existing``) when it still holds
    the same secret (``opened``: ``existing`` unsealed), so nothing changes on a second ``up``; else
    encrypted anew (ansible-vault, AES256)."""
    sealed: dict[str, Sealed] = {}
    for name in sorted(VAULTED & set(values)):
        kept = existing.get(name)
        if isinstance(kept, Sealed) and opened.get(name) == values[name]:
            sealed[name] = kept
        else:
            sealed[name] = Sealed(_vault(password).encrypt(values[name], vault_id=VAULT_ID).decode("ascii"))
    return LabSecrets(values.by_name, sealed)


def load_or_create(path: Path, cache_dir: Path) -> LabSecrets:
    """The secrets at ``path``, completed and the vaulted ones sealed with the lab's vault password (in
    ``cache_dir``): the same on every ``lab up`` once they exist."""
    password = vault_password(cache_dir)
    existing = read(path)
    opened = unseal(existing, password, path)
    return seal(complete(opened), existing, opened, password)
