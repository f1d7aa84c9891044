"""A small audit report with every outcome, two sites, waivers and drills: what the audit writers'
tests print (tier3.audit.model). Built by hand, so each writer's test knows exactly what to expect."""

from __future__ import annotations

import datetime as dt

from tier3.audit.model import (
    Area,
    AuditReport,
    AuditScope,
    Control,
    DrillSummary,
    EvidenceRef,
    Framework,
    Outcome,
    Result,
    ScopeHost,
    new_provenance,
    sorted_results,
)
from tier3.model import Location, Severity
from tier3.model.waiver import Waiver

CONTROLS = (
    Control("PCI-DSS:4.2.1", "PCI-DSS", "Strong cryptography protects data in transit over open networks"),
    Control("NIST-800-53:SC-8(1)", "NIST-800-53", "Transmission confidentiality: cryptographic protection"),
    Control("NIST-800-53:SC-28", "NIST-800-53", "Protection of information at rest"),
    Control("SEC-17A-4:f(2)(ii)", "SEC-17A-4", "Records preserved in a non-rewriteable, non-erasable format"),
    Control("ISO27001:A.8.14", "ISO27001", "Redundancy of information processing facilities"),
    Control("HIPAA:164.312(e)(1)", "HIPAA", "Transmission security"),
    Control("GDPR:32(1)(b)", "GDPR", "Ongoing confidentiality, integrity, availability and resilience"),
)
FRAMEWORKS = (
    Framework("PCI-DSS", "PCI DSS v4.0"), Framework("HIPAA", "HIPAA Security Rule 45 CFR 164.312"),
    Framework("SEC-17A-4", "SEC Rule 17a-4(f)"), Framework("ISO27001", "ISO/IEC 27001:2022 Annex A"),
    Framework("NIST-800-53", "NIST SP 800-53 Rev. 5"), Framework("GDPR", "GDPR Article 32"),
)
ALL_YML = "inventory/group_vars/all.yml"
WAIVER = Waiver("T3-PWR-003", "mx2", "PDU b of rack r2 is replaced in the January window; change CHG-1042",
                "ops-dc@example.test", dt.date(2099, 1, 31), Location(ALL_YML, "tier3_waivers[0]"))
EXPIRED = Waiver("T3-OBS-TLS-001", "vip:mx 10.0.0.25:25", "legacy client until the end of Q3",
                 "mail-team@example.test", dt.date(2020, 9, 30), Location(ALL_YML, "tier3_waivers[1]"))
ITEM = EvidenceRef("postqueue -j", "9f" * 32, "mx1")


def sample_report(*, extra: tuple[Result, ...] = ()) -> AuditReport:
    """Results of every outcome over two sites; ``extra`` adds results (a control character, say)."""
    r = [
        Result("T3-OBS-TLS-001", "mail listener accepts a TLS version the policy refuses", Area.TRANSIT, "observed",
               Severity.HIGH, Outcome.FAIL, subject="vip:mx 10.0.0.25:25",
               message="accepts TLSv1 (policy: TLSv1.2, TLSv1.3)",
               rationale="TLS 1.0 and 1.1 are broken.", hint="set smtpd_tls_mandatory_protocols = >=TLSv1.2",
               controls=("PCI-DSS:4.2.1", "NIST-800-53:SC-8(1)", "HIPAA:164.312(e)(1)"),
               evidence={"versions": {"TLSv1": "accepted"}},
               evidence_refs=(EvidenceRef("tls-scan 10.0.0.25:25", "ab" * 32),),
               waiver=EXPIRED, waiver_note="waiver expired on 2020-09-30"),
        Result("T3-PWR-003", "host's supplies share one PDU", Area.REDUNDANCY, "declared", Severity.MEDIUM,
               Outcome.WAIVED, subject="mx2", host="mx2", message="PSU1, PSU2 both plug into r2-pdu-a",
               rationale="One PDU is a single point of failure.", hint="plug one supply into the other PDU",
               controls=("ISO27001:A.8.14", "GDPR:32(1)(b)"),
               location=Location("inventory/host_vars/mx2.yml", "tier3_host.power_supplies"), waiver=WAIVER),
        Result("T3-OBS-ENC-004", "mail store not on a LUKS2 volume", Area.AT_REST, "observed", Severity.HIGH,
               Outcome.PASS, subject="imap1:/var/vmail", host="imap1", controls=("NIST-800-53:SC-28",),
               rationale="Mail at rest must be encrypted.", hint="put /var/vmail on LUKS2", evidence_refs=(ITEM,)),
        Result("T3-OBS-ARC-009", "archive retention below the inventory's policy", Area.RETENTION, "observed",
               Severity.HIGH, Outcome.NOT_EVALUATED, message="no archive host was read",
               rationale="Records must be kept as long as the rule requires.",
               hint="run tier3 audit with the archive hosts",
               controls=("SEC-17A-4:f(2)(ii)",)),
        Result("evidence", "host could not be read", Area.INPUT, "observed", Severity.CRITICAL, Outcome.ERROR,
               subject="mon2", host="mon2", message="unreachable: ssh: connect to host mon2 port 22: timed out",
               hint="bring mon2 back, or --limit it out"),
        Result("T3-VRP-001", "VIP without two members", Area.REDUNDANCY, "declared", Severity.HIGH, Outcome.PASS,
               controls=("ISO27001:A.8.14",), rationale="A VIP needs two members.", hint="add a member"),
        *extra,
    ]
    hosts = (ScopeHost("mx1", "fra1", "r1", ("mx",), True), ScopeHost("mx2", "fra1", "r2", ("mx",), True),
             ScopeHost("imap1", "ams1", "r1", ("imap",), True), ScopeHost("mon2", "ams1", "r2", ("monitoring",), False))
    drills = (DrillSummary("mx-failover", "2026-12-01T10:00:00Z", 0.45, 0, 30.0, 0, Outcome.PASS,
                           "reports/drills/mx-failover.json"),)
    return AuditReport(
        provenance=new_provenance(["inventory/lab"], commit="0123456789abcdef0123456789abcdef01234567",
                                  operator="ops@controller", command="tier3 audit -i inventory/lab -o reports/audit",
                                  options={"fail_on": "low"}, generated_at="2026-12-01T12:00:00Z"),
        scope=AuditScope(("fra1", "ams1"), hosts, FRAMEWORKS),
        results=sorted_results(r), controls=CONTROLS,
        evidence=({"id": "postqueue -j", "host": "mx1", "kind": "postqueue", "sha256": "9f" * 32,
                   "file": "items/mx1/0001-postqueue.txt", "size": 12},),
        drills=drills, waivers=(WAIVER, EXPIRED),
        notes=("the archive hosts were not read: --limit mx",),
    )
