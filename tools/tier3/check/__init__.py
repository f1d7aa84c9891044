"""``tier3 check``: judge what live hosts gave against the rules and the declared topology.

The conductor between the evidence (``tier3.evidence``: what each host's one ``tier3_evidence`` call
returned) and the report. ``judge_host`` runs the kinds one host owes through the inspect kinds of
``tier3.inspect`` (parse -> judge, the same code ``tier3 inspect`` runs on a saved file) and stamps
every finding with the hash of the evidence item it rests on; ``judge_site`` adds what needs more
than one host or the controller itself: who holds each VIP (``vip-holders`` over the ``ip -j addr``
of every member), every service of every VIP probed from the controller (``tls-listener``) and those
that answered with TLS scanned with sslyze (``tls-scan``: every version and cipher suite), every
record of every mail domain asked of every authoritative server (``dns-answers``, given a ``DnsPlan``
of ``tier3.probe.dns_expected``; TLSA compared with the certificates the listener probe saw); and
an ``error`` finding for a host that gave nothing (unreachable, or the module failed), which never
hides another host's result. ``check_report`` puts it together with the evidence manifest.

A host's output that does not parse, a cut or missing item, a command that failed: each is an
``error`` finding naming the host, the item and why (``EVIDENCE_ERROR``), so a check with no
evidence is never a pass. A record of a glob match with nothing to read (a filesystem under
``/dev/disk/by-uuid`` for luksDump, ``/dev/mapper/control`` for cryptsetup status:
``tier3.inspect.encryption.NOTHING_THERE``) is a fact about the host, as a glob matching nothing is.

``topology`` (declared versus observed, ``tier3.inspect.topology``) has no evidence of its own: it is
judged last, on the items the host gave for the other kinds, left out the kinds whose evidence could
not be judged (their error findings already say why).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tier3.check.declared import declared_objects
from tier3.dns import zone as dns_zone
from tier3.dns.zone import MTA_STS_HOST
from tier3.errors import Tier3Error
from tier3.evidence import VIP_KIND, EvidenceItem, manifest
from tier3.inspect import InspectOptions, Kind, all_kinds
from tier3.inspect.topology import NAME as TOPOLOGY_KIND
from tier3.inspect.topology import gathered, nothing_there
from tier3.model import Finding, Location, Severity, Status, Topology
from tier3.model.finding import utc_now
from tier3.parsers.tlsprobe import listener_name
from tier3.probe import Listener, probe_listeners
from tier3.probe.dns import DEFAULT_TIMEOUT as DNS_TIMEOUT
from tier3.probe.dns import DnsPlan, probe_dns, served_certificates, with_served_certificates
from tier3.report.model import Check, Report, build_report
from tier3.rules import rules_for

EVIDENCE_ERROR = "evidence"  # the rule_id of an ``error`` finding: a host's evidence could not be judged
LISTENER_KIND = "tls-listener"
SCAN_KIND = "tls-scan"
DNS_KIND = "dns-answers"

# VIP service -> (listener kind of tier3.probe, port, which tier3_mail name the certificate must carry).
# LMTP is not here: it is an internal hop that only the MX hosts may reach (the firewall refuses anyone
# else, the controller too); roles/postfix verifies it from the MX hosts.
SERVICE_LISTENERS: dict[str, tuple[str, int, str]] = {
    "smtp": ("smtp-starttls", 25, "hostname"),
    "submission": ("submission", 587, "hostname"),
    "imap": ("imap-starttls", 143, "imap_hostname"),
    "imaps": ("imaps", 993, "imap_hostname"),
}
# the MTA-STS policy host (RFC 8461 3.3: https://mta-sts.<domain>/, the HTTPS port): roles/haproxy serves it
# on the VIPs whose addresses the zone gives mta-sts.<domain> (tier3.dns.zone.records)
MTA_STS_LISTENER = ("https", 443)
# seconds per connect, read and handshake: above postscreen's greet wait (6 s), which a client it has
# not seen before waits once for the end of the 220 greeting
PROBE_TIMEOUT = 10.0

Prober = Callable[[list[Listener], str | None, float], list[dict[str, Any]]]
Scanner = Prober  # the same shape: listeners, CA file, timeout -> one record each
DnsProber = Callable[[DnsPlan, float], list[dict[str, Any]]]


@dataclass(frozen=True)
class HostCheck:
    """One host: the kinds it owed, what it gave, what the rules found, and each kind's facts."""

    host: str
    kinds: tuple[str, ...]
    items: tuple[EvidenceItem, ...]
    findings: tuple[Finding, ...]
    facts: tuple[dict[str, Any], ...] = ()  # each judged kind's report (tier3 inspect's JSON), findings left out


