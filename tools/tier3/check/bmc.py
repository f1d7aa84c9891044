"""The BMC of a host, read by ``tier3 check`` from the controller and judged with the host.

A host whose inventory declares ``tier3_host.bmc`` owes the kind of its protocol (``bmc_kinds_owed``:
``redfish`` or ``ipmi-sdr``, kinds without host evidence: the host's ``tier3_evidence`` call is never
asked for them). ``read_bmc`` reads it with the clients of ``tier3.bmc`` (the same as
``tier3 inspect redfish|ipmi-sdr``), makes one ``EvidenceItem`` per document read (its URL, the
SHA-256 and size of the body as received, when: the controller's clock), and judges the facts with
the observed power rules, T3-OBS-PWR-001..007 on what the BMC says and T3-OBS-PWR-010..013 against
what the inventory declares of the host's supplies, PDUs and feeds. A BMC that cannot be read (no
answer, credentials refused, a bad answer) or whose answer does not parse is one ``error`` finding of
the host naming the URL and why: never a pass, and never in place of the host's other findings.

The password is the caller's (the action plugin templates the vaulted ``tier3_host.bmc.password``):
it goes to the client inside ``tier3.bmc.Credentials`` (hidden from ``repr``) and nowhere else; every
message that leaves here is scrubbed of it as well, in case a BMC echoes it back.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tier3.bmc import Credentials
from tier3.bmc import ipmi as ipmi_io
from tier3.bmc.redfish import RedfishClient
from tier3.check import HostCheck, evidence_error
from tier3.errors import DeviceError, Tier3Error
from tier3.evidence import EvidenceItem
from tier3.inspect import InspectOptions, all_kinds
from tier3.model import Bmc, Finding, Topology

CREDENTIAL_HINT = ("check tier3_host.bmc.username and the vaulted tier3_host.bmc.password against the BMC's "
                   "account")
READ_BY = "read by the controller from the BMC"  # the detail of every BMC item: not the host's clock


@dataclass(frozen=True)
class BmcAccess:
    """How the controller reaches the BMCs: TLS verified (``ca_file``: the BMCs' CA, else the system's);
    ``insecure`` turns verification off, for labs only (``tier3.bmc.redfish``)."""

    ca_file: str | None = None
    insecure: bool = False
    timeout: float = 10.0
    retries: int = 2


@dataclass(frozen=True)
class Read:
    """What one BMC read gave: the raw facts for the kind's parser, each document's record, how."""

    raw: Any
    answers: tuple[tuple[str, str, int, float], ...]  # (URL, SHA-256, size, read at) of each document
    how: str


Reader = Callable[[str, Credentials, BmcAccess], Read]


def _read_redfish(url: str, credentials: Credentials, access: BmcAccess) -> Read:
    with RedfishClient(url, credentials=credentials, ca_file=access.ca_file, insecure=access.insecure,
                       timeout=access.timeout, retries=access.retries, credential_hint=CREDENTIAL_HINT) as client:
        documents = client.read_tree()
        answers = tuple((a.url, a.sha256, a.size, a.read_at) for a in client.answers)
    return Read(documents, answers, "Redfish GET service root, chassis, power and supplies")


def _read_ipmi(url: str, credentials: Credentials, access: BmcAccess) -> Read:
    text = ipmi_io.read_sdr(url, credentials=credentials, timeout=access.timeout, retries=access.retries)
    body = text.encode("utf-8")
    return Read(text, ((url, hashlib.sha256(body).hexdigest(), len(body), time.time()),),
                "ipmitool -I lanplus sdr type 'Power Supply' + 'Power Unit'")


@dataclass(frozen=True)
class Protocol:
    kind: str  # the inspect kind whose parser and rules judge what is read
    scheme: str  # of the URL built from a bare address
    read: Reader


# tier3_host.bmc.protocol -> how it is read (the schema allows exactly these)
PROTOCOLS: dict[str, Protocol] = {
    "redfish": Protocol("redfish", "https", _read_redfish),
    "ipmi": Protocol("ipmi-sdr", "ipmi", _read_ipmi),
}


def bmc_kinds_owed(topology: Topology, host: str, enabled: bool = True) -> tuple[str, ...]:
    """The BMC kind ``host`` owes (its declared protocol's), or none: no ``bmc`` declared, or not ``enabled``."""
    declared = topology.host(host)
    if not enabled or declared is None or declared.bmc is None:
        return ()
    return (PROTOCOLS[declared.bmc.protocol].kind,)


def bmc_url(bmc: Bmc) -> str:
    """The URL to read: ``address`` as declared when it is one (``https://bmc:8443``), else
    ``https://ADDRESS`` (Redfish) or ``ipmi://ADDRESS`` (IPMI); a bare IPv6 address is bracketed."""
    address = bmc.address.strip()
    if "://" in address:
        return address
    if address.count(":") > 1 and not address.startswith("["):
        address = f"[{address}]"
    return f"{PROTOCOLS[bmc.protocol].scheme}://{address}"


def _said(exc: Tier3Error) -> str:
    """What went wrong and where (the URL), without the fix: the finding carries that as its hint."""
    place = f"{exc.source}: {exc.where}" if exc.where else exc.source
    return f"{place}: {exc.message}"


def _scrubbed(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret else text


def _error(host: str, kind: str, message: str, hint: str, *, evidence: Mapping[str, Any], secret: str) -> Finding:
    return evidence_error(host, f"{host}:{kind}", _scrubbed(f"{kind}: {message}", secret),
                          _scrubbed(hint, secret), evidence)


def _items(host: str, kind: str, answers: Sequence[tuple[str, str, int, float]]) -> tuple[EvidenceItem, ...]:
    return tuple(EvidenceItem(host=host, kind=kind, id=url, source="command", status="ok", sha256=sha, size=size,
                              read_at=at, detail=READ_BY) for url, sha, size, at in answers)


def _stamped(findings: Sequence[Finding], items: Sequence[EvidenceItem]) -> list[Finding]:
    refs = [{"id": i.id, "sha256": i.sha256} for i in items]
    return [dataclasses.replace(f, evidence={**f.evidence, "evidence_items": refs}) for f in findings]


def read_bmc(host: str, topology: Topology, password: str | None, access: BmcAccess | None = None, *,
             why_no_password: str = "") -> HostCheck:
    """Read and judge the declared BMC of ``host`` (nothing when it declares none).

    ``password`` None or empty is an ``error`` finding (``why_no_password`` says why, when the caller
    knows): a BMC read without its credentials would be refused, or answer anyone who asks.
    """
    declared = topology.host(host)
    if declared is None or declared.bmc is None:
        return HostCheck(host, (), (), ())
    bmc, how = declared.bmc, access or BmcAccess()
    protocol = PROTOCOLS[bmc.protocol]
    kind, url, secret = protocol.kind, bmc_url(bmc), password or ""
    where = {"bmc": bmc.address, "protocol": bmc.protocol, "url": url}
    try:
        if not password:
            said = f" ({why_no_password})" if why_no_password else ""
            raise DeviceError(url, "", f"no BMC password: tier3_host.bmc.password is empty or was not templated{said}",
                              hint="set tier3_host.bmc.password to a vaulted variable and give the vault password")
        read = protocol.read(url, Credentials(bmc.username, password), how)
    except Tier3Error as exc:
        failed = EvidenceItem(host=host, kind=kind, id=url, source="command", status="failed", read_at=time.time(),
                              detail=_scrubbed(_said(exc), secret))
        return HostCheck(host, (kind,), (failed,), (
            _error(host, kind, _said(exc), exc.hint or CREDENTIAL_HINT, evidence=where, secret=secret),))
    items = _items(host, kind, read.answers)
    options = InspectOptions(policy=topology.policy_for(host), topology=topology, host=host, ca_file=how.ca_file,
                             insecure=how.insecure, timeout=how.timeout, retries=how.retries)
    try:
        report = all_kinds()[kind].inspect_raw(read.raw, url, options, read.how)
    except Tier3Error as exc:  # the BMC answered, but not what a power read needs
        refs = {"evidence_items": [{"id": i.id, "sha256": i.sha256} for i in items]}
        return HostCheck(host, (kind,), items, (_error(
            host, kind, _said(exc), exc.hint or "read the BMC with tier3 inspect to see what it answers",
            evidence={**where, **refs}, secret=secret),))
    findings = _stamped([Finding.from_dict(f) for f in report.pop("findings")], items)
    return HostCheck(host, (kind,), items, tuple(findings), (report,))


def item_records(items: Sequence[EvidenceItem]) -> list[dict[str, Any]]:
    """The BMC's items as the records a host scope result carries under ``evidence`` (what
    ``tier3.evidence.item_from_record`` reads back on the site step): no text, as in the manifest."""
    return [i.manifest_entry() for i in items]
