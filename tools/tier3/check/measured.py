"""What the check's site step will not measure, and why: for the audit's "not evaluated" results, and so a rule
of a kind that was not measured is never counted as run (and so never passes)."""

from __future__ import annotations

from collections.abc import Collection

from tier3.check import DNS_KIND, LISTENER_KIND, SCAN_KIND, vip_listeners
from tier3.model import Topology
from tier3.probe.dns import DnsPlan


def unmeasured(topology: Topology, scope: Collection[str] | None, *, probe: bool, scan: bool,
               dns: DnsPlan | None) -> dict[str, str]:
    """What the site step will not measure, and why: controller kind -> reason (for the audit's "not
    evaluated" results), as ``judge_site`` decides with the same arguments; a kind absent here is measured."""
    out: dict[str, str] = {}
    if not probe:
        out[LISTENER_KIND] = out[SCAN_KIND] = "the VIP listeners were not probed (tier3_check_probe: false)"
    elif not vip_listeners(topology, scope):
        out[LISTENER_KIND] = out[SCAN_KIND] = "no audited host is a member of a VIP that serves a mail listener"
    elif not scan:
        out[SCAN_KIND] = "the probed listeners were not scanned with sslyze (tier3_check_scan: false)"
    if topology.dns is None:
        out[DNS_KIND] = "the inventory declares no authoritative DNS (tier3_dns)"
    elif dns is None:
        out[DNS_KIND] = "the DNS servers were not asked (the site step's dns: false)"
    elif not [s for s in dns.servers if scope is None or s.host in scope]:
        out[DNS_KIND] = "no audited host is an authoritative DNS server of the inventory"
    return out