def evidence_error(host: str, subject: str, message: str, hint: str, evidence: Mapping[str, Any] | None = None,
                   ) -> Finding:
    return Finding(rule_id=EVIDENCE_ERROR, severity=Severity.CRITICAL, status=Status.ERROR, subject=subject,
                   title="evidence could not be judged", message=message, evidence={"host": host, **(evidence or {})},
                   location=Location(host), hint=hint)


def host_kinds(given: Iterable[Any], where: str) -> tuple[str, ...]:
    """``given`` as kinds a host gives (a kind with evidence), once each; Tier3Error naming ``where`` else."""
    known = [name for name, kind in all_kinds().items() if kind.evidence]
    names = [str(n) for n in given]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise Tier3Error(where, "", f"not a kind a host gives: {', '.join(unknown)}",
                         hint=f"use some of {', '.join(known)}")
    return tuple(dict.fromkeys(names))


def collected_kinds(kinds: Iterable[str]) -> tuple[str, ...]:
    """The kinds of ``kinds`` a host collects (those with evidence): what to ask tier3_evidence for; the
    others (``topology``) are judged on what those give."""
    table = all_kinds()
    return tuple(k for k in kinds if table[k].evidence)


def _refs(items: Sequence[EvidenceItem]) -> list[dict[str, Any]]:
    """What a finding names of the items it rests on: each one's id and SHA-256."""
    return [{"id": i.id, "sha256": i.sha256} for i in items]


def _stamped(findings: Iterable[Finding], items: Sequence[EvidenceItem]) -> list[Finding]:
    """Each finding with the id and SHA-256 of the items it was judged on."""
    said = _refs(items)
    return [dataclasses.replace(f, evidence={**f.evidence, "evidence_items": said}) for f in findings]


def _item_problem(item: EvidenceItem) -> tuple[str, str] | None:
    """(why, fix) when an item cannot be parsed, else None."""
    if item.status == "missing":
        return f"{item.id}: {item.detail or 'missing'}", f"install what gives {item.id} on the host, or fix its role"
    if item.status == "failed":
        said = (item.stderr or item.detail).strip().splitlines()
        return (f"{item.id}: exit {item.rc if item.rc is not None else '?'}"
                f"{': ' + said[-1] if said else ''}", "run the command on the host and fix what it says")
    if item.truncated:
        return f"{item.id}: cut at {len(item.text)} of {item.size} bytes", "raise tier3_evidence's max_bytes"
    return None


def _as_judged(item: EvidenceItem) -> EvidenceItem:
    """The item as the judge takes it: a glob match with nothing to read counts as ``none``."""
    why = nothing_there(item)
    return dataclasses.replace(item, status="none", detail=why) if why else item


def _judge_kind(kind: Kind, host: str, items: Sequence[EvidenceItem], options: InspectOptions, *,
                raw: Any, source: str) -> tuple[list[Finding], dict[str, Any] | None]:
    if "now" not in options.extra and items:  # ages from when the host read it, on the host's clock
        options = dataclasses.replace(options, extra={**options.extra, "now": max(i.read_at for i in items)})
    if len(items) == 1 and items[0].item:  # the device a per-item command ran on (luksDump's JSON names none)
        options = dataclasses.replace(options, extra={**options.extra, "item": items[0].item})
    if len(items) == 1 and items[0].source == "file":  # the file read (/proc/net/bonding/bond0 names the bond)
        options = dataclasses.replace(options, extra={**options.extra, "path": items[0].id})
    try:
        report = kind.inspect_raw(raw, source, dataclasses.replace(options, host=host or None))
    except Tier3Error as exc:
        return [evidence_error(host, f"{host}:{kind.name}", f"{kind.name}: {exc.one_line()}",
                               exc.hint or "see the item's text in the evidence of this host",
                               {"evidence_items": _refs(items)})], None
    findings = _stamped((Finding.from_dict(f) for f in report.pop("findings")), items)
    return findings, report


