"""Security of the out-of-band path: BMC secrets in the vault, BMCs spoken to over Redfish/TLS."""

from __future__ import annotations

from collections.abc import Iterator

from tier3.model import Severity, Topology
from tier3.rules._lookup import at, key_of
from tier3.rules._registry import Category, Violation, rule


@rule(
    "T3-SEC-001",
    severity=Severity.HIGH,
    category=Category.SECURITY,
    title="BMC password is a vault reference, not a literal in the inventory",
    rationale="""A BMC password in plain inventory text is in every clone, backup and CI log of the
    repository, and the BMC gives full control of the machine (power, console, firmware, virtual
    media). Vaulted means a !vault value, a bare reference to a vaulted variable (optionally with
    filters that cannot put a literal in, such as trim), or a lookup of a secret store; a literal
    inside an expression is still a literal ("{{ 'hunter2' }}", a default('admin')), and so is any
    other expression, which may hold one (docs/inventory.md, Secrets). Hosts without a declared BMC
    are not judged.""",
    controls=("ISO27001:A.5.17", "PCI-DSS:8.3.2", "NIST-800-53:IA-5(1)", "SOC2:CC6.1"),
    hint="store the password with ansible-vault and reference the vaulted variable in tier3_host.bmc.password",
)
def vaulted_bmc_password(topology: Topology) -> Iterator[Violation]:
    for host in topology.hosts:
        bmc = host.bmc
        if bmc is not None and not bmc.password_is_vaulted:
            yield Violation(
                host.name,
                f"BMC {bmc.address} password is a literal in the inventory, not a vault reference",
                {"bmc": bmc.address, "username": bmc.username, "password_is_vaulted": False},
                key_of(bmc.location, "password", at(host.location, "bmc")),
            )


@rule(
    "T3-SEC-002",
    severity=Severity.LOW,
    category=Category.SECURITY,
    title="BMC is managed over Redfish (HTTPS), not IPMI",
    rationale="""IPMI over LAN leaks password hashes to anyone who asks (RAKP, CVE-2013-4786) and
    uses weak or no encryption; Redfish runs over TLS with the BMC's certificate. Any protocol other
    than redfish is blamed, naming it. Hosts without a declared BMC are not judged.""",
    controls=("PCI-DSS:2.2.7", "NIST-800-53:SC-8", "ISO27001:A.8.20", "HIPAA:164.312(e)(1)"),
    hint="enable Redfish on the BMC, disable IPMI over LAN, and set tier3_host.bmc.protocol: redfish",
)
def redfish_bmc(topology: Topology) -> Iterator[Violation]:
    for host in topology.hosts:
        bmc = host.bmc
        if bmc is not None and bmc.protocol.strip().lower() != "redfish":
            yield Violation(
                host.name,
                f"BMC {bmc.address} is managed over {bmc.protocol or 'an undeclared protocol'}, not Redfish over TLS",
                {"bmc": bmc.address, "protocol": bmc.protocol},
                key_of(bmc.location, "protocol", at(host.location, "bmc")),
            )
