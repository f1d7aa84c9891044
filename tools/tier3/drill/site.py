"""The site a drill runs against, from an inventory's variables: hosts, groups, VIPs, the drill mailbox.

Built by ``site_from_vars`` from what Ansible knows: each host's variables and the groups. The CLI
reads them with ``ansible-inventory --list`` (``tier3.drill.inventory``), the ``tier3_drill``
action plugin from its task variables; both hand over a ``resolve`` callback that templates a
value (``{{ vault_tier3_mail_drill }}``) the way each can. Every missing or wrong key is a
``DrillError`` (exit 2) naming the key and the fix, raised before anything is touched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tier3.errors import Tier3Error

# the variables of the site a drill reads (group_vars/all), and those of each host
SITE_KEYS = ("tier3_drill", "tier3_mail", "tier3_vips", "pki_ca_dir")
HOST_KEYS = ("ansible_connection", "ansible_host", "ansible_user", "ansible_port")
SERVICE_GROUPS = ("lb", "mx", "imap")  # the groups a drill may kill a member of, in the order site vars are read
LAB_CA = Path(".cache") / "lab" / "pki" / "ca.crt"  # roles/pki's internal CA in the lab (pki_ca_dir's default)
DEFAULT_CONNECTION = "ssh"  # Ansible's own default

Resolve = Callable[[str, str, Any], Any]  # (host, key, raw value) -> templated value


class DrillError(Tier3Error):
    """A drill that cannot run: bad input, or a cluster not fit to be drilled (nothing was killed)."""


@dataclass(frozen=True)
class Host:
    """One inventory host as a drill reaches it: its name, Ansible connection and target."""

    name: str
    connection: str
    target: str  # ansible_host (a container name under Podman, an address or name over SSH), else the name
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Vip:
    name: str
    address: str
    services: tuple[str, ...]
    members: tuple[str, ...]  # host names, as tier3_vips lists them


@dataclass(frozen=True)
class DrillSite:
    """Everything a drill needs to know about the site, checked."""

    source: str  # how the inventory is named in messages
    inventory: tuple[str, ...]  # the -i sources, for `ansible HOST -i ...` (empty: Ansible's configured one)
    hosts: Mapping[str, Host]
    groups: Mapping[str, tuple[str, ...]]
    vips: tuple[Vip, ...]
    mailbox: str
    password: str = field(repr=False)
    rto_seconds: float = 3.0
    rpo_messages: int = 0
    smtp_name: str = ""  # tier3_mail.hostname: the name the MX certificate carries
    imap_name: str = ""  # tier3_mail.imap_hostname
    ca_file: str = ""  # "" = the system's trust store
    domain: str = ""

    def vip_for(self, service: str) -> Vip | None:
        return next((v for v in self.vips if service in v.services), None)

    def members(self, group: str) -> tuple[str, ...]:
        return self.groups.get(group, ())


def _fail(source: str, key: str, message: str, hint: str) -> DrillError:
    return DrillError(source, key, message, hint=hint)


def _mapping(source: str, key: str, value: Any, hint: str) -> Mapping[str, Any]:
    if value is None:
        raise _fail(source, key, "missing", hint)
    if not isinstance(value, Mapping):
        raise _fail(source, key, f"must be a mapping, got {type(value).__name__}", hint)
    return value


def _text(source: str, key: str, value: Any, hint: str) -> str:
    if value is None or value == "":
        raise _fail(source, key, "missing", hint)
    if not isinstance(value, str):
        raise _fail(source, key, f"must be a string, got {type(value).__name__}", hint)
    return value


def _number(source: str, key: str, value: Any, *, whole: bool) -> float:
    kind = "a whole number, 0 or more" if whole else "seconds, a number above 0"
    if isinstance(value, bool) or not isinstance(value, int | float) or (whole and not isinstance(value, int)):
        raise _fail(source, key, f"must be {kind}, got {value!r}", f"set {key} to {kind}")
    if (whole and value < 0) or (not whole and not value > 0):
        raise _fail(source, key, f"must be {kind}, got {value!r}", f"set {key} to {kind}")
    return float(value)


DRILL_HINT = ("declare tier3_drill: {mailbox: drill@DOMAIN, rto_seconds: 3.0, rpo_messages: 0} in group_vars/all "
              "(docs/drills.md)")


def _site_host(source: str, hostvars: Mapping[str, Mapping[str, Any]],
               groups: Mapping[str, Sequence[str]]) -> str:
    for group in SERVICE_GROUPS:
        for name in groups.get(group, ()):
            if name in hostvars:
                return name
    raise _fail(source, "groups", "no host in the groups lb, mx or imap",
                "run the drill against an inventory of the mail cluster (groups mx, imap, lb)")


def _vips(source: str, raw: Any) -> tuple[Vip, ...]:
    hint = "declare tier3_vips with name, address, services and members (docs/mail.md)"
    if not isinstance(raw, list) or not raw:
        raise _fail(source, "tier3_vips", "missing or empty", hint)
    out = []
    for i, entry in enumerate(raw):
        key = f"tier3_vips[{i}]"
        item = _mapping(source, key, entry, hint)
        name = _text(source, f"{key}.name", item.get("name"), hint)
        services = item.get("services")
        if not isinstance(services, list) or not all(isinstance(s, str) for s in services):
            raise _fail(source, f"{key}.services", "missing: the drills find their VIP by the services it fronts",
                        "list what the VIP fronts, e.g. services: [smtp, submission] (docs/mail.md)")
        members = item.get("members")
        if not isinstance(members, list) or not all(isinstance(m, Mapping) and m.get("host") for m in members):
            raise _fail(source, f"{key}.members", "missing or without host names", hint)
        out.append(Vip(name, _text(source, f"{key}.address", item.get("address"), hint), tuple(services),
                       tuple(str(m["host"]) for m in members)))
    return tuple(out)


def _password(source: str, mail: Mapping[str, Any], mailbox: str) -> str:
    hint = f"add {{address: {mailbox}, password: ...}} to tier3_mail.users (its password from the vault)"
    users = mail.get("users")
    if not isinstance(users, list):
        raise _fail(source, "tier3_mail.users", "missing", hint)
    for i, user in enumerate(users):
        if isinstance(user, Mapping) and user.get("address") == mailbox:
            return _text(source, f"tier3_mail.users[{i}].password", user.get("password"), hint)
    raise _fail(source, "tier3_drill.mailbox", f"{mailbox} is not one of tier3_mail.users", hint)


def _ca_file(source: str, value: Any, root: Path) -> str:
    if value in (None, ""):
        lab = root / LAB_CA
        return str(lab) if lab.is_file() else ""
    path = Path(_text(source, "pki_ca_dir", value, "set pki_ca_dir to the directory holding ca.crt"))
    ca = (path if path.is_absolute() else root / path) / "ca.crt"
    if not ca.is_file():
        raise _fail(source, "pki_ca_dir", f"no CA certificate at {ca}",
                    "converge roles/pki first (it writes the CA there), or point pki_ca_dir at it")
    return str(ca)


def _host(name: str, raw: Mapping[str, Any], groups: Mapping[str, Sequence[str]]) -> Host:
    connection = str(raw.get("ansible_connection") or DEFAULT_CONNECTION)
    target = str(raw.get("ansible_host") or name)
    member_of = tuple(g for g, names in groups.items() if name in names and g not in ("all", "ungrouped"))
    return Host(name, connection, target, member_of)


def site_from_vars(
    source: str,
    hostvars: Mapping[str, Mapping[str, Any]],
    groups: Mapping[str, Sequence[str]],
    resolve: Resolve,
    *,
    inventory: Sequence[str] = (),
    root: Path | None = None,
) -> DrillSite:
    """Check and gather what the drills need; ``resolve`` templates the site keys read from the first host
    of lb, mx or imap (they live in group_vars/all)."""
    root = root or Path.cwd()
    here = _site_host(source, hostvars, groups)
    raw = hostvars[here]

    def site_key(key: str) -> Any:
        return resolve(here, key, raw[key]) if key in raw else None

    drill = _mapping(source, "tier3_drill", site_key("tier3_drill"), DRILL_HINT)
    mailbox = _text(source, "tier3_drill.mailbox", drill.get("mailbox"), DRILL_HINT)
    if "@" not in mailbox:
        raise _fail(source, "tier3_drill.mailbox", f"{mailbox!r} is not a mail address", DRILL_HINT)
    rto = _number(source, "tier3_drill.rto_seconds", drill.get("rto_seconds", 3.0), whole=False)
    rpo = int(_number(source, "tier3_drill.rpo_messages", drill.get("rpo_messages", 0), whole=True))
    mail = _mapping(source, "tier3_mail", site_key("tier3_mail"), "declare tier3_mail (docs/mail.md)")
    vips = _vips(source, site_key("tier3_vips"))
    hosts = {name: _host(name, {k: resolve(name, k, v) for k, v in hostvars[name].items() if k in HOST_KEYS}, groups)
             for name in hostvars}
    for vip in vips:
        unknown = [m for m in vip.members if m not in hosts]
        if unknown:
            raise _fail(source, f"tier3_vips[{vip.name}].members", f"unknown host {', '.join(unknown)}",
                        "name inventory hosts as VIP members")
    return DrillSite(
        source=source, inventory=tuple(inventory), hosts=hosts,
        groups={g: tuple(n for n in names if n in hosts) for g, names in groups.items()},
        vips=vips, mailbox=mailbox, password=_password(source, mail, mailbox), rto_seconds=rto, rpo_messages=rpo,
        smtp_name=str(mail.get("hostname") or ""), imap_name=str(mail.get("imap_hostname") or ""),
        ca_file=_ca_file(source, site_key("pki_ca_dir"), root), domain=mailbox.rsplit("@", 1)[1],
    )