def judge_host(host: str, items: Sequence[EvidenceItem], kinds: Sequence[str], topology: Topology,
               now: float | None = None) -> HostCheck:
    """Judge the kinds ``host`` owed on the items it gave (vip-holders is judged site-wide)."""
    table = all_kinds()
    options = InspectOptions(policy=topology.policy_for(host), topology=topology, host=host,
                             extra={"now": now} if now is not None else {})
    findings: list[Finding] = []
    facts: list[dict[str, Any]] = []
    for name in kinds:
        kind = table[name]
        if not kind.evidence:  # topology: judged last, on what the other kinds gave
            continue
        mine = [_as_judged(i) for i in items if i.kind == name]
        if not mine:
            findings.append(evidence_error(host, f"{host}:{name}", f"{name}: the host gave no evidence for it",
                                           "run tier3_evidence with this kind (tier3 check does)"))
            continue
        problems = [p for p in map(_item_problem, mine) if p is not None]
        if problems:
            findings.extend(evidence_error(host, f"{host}:{name}", why, fix,
                                           {"evidence_items": _refs(mine)})
                            for why, fix in problems)
            continue
        if name == VIP_KIND:
            continue  # judged by judge_site over every member at once
        read = [i for i in mine if i.status == "ok"]
        if not read:  # every item "none": a glob matched nothing (no arrays): a fact, nothing to judge
            continue
        if len(kind.evidence) > 1:  # several commands, one set of facts (replicator)
            raw: Any = {i.id: i.text for i in read}
            batches = [(raw, read, f"{name} of {host}")]
        else:
            batches = [(i.text, [i], f"{name} {i.item or i.id} of {host}" if len(read) > 1 else f"{name} of {host}")
                       for i in read]
        for raw_text, used, source in batches:
            found, report = _judge_kind(kind, host, used, options, raw=raw_text, source=source)
            findings.extend(found)
            if report is not None:
                facts.append(report)
    if TOPOLOGY_KIND in kinds:
        found, report = _judge_topology(host, items, findings, options)
        findings.extend(found)
        if report is not None:
            facts.append(report)
    return HostCheck(host, tuple(kinds), tuple(items), tuple(once(findings)), tuple(facts))


def once(findings: Sequence[Finding]) -> list[Finding]:
    """One finding per rule, status and object of a host: several outputs that say the same thing
    (/proc/mdstat and mdadm --detail both see md0 degraded; a BMC's Power and PowerSubsystem both call
    PSU2 Critical) make one finding with each message once and the evidence items of all, in the
    order first seen."""
    merged: dict[tuple[str, str, str, str], Finding] = {}
    for f in findings:
        key = (str(f.evidence.get("host") or ""), f.rule_id, f.status.value, f.subject)
        first = merged.get(key)
        if first is None:
            merged[key] = f
            continue
        said = first.message if f.message in first.message.split("; ") else f"{first.message}; {f.message}"
        refs = list(first.evidence.get("evidence_items") or [])
        refs += [r for r in f.evidence.get("evidence_items") or [] if r not in refs]
        evidence = {**first.evidence, "evidence_items": refs} if refs else first.evidence
        merged[key] = dataclasses.replace(first, message=said, evidence=evidence)
    return list(merged.values())


def _judge_topology(host: str, items: Sequence[EvidenceItem], earlier: Sequence[Finding], options: InspectOptions,
                    ) -> tuple[list[Finding], dict[str, Any] | None]:
    """Declared versus observed, on the items of the other kinds; those with an error finding left out."""
    failed = {f.subject.removeprefix(f"{host}:") for f in earlier if f.rule_id == EVIDENCE_ERROR}
    found = gathered(items, leave_out=failed)
    found_findings, report = _judge_kind(all_kinds()[TOPOLOGY_KIND], host, found.used, options, raw=found.raw,
                                         source=f"{TOPOLOGY_KIND} of {host}")
    if report is not None:
        report["left_out"] = found.left_out
    return found_findings, report


def mta_sts_addresses(topology: Topology) -> set[str]:
    """The VIP addresses the zone gives each ``mta-sts.<domain>`` (``tier3.dns.zone.fronting``: the VIPs
    that front SMTP, the load balancers' when they hold one), where the policy host must answer."""
    vips = [{"address": v.address, "services": list(v.services), "members": [{"host": m.host} for m in v.members]}
            for v in topology.vips]
    balancers = {h.name for h in topology.group("lb")}
    return {str(v["address"]) for v in dns_zone.fronting(vips, dns_zone.SMTP_SERVICES, balancers)}


