"""Why a rule was not evaluated: the audit names who owed the evidence and did not give it, or the controller
step that did not measure it, on the example inventory (every server declares bonds, arrays and a Redfish BMC)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tier3.audit.assemble import Collected, results
from tier3.audit.coverage import Coverage, asked_of, reason
from tier3.audit.model import Outcome
from tier3.evidence import kinds_owed
from tier3.model import Topology
from tier3.rules import RULES, rules_for
from tier3.validate import validate

EXAMPLE = str(Path(__file__).resolve().parents[3] / "inventory" / "example")


@pytest.fixture(scope="module")
def topology() -> Topology:
    return validate([EXAMPLE]).topology


def test_a_kind_no_audited_host_owes_says_what_a_host_would_declare(topology: Topology) -> None:
    coverage = Coverage(topology, ("fra1-dns1",), {"fra1-dns1": frozenset(kinds_owed(topology, "fra1-dns1"))})
    said = reason(("multipath",), coverage)
    assert said.startswith("no audited host declares tier3_host.multipath_luns, so none owed evidence of multipath")
    assert "is in group imap" in reason(("replicator",), coverage)
    assert "tier3_host.bmc.protocol: ipmi" in reason(("ipmi-sdr",), coverage)


def test_hosts_that_owed_it_and_did_not_answer_are_named(topology: Topology) -> None:
    coverage = Coverage(topology, ("fra1-imap1", "fra1-imap2", "fra1-dns1"),
                        asked_of({"fra1-imap1": {"unreachable": True, "msg": "ssh: timed out"},
                                  "fra1-imap2": {"failed": True, "kinds": ["replicator"]},
                                  "fra1-dns1": {"kinds": ["journald"], "evidence": []}}))
    assert reason(("replicator",), coverage) == (
        "fra1-imap1, fra1-imap2 owed evidence of replicator and did not answer (see their error results)")


def test_declared_hardware_not_looked_for_names_the_switch(topology: Topology) -> None:
    coverage = Coverage(topology, ("fra1-mx1",), {"fra1-mx1": frozenset({"postqueue", "journald", "redfish"})})
    said = reason(("mdstat", "mdadm-detail"), coverage)
    assert said == ("fra1-mx1 declares what it judges, but was not read for mdstat, mdadm-detail: "
                    "tier3_check_hardware is false there (not the machine the inventory describes, as the lab's "
                    "containers)")
    bmc_off = Coverage(topology, ("fra1-mx1",), {"fra1-mx1": frozenset({"postqueue", "mdstat"})})
    assert reason(("redfish",), bmc_off) == "the BMC of fra1-mx1 was not read (tier3_check_bmc: false)"


def test_a_controller_kind_says_which_step_did_not_measure_it(topology: Topology) -> None:
    coverage = Coverage(topology, ("fra1-mx1",), {}, steps={"tls-listener": "the VIP listeners were not probed"})
    assert reason(("tls-listener",), coverage) == "the VIP listeners were not probed"
    assert reason(("tls-scan",), coverage) == "the check's site step did not scan the VIP listeners"


def test_every_not_evaluated_result_says_why(topology: Topology) -> None:
    hosts = ("fra1-mx1", "fra1-imap1")
    asked = {h: frozenset(kinds_owed(topology, h, hardware=False)) for h in hosts}  # as in the lab
    ran = {r.id for r in RULES.values() if r.scope.value == "declared"} | {
        r.id for kinds in asked.values() for k in kinds for r in rules_for(k)}
    coverage = Coverage(topology, hosts, asked, steps={"drill": "no drill report in reports/drills"})
    found = results(Collected((), frozenset(ran), frozenset(hosts), coverage), hosts)
    left = {r.rule_id: r.message for r in found if r.outcome is Outcome.NOT_EVALUATED}
    assert set(left) == set(RULES) - ran
    assert left["T3-OBS-DRL-001"] == "no drill report in reports/drills"
    assert "tier3_check_hardware is false" in left["T3-OBS-STO-020"]
    assert left["T3-OBS-PWR-001"] == "the BMC of fra1-mx1, fra1-imap1 was not read (tier3_check_bmc: false)"
    assert not [rule for rule, why in left.items() if why.startswith("no evidence of")], left
