"""Observed rules over the mail listeners sslyze scanned from the controller (kind ``tls-scan``: ``TlsScan``,
the records of ``tier3.probe.tls_scan`` read by ``tier3.parsers.tls_scan``), against the Mozilla
intermediate profile (T3-OBS-TLS-007..010).

The profile is Mozilla's intermediate 5.7, written here as data (``INTERMEDIATE``): the one sslyze 6.3 ships,
so the rules and sslyze's own check (``mozilla_intermediate`` in each record, reported, not judged) measure
against the same lists, and a unit test holds the two equal. Judging needs no sslyze (it runs in a Python of
its own, ``tier3.probe.tls_scan``).

One defect, one finding: TLS 1.0 and 1.1 are T3-OBS-TLS-001's (the listener probe finds them), so the
suites and key exchanges of a version are judged only on the versions the policy lets a listener
accept (TLS 1.0-1.3 less ``tls_refused_versions``: TLS 1.2 and 1.3 by default); SSL 2.0 and 3.0,
which the probe cannot offer, are this module's alone. The certificate's chain, name and expiry stay
the probe's (T3-OBS-TLS-002..004). A listener the scan did not reach has nothing to judge here
(``tier3 check`` says why it was not scanned).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tier3.model import Severity
from tier3.parsers.tls_scan import CipherSuite, ScannedListener, TlsScan
from tier3.rules._registry import Category, Context, Violation, observed
from tier3.rules.observed.listener import TLS_CONTROLS

TLS_VERSIONS = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")  # what a policy may allow; SSL never
SSL_VERSIONS = ("SSLv2", "SSLv3")
SCAN: dict[str, Any] = {"kinds": ("tls-scan",), "category": Category.TLS, "controls": TLS_CONTROLS,
                        "breaks_redundancy": False}
C, H = Severity.CRITICAL, Severity.HIGH


@dataclass(frozen=True)
class Profile:
    """What a Mozilla profile accepts: IANA suite names (TLS 1.2 and below, TLS 1.3) and the smallest keys."""

    name: str
    suites: frozenset[str]
    suites_tls13: frozenset[str]
    dh_bits: int
    rsa_bits: int

    def allows(self, version: str, suite: CipherSuite) -> bool:
        return suite.iana in (self.suites_tls13 if version == "TLSv1.3" else self.suites)


# Mozilla's intermediate profile, version 5.7 (https://ssl-config.mozilla.org/guidelines/5.7.json, the one sslyze
# 6.3 ships and checks against; a unit test holds the two equal): TLS 1.2 suites by IANA name, TLS 1.3 suites
INTERMEDIATE = Profile(
    "Mozilla intermediate",
    frozenset({
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"}),
    frozenset({"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}),
    dh_bits=2048, rsa_bits=2048)


def intermediate() -> Profile:
    """Mozilla's intermediate profile (``INTERMEDIATE``): data here, so that judging needs no sslyze."""
    return INTERMEDIATE


def allowed_versions(ctx: Context) -> tuple[str, ...]:
    """The TLS versions the policy lets a listener accept: the only ones whose suites are judged here."""
    refused = set(ctx.policy["tls_refused_versions"])
    return tuple(v for v in TLS_VERSIONS if v not in refused)


def _subject(x: ScannedListener, ctx: Context) -> tuple[str, dict[str, Any]]:
    """``address:port`` (the subject the probe's findings carry too) and the evidence every finding starts with."""
    evidence: dict[str, Any] = {"kind": x.kind, "server_hostname": x.server_hostname, "scanner": x.scanner}
    vip = next((v for v in ctx.topology.vips if v.address == x.address), None) if ctx.topology else None
    if vip is not None:
        evidence["vip"] = vip.name
    return x.name, evidence


def _listed(by_version: dict[str, list[str]]) -> str:
    return "; ".join(f"{version}: {', '.join(names)}" for version, names in by_version.items())


@observed("T3-OBS-TLS-007", severity=H, title="mail listener accepts cipher suites outside the Mozilla intermediate "
          "profile", rationale="""Mozilla's intermediate profile is the cipher list roles/postfix and roles/dovecot
          configure (ECDHE or DHE key exchange, AES-GCM or ChaCha20-Poly1305 on TLS 1.2; the three AEAD suites
          of TLS 1.3): forward secrecy and authenticated encryption for every client since 2014. A suite
          outside it (RSA key transport without forward secrecy, CBC with SHA-1, 3DES, RC4, anonymous or
          NULL suites) is one an attacker can steer a session to, or decrypt later with the server's key.
          sslyze tries every suite it knows on its own connection, so the list is what the server accepts,
          not what one handshake picked. Judged on the versions the policy allows only (TLS 1.0-1.3 less
          ``tls_refused_versions``): a TLS 1.0 suite on a listener that should refuse TLS 1.0 is
          T3-OBS-TLS-001's finding, not a second one. And silent on a listener that accepts a version the policy
          refuses: OpenSSL has one cipher list for TLS 1.0 to 1.2, so a listener opened to TLS 1.0 offers its
          SHA-1 CBC suites on TLS 1.2 too, and that one change is T3-OBS-TLS-001's finding (its fix, closing the
          old versions, comes with restoring the cipher list; this rule judges the listener again then).""",
          hint="set the TLS 1.2 cipher list to the intermediate one (Postfix tls_medium_cipherlist with "
          "smtpd_tls_mandatory_ciphers = medium; Dovecot ssl_cipher_list) and reload the service",
          policy=("tls_refused_versions",), **SCAN)