def vip_listeners(topology: Topology, scope: Collection[str] | None = None) -> list[Listener]:
    """Every service of every declared VIP (of those with a member in ``scope``, the hosts checked, when
    given), as the listeners to probe from the controller; and on each VIP the zone points
    ``mta-sts.<domain>`` at, the MTA-STS policy host of each mail domain (``MTA_STS_LISTENER``)."""
    mail = topology.mail
    policy_hosts = mta_sts_addresses(topology) if mail is not None and mail.domains else set()
    out = []
    for vip in topology.vips:
        if scope is not None and not any(m.host in scope for m in vip.members):
            continue
        for service in vip.services:
            if service not in SERVICE_LISTENERS:
                continue
            kind, port, name_key = SERVICE_LISTENERS[service]
            name = getattr(mail, name_key) if mail is not None else ""
            out.append(Listener(vip.address, port, kind, name))
        if mail is not None and vip.address in policy_hosts:
            kind, port = MTA_STS_LISTENER
            out += [Listener(vip.address, port, kind, f"{MTA_STS_HOST}.{d.name.rstrip('.').lower()}")
                    for d in mail.domains]
    return out


def scan_with_sslyze(listeners: list[Listener], ca_file: str | None, timeout: float) -> list[dict[str, Any]]:
    """``tier3.probe.tls_scan.scan_listeners``, imported when a scan runs (sslyze doubles the import time)."""
    from tier3.probe.tls_scan import scan_listeners  # noqa: PLC0415

    return scan_listeners(listeners, ca_file, timeout)


def scannable(listeners: Sequence[Listener], probed: Sequence[Mapping[str, Any]]) -> list[Listener]:
    """The listeners worth a scan: those the probe saw answer and not refuse STARTTLS. A silent one or one
    without STARTTLS is already a finding (T3-OBS-MAL-006, -TLS-006), and would only cost the scan its timeouts."""
    return [x for x, record in zip(listeners, probed, strict=False)  # a prober answers in the listeners' order
            if record.get("answered") and record.get("starttls_offered") is not False]


def scan_gaps(records: Sequence[Mapping[str, Any]]) -> list[Finding]:
    """An ``error`` finding per listener the probe saw answer but sslyze could not scan (whole or a version
    of it): what was not measured is said, never a silent pass."""
    out = []
    for r in records:
        subject = listener_name(str(r["address"]), int(r["port"]), str(r.get("kind")),
                                str(r.get("server_hostname") or ""))
        failed = {v: s.get("detail", "") for v, s in (r.get("versions") or {}).items() if s.get("result") == "error"}
        why = r.get("error") if not r.get("reachable") else "; ".join(f"{v}: {d}" for v, d in failed.items())
        if why:
            out.append(Finding(
                rule_id=EVIDENCE_ERROR, severity=Severity.CRITICAL, status=Status.ERROR, subject=subject,
                title="TLS scan could not be judged", message=f"{SCAN_KIND} of {subject}: {why}",
                evidence={"kind": r.get("kind"), "scanner": r.get("scanner")},
                location=Location("VIP listeners scanned from the controller"),
                hint="the probe reached it: rerun tier3 check, and if it persists scan it by hand "
                f"(tier3 inspect {SCAN_KIND} {r.get('kind')}://{subject})"))
    return out


def _judge_probed(kind: Kind, records: list[dict[str, Any]], source: str, how: str, topology: Topology,
                  ) -> tuple[list[Finding], dict[str, Any]]:
    options = InspectOptions(policy=topology.policy_for(None), topology=topology)
    try:
        report = kind.inspect_raw(records, source, options, how)
    except Tier3Error as exc:  # a probe record that does not parse is a bug of ours, not the site's
        raise AssertionError(f"tier3.probe gave records its parser refuses: {exc.one_line()}") from exc
    return [Finding.from_dict(f) for f in report.pop("findings")], report


