"""Observed rules over the mail listeners the controller probed (kind ``tls-listener``: ``TlsListeners``,
the records of ``tier3.probe`` read by ``tier3.parsers.tlsprobe``): a listener that does not answer
(T3-OBS-MAL-006) and TLS on the others (T3-OBS-TLS-001..006).

Preconditions keep one defect reported once: a listener that does not answer has no TLS to judge; an
expired certificate whose chain was checked is T3-OBS-TLS-002's (OpenSSL says "certificate has
expired"), not -004's. A finding names the VIP when the topology declares the listener's address as
one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tier3.model import Severity, Vip
from tier3.parsers.tlsprobe import ListenerFacts, TlsListeners
from tier3.rules._registry import Category, Context, Violation, observed
from tier3.rules.observed.mail import AVAILABILITY_CONTROLS

TLS_CONTROLS = ("PCI-DSS:4.2.1", "ISO27001:A.8.24", "HIPAA:164.312(e)(1)", "GDPR:32(1)(a)", "NIST-800-53:SC-8(1)")
DAY = 86400.0

C, H, M = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM
TLS: dict[str, Any] = {"kinds": ("tls-listener",), "category": Category.TLS, "controls": TLS_CONTROLS,
                       "breaks_redundancy": False}


def _vip_of(address: str, ctx: Context) -> Vip | None:
    if ctx.topology is None:
        return None
    return next((v for v in ctx.topology.vips if v.address == address), None)


def _listener(facts: ListenerFacts, ctx: Context) -> tuple[str, dict[str, Any]]:
    """The subject (``address:port``) and the evidence every listener finding starts with."""
    vip = _vip_of(facts.address, ctx)
    evidence: dict[str, Any] = {"kind": facts.kind, "server_hostname": facts.server_hostname}
    if vip is not None:
        evidence["vip"] = vip.name
    return facts.name, evidence


@observed("T3-OBS-MAL-006", severity=C, title="mail listener does not answer or refuses the session",
          rationale="""A listener that refuses the connection, times out, closes it without a greeting, or
          greets with a refusal (SMTP 4xx/5xx such as ``554 no SMTP service here``, IMAP other than
          ``* OK``) serves nobody: on a VIP it means the service is down for every client whatever the
          nodes behind it say. Judged on what the controller's probe saw; the error says at which step
          (connect, greeting, TLS for imaps). Nothing else is judged on such a listener.""",
          hint="check the service and the firewall on the node holding the address (and the VIP's holder)",
          **{**TLS, "category": Category.MAIL, "controls": AVAILABILITY_CONTROLS, "breaks_redundancy": True})
def listener_silent(facts: TlsListeners, ctx: Context) -> Iterator[Violation]:
    for x in facts.listeners:
        if not x.answered:
            subject, evidence = _listener(x, ctx)
            on = f" (VIP {evidence['vip']})" if "vip" in evidence else ""
            yield Violation(subject, f"{x.kind} on {subject}{on} does not answer: {x.error or 'no greeting'}",
                            {**evidence, "error": x.error}, where=x.where)


@observed("T3-OBS-TLS-001", severity=H, title="mail listener accepts a TLS version the policy refuses",
          rationale="""TLS 1.0 and 1.1 are deprecated (RFC 8996): their handshakes rest on MD5 and SHA-1 and
          their CBC suites on constructions with known attacks, and PCI DSS forbids them. A listener
          that still accepts one lets a downgraded or old client send passwords and mail under it.
          Each version is tried on its own connection, pinned, with every cipher at OpenSSL security
          level 0 so that the refusal is the server's. The versions refused are the policy value
          ``tls_refused_versions`` (default TLSv1, TLSv1.1).""",
          hint="set the minimum protocol to TLS 1.2 (Postfix smtpd_tls_protocols / smtpd_tls_mandatory_protocols "
          ">=TLSv1.2, Dovecot ssl_min_protocol = TLSv1.2)", policy=("tls_refused_versions",), **TLS)
def old_tls(facts: TlsListeners, ctx: Context) -> Iterator[Violation]:
    refused = ctx.policy["tls_refused_versions"]
    for x in facts.listeners:
        accepted = [v for v in refused if x.answered and x.versions.get(v) and x.versions[v].result == "accepted"]
        if accepted:
            subject, evidence = _listener(x, ctx)
            versions = {k: v.result for k, v in x.versions.items()}
            yield Violation(subject, f"{x.kind} accepts {', '.join(accepted)}",
                            {**evidence, "accepted": accepted, "versions": versions},
                            where=f"{x.where}/versions/{accepted[0]}")


@observed("T3-OBS-TLS-002", severity=H, title="mail listener certificate does not verify against the CA",
          rationale="""A certificate whose chain does not lead to the CA the peers trust (roles/pki's ca.crt),
          or that has expired or is not yet valid, makes every verifying peer refuse the connection
          (LMTP and replication between the nodes verify) and teaches users to click through warnings.
          Judged when the probe was given the CA file; the error is OpenSSL's.""",
          hint="deploy the certificate signed by the cluster's CA (roles/pki) with its chain, and reload the service",
          **TLS)