def outside_profile(facts: TlsScan, ctx: Context) -> Iterator[Violation]:
    profile = intermediate()
    allowed = allowed_versions(ctx)
    for x in facts.listeners:
        if any(x.accepted(v) for v in TLS_VERSIONS if v not in allowed):
            continue  # T3-OBS-TLS-001's: the old version and the cipher list that came with it, one finding
        outside = {v: [s for s in x.accepted(v) if not profile.allows(v, s)] for v in allowed}
        outside = {v: suites for v, suites in outside.items() if suites}
        if not outside:
            continue
        subject, evidence = _subject(x, ctx)
        names = {v: [s.openssl for s in suites] for v, suites in outside.items()}
        first = next(iter(outside))
        yield Violation(subject, f"{x.kind} accepts {sum(map(len, names.values()))} cipher suite(s) outside "
                        f"{profile.name}: {_listed(names)}",
                        {**evidence, "outside": {v: [s.iana for s in suites] for v, suites in outside.items()},
                         "openssl_names": names, "judged_versions": list(allowed_versions(ctx))},
                        where=f"{x.where}/versions/{first}/cipher_suites")


@observed("T3-OBS-TLS-008", severity=C, title="mail listener accepts SSL 2.0 or SSL 3.0",
          rationale="""SSL 2.0 (RFC 6176) and SSL 3.0 (RFC 7568) are prohibited: SSL 3.0 falls to POODLE,
          SSL 2.0 to DROWN, which also decrypts TLS sessions of any server sharing the key. A listener that
          completes either handshake lets a man in the middle who forces the downgrade read passwords and
          mail. Python's ssl (the listener probe) cannot offer them; sslyze does, through its legacy OpenSSL
          build, one connection per suite.""",
          hint="refuse SSL entirely (Postfix smtpd_tls_protocols = >=TLSv1.2; Dovecot ssl_min_protocol = "
          "TLSv1.2) and rebuild or replace a TLS library that still offers it", **SCAN)
def ssl_offered(facts: TlsScan, ctx: Context) -> Iterator[Violation]:
    for x in facts.listeners:
        accepted = {v: [s.openssl for s in x.accepted(v)] for v in SSL_VERSIONS if x.accepted(v)}
        if accepted:
            subject, evidence = _subject(x, ctx)
            yield Violation(subject, f"{x.kind} accepts {', '.join(accepted)} ({_listed(accepted)})",
                            {**evidence, "accepted": accepted}, where=f"{x.where}/versions/{next(iter(accepted))}")


@observed("T3-OBS-TLS-009", severity=H, title="mail listener's DHE key exchange uses a group smaller than the "
          "Mozilla intermediate profile's", rationale="""Ephemeral Diffie-Hellman over a 1024-bit group is within
          reach of a state-level precomputation (Logjam, 2015), after which every session over that group
          can be decrypted; the intermediate profile asks for 2048 bits at least (RFC 7919's ffdhe2048 or
          larger). sslyze reads the group size of each DHE suite's handshake. Judged on the suites of the
          profile (a DHE-RSA-AES128-GCM-SHA256 over a 1024-bit group), on the versions the policy allows: an
          anonymous or CBC DH suite is already T3-OBS-TLS-007's, and goes with it.""",
          hint="give the service a group of 2048 bits or more (Dovecot ssl_dh, Postfix smtpd_tls_dh1024_param_file), "
          "or drop the DHE suites", policy=("tls_refused_versions",),
          **SCAN)
def small_dh_group(facts: TlsScan, ctx: Context) -> Iterator[Violation]:
    profile = intermediate()
    for x in facts.listeners:
        small = {v: [s for s in x.accepted(v) if profile.allows(v, s) and s.key_exchange is not None
                     and s.key_exchange.type == "DH" and s.key_exchange.bits < profile.dh_bits]
                 for v in allowed_versions(ctx)}
        small = {v: suites for v, suites in small.items() if suites}
        if not small:
            continue
        subject, evidence = _subject(x, ctx)
        bits = min(s.key_exchange.bits for suites in small.values() for s in suites if s.key_exchange)
        names = {v: [s.openssl for s in suites] for v, suites in small.items()}
        yield Violation(subject, f"{x.kind} uses a {bits}-bit DH group ({_listed(names)}); {profile.name} wants "
                        f"{profile.dh_bits} bits at least", {**evidence, "dh_bits": bits, "minimum_bits":
                                                             profile.dh_bits, "suites": names},
                        where=f"{x.where}/versions/{next(iter(small))}/cipher_suites")


@observed("T3-OBS-TLS-010", severity=H, title="mail listener serves an RSA certificate key smaller than the "
          "Mozilla intermediate profile's", rationale="""An RSA key below 2048 bits (NIST SP 800-131A has
          disallowed 1024 since 2013) can be factored with means a determined attacker has; whoever does
          impersonates the listener to every client, and, where RSA key transport is accepted, decrypts
          recorded sessions. sslyze reads every certificate the listener serves (an RSA and an ECDSA one
          are two); each is judged. The chain, name and expiry are the listener probe's rules.""",
          hint="reissue the certificate with an RSA key of 2048 bits or more, or an ECDSA P-256 key (roles/pki), "
          "and reload the service", **SCAN)
def small_rsa_key(facts: TlsScan, ctx: Context) -> Iterator[Violation]:
    profile = intermediate()
    for x in facts.listeners:
        for i, cert in enumerate(x.certificates):
            if cert.key_type == "rsa" and cert.key_bits is not None and cert.key_bits < profile.rsa_bits:
                subject, evidence = _subject(x, ctx)
                yield Violation(subject, f"{x.kind} serves an RSA key of {cert.key_bits} bits ({cert.subject}); "
                                f"{profile.name} wants {profile.rsa_bits} at least",
                                {**evidence, "key_bits": cert.key_bits, "minimum_bits": profile.rsa_bits,
                                 "certificate": cert.subject}, where=f"{x.where}/certificates/{i}/public_key")
