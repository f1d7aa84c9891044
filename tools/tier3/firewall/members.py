"""How to reach each member of a pair, from the member's inventory variables (templated by Ansible, or
by the CLI's templater): ``ansible_host``, ``ansible_port``, ``ansible_user``, and a credential —
``tier3_fw_password`` (or ``ansible_password``), or ``tier3_fw_key_file`` with ``tier3_fw_key_passphrase``
— and ``tier3_fw_secret`` for an enable password. Keep the secrets in the vault; they go to Netmiko
only and are never printed (``Member.__repr__``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tier3.errors import InventoryError
from tier3.firewall.pair import Member

DEFAULT_PORT = 22
# member variable -> Netmiko ConnectHandler keyword
OPTIONAL = {"tier3_fw_password": "password", "ansible_password": "password", "tier3_fw_key_passphrase": "passphrase",
            "tier3_fw_secret": "secret"}
HOST_KEYS = ("ansible_host", "ansible_port", "ansible_user", "tier3_fw_key_file", *OPTIONAL)


def member_from_vars(source: str, name: str, variables: Mapping[str, Any]) -> Member:
    """The ``Member`` of inventory host ``name``; ``InventoryError`` naming the variable when one is missing."""
    user = variables.get("ansible_user")
    if not user:
        raise InventoryError(source, f"{name}.ansible_user", "the firewall's login user is not set",
                             hint="set ansible_user in the member's host_vars")
    params: dict[str, Any] = {"host": str(variables.get("ansible_host") or name), "username": str(user)}
    try:
        params["port"] = int(variables.get("ansible_port") or DEFAULT_PORT)
    except (TypeError, ValueError):
        raise InventoryError(source, f"{name}.ansible_port", f"{variables.get('ansible_port')!r} is not a port",
                             hint="write the SSH port as a number") from None
    for key, keyword in OPTIONAL.items():
        if variables.get(key) and keyword not in params:
            params[keyword] = str(variables[key])
    key_file = variables.get("tier3_fw_key_file")
    if key_file:
        params.update(key_file=str(key_file), use_keys=True, allow_agent=False)
    elif "password" not in params:
        raise InventoryError(source, f"{name}.tier3_fw_password", "no credential for the firewall login",
                             hint="set tier3_fw_password (a vault reference) or tier3_fw_key_file in host_vars")
    return Member(name, params)
