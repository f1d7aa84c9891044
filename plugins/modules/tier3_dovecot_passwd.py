#!/usr/bin/python
# Copyright: tier3 contributors
# Apache-2.0 (see LICENSE)
"""Write Dovecot's passwd-file from clear-text passwords, keeping every hash that still matches."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import tempfile
from typing import Any

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
---
module: tier3_dovecot_passwd
short_description: Dovecot passwd-file (passdb and userdb) from addresses and clear-text passwords, idempotent
description:
  - Writes one line C(address:{SCHEME}hash::::::) per user, in the order given, addresses in lower case. The
    userdb fields (uid, gid, gecos, home, shell, extra) are empty, so that the line counts as userdb information and
    the userdb's C(default_fields) fill them in.
  - A user's existing hash is kept when it has the requested scheme and still verifies the password
    (crypt(3) of the password with the stored hash as setting); otherwise a new hash with a fresh random salt
    is made. A second run with the same passwords therefore changes nothing.
  - Users missing from O(users) are removed from the file.
  - Passwords are never returned or logged (the option is C(no_log)); the module returns addresses only.
  - Uses the host's libcrypt (libxcrypt), the same crypt(3) Dovecot verifies the hashes with.
options:
  path:
    description: The passwd-file.
    type: path
    required: true
  users:
    description: The users.
    type: list
    elements: dict
    required: true
    suboptions:
      address:
        description: Login name (the mail address); no colon, no white space.
        type: str
        required: true
      password:
        description: The password in clear text.
        type: str
        required: true
  scheme:
    description: Dovecot password scheme of new hashes.
    type: str
    choices: [SHA512-CRYPT, BLF-CRYPT]
    default: SHA512-CRYPT
extends_documentation_fragment: [files]
attributes:
  check_mode:
    support: full
    description: Reports which users would get a new hash; writes nothing.
  diff_mode:
    support: none
    description: The file holds password hashes; no diff is shown.
author:
  - tier3 contributors
"""

EXAMPLES = r"""
- name: Users
  tier3_dovecot_passwd:
    path: /etc/dovecot/tier3-users
    users: "{{ tier3_mail.users }}"
    owner: root
    group: dovecot
    mode: "0640"
  no_log: true
"""

RETURN = r"""
users:
  description: The addresses written, in order.
  type: list
  elements: str
  returned: always
rehashed:
  description: The addresses whose hash is new (new users, changed passwords, changed scheme).
  type: list
  elements: str
  returned: always
removed:
  description: The addresses that were in the file and are not in O(users).
  type: list
  elements: str
  returned: always
"""

HEADER = "# Managed by Ansible (tier3 role dovecot): address:{SCHEME}hash, userdb fields from default_fields.\n"
# user:password:uid:gid:gecos:home:shell:extra_fields, the last six empty
EMPTY_USERDB_FIELDS = "::::::"
# Dovecot scheme -> (crypt(3) prefix, cost given to crypt_gensalt; 0 is the library's default)
SCHEMES: dict[str, tuple[bytes, int]] = {
    "SHA512-CRYPT": (b"$6$", 5000),
    "BLF-CRYPT": (b"$2y$", 10),
}


class Crypt:
    """crypt(3) and crypt_gensalt(3) of libxcrypt, the library Dovecot itself calls."""

    def __init__(self) -> None:
        name = ctypes.util.find_library("crypt") or "libcrypt.so.1"
        self._lib = ctypes.CDLL(name, use_errno=True)
        self._lib.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
        self._lib.crypt.restype = ctypes.c_char_p
        self._lib.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int]
        self._lib.crypt_gensalt.restype = ctypes.c_char_p

    def crypt(self, password: str, setting: str) -> str | None:
        out = self._lib.crypt(password.encode(), setting.encode())
        # libxcrypt returns a string starting with "*" for an invalid setting
        return None if not out or out.startswith(b"*") else out.decode()

    def new_hash(self, password: str, scheme: str) -> str:
        prefix, cost = SCHEMES[scheme]
        setting = self._lib.crypt_gensalt(prefix, cost, None, 0)  # NULL: random bytes from the OS
        if not setting:
            raise OSError(ctypes.get_errno(), f"crypt_gensalt({prefix.decode()}) failed")
        hashed = self.crypt(password, setting.decode())
        if hashed is None:
            raise OSError(0, f"crypt() refused the {scheme} setting")
        return hashed


def read_hashes(path: str) -> dict[str, str]:
    """address -> the password field ({SCHEME}hash) of an existing passwd-file."""
    found: dict[str, str] = {}
    if not os.path.exists(path):
        return found
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#") or ":" not in line:
                continue
            address, rest = line.rstrip("\n").split(":", 1)
            found[address] = rest.split(":", 1)[0]
    return found


def still_matches(crypt: Crypt, stored: str | None, password: str, scheme: str) -> bool:
    prefix = "{" + scheme + "}"
    if not stored or not stored.startswith(prefix):
        return False
    hashed = stored[len(prefix):]
    return crypt.crypt(password, hashed) == hashed


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "users": {
                "type": "list",
                "elements": "dict",
                "required": True,
                "options": {
                    "address": {"type": "str", "required": True},
                    "password": {"type": "str", "required": True, "no_log": True},
                },
            },
            "scheme": {"type": "str", "choices": list(SCHEMES), "default": "SHA512-CRYPT"},
        },
        add_file_common_args=True,
        supports_check_mode=True,
    )
    path: str = module.params["path"]
    scheme: str = module.params["scheme"]
    users: list[dict[str, Any]] = module.params["users"]

    addresses = [str(u["address"]).lower() for u in users]
    bad = [a for a in addresses if not a or ":" in a or any(c.isspace() for c in a)]
    if bad:
        module.fail_json(msg=f"addresses with a colon or white space cannot be passwd-file keys: {bad}")
    if len(set(addresses)) != len(addresses):
        module.fail_json(msg=f"an address is listed twice: {sorted({a for a in addresses if addresses.count(a) > 1})}")

    try:
        crypt = Crypt()
        existing = read_hashes(path)
        lines, rehashed = [HEADER], []
        for address, user in zip(addresses, users, strict=True):
            password = str(user["password"])
            if "\n" in password:
                module.fail_json(msg=f"{address}: the password has a line break")
            stored = existing.get(address)
            if still_matches(crypt, stored, password, scheme):
                field = str(stored)
            else:
                field = "{" + scheme + "}" + crypt.new_hash(password, scheme)
                rehashed.append(address)
            lines.append(f"{address}:{field}{EMPTY_USERDB_FIELDS}\n")
    except OSError as exc:
        module.fail_json(msg=f"{path}: {exc}")

    content = "".join(lines)
    current = None
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            current = handle.read()
    changed = content != current
    if changed and not module.check_mode:
        directory = os.path.dirname(path) or "."
        fd, tmp = tempfile.mkstemp(prefix=".tier3-users.", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        os.chmod(tmp, 0o600)  # until set_fs_attributes below gives it the requested mode
        module.atomic_move(tmp, path)
    if not module.check_mode or os.path.exists(path):
        file_args = module.load_file_common_arguments(module.params, path=path)
        changed = module.set_fs_attributes_if_different(file_args, changed)
    module.exit_json(
        changed=changed,
        users=addresses,
        rehashed=rehashed,
        removed=sorted(set(existing) - set(addresses)),
    )


if __name__ == "__main__":
    main()
