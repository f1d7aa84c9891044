"""DNS of the mail domains: the SPF record tier3 publishes stays within RFC 7208's ten lookups, DMARC
enforces once tier3 publishes the zones (tier3_dns), and the authoritative servers survive a site.

Category dns (ids T3-DNS-NNN). The servers' racks are the placement rules' (T3-PLC-001 for the group
in one rack, T3-PLC-009 per site); the site a mail site takes dns from, T3-PLC-011's.
"""

from __future__ import annotations

from collections.abc import Iterator

from tier3.dns.spf import MAX_LOOKUPS, spf_lookups, spf_record
from tier3.dns.zone import SMTP_SERVICES, fronting
from tier3.model import MailDomain, Severity, Topology, Vip
from tier3.model.dns import DNS_GROUP
from tier3.rules._lookup import at, dependencies, group_location, names, site_members
from tier3.rules._registry import Category, Violation, rule
from tier3.rules.sites import SITE_LOSS_CONTROLS

MAIL_CONTROLS = ("NIST-800-53:SI-8", "ISO27001:A.5.14")


def mx_vips(topology: Topology) -> list[Vip]:
    """The VIPs the MX records name: ``tier3.dns.zone.fronting`` picks them, as for the zone itself
    (those that front smtp, every VIP when none says what it fronts; of those, the ones the load
    balancers hold, if any)."""
    views = [{"address": v.address, "services": list(v.services), "members": [{"host": m.host} for m in v.members]}
             for v in topology.vips]
    chosen = {id(view) for view in fronting(views, SMTP_SERVICES, {h.name for h in topology.group("lb")})}
    return [vip for vip, view in zip(topology.vips, views, strict=True) if id(view) in chosen]


def published_spf(topology: Topology, domain: MailDomain) -> str:
    """The SPF record tier3 publishes for ``domain``: the MX VIPs' addresses, then its spf keys."""
    spf = domain.spf
    return spf_record([*(v.address for v in mx_vips(topology)), *spf.ip4], spf.ip6, spf.include)


@rule(
    "T3-DNS-001",
    severity=Severity.HIGH,
    category=Category.DNS,
    title="a mail domain's SPF record costs at most 10 DNS lookups",
    rationale="""RFC 7208 4.6.4 caps the DNS queries one SPF check may cause at 10 (include, a, mx,
    ptr, exists and redirect each cost one, and an include costs those of the record it names as
    well); past that, receivers return permerror and treat the domain's mail as failing SPF, so
    DMARC fails with it wherever DKIM does not pass. Judged on the record tier3 publishes: the MX
    VIPs' addresses (ip4/ip6, which cost nothing) and the domain's spf keys. The count is what the
    record itself costs; what each included record adds is only known by querying it, so a domain
    near the limit is worth flattening before it is reached.""",
    controls=MAIL_CONTROLS,
    hint="replace includes by the networks they stand for (tier3_mail.domains[].spf.ip4/ip6), or drop "
         "senders that no longer send for the domain",
)
def spf_lookup_limit(topology: Topology) -> Iterator[Violation]:
    if topology.mail is None:
        return
    for domain in topology.mail.domains:
        record = published_spf(topology, domain)
        count = spf_lookups(record)
        if count > MAX_LOOKUPS:
            yield Violation(
                f"domain:{domain.name}",
                f"the SPF record of {domain.name} costs {count} DNS lookups ({len(domain.spf.include)} includes, "
                f"before those of the records they include), more than the {MAX_LOOKUPS} RFC 7208 allows",
                {"record": record, "lookups": count, "include": list(domain.spf.include)},
                at(domain.location, "spf", "include"),
            )


def _unenforced(domain: str, policy: str, pct: int) -> str:
    """Why mail that fails DMARC for ``domain`` under ``p=policy; pct=pct`` may still be delivered, or ""."""
    if policy == "none":
        return f"p=none only monitors: mail that fails DMARC for {domain} is delivered as if it passed"
    if policy == "quarantine" and pct < 100:
        return (f"p=quarantine applies to {pct} % of the mail that fails DMARC for {domain}; the other "
                f"{100 - pct} % falls to p=none and is delivered")
    return ""  # reject: the share beyond pct is quarantined (RFC 7489 6.6.4), never delivered as is


