# Copyright: tier3 contributors
# Apache-2.0 (see LICENSE)
"""The whitelist of tier3.dc.tier3_evidence: what a managed host gives for each inspect kind.

The host-side copy of ``Kind.evidence`` in ``tools/tier3/inspect`` (the module runs on the managed host and
cannot import ``tier3``). Kind name -> items, in order; an item is a file (``{"path": glob}``) or a command
(``{"argv": [...], "each": glob}``: ``{item}`` in argv is replaced by each match of ``each``, one run per
match; ``each`` empty: one run). tests/unit/evidence/test_evidence_module.py asserts this table equals the
engine's, kind for kind and item for item: change both together.
"""

from __future__ import annotations

from typing import Any

ITEMS: dict[str, tuple[dict[str, Any], ...]] = {
    # storage (tools/tier3/inspect/storage.py)
    "mdstat": ({"path": "/proc/mdstat"},),
    "mdadm-detail": ({"argv": ["mdadm", "--detail", "{item}"], "each": "/dev/md[0-9]*"},),
    "multipath": ({"argv": ["multipath", "-ll"], "each": ""},),
    # network (tools/tier3/inspect/network.py)
    "bonding": ({"path": "/proc/net/bonding/*"},),
    "lldp": ({"argv": ["lldpctl", "-f", "json"], "each": ""},),
    "ip-link": ({"argv": ["ip", "-d", "link", "show"], "each": ""},),
    # encryption (tools/tier3/inspect/encryption.py)
    "cryptsetup": ({"argv": ["cryptsetup", "status", "{item}"], "each": "/dev/mapper/*"},),
    "luksdump": (
        {"argv": ["cryptsetup", "luksDump", "--dump-json-metadata", "{item}"], "each": "/dev/disk/by-uuid/*"},
    ),
    "lsblk": ({"argv": ["lsblk", "-J", "-O"], "each": ""},),
    # mail (tools/tier3/inspect/mail.py)
    "postqueue": ({"argv": ["postqueue", "-j"], "each": ""},),
    "replicator": (
        {"argv": ["doveadm", "replicator", "status", "*"], "each": ""},
        {"argv": ["doveadm", "replicator", "status"], "each": ""},
    ),
    "vip-holders": ({"argv": ["ip", "-j", "addr"], "each": ""},),
    # logs (tools/tier3/inspect/logs.py): journald.conf, then its drop-ins, most important directory first
    "journald": (
        {"path": "/etc/systemd/journald.conf"},
        {"path": "/etc/systemd/journald.conf.d/*.conf"},
        {"path": "/run/systemd/journald.conf.d/*.conf"},
        {"path": "/usr/local/lib/systemd/journald.conf.d/*.conf"},
        {"path": "/usr/lib/systemd/journald.conf.d/*.conf"},
    ),
}