def chain_fails(facts: TlsListeners, ctx: Context) -> Iterator[Violation]:
    for x in facts.listeners:
        if x.answered and x.chain_verified is False:
            subject, evidence = _listener(x, ctx)
            cert = x.certificate
            yield Violation(subject, f"certificate does not verify: {x.verify_error}",
                            {**evidence, "verify_error": x.verify_error,
                             "issuer": None if cert is None else cert.issuer}, where=f"{x.where}/chain_verified")


@observed("T3-OBS-TLS-003", severity=H, title="mail listener certificate does not name the service",
          rationale="""A client checks that the certificate names the host it connected to (RFC 6125: a
          subjectAltName dNSName, a wildcard only as the whole left-most label, an iPAddress for an
          address; not the CN). The name expected is the listener's ``server_hostname`` (the service
          name: tier3_mail.hostname, imap_hostname), or its address when none is given.""",
          hint="reissue the certificate with the service name among its subject alternative names (roles/pki)",
          **TLS)
def wrong_name(facts: TlsListeners, ctx: Context) -> Iterator[Violation]:
    for x in facts.listeners:
        if x.answered and x.name_matches is False and x.certificate is not None:
            subject, evidence = _listener(x, ctx)
            names = [*x.certificate.dns_names, *x.certificate.ip_addresses]
            wanted = x.server_hostname or x.address
            yield Violation(subject, f"certificate names {', '.join(names) or 'nothing (no subjectAltName)'}; "
                            f"not {wanted}", {**evidence, "expected": wanted, "names": names,
                                              "subject": x.certificate.subject}, where=f"{x.where}/certificate")


@observed("T3-OBS-TLS-004", severity=M, title="mail listener certificate expires within the policy's warning window",
          rationale="""A certificate that expires stops every verifying peer at once, on both nodes of a pair
          when they were issued together: the redundancy does not help. Days counted from when the
          probe read it to notAfter; the window is the policy value ``tls_expiry_warn_days`` (default
          30). An expired certificate is T3-OBS-TLS-002's when the chain was checked, this rule's
          otherwise.""",
          hint="renew the certificate (roles/pki) and reload the service before it expires",
          policy=("tls_expiry_warn_days",), **TLS)
def expiring(facts: TlsListeners, ctx: Context) -> Iterator[Violation]:
    window: int = ctx.policy["tls_expiry_warn_days"]
    for x in facts.listeners:
        cert = x.certificate
        if not x.answered or cert is None:
            continue
        days = (cert.not_after - x.probed_at) / DAY
        if days >= window or (days < 0 and x.chain_verified is False):
            continue
        subject, evidence = _listener(x, ctx)
        said = f"expired {int(-days)} day(s) ago" if days < 0 else f"expires in {int(days)} day(s)"
        yield Violation(subject, f"certificate {said} (window {window} days)",
                        {**evidence, "days_left": int(days), "window_days": window, "subject": cert.subject},
                        where=f"{x.where}/certificate/not_after")


@observed("T3-OBS-TLS-005", severity=H, title="mail listener offers authentication before TLS",
          rationale="""A listener that offers AUTH (SMTP) or AUTH=/LOGIN (IMAP: no LOGINDISABLED) before
          STARTTLS invites clients to send their password in clear text, readable on the wire and
          open to a STARTTLS-stripping attacker. The contract (docs/mail.md): submission with SASL
          after TLS only, IMAP with STARTTLS. Judged on SMTP, submission and IMAP with STARTTLS (LMTP
          does not authenticate; imaps is TLS from the first byte).""",
          hint="Postfix smtpd_tls_auth_only = yes; Dovecot disable_plaintext_auth = yes (auth_allow_cleartext = no)",
          **TLS)
def auth_in_clear(facts: TlsListeners, ctx: Context) -> Iterator[Violation]:
    for x in facts.listeners:
        if x.answered and x.auth_before_tls:
            subject, evidence = _listener(x, ctx)
            yield Violation(subject, f"{x.kind} offers {', '.join(x.auth_before_tls)} before TLS",
                            {**evidence, "offered": list(x.auth_before_tls), "capabilities": list(x.capabilities)},
                            where=f"{x.where}/auth_before_tls")


@observed("T3-OBS-TLS-006", severity=H, title="mail listener does not offer STARTTLS",
          rationale="""Every hop of the cluster is to be encrypted (docs/mail.md): SMTP offers STARTTLS,
          submission and IMAP on 143 require it, LMTP between the MX and IMAP nodes uses it. A
          listener of a STARTTLS kind that does not list it in its capabilities sends everything in
          clear text; nothing about its TLS can be judged.""",
          hint="enable TLS on the listener (Postfix smtpd_tls_security_level, Dovecot ssl = required) with the "
          "host certificate of roles/pki", **TLS)
def no_starttls(facts: TlsListeners, ctx: Context) -> Iterator[Violation]:
    for x in facts.listeners:
        if x.answered and x.starttls_offered is False:
            subject, evidence = _listener(x, ctx)
            yield Violation(subject, f"{x.kind} does not offer STARTTLS", {**evidence,
                                                                           "capabilities": list(x.capabilities)},
                            where=f"{x.where}/starttls_offered")
