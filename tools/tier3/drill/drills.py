"""The drills, as a table: what each kills, which probe measures the takeover, what it needs.

``DRILLS[name].plan(site, holders)`` checks that the site has what the drill needs (a ``DrillError``
naming the key otherwise) and says whom to kill; ``holders(vip)`` tells who holds a VIP now (the
LB drill kills that one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tier3.drill.probe import IMAPS_PORT, SMTP_PORT, Endpoint
from tier3.drill.site import SERVICE_GROUPS, DrillError, DrillSite, Vip

# the port that answers on a host of each role once it is back (from the controller: open to anyone)
REJOIN_PORTS: dict[str, int] = {"lb": SMTP_PORT, "mx": SMTP_PORT, "imap": IMAPS_PORT}
# the units that must be active again on a host of each role (keepalived too on any VIP member)
ROLE_UNITS: dict[str, tuple[str, ...]] = {"lb": ("haproxy",), "mx": ("postfix@-",), "imap": ("dovecot",)}
SERVICES_HINT = "list the services each VIP fronts in tier3_vips (smtp, submission, imap, imaps, lmtp; docs/mail.md)"


@dataclass(frozen=True)
class Plan:
    """One drill made concrete for a site: whom to kill, as which role, and where the probes go."""

    drill: str
    target: str
    role: str  # lb, mx or imap: what is killed on an SSH host, what must come back
    smtp_vip: Vip
    imap_vip: Vip
    smtp: Endpoint
    imap: Endpoint
    probe: str  # "smtp" or "imap": the stream that measures the takeover
    vips: tuple[Vip, ...]  # the VIPs whose holders are counted before and after

    @property
    def measured_vip(self) -> Vip:
        return self.imap_vip if self.probe == "imap" else self.smtp_vip


Holders = Callable[[Vip], tuple[list[str], list[str]]]  # vip -> (members holding it, members not readable)


def _vip(site: DrillSite, service: str) -> Vip:
    vip = site.vip_for(service)
    if vip is None:
        raise DrillError(site.source, "tier3_vips", f"no VIP fronts the {service} service", hint=SERVICES_HINT)
    return vip


def _pair(site: DrillSite, group: str) -> tuple[str, ...]:
    members = site.members(group)
    if len(members) < 2:
        raise DrillError(site.source, f"groups.{group}", f"the drill needs at least two hosts in group {group}, "
                         f"found {len(members)}", hint=f"add the {group} pair to the inventory")
    return members


def role_of(site: DrillSite, host: str) -> str:
    for group in SERVICE_GROUPS:
        if host in site.members(group):
            return group
    raise DrillError(site.source, f"{host}", "is in none of the groups lb, mx, imap",
                     hint="VIP members must be hosts of the mail cluster's groups")


@dataclass(frozen=True)
class Drill:
    name: str
    summary: str
    probe: str
    choose: Callable[[DrillSite, Vip, Vip, Holders], str]

    @property
    def runbook(self) -> str:
        return f"docs/runbooks/{self.name}.md"

    def plan(self, site: DrillSite, holders: Holders) -> Plan:
        smtp_vip, imap_vip = _vip(site, "smtp"), _vip(site, "imaps")
        target = self.choose(site, smtp_vip, imap_vip, holders)
        role = role_of(site, target)
        vips = tuple(v for v in site.vips if v in (smtp_vip, imap_vip) or target in v.members)
        ca = site.ca_file
        return Plan(
            drill=self.name, target=target, role=role, smtp_vip=smtp_vip, imap_vip=imap_vip,
            smtp=Endpoint(smtp_vip.address, SMTP_PORT, site.smtp_name or smtp_vip.address, ca),
            imap=Endpoint(imap_vip.address, IMAPS_PORT, site.imap_name or imap_vip.address, ca),
            probe=self.probe, vips=vips,
        )


def _vip_holder(site: DrillSite, smtp_vip: Vip, _imap: Vip, holders: Holders) -> str:
    if len(smtp_vip.members) < 2:
        raise DrillError(site.source, f"tier3_vips[{smtp_vip.name}].members", "the VIP has one member: nothing "
                         "can take over", hint="give the VIP two members in two racks")
    held, unknown = holders(smtp_vip)
    if unknown:
        raise DrillError(site.source, f"vip:{smtp_vip.name}", f"cannot read the addresses of {', '.join(unknown)} "
                         "before the drill; nothing was killed",
                         hint="check that the members run and that their connection works (ansible -m ping)")
    if len(held) != 1:
        raise DrillError(site.source, f"vip:{smtp_vip.name}", f"{smtp_vip.address} is held by {len(held)} members "
                         f"({', '.join(held) or 'none'}) before the drill; nothing was killed",
                         hint="bring the VIP to exactly one member first (keepalived on both, VRRP between them)")
    return held[0]


def _first_mx(site: DrillSite, _smtp: Vip, _imap: Vip, _holders: Holders) -> str:
    return _pair(site, "mx")[0]


def _active_imap(site: DrillSite, _smtp: Vip, _imap: Vip, _holders: Holders) -> str:
    return _pair(site, "imap")[0]  # HAProxy's non-backup server: the first of groups['imap']


DRILLS: dict[str, Drill] = {
    d.name: d for d in (
        Drill("lb-failover", "kill the load balancer holding the smtp VIP while mail streams through it",
              "smtp", _vip_holder),
        Drill("mx-failover", "kill one MX (the first of groups['mx']) while mail streams through the smtp VIP",
              "smtp", _first_mx),
        Drill("imap-failover", "kill the active IMAP node (the first of groups['imap']) while a reader polls "
              "IMAPS through the IMAP VIP and mail streams in", "imap", _active_imap),
    )
}


def drill(name: str) -> Drill:
    found = DRILLS.get(name)
    if found is None:
        raise DrillError("tier3 drill", "NAME", f"unknown drill {name!r}", hint=f"use one of {', '.join(DRILLS)}")
    return found
