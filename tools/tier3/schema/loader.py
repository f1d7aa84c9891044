"""``load_inventory(path)``: inventory -> schema check of every document -> Topology -> reference checks.

All problems of a stage are collected and raised together as ``InventorySchemaErrors``; the
reference checks run only on an inventory whose schema is clean (they need well-typed documents).
"""

from __future__ import annotations

import difflib
import gc
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from tier3.errors import InventoryError
from tier3.model import Location, Topology
from tier3.model.topology import SERVICE_GROUPS
from tier3.schema import build, compiled
from tier3.schema.availability import AVAILABILITY_VARS, check_availability, with_availability
from tier3.schema.dns import DNS_VARS, build_dns, check_dns
from tier3.schema.errors import InventorySchemaErrors
from tier3.schema.firewall import build_policy, check_firewall
from tier3.schema.inventory import Group, HostEntry, Layer, RawInventory, Sourced, lookup, read_inventory
from tier3.schema.mail import MAIL_VARS, build_drill, build_mail, check_mail
from tier3.schema.monitoring import MONITORING_VARS, check_monitoring
from tier3.schema.paths import hint, key_path
from tier3.schema.policy import VAR as POLICY_VAR
from tier3.schema.policy import overrides, policy_errors
from tier3.schema.references import check_references
from tier3.schema.schemas import CerberusError
from tier3.schema.yamlio import Unsafe, Vaulted

# tier3_archive (roles/archive): checked against its schema, read by the role and tier3 archive verify
ARCHIVE_VARS: Final = {"tier3_archive": "archive"}
# topology-wide variable -> schema kind of each list entry
TOPOLOGY_VARS: Final = {
    "tier3_sites": "site",
    "tier3_vips": "vip",
    "tier3_firewall_pairs": "firewall_pair",
    "tier3_firewall_policies": "firewall_policy",
    "tier3_load": "load",
    "tier3_waivers": "waiver",
}
# variables every host must see alike: set for all (group_vars/all), never for a group or a host
INVENTORY_WIDE_VARS: Final = frozenset({*TOPOLOGY_VARS, *MAIL_VARS, *DNS_VARS, *AVAILABILITY_VARS, *MONITORING_VARS,
                                        *ARCHIVE_VARS})
_KNOWN_VARS: Final = frozenset({"tier3_host", POLICY_VAR, *INVENTORY_WIDE_VARS})  # never a misspelt tier3_host
# T3-SEC-001: which BMC password values are vault references (see _vault_references)
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
# the whole value is one Jinja expression, "{{ ... }}", with nothing around it but blanks
_EXPRESSION = re.compile(r"^\s*\{\{-?(?P<expr>(?:(?!\{\{|\}\}|\{%|\{#).)*?)-?\}\}\s*$", re.DOTALL)
# one filter: "| trim", "| trim()", "| default(vault_x)" (a bare name as the only argument)
_FILTER = re.compile(rf"\|\s*(?P<filter>{_NAME})\s*(?:\(\s*(?P<arg>{_NAME})?\s*\)\s*)?")
_FILTERS = rf"(?P<filters>(?:\|\s*{_NAME}\s*(?:\(\s*(?:{_NAME})?\s*\)\s*)?)*)"
# a variable reference followed by filters: "vault_bmc_password | trim"
_REFERENCE = re.compile(rf"^\s*(?P<name>{_NAME})\s*{_FILTERS}$")
# a lookup of a secret store, its arguments literals or names: the secret is outside the inventory
_LOOKUP = re.compile(
    rf"^\s*(?:lookup|query|q)\s*\(\s*(?P<q>['\"])(?:{_NAME}\.{_NAME}\.)?(?P<plugin>{_NAME})(?P=q)"
    rf"(?:\s*,\s*(?:{_NAME}\s*=\s*)?(?:'[^'{{}}]*'|\"[^\"{{}}]*\"|{_NAME}))*\s*\)\s*{_FILTERS}$"
)
# filters without arguments that pass their input's content on: they cannot put a literal in
SAFE_FILTERS: Final = frozenset({"trim", "string", "b64decode", "unvault", "first"})
DEFAULT_FILTERS: Final = frozenset({"default", "d"})  # with a variable as argument: both must be vaulted
_CONSTANTS: Final = frozenset({"true", "false", "none", "True", "False", "None", "omit"})  # names, not variables
SECRET_STORES: Final = frozenset({
    "hashi_vault", "vault_read", "vault_kv1_get", "vault_kv2_get",  # community.hashi_vault
    "aws_secret", "secretsmanager_secret", "aws_ssm", "ssm_parameter",  # amazon.aws
    "azure_keyvault_secret",  # azure.azcollection
    "conjur_variable", "cyberarkpassword",  # cyberark.conjur, community.general
    "onepassword", "onepassword_raw", "bitwarden", "passwordstore", "keyring",  # community.general
})