def judge_site(topology: Topology, hosts: Sequence[HostCheck], *, probe: bool = True, ca_file: str | None = None,
               timeout: float = PROBE_TIMEOUT, prober: Prober = probe_listeners,
               scanner: Scanner | None = scan_with_sslyze, dns: DnsPlan | None = None,
               dns_timeout: float = DNS_TIMEOUT, dns_prober: DnsProber = probe_dns,
               scope: Collection[str] | None = None) -> tuple[list[Finding], list[dict[str, Any]]]:
    """What needs more than one host: VIP holders over every member's ``ip -j addr``, (``probe``) each VIP
    service probed from this machine and (``scanner``, None for none) those that answered scanned in one
    sslyze run, and (``dns``) every server of the plan asked every question, its
    TLSA compared with the certificates served on port 25 of the listeners just probed. ``scope``, the
    hosts checked (a --limit), keeps the probes to the VIPs with a member among them and the DNS servers
    among them; None probes every one. Returns (findings, facts)."""
    if dns is not None and scope is not None:
        dns = dataclasses.replace(dns, servers=tuple(s for s in dns.servers if s.host in scope))
    table = all_kinds()
    findings: list[Finding] = []
    facts: list[dict[str, Any]] = []
    given = {h.host: i for h in hosts for i in h.items if i.kind == VIP_KIND and i.usable}
    if given and topology.vips:
        raw = {host: item.text for host, item in given.items()}
        found, report = _judge_kind(table[VIP_KIND], "", list(given.values()), InspectOptions(
            policy=topology.policy_for(None), topology=topology), raw=raw, source="vip-holders of " + ", ".join(given))
        findings.extend(found)
        if report is not None:
            facts.append(report)
    listeners = vip_listeners(topology, scope) if probe else []
    probed: list[dict[str, Any]] = []
    if listeners:
        probed = prober(listeners, ca_file, timeout)
        found, report = _judge_probed(table[LISTENER_KIND], probed, "VIP listeners from the controller",
                                      "tier3 probe from the controller", topology)
        findings.extend(found)
        facts.append(report)
        to_scan = scannable(listeners, probed) if scanner is not None else []
        if scanner is not None and to_scan:
            scanned = scanner(to_scan, ca_file, timeout)
            found, report = _judge_probed(table[SCAN_KIND], scanned, "VIP listeners scanned from the controller",
                                          "sslyze from the controller", topology)
            findings.extend(found + scan_gaps(scanned))
            facts.append(report)
    if dns is not None and dns.servers:
        records = with_served_certificates(dns_prober(dns, dns_timeout), served_certificates(probed))
        found, report = _judge_probed(table[DNS_KIND], records, "authoritative DNS servers from the controller",
                                      "tier3 probe dns from the controller", topology)
        findings.extend(found)
        facts.append({**report, "notes": list(dns.notes)})
    return findings, facts


def unanswered(host: str, why: str) -> Finding:
    """The ``error`` finding of a host that gave no evidence at all (unreachable, the module failed)."""
    return evidence_error(host, host, f"{host} gave no evidence: {why}",
                          "reach the host (ansible HOST -m ping) and run tier3 check again")


def checks_run(hosts: Sequence[HostCheck], probed: bool, dns_probed: bool = False,
               scanned: bool | None = None) -> list[Check]:
    """Every rule that judged something here, for the report's list of checks; ``scanned`` (the sslyze scan
    of the probed listeners) is None for "as ``probed``", as ``judge_site`` scans whenever it probes."""
    scan = probed if scanned is None else scanned
    kinds = ({k for h in hosts for k in h.kinds} | ({LISTENER_KIND} if probed else set())
             | ({SCAN_KIND} if scan else set()) | ({DNS_KIND} if dns_probed else set()))
    return [Check(r.id, r.title, r.severity) for k in sorted(kinds) for r in rules_for(k)]


def check_report(hosts: Sequence[HostCheck], site_findings: Sequence[Finding], *, source: str,
                 probed: bool, extra_findings: Sequence[Finding] = (), dns_probed: bool = False,
                 topology: Topology | None = None, checked: Sequence[str] = (),
                 hardware_off: Collection[str] = (), scanned: bool | None = None) -> Report:
    """The report of one ``tier3 check`` run: findings worst first, every evidence item with its hash,
    and (given the ``topology`` and the ``checked`` host names) each declared object of those hosts with
    its status (``tier3.check.declared``; ``hardware_off``: the hosts whose hardware is not looked for,
    ``tier3_check_hardware: false``); ``scanned`` as ``checks_run``."""
    findings = once([f for h in hosts for f in h.findings] + list(site_findings) + list(extra_findings))
    report = build_report(findings, title="tier3 check: the live hosts against the rules and the inventory",
                          source=source, checks=checks_run(hosts, probed, dns_probed, scanned))
    kinds = {h.host: h.kinds for h in hosts}
    objects = [] if topology is None else declared_objects(topology, [(n, kinds.get(n, ())) for n in checked],
                                                           report.findings, hardware_off)
    return dataclasses.replace(report, evidence=tuple(manifest([i for h in hosts for i in h.items])),
                               declared=tuple(o.to_dict() for o in objects), generated_at=utc_now())
