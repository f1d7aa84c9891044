"""A lab-shaped inventory for the drill tests (docs/mail.md's shape), with container names of our own."""

from __future__ import annotations

from typing import Any

# the shape docs/mail.md gives; container names of our own (never the lab's tier3-lab-*)
HOSTS = {
    "all": {"children": {"lab": {"children": {
        "mx": {"hosts": {"mx1": {"ansible_host": "t3drill-unit-mx1"}, "mx2": {"ansible_host": "t3drill-unit-mx2"}}},
        "imap": {"hosts": {"imap1": {"ansible_host": "t3drill-unit-imap1"},
                           "imap2": {"ansible_host": "t3drill-unit-imap2"}}},
        "lb": {"hosts": {"lb1": {"ansible_host": "t3drill-unit-lb1"}, "lb2": {"ansible_host": "t3drill-unit-lb2"}}},
    }}}},
}
GROUP_VARS: dict[str, Any] = {
    "ansible_connection": "containers.podman.podman",
    "tier3_mail": {
        "hostname": "mail.lab.tier3.test",
        "imap_hostname": "imap.lab.tier3.test",
        "domains": [{"name": "lab.tier3.test"}],
        "users": [
            {"address": "alice@lab.tier3.test", "password": "{{ vault_tier3_mail_alice }}"},
            {"address": "drill@lab.tier3.test", "password": "{{ vault_tier3_mail_drill }}"},
        ],
    },
    "tier3_vips": [
        {"name": "lab-smtp", "address": "10.89.30.100", "network": "10.89.30.0/24", "vrid": 51,
         "services": ["smtp", "submission"], "members": [{"host": "lb1", "priority": 150},
                                                         {"host": "lb2", "priority": 100}]},
        {"name": "lab-imap", "address": "10.89.30.101", "network": "10.89.30.0/24", "vrid": 52,
         "services": ["imap", "imaps", "lmtp"], "members": [{"host": "lb1", "priority": 100},
                                                            {"host": "lb2", "priority": 150}]},
    ],
    "tier3_drill": {"mailbox": "drill@lab.tier3.test", "rto_seconds": 3.0, "rpo_messages": 0},
    "vault_tier3_mail_alice": "alice-secret",
    "vault_tier3_mail_drill": "drill-secret",
}
