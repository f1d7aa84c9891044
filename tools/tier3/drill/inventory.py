"""The inventory as Ansible sees it, for the CLI: ``ansible-inventory -i INV --list`` and a templater.

``ansible-inventory`` reads every source and vars plugin the way a play does and decrypts the vault
(its password from Ansible's own configuration or environment: ``ANSIBLE_VAULT_PASSWORD_FILE``,
``vault_password_file`` in ansible.cfg), so a drill sees the secrets a play would. It does not
template: ``password: "{{ vault_tier3_mail_drill }}"`` comes out as written. ``Templater`` renders
such references with Jinja over the host's own variables (plain Jinja: a value that needs an
Ansible filter or lookup is refused with a fix; the ``tier3_drill`` action plugin templates with
Ansible itself).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
import jinja2.sandbox

from tier3.drill.site import DrillError, DrillSite, site_from_vars

TIMEOUT = 120.0  # seconds for ansible-inventory on a large inventory
MAX_DEPTH = 20  # nested references (a -> b -> c); deeper is a loop


def tool(name: str) -> str:
    """An Ansible command: the one beside this Python (the venv's), else the one on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise DrillError(name, "", f"{name} is not installed", hint="install ansible-core (pip install tier3)")
    return found


def inventory_args(sources: Sequence[str]) -> list[str]:
    out: list[str] = []
    for source in sources:
        out += ["-i", source]
    return out


def shown(sources: Sequence[str]) -> str:
    return " + ".join(sources) if sources else "the inventory of ansible.cfg"


def ansible_inventory(sources: Sequence[str]) -> dict[str, Any]:
    """``ansible-inventory --list`` of ``sources`` (none: the one ansible.cfg names), as JSON."""
    for source in sources:
        if "," not in source and not Path(source).exists():
            raise DrillError(source, "", "no such inventory file or directory", hint="give -i PATH of an inventory")
    argv = [tool("ansible-inventory"), *inventory_args(sources), "--list"]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise DrillError(shown(sources), "", f"ansible-inventory took more than {TIMEOUT:g} s",
                         hint="check the inventory's dynamic sources") from None
    if proc.returncode != 0:
        lines = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
        detail = next((line for line in lines if "ERROR" in line), lines[-1] if lines else "no output")
        hint = ("give Ansible the vault password (ANSIBLE_VAULT_PASSWORD_FILE, or vault_password_file in ansible.cfg)"
                if "vault" in proc.stderr.lower() else "run `ansible-inventory -i INV --list` to see the error")
        raise DrillError(shown(sources), "", f"ansible-inventory failed: {detail}", hint=hint)
    try:
        data = json.loads(proc.stdout)
    except ValueError as exc:
        raise DrillError(shown(sources), "", f"ansible-inventory printed no JSON ({exc})",
                         hint="run `ansible-inventory -i INV --list` by hand") from None
    if not isinstance(data, dict):
        raise DrillError(shown(sources), "", "ansible-inventory printed no mapping", hint="check the inventory")
    return data


def groups_of(listing: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Every group of a ``--list`` with its hosts, children's hosts included, in inventory order."""
    direct = {name: entry for name, entry in listing.items() if name != "_meta" and isinstance(entry, Mapping)}

    def hosts(name: str, seen: frozenset[str]) -> list[str]:
        entry = direct.get(name, {})
        out = list(entry.get("hosts", []))
        for child in entry.get("children", []):
            if child not in seen:
                out += [h for h in hosts(child, seen | {child}) if h not in out]
        return list(dict.fromkeys(out))

    return {name: tuple(hosts(name, frozenset({name}))) for name in direct}


def _vaulted(value: Any) -> bool:
    return isinstance(value, Mapping) and "__ansible_vault" in value


@dataclass
class Templater:
    """Renders the Jinja in a host's variables, references resolved against the same host's variables."""

    hostvars: Mapping[str, Mapping[str, Any]]
    source: str

    def __post_init__(self) -> None:
        self.env = jinja2.sandbox.ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined)

    def __call__(self, host: str, key: str, value: Any) -> Any:
        return self._render(host, key, value, 0)

    def _render(self, host: str, key: str, value: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise DrillError(self.source, key, "variables refer to each other in a loop", hint="break the loop")
        if _vaulted(value):
            raise DrillError(self.source, key, "vault-encrypted and no vault password was given",
                             hint="set ANSIBLE_VAULT_PASSWORD_FILE (or vault_password_file in ansible.cfg)")
        if isinstance(value, Mapping):
            return {k: self._render(host, f"{key}.{k}", v, depth) for k, v in value.items()}
        if isinstance(value, list):
            return [self._render(host, f"{key}[{i}]", v, depth) for i, v in enumerate(value)]
        if not isinstance(value, str) or ("{{" not in value and "{%" not in value):
            return value
        return self._template(host, key, value, depth)

    def _template(self, host: str, key: str, text: str, depth: int) -> Any:
        own = self.hostvars.get(host, {})
        try:
            parsed = self.env.parse(text)
            names = jinja2.meta.find_undeclared_variables(parsed)
            context = {n: self._render(host, n, own[n], depth + 1) for n in names if n in own}
            missing = sorted(n for n in names if n not in own)
            if missing:
                raise DrillError(self.source, key, f"refers to undefined {', '.join(missing)}",
                                 hint="define it in the inventory (a vault variable: give Ansible its password)")
            result = self.env.from_string(text).render(context)
        except jinja2.TemplateError as exc:
            raise DrillError(self.source, key, f"cannot be templated outside Ansible ({exc.message})",
                             hint="refer to a plain variable ({{ vault_name }}), or run playbooks/drill.yml, "
                                  "where Ansible templates it") from None
        whole = text.strip()
        if whole.startswith("{{") and whole.endswith("}}") and whole.count("{{") == 1 and names:
            only = next(iter(names)) if len(names) == 1 else None
            if only is not None and whole[2:-2].strip() == only:  # a bare reference keeps its type (a list, a number)
                return context[only]
        return result


def load_site(sources: Sequence[str], root: Path | None = None) -> DrillSite:
    """The drill site of ``sources`` as ``ansible-inventory`` reads them, templated."""
    listing = ansible_inventory(sources)
    meta = listing.get("_meta", {})
    hostvars = meta.get("hostvars", {}) if isinstance(meta, Mapping) else {}
    source = shown(sources)
    groups = groups_of(listing)
    return site_from_vars(source, hostvars, groups, Templater(hostvars, source), inventory=sources,
                          root=root or project_root(sources))


def project_root(sources: Sequence[str]) -> Path:
    """The checkout around the first inventory (the nearest directory holding ansible.cfg), else the cwd:
    relative paths in the inventory (pki_ca_dir) are read from there, as the playbooks do."""
    start = Path(sources[0]).resolve() if sources and Path(sources[0]).exists() else Path.cwd().resolve()
    for directory in (start, *start.parents):
        if (directory / "ansible.cfg").is_file():
            return directory
    return Path.cwd()


def unvault(source: str, variables: Mapping[str, Any]) -> dict[str, Any]:
    """``variables`` with each inline vault value (``ansible-inventory`` prints them still encrypted, as
    ``{"__ansible_vault": ...}``) decrypted with the vault password Ansible is configured with
    (``ANSIBLE_VAULT_PASSWORD_FILE``, ``vault_password_file`` in ansible.cfg, vault ids)."""
    if not any(_vaulted(v) for v in variables.values()):
        return dict(variables)
    from ansible import constants  # noqa: PLC0415  (heavy; only an inventory with vault values needs it)
    from ansible.cli import CLI  # noqa: PLC0415
    from ansible.errors import AnsibleError  # noqa: PLC0415
    from ansible.parsing.dataloader import DataLoader  # noqa: PLC0415
    from ansible.parsing.vault import VaultLib  # noqa: PLC0415

    files = [constants.DEFAULT_VAULT_PASSWORD_FILE] if constants.DEFAULT_VAULT_PASSWORD_FILE else []
    try:
        secrets = CLI.setup_vault_secrets(DataLoader(), list(constants.DEFAULT_VAULT_IDENTITY_LIST),
                                          vault_password_files=files, auto_prompt=False, initialize_context=False)
        vault = VaultLib(secrets)
        return {key: (vault.decrypt(value["__ansible_vault"]).decode() if _vaulted(value) else value)
                for key, value in variables.items()}
    except AnsibleError as exc:
        raise DrillError(source, "", f"a vault value cannot be decrypted: {str(exc).splitlines()[0]}",
                         hint="set ANSIBLE_VAULT_PASSWORD_FILE (or vault_password_file in ansible.cfg)") from None
