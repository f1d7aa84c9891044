"""Why a rule of the catalogue was not evaluated: who owed its evidence and did not give it, or which
controller step did not measure it.

An observed rule judges evidence of its kinds (``Rule.kinds``). Two sources give it:

- the hosts, in their one round trip: a host owes a kind by its groups, its VIPs and what its tier3_host
  declares (``tier3.evidence.kinds_owed``), its BMC's kind when it declares one
  (``tier3.check.bmc.bmc_kinds_owed``). A rule none of the audited hosts gave evidence for was either owed
  by no host (nothing in scope declares what it judges), not looked for (``tier3_check_hardware: false``,
  ``tier3_check_bmc: false``), or owed by hosts that did not answer;
- the controller: the VIP listeners probed and scanned, the DNS servers asked (the check's site step),
  the drills' reports, tier3 archive verify's report. Each step that did not run says why (``steps``).

``reason`` puts that in one sentence for the report. Pure: the caller gathers ``Coverage``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from tier3.check.bmc import PROTOCOLS, bmc_kinds_owed
from tier3.evidence import DECLARED_KINDS, GROUP_KINDS, TOPOLOGY_KIND, VIP_KIND, kinds_owed
from tier3.model import Topology

# the kinds the controller measures, not a host; what each one needs when nothing says why it is missing
CONTROLLER_KINDS: dict[str, str] = {
    "tls-listener": "the check's site step did not probe the VIP listeners",
    "tls-scan": "the check's site step did not scan the VIP listeners",
    "dns-answers": "the check's site step did not ask the DNS servers",
    "drill": "none of the drills read judges it",
    "archive": "no report of tier3 archive verify was given",
    "archive-reconciliation": "no report of tier3 archive verify was given",
}
BMC_KINDS = tuple(p.kind for p in PROTOCOLS.values())


@dataclass(frozen=True)
class Coverage:
    """What one audit run could have read, and what it did: the input of ``reason``."""

    topology: Topology
    hosts: tuple[str, ...]  # the hosts audited (the play's, after --limit)
    asked: Mapping[str, frozenset[str]]  # each host that answered -> the kinds its check asked of it
    steps: Mapping[str, str] = field(default_factory=dict)  # controller kind -> why it was not measured


def _declares(kinds: Sequence[str]) -> str:
    """What a host must declare, or be, to owe ``kinds`` (one rule's)."""
    kind = kinds[0]
    if len(kinds) > 1 and all(k in BMC_KINDS for k in kinds):
        return "declares its BMC (tier3_host.bmc)"
    if kind == VIP_KIND:
        return "is a member of a declared VIP (tier3_vips)"
    protocol = next((name for name, p in PROTOCOLS.items() if p.kind == kind), None)
    if protocol is not None:
        return f"declares a BMC read over {protocol} (tier3_host.bmc.protocol: {protocol})"
    keys = [key for key, owed in DECLARED_KINDS.items() if kind in owed or kind == TOPOLOGY_KIND]
    if keys:
        return "declares " + " or ".join(f"tier3_host.{key}" for key in keys)
    groups = [group for group, owed in GROUP_KINDS.items() if kind in owed]
    return "is in group " + " or ".join(groups) if groups else f"owes {kind}"


def _owes(topology: Topology, host: str, kind: str) -> bool:
    """Whether ``host`` owes ``kind`` when its hardware and its BMC are looked for."""
    return kind in kinds_owed(topology, host) or kind in bmc_kinds_owed(topology, host)


def _names(hosts: Sequence[str]) -> str:
    return ", ".join(hosts[:6]) + (f" and {len(hosts) - 6} more" if len(hosts) > 6 else "")


def reason(kinds: Sequence[str], coverage: Coverage) -> str:
    """Why no evidence of ``kinds`` (one rule's) was judged, in one sentence that says what would give it."""
    what = ", ".join("the declared objects (topology)" if k == TOPOLOGY_KIND else k for k in kinds)
    step = next((coverage.steps.get(k) or CONTROLLER_KINDS[k] for k in kinds if k in CONTROLLER_KINDS), None)
    if step is not None:
        return f"{step}"
    audited = set(coverage.hosts)
    owing = [h.name for h in coverage.topology.hosts  # in inventory order
             if h.name in audited and any(_owes(coverage.topology, h.name, k) for k in kinds)]
    if not owing:
        return (f"no audited host {_declares(kinds)}, so none owed evidence of {what}; "
                "the rule applies where one does")
    silent = [h for h in owing if h not in coverage.asked]
    if silent:
        return (f"{_names(silent)} owed evidence of {what} and did not answer "
                f"(see {'its error result' if len(silent) == 1 else 'their error results'})")
    skipped = [h for h in owing if not coverage.asked[h] & set(kinds)]
    if skipped and all(k in BMC_KINDS for k in kinds):
        return f"the BMC of {_names(skipped)} was not read (tier3_check_bmc: false)"
    if skipped:
        one = len(skipped) == 1
        return (f"{_names(skipped)} declare{'s' if one else ''} what it judges, but {'was' if one else 'were'} "
                f"not read for {what}: tier3_check_hardware is false there (not the machine{'' if one else 's'} "
                "the inventory describes, as the lab's containers)")
    return f"no evidence of {what} was collected"


def asked_of(host_results: Mapping[str, Mapping[str, object]]) -> dict[str, frozenset[str]]:
    """Each host whose tier3_check result is an answer (not unreachable, not failed) -> the kinds it was asked."""
    out = {}
    for host, said in host_results.items():
        kinds = said.get("kinds") if isinstance(said, Mapping) else None
        if isinstance(kinds, list) and not said.get("unreachable") and not said.get("failed"):
            out[host] = frozenset(str(k) for k in kinds)
    return out