@rule(
    "T3-DNS-002",
    severity=Severity.MEDIUM,
    category=Category.DNS,
    title="every mail domain's DMARC policy quarantines or rejects mail that fails it",
    rationale="""Judged once tier3 publishes the zones (tier3_dns declared). With p=none DMARC only
    reports: mail forged in the domain's name that fails SPF and DKIM is delivered as if it passed,
    so the record protects nobody. p=quarantine with pct below 100 lets the rest through as p=none
    (RFC 7489 6.6.4); p=reject with any pct quarantines at least the rest, which is enough. A domain
    that declares no dmarc is published with p=quarantine. p=none is a phase, while the aggregate
    reports (rua) show which senders still fail, not a place to stay.""",
    controls=(*MAIL_CONTROLS, "PCI-DSS:5.4.1"),
    hint="set tier3_mail.domains[].dmarc.policy to quarantine or reject (pct 100) once the rua reports show "
         "the domain's own senders pass",
)
def dmarc_enforced(topology: Topology) -> Iterator[Violation]:
    if topology.dns is None or topology.mail is None:
        return
    for domain in topology.mail.domains:
        dmarc = domain.dmarc_policy
        problem = _unenforced(domain.name, dmarc.policy, dmarc.pct)
        if problem:
            yield Violation(
                f"domain:{domain.name}",
                problem,
                {"policy": dmarc.policy, "pct": dmarc.pct, "rua": dmarc.rua},
                at(domain.location, "dmarc", "policy" if dmarc.policy == "none" else "pct"),
            )


@rule(
    "T3-DNS-003",
    severity=Severity.HIGH,
    category=Category.DNS,
    title="in a multi-site design, the authoritative DNS servers are in at least two sites",
    rationale="""Judged once tier3 publishes the zones (tier3_dns declared) in a design with MX in two
    or more sites. The authoritative servers answer the whole internet, not their own site: when
    they all sit in one site, losing it leaves nobody to answer for the mail domains, and once the
    resolvers' caches expire senders no longer find the other sites' MX, which still run. A site
    may take a service from another (tier3_sites[].depends_on), which T3-PLC-011 accepts for dns
    too; it does not help here, since it is the senders, not the site, that need the answers. Stays
    silent while T3-PLC-011 blames a mail site for having no dns at all.""",
    controls=(*SITE_LOSS_CONTROLS, "NIST-800-53:SC-22"),
    hint="add a dns host in another site that serves mail (a secondary of tier3_dns.primary)",
)
def dns_in_two_sites(topology: Topology) -> Iterator[Violation]:
    if topology.dns is None:
        return
    mail_sites = site_members(topology, "mx")
    by_site = site_members(topology, DNS_GROUP)
    if len(mail_sites) < 2 or len(by_site) != 1:
        return
    (home, servers), = by_site.items()
    others = [s for s in mail_sites if s != home]
    if any(dependencies(topology, s).get(DNS_GROUP) != home for s in others):
        return  # a mail site without dns and without a dependency on the one that runs it: T3-PLC-011
    yield Violation(
        f"group:{DNS_GROUP}",
        f"the authoritative servers {names(h.name for h in servers)} are all in site {home}: losing it leaves "
        f"the MX of {names(others)} unresolvable ({names(others)} declare{'s' if len(others) == 1 else ''} "
        f"depends_on dns: {home})",
        {"sites": {home: [h.name for h in servers]}, "mail_sites": sorted(mail_sites), "primary": topology.dns.primary},
        group_location(topology, DNS_GROUP),
        hint=f"add a dns host in site {others[0]} (a secondary of {topology.dns.primary}) and drop its "
             f"depends_on dns: {home}",
    )
