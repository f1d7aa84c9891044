"""Encryption at rest, declared: every mail host keeps its mail on a declared encrypted volume (T3-ENC-001).

Category encryption (ids T3-ENC-NNN). What a mail host stores, by its group, at the paths the roles
use (``tier3.model.topology.DATA_PATHS``: Postfix's queue, Dovecot's mail homes, the archive's store;
tests/unit/rules/test_data_paths.py holds them to the roles' defaults). Each must lie at or below the
``mount`` of one of the host's ``encrypted_volumes``; tier3 check then shows, on the live host, that the
mount is on that volume (T3-OBS-ENC-025) and the volume LUKS2 with the policy's cipher and PBKDF
(T3-OBS-ENC-021, -023). Together they tie the mail to LUKS2 from the inventory to the disk.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from tier3.model import Severity, Topology
from tier3.model.topology import data_paths
from tier3.rules._lookup import at
from tier3.rules._registry import Category, Violation, rule

AT_REST_CONTROLS = ("PCI-DSS:3.5.1", "HIPAA:164.312(a)(2)(iv)", "ISO27001:A.8.24", "NIST-800-53:SC-28",
                    "GDPR:32(1)(a)")


def _under(path: str, mount: str) -> bool:
    return mount != "" and PurePosixPath(path).is_relative_to(PurePosixPath(mount))


@rule(
    "T3-ENC-001",
    severity=Severity.HIGH,
    category=Category.ENCRYPTION,
    title="mail host stores mail on no declared encrypted volume",
    rationale="""Mail at rest must be on a LUKS2 volume: a disk pulled from the rack, returned under
    warranty or left in a decommissioned server otherwise carries every queued message, mailbox and
    archived copy in clear. A host of group mx stores the queue (/var/spool/postfix), imap the
    mailboxes (/var/vmail), archive the archive store (/var/lib/tier3-archive); each path must lie
    at or below the mount of one of the host's tier3_host.encrypted_volumes. tier3 check then
    proves the mount is on that volume and the volume is LUKS2 with the policy's cipher and PBKDF
    (T3-OBS-ENC-025, -021, -023).""",
    controls=AT_REST_CONTROLS,
    hint="declare the LUKS2 volume that holds it in tier3_host.encrypted_volumes with mount: PATH "
         "(roles/luks opens it; mount its filesystem there)",
)
def mail_not_on_encrypted_volume(topology: Topology) -> Iterator[Violation]:
    for host in topology.hosts:
        mounts = {v.name: v.mount for v in host.encrypted_volumes}
        for what, path in data_paths(host.groups):
            if any(_under(path, mount) for mount in mounts.values()):
                continue
            declared = ", ".join(f"{name} at {mount or '(no mount)'}" for name, mount in mounts.items()) or "none"
            yield Violation(
                f"{host.name}:{path}",
                f"{what} ({path}) is on no declared encrypted volume (declared: {declared})",
                {"host": host.name, "groups": sorted(host.groups), "path": path,
                 "encrypted_volumes": [{"name": n, "mount": m} for n, m in mounts.items()]},
                location=at(host.location, "encrypted_volumes"),
                hint=f"declare the LUKS2 volume holding {path} in {host.name}'s tier3_host.encrypted_volumes "
                     f"with mount: {path} (or a mount above it)",
            )