@dataclass(frozen=True)
class LoadedInventory:
    topology: Topology
    notes: tuple[str, ...] = ()  # what was skipped and why (encrypted vars files, stray host_vars)


def load_topology(path: str | Path) -> Topology:
    """The declared topology of the inventory at ``path``; ``InventoryError`` on bad input."""
    return load_inventory(path).topology


def load_inventory(path: str | Path, *more: str | Path) -> LoadedInventory:
    """The topology and the loader's notes; ``InventorySchemaErrors`` lists every problem found.
    ``more`` sources are merged into the first as Ansible merges ``-i A -i B`` (``load_sources``).

    The cyclic garbage collector is paused while loading: the documents and dataclasses are
    acyclic, and on 10,000 hosts its repeated scans of the growing heap cost a third of the run.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _load(path, tuple(Path(p) for p in more))
    finally:
        if was_enabled:
            gc.enable()


def _load(path: str | Path, more: tuple[Path, ...]) -> LoadedInventory:
    raw = read_inventory(Path(path), *more)
    shown = raw.shown(Path(path))
    errors: list[InventoryError] = []
    everyone = HostEntry("localhost")  # no host of its own: what every host sees from group all
    all_layers = raw.layers(everyone, [raw.groups["all"]])[:-1]
    globals_ = {var: lookup(all_layers, var) for var in INVENTORY_WIDE_VARS}
    errors.extend(_check_globals(raw, shown, globals_))
    host_docs: list[tuple[HostEntry, frozenset[str], Sourced, bool, dict[str, Any]]] = []
    group_cache: dict[frozenset[str], list[Group]] = {}
    global_policy = lookup(all_layers, POLICY_VAR)
    policies: dict[tuple[str, str], dict[str, Any]] = {}  # (file, key) -> overrides: each checked once

    def checked_policy(found: Sourced | None) -> dict[str, Any]:
        if found is None:
            return {}
        where = (found.file, found.key)
        if where not in policies:
            errors.extend(policy_errors(found))
            policies[where] = overrides(found) if isinstance(found.value, dict) else {}
        return policies[where]

    inventory_policy = checked_policy(global_policy)
    for entry in raw.hosts.values():
        names = raw.ancestors(entry)
        groups = group_cache.get(names)
        if groups is None:
            groups = group_cache[names] = raw.sorted_groups(names)
        layers = raw.layers(entry, groups)
        found = lookup(layers, "tier3_host")
        member_of = names - {"all", "ungrouped"}
        if found is None:
            if member_of & set(SERVICE_GROUPS):
                errors.append(_missing_host(raw, entry, member_of, layers))
            continue
        if not isinstance(found.value, dict):
            errors.append(_not_mapping(found, "tier3_host", "write tier3_host as a mapping (site, rack, bmc, ...)"))
            continue
        issues = compiled.issues("host", found.value)
        errors.extend(_schema_error("host", found, (), found.value, i) for i in issues)
        policy = checked_policy(lookup(layers, POLICY_VAR))
        if not issues:
            host_docs.append((entry, frozenset(member_of), found, _password_vaulted(raw, entry, layers, found.value),
                              policy))
    if errors:
        raise InventorySchemaErrors(shown, errors)
    topology = _build(raw, shown, globals_, host_docs, inventory_policy,
                      is_vaulted=lambda value: _vaulted(raw, everyone, all_layers, value, depth=8))
    topology, errors = with_availability(topology, globals_)
    if errors:
        raise InventorySchemaErrors(shown, errors)
    errors = [*check_references(topology, raw), *check_mail(topology), *check_dns(topology),
              *check_availability(topology), *check_monitoring(globals_, vault_reference), *check_firewall(topology)]
    if errors:
        raise InventorySchemaErrors(shown, errors)
    return LoadedInventory(topology, tuple(raw.notes))


def _build(
    raw: RawInventory,
    shown: str,
    globals_: dict[str, Sourced | None],
    host_docs: list[tuple[HostEntry, frozenset[str], Sourced, bool, dict[str, Any]]],
    policy: dict[str, Any],
    *,
    is_vaulted: Callable[[Any], bool],
) -> Topology:
    def items(var: str) -> list[tuple[dict[str, Any], str, str]]:
        found = globals_[var]
        return [] if found is None else [(d, found.file, f"{found.key}[{i}]") for i, d in enumerate(found.value)]

    mail, drill, dns = globals_["tier3_mail"], globals_["tier3_drill"], globals_["tier3_dns"]

    return Topology(
        sites=tuple(build.site(*a) for a in items("tier3_sites")),
        hosts=tuple(
            build.host(entry.name, groups, found.value, found.file, found.key, vaulted=vaulted, policy=pol)
            for entry, groups, found, vaulted, pol in host_docs
        ),
        vips=tuple(build.vip(*a) for a in items("tier3_vips")),
        firewall_pairs=tuple(build.firewall_pair(*a) for a in items("tier3_firewall_pairs")),
        firewall_policies=tuple(build_policy(*a) for a in items("tier3_firewall_policies")),
        loads=tuple(build.load(*a) for a in items("tier3_load")),
        waivers=tuple(build.waiver(*a) for a in items("tier3_waivers")),
        source=shown,
        policy=policy,
        group_locations={
            g.name: Location(*g.declared) for g in raw.groups.values() if g.declared[0] and g.name != "all"
        },
        mail=None if mail is None else build_mail(mail.value, mail.file, mail.key, is_vaulted),
        drill=None if drill is None else build_drill(drill.value, drill.file, drill.key),
        dns=None if dns is None else build_dns(dns.value, dns.file, dns.key, vault_reference),
    )


def _check_list(found: Sourced, kind: str) -> list[InventoryError]:
    if not isinstance(found.value, list):
        return [
            _not_mapping(found, found.key, f"write {found.key} as a list of {kind.replace('_', ' ')} entries", "a list")
        ]
    errors: list[InventoryError] = []
    for i, doc in enumerate(found.value):
        if not isinstance(doc, dict):
            errors.append(
                InventoryError(
                    found.file, f"{found.key}[{i}]", "must be a mapping", hint=f"write each {kind} as key: value pairs"
                )
            )
            continue
        errors.extend(_schema_error(kind, found, (i,), doc, issue) for issue in compiled.issues(kind, doc))
    return errors


def _check_globals(raw: RawInventory, shown: str, globals_: dict[str, Sourced | None]) -> list[InventoryError]:
    """The inventory-wide variables: set for all only, tier3_sites present, each value against its schema."""
    errors = _misplaced(raw)
    if globals_["tier3_sites"] is None:
        errors.append(_missing_sites(raw, shown))
    for var, kind in TOPOLOGY_VARS.items():
        found = globals_[var]
        if found is not None:
            errors.extend(_check_list(found, kind))
    for var, kind in {**MAIL_VARS, **DNS_VARS, **AVAILABILITY_VARS, **MONITORING_VARS, **ARCHIVE_VARS}.items():
        found = globals_[var]
        if found is not None:
            errors.extend(_check_mapping(found, kind))
    return errors


def _check_mapping(found: Sourced, kind: str) -> list[InventoryError]:
    if not isinstance(found.value, dict):
        return [_not_mapping(found, found.key, f"write {found.key} as a mapping (docs/inventory.md)")]
    return [_schema_error(kind, found, (), found.value, issue) for issue in compiled.issues(kind, found.value)]


def _schema_error(kind: str, found: Sourced, prefix: tuple[Any, ...], doc: Any, issue: CerberusError) -> InventoryError:
    value: Any = doc
    for part in issue.path:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            value = None
            break
    return InventoryError(
        found.file,
        key_path(found.key, (*prefix, *issue.path)),
        f"{issue.message} (schema: {kind})",
        hint=hint(kind, issue, value),
    )


def _not_mapping(found: Sourced, what: str, fix: str, shape: str = "a mapping") -> InventoryError:
    return InventoryError(found.file, found.key, f"{what} must be {shape}, not {type(found.value).__name__}", hint=fix)


def _misplaced(raw: RawInventory) -> list[InventoryError]:
    """Topology-wide variables set anywhere but 'all' would give hosts different topologies."""
    out: list[InventoryError] = []
    scopes: list[Layer] = []
    for g in raw.groups.values():
        if g.name != "all":
            scopes.append(g.vars)
            scopes.extend(raw.group_files.get(g.name, ()))
    for h in raw.hosts.values():
        scopes.append(h.vars)
        scopes.extend(raw.host_files.get(h.name, ()))
    for layer in scopes:
        for var in sorted(INVENTORY_WIDE_VARS & layer.keys()):
            found = layer[var]
            out.append(
                InventoryError(
                    found.file,
                    found.key,
                    f"{var} is set for a group or host, so hosts would see different topologies",
                    hint=f"move {var} to group_vars/all.yml (or all: vars:)",
                )
            )
    return out


def _missing_sites(raw: RawInventory, shown: str) -> InventoryError:
    encrypted = raw.encrypted.get("group:all", [])
    if encrypted:
        return InventoryError(
            encrypted[0],
            "tier3_sites",
            "tier3_sites is in no readable file; this file is encrypted with ansible-vault and tier3 cannot read it",
            hint="keep tier3_sites in plain group_vars/all.yml; vault only the secrets (vault_* variables)",
        )
    return InventoryError(
        shown,
        "tier3_sites",
        "tier3_sites is not defined",
        hint=raw.misnamed.get("group:all") or "define the sites in group_vars/all.yml (docs/inventory.md)",
    )


def _missing_host(raw: RawInventory, entry: HostEntry, groups: frozenset[str], layers: list[Layer]) -> InventoryError:
    service = sorted(groups & set(SERVICE_GROUPS))
    encrypted = raw.encrypted.get(f"host:{entry.name}", [])
    if encrypted:
        return InventoryError(
            encrypted[0],
            "tier3_host",
            f"host {entry.name} (in {', '.join(service)}) has no readable tier3_host; this file is vault-encrypted",
            hint="keep tier3_host in plain host_vars; vault only the secrets (vault_* variables)",
        )
    file, key = entry.declared
    return InventoryError(
        file,
        key,
        f"host {entry.name} is in service group {', '.join(service)} but has no tier3_host",
        hint=_missing_host_fix(raw, entry, layers),
    )


def _missing_host_fix(raw: RawInventory, entry: HostEntry, layers: list[Layer]) -> str:
    """The fix for a missing tier3_host: a misspelt variable, a vars file that is a directory, or add it."""
    spelt = {var: found for layer in layers for var, found in layer.items() if var not in _KNOWN_VARS}
    close = difflib.get_close_matches("tier3_host", list(spelt), n=1, cutoff=0.8)
    if close:
        found = spelt[close[0]]
        return f"did you mean tier3_host? ({raw.relative(found.file)} sets {found.key})"
    misnamed = raw.misnamed.get(f"host:{entry.name}")
    if misnamed:
        return misnamed
    return f"add host_vars/{entry.name}.yml with tier3_host (site, rack, bmc, power_supplies, ...)"


def _password_vaulted(raw: RawInventory, entry: HostEntry, layers: list[Layer], doc: dict[str, Any]) -> bool:
    """True when the BMC password is a !vault value or a bare reference to a vaulted variable.

    A reference is ``{{ name }}``, optionally with filters that cannot put a literal in (``| trim``)
    or ``| default(other)`` naming another variable (then both must be vaulted); a lookup of a
    secret store also counts. Anything else holds, or may hold, a literal: ``{{ 'hunter2' }}``,
    ``{{ vault_x | default('admin') }}``, text around the braces, an ``!unsafe`` string.
    """
    bmc = doc.get("bmc")
    return _vaulted(raw, entry, layers, bmc.get("password") if isinstance(bmc, dict) else None, depth=8)


def _vaulted(raw: RawInventory, entry: HostEntry, layers: list[Layer], value: Any, depth: int) -> bool:
    if isinstance(value, Vaulted):
        return True
    if not isinstance(value, str) or isinstance(value, Unsafe) or depth == 0:  # follow references, not forever
        return False
    names = _vault_references(value)
    if names is None:
        return False
    for name in names:
        found = lookup(layers, name)
        if found is None:
            # undefined in readable files: in the vault by convention, or in an encrypted file in scope
            scopes = [f"host:{entry.name}", *(f"group:{g}" for g in raw.ancestors(entry))]
            if not (name.startswith("vault_") or any(s in raw.encrypted for s in scopes)):
                return False
        elif not _vaulted(raw, entry, layers, found.value, depth - 1):
            return False
    return True


def vault_reference(value: Any) -> bool:
    """A ``!vault`` value, or an expression ``_vault_references`` accepts; unlike ``_vaulted``, not followed
    (the lab keeps its ``vault_*`` in a plain secrets.yml: ``tier3.lab.secrets``)."""
    return isinstance(value, Vaulted) or (isinstance(value, str) and not isinstance(value, Unsafe)
                                          and _vault_references(value) is not None)


def _vault_references(value: str) -> tuple[str, ...] | None:
    """The variables a password expression stands for (each must be vaulted), ``()`` for a lookup of
    a secret store, or None when the value is, or may contain, a literal."""
    whole = _EXPRESSION.match(value)
    if whole is None:
        return None  # plain text, text around the braces, or several expressions
    expr = whole["expr"]
    ref = _REFERENCE.match(expr)
    if ref is not None:
        names = [ref["name"]]
        filters = ref["filters"]
    else:
        lookup_ = _LOOKUP.match(expr)
        if lookup_ is None or lookup_["plugin"] not in SECRET_STORES:
            return None  # a literal ('hunter2'), a concatenation, an arbitrary lookup (pipe, file...)
        names, filters = [], lookup_["filters"]
    for f in _FILTER.finditer(filters):
        arg = f["arg"]
        if f["filter"] in DEFAULT_FILTERS and arg is not None:
            names.append(arg)
        elif f["filter"] not in SAFE_FILTERS or arg is not None:
            return None
    return None if _CONSTANTS.intersection(names) else tuple(names)
