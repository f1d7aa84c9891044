"""The one rule catalogue: every rule, declared or observed, keyed by id, filled by two decorators.

A rule has an id, a scope, a severity, a title, a rationale, a fix, the control ids it supports,
and the policy values it reads. Its check says only what is wrong, as ``Violation`` records;
``Rule.findings`` turns each into a ``Finding`` carrying the rule's metadata.

- **declared** rules (``@rule``) judge the inventory: ``check(topology) -> Iterable[Violation]``;
  ids ``T3-AAA-NNN`` (``T3-PWR-001``).
- **observed** rules (``@observed``) judge the facts a parser read from one host or BMC, for one
  or more inspect kinds: ``check(facts, context) -> Iterable[Violation]``, where the context holds
  the policy in force and, when known, the declared topology and host; ids ``T3-OBS-AAA-NNN``.

One grammar, ``T3-[OBS-]AAA-NNN``, is enforced at registration: ``OBS-`` exactly for the observed
scope, ``AAA`` the category's prefix. A rule stays silent when its precondition is another rule's
finding on the same subject, so one defect is reported once.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tier3.model import Finding, Location, Severity, Status, Topology
from tier3.model.finding import utc_now
from tier3.model.policy import DEFAULT_POLICY, VALUES, Policy


class Category(enum.StrEnum):
    POWER = "power"
    NETWORK = "network"
    STORAGE = "storage"
    ENCRYPTION = "encryption"
    PLACEMENT = "placement"
    VRRP = "vrrp"
    CAPACITY = "capacity"
    SECURITY = "security"
    MAIL = "mail"  # the mail services themselves: queues, replication, listeners answering
    TLS = "tls"  # TLS on the mail listeners: versions, certificates, AUTH before TLS
    DRILL = "drill"  # failover drills: what a killed node did to the mail streaming through the VIP
    AVAILABILITY = "availability"  # what the declared design can promise: computed availability and RTO
    DNS = "dns"  # the mail domains' DNS: SPF within its lookups, DMARC enforcing, servers in two sites
    ARCHIVE = "archive"  # the mail archive: chained log, signed heads, objects encrypted and immutable, retention
    FIREWALL = "firewall"  # the policy firewall pairs enforce: any-any, shadowed, redundant rules, paths it must keep
    LOGS = "logs"  # what the hosts keep of their logs (the mail log among them): journald on disk, long enough


class Scope(enum.StrEnum):
    DECLARED = "declared"  # the inventory, before anything is touched
    OBSERVED = "observed"  # facts read from a host or a BMC


# category -> the id prefix its rules carry (T3-PWR-001 is a power rule)
PREFIXES: dict[Category, str] = {
    Category.POWER: "PWR",
    Category.NETWORK: "NET",
    Category.STORAGE: "STO",
    Category.ENCRYPTION: "ENC",
    Category.PLACEMENT: "PLC",
    Category.VRRP: "VRP",
    Category.CAPACITY: "CAP",
    Category.SECURITY: "SEC",
    Category.MAIL: "MAL",
    Category.TLS: "TLS",
    Category.DRILL: "DRL",
    Category.AVAILABILITY: "AVL",
    Category.DNS: "DNS",
    Category.ARCHIVE: "ARC",
    Category.FIREWALL: "FWL",
    Category.LOGS: "LOG",
}
RULE_ID = re.compile(r"^T3-(?P<obs>OBS-)?(?P<prefix>[A-Z]{3})-(?P<number>\d{3})$")
# "FRAMEWORK:control", e.g. ISO27001:A.8.14, NIST-800-53:PE-9(1), HIPAA:164.308(a)(7)(ii)(C)
CONTROL_ID = re.compile(r"^[A-Z][A-Z0-9-]*:\S+$")
DECLARED_KIND = "inventory"  # the facts a declared rule judges: the Topology


@dataclass(frozen=True)
class Violation:
    """One thing a rule found wrong: whom it blames, what exactly, the values it read.

    ``where`` (observed rules) is the line or JSON pointer in the evidence that shows it;
    declared rules give a ``location`` (file and key) instead.
    """

    subject: str
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    location: Location | None = None
    hint: str = ""  # a fix naming this subject's objects; the rule's generic hint otherwise
    where: str = ""


@dataclass(frozen=True)
class Context:
    """What an observed rule may read beside the facts: the policy in force, where the facts came
    from, and (when the caller knows them) the declared topology and the host they belong to."""

    source: str = ""  # the file, URL or host the evidence came from
    read: str = ""  # how it was read: the command or file (``cat /proc/mdstat``)
    policy: Policy = DEFAULT_POLICY
    topology: Topology | None = None
    host: str | None = None


Check = Callable[[Any, Context], Iterable[Violation]]


@dataclass(frozen=True)
class Rule:
    id: str
    scope: Scope
    severity: Severity
    category: Category
    title: str
    rationale: str
    controls: tuple[str, ...]
    hint: str
    kinds: tuple[str, ...]  # what it judges: ("inventory",) or inspect kinds ("mdstat", "mdadm-detail")
    policy: tuple[str, ...] = ()  # the policy values it reads
    breaks_redundancy: bool = False  # a failed finding of it means "not redundant" (observed scope)
    check: Check = field(default=lambda _facts, _ctx: (), repr=False, compare=False)

    def violations(self, facts: Any, context: Context) -> Iterable[Violation]:
        return self.check(facts, context)

    def findings(self, facts: Any, context: Context | None = None, timestamp: str | None = None) -> list[Finding]:
        """One FAIL finding per violation, in the order the check found them."""
        ctx = context or Context()
        stamp = timestamp or utc_now()
        out = []
        for v in self.check(facts, ctx):
            evidence = dict(v.evidence)
            location = v.location
            if self.scope is Scope.OBSERVED:
                evidence = {"source": ctx.source, "read": ctx.read, "at": v.where, **evidence}
                if ctx.host:
                    evidence = {"host": ctx.host, **evidence}
                location = location or Location(ctx.source, v.where)
            out.append(Finding(
                rule_id=self.id, severity=self.severity, status=Status.FAIL, subject=v.subject, title=self.title,
                message=v.message, evidence=evidence, controls=self.controls, location=location,
                hint=v.hint or self.hint, timestamp=stamp,
            ))
        return out

    def to_dict(self) -> dict[str, Any]:
        """The catalogue entry as JSON (``tier3 rules --json``)."""
        return {
            "id": self.id,
            "scope": self.scope.value,
            "severity": self.severity.value,
            "category": self.category.value,
            "title": self.title,
            "rationale": self.rationale,
            "controls": list(self.controls),
            "hint": self.hint,
            "kinds": list(self.kinds),
            "policy": {name: VALUES[name].shown() for name in self.policy},
            "breaks_redundancy": self.breaks_redundancy,
        }


REGISTRY: dict[str, Rule] = {}


def _register(entry: Rule) -> None:
    """Add ``entry``; a malformed entry is a bug (ValueError at import time)."""
    match = RULE_ID.match(entry.id)
    wanted = f"T3-{'OBS-' if entry.scope is Scope.OBSERVED else ''}{PREFIXES[entry.category]}-NNN"
    if (match is None or match["prefix"] != PREFIXES[entry.category]
            or bool(match["obs"]) != (entry.scope is Scope.OBSERVED)):
        raise ValueError(f"rule id {entry.id!r} must read {wanted} ({entry.scope} rule of category {entry.category})")
    if entry.id in REGISTRY:
        raise ValueError(f"rule id {entry.id} registered twice")
    bad = [c for c in entry.controls if not CONTROL_ID.match(c)]
    if not (entry.title and entry.rationale and entry.hint and entry.controls) or "\n" in entry.title or bad:
        raise ValueError(f"rule {entry.id}: needs a one-line title, a rationale, a hint and control ids ({bad})")
    unknown = [p for p in entry.policy if p not in VALUES]
    if unknown or not entry.kinds:
        raise ValueError(f"rule {entry.id}: unknown policy value(s) {unknown} or no kinds")
    REGISTRY[entry.id] = entry


def rule(
    rule_id: str,
    *,
    severity: Severity,
    category: Category,
    title: str,
    rationale: str,
    controls: tuple[str, ...],
    hint: str,
) -> Callable[[Callable[[Topology], Iterable[Violation]]], Callable[[Topology], Iterable[Violation]]]:
    """Register a declared rule: ``check(topology)`` over the whole inventory."""

    def register(check: Callable[[Topology], Iterable[Violation]]) -> Callable[[Topology], Iterable[Violation]]:
        def over_topology(topology: Topology, _context: Context) -> Iterable[Violation]:
            return check(topology)

        functools.update_wrapper(over_topology, check)  # the rule's module and name stay the check's
        _register(Rule(rule_id, Scope.DECLARED, severity, category, title, " ".join(rationale.split()), controls,
                       hint, (DECLARED_KIND,), check=over_topology))
        return check

    return register


def observed(
    rule_id: str,
    *,
    kinds: tuple[str, ...],
    severity: Severity,
    category: Category,
    title: str,
    rationale: str,
    controls: tuple[str, ...],
    hint: str,
    policy: tuple[str, ...] = (),
    breaks_redundancy: bool = True,
) -> Callable[[Check], Check]:
    """Register an observed rule: ``check(facts, context)`` over what the parser of each of
    ``kinds`` returns (one check may serve two kinds whose parsers return the same shape, or
    dispatch on the facts' type)."""

    def register(check: Check) -> Check:
        _register(Rule(rule_id, Scope.OBSERVED, severity, category, title, " ".join(rationale.split()), controls,
                       hint, kinds, policy, breaks_redundancy, check))
        return check

    return register
