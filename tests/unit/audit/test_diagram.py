"""The site picture (tier3.audit.diagram): golden files of inventory/example and of the lab's inventory, every
single point of failure the availability engine finds and every failed finding marked on the object it names,
the dependencies drawn, the hover text naming what a loss takes down, and an SVG that stands alone."""

from __future__ import annotations

import dataclasses
import itertools
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tier3.audit.diagram import site_svg
from tier3.audit.impact import Impact, Mark, finding_marks, resolve, result_marks, spof_marks
from tier3.availability import evaluate
from tier3.lab import inventory as lab_inventory
from tier3.lab.hosts import EVERY_HOST
from tier3.lab.secrets import DKIM_VAR, NAMES, LabSecrets
from tier3.model import Host, Site, Topology
from tier3.validate import Validation, validate

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "inventory" / "example"
BROKEN = ROOT / "tests" / "fixtures" / "inventories" / "broken"
SVG = "{http://www.w3.org/2000/svg}"
FIXED = LabSecrets({name: f"secret-of-{name}" for name in NAMES}
                   | {DKIM_VAR: "-----BEGIN RSA PRIVATE KEY-----\nMIIfixed\n-----END RSA PRIVATE KEY-----\n"})
STATE = Path("/srv/project/.cache/lab")  # render is pure: the lab's state paths are its arguments


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Validation:
    """inventory/lab as `tier3 lab up` writes it with the metal hosts and the firewall pair (fixed secrets)."""
    target = tmp_path_factory.mktemp("lab") / "lab"
    files = lab_inventory.render(EVERY_HOST, secrets=FIXED, pki_ca_dir=STATE / "pki", metal_state=STATE / "metal",
                                 firewall_state=STATE / "firewall")
    assert lab_inventory.write(target, files)
    return validate(target)


def picture(validation: Validation, source: str) -> str:
    topology = dataclasses.replace(validation.topology, source=source)  # the path it was read from is not drawn
    return site_svg(topology, finding_marks(validation.findings))


def objects(svg: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)
    return {g.attrib["data-subject"]: g for g in root.iter(f"{SVG}g") if "data-subject" in g.attrib}


def marked(svg: str, kind: str) -> set[str]:
    return {key for key, g in objects(svg).items() if kind in g.attrib["data-marks"].split()}


def title(element: ET.Element) -> str:
    found = element.find(f"{SVG}title")
    assert found is not None
    assert found.text
    return found.text


def links(svg: str) -> set[tuple[str, str, str]]:
    return {(p.attrib["data-link"], p.attrib["data-from"], p.attrib["data-to"])
            for p in ET.fromstring(svg).iter(f"{SVG}path") if "data-link" in p.attrib}


# ---- golden files ---------------------------------------------------------------------------------------------

def test_example_picture_matches_its_golden_file(golden) -> None:  # type: ignore[no-untyped-def]
    golden.check("diagram/example.svg", picture(validate(EXAMPLE), "inventory/example"))


def test_lab_picture_matches_its_golden_file(golden, lab: Validation) -> None:  # type: ignore[no-untyped-def]
    golden.check("diagram/lab.svg", picture(lab, "inventory/lab"))


def test_the_picture_is_the_same_every_time(lab: Validation) -> None:
    assert picture(lab, "inventory/lab") == picture(lab, "inventory/lab")


# ---- single points of failure -----------------------------------------------------------------------------------

def drawn(event_id: str) -> str:
    """The object an event of the availability engine is drawn as (hand-written, not the code under test)."""
    kind, _, name = event_id.partition(":")
    if kind == "host":
        return name
    if kind in ("psu", "nic", "card", "hba", "disk"):
        return name.split("/", 1)[0]
    return event_id


SPOF_CASES = ["rule_mx_on_one_feed", "rule_psus_on_one_pdu_single_feed_site", "rule_site_one_feed",
              "rule_mx_single_member", "rule_bond_one_switch", "rule_one_psu", "rule_lun_one_fabric"]


@pytest.mark.parametrize("case", SPOF_CASES)
def test_every_single_point_of_failure_of_the_engine_is_marked_and_nothing_else(case: str) -> None:
    validation = validate(BROKEN / case)
    expected = {drawn(c.events[0].id) for s in evaluate(validation.topology) for c in s.single_points}
    assert expected, f"{case}: the engine finds no single point of failure; pick another case"
    assert marked(picture(validation, case), "spof") == expected


def test_a_feed_that_alone_stops_the_mail_is_marked_with_the_services_it_stops() -> None:
    svg = picture(validate(BROKEN / "rule_mx_on_one_feed"), "x")
    assert marked(svg, "spof") == {"site:site1", "feed:feed-a"}
    text = title(objects(svg)["feed:feed-a"])
    assert "single point of failure: feed feed-a alone stops smtp-in, submission" in text
    healthy = picture(validate(BROKEN.parent / "healthy"), "x")  # the same site with each host on both feeds
    assert marked(healthy, "spof") == {"site:site1"}
    assert marked(healthy, "fail") == set()


@pytest.mark.parametrize("inventory", [EXAMPLE, BROKEN / "rule_mx_on_one_feed", BROKEN / "rule_bond_one_switch"])
def test_the_cut_sets_of_one_event_are_the_engine_s_single_points(inventory: Path) -> None:
    """The picture searches only cut sets of one event (no exact figure); the same as `tier3 availability`."""
    topology = validate(inventory).topology
    by_service = {s.name: sorted(c.events[0].id for c in s.single_points) for s in evaluate(topology)
                  if s.structure.alternatives}
    found: dict[str, list[str]] = {}
    for event, services in Impact(topology).single_points().items():
        for service in services:
            found.setdefault(service, []).append(event)
    assert {k: sorted(v) for k, v in found.items()} == {k: v for k, v in by_service.items() if v}


def test_the_example_has_one_single_point_per_site_its_mailboxes(lab: Validation) -> None:
    svg = picture(validate(EXAMPLE), "inventory/example")
    assert marked(svg, "spof") == {"site:fra1", "site:ams1"}  # the mailboxes of a site live in that site
    assert marked(svg, "fail") == set()
    assert marked(picture(lab, "inventory/lab"), "spof") == {"site:lab"}


# ---- failed findings ------------------------------------------------------------------------------------------------

# case -> the objects its failed findings are drawn on (by hand, from the findings the validate tests pin)
FAILED_ON = {
    "rule_mx_on_one_feed": {"mx1", "mx2", "vip:mx-vip"},  # T3-PWR-002 x2, group:mx (its hosts), vip:mx-vip
    "phys_outlet_twice": {"pdu:r1-pdu-a"},  # pdu:r1-pdu-a:1 (an outlet)
    "phys_pdu_over_rating": {"pdu:r1-pdu-a", "pdu:r1-pdu-b"},
    "phys_switch_port_twice": {"switch:sw1"},  # switch:sw1:1/1 (a port)
    "phys_bond_one_card": {"mx3"},  # mx3:bond0
    "rule_site_one_feed": {"site:site1"},
    "rule_firewalls_one_rack": {"fw1", "fw2", "firewall-pair:edge"},  # group:firewall and the pair
    "rule_vrid_reused": {"vip:fw-vip", "vip:mx-vip"},
    "rule_device_used_twice": {"mx1"},  # mx1:sda
}


@pytest.mark.parametrize("case", sorted(FAILED_ON))
def test_each_failed_finding_is_marked_on_the_object_it_names(case: str) -> None:
    validation = validate(BROKEN / case)
    assert validation.failed
    svg = picture(validation, case)
    assert marked(svg, "fail") == FAILED_ON[case]
    every_title = "\n".join(title(g) for g in objects(svg).values())
    for finding in validation.failed:
        assert f"FAIL: {finding.rule_id} [{finding.severity.value}] {finding.message}" in every_title


def test_a_wwid_shared_by_two_hosts_marks_both_hosts() -> None:
    validation = validate(BROKEN / "phys_wwid_twice")
    wwid = next(f.subject for f in validation.failed if f.subject.startswith("wwid:"))
    holders = {h.name for h in validation.topology.hosts
               if any(f"wwid:{lun.wwid}" == wwid for lun in h.multipath_luns)}
    assert len(holders) == 2
    assert holders <= marked(picture(validation, "x"), "fail")


def test_every_failed_finding_of_the_lab_is_marked(lab: Validation) -> None:
    assert {f.subject for f in lab.failed} == {"metal1", "metal2"}  # their BMC passwords are literals
    assert marked(picture(lab, "inventory/lab"), "fail") == {"metal1", "metal2"}


def test_a_subject_that_names_nothing_drawn_is_listed_in_the_legend() -> None:
    topology = validate(BROKEN / "rule_mx_on_one_feed").topology
    svg = site_svg(topology, [Mark("service:smtp-in", "T3-AVL-001 below its target", "fail")])
    assert marked(svg, "fail") == set()
    legend = [title(g) for g in ET.fromstring(svg).iter(f"{SVG}g") if g.attrib.get("data-legend") == "mark"
              and g.attrib["data-kind"] == "fail"]
    assert legend == ["service:smtp-in, which is not drawn: T3-AVL-001 below its target"]


def test_audit_results_are_drawn_on_their_subject_or_host() -> None:
    import audit_sample  # noqa: PLC0415  (tests/support, put on sys.path by conftest.py)

    topology = Topology(sites=(Site("fra1"),), hosts=(Host("mx2", site="fra1"), Host("imap1", site="fra1"),
                                                       Host("mon2", site="fra1")))
    svg = site_svg(topology, result_marks(audit_sample.sample_report().results))
    assert marked(svg, "waived") == {"mx2"}  # T3-PWR-003 on mx2, waived
    assert marked(svg, "fail") == {"mon2"}  # the host that could not be read (an error); the VIP is not drawn
    assert "imap1" not in marked(svg, "fail") | marked(svg, "waived")  # its result passed


@pytest.mark.parametrize(("subject", "expected"), [
    ("mx1", ("mx1",)), ("mx1:bond0", ("mx1",)), ("psu:mx1/PSU1", ("mx1",)), ("host:mx2", ("mx2",)),
    ("pdu:r1-pdu-a:3", ("pdu:r1-pdu-a",)), ("switch:sw1:Ethernet1/1", ("switch:sw1",)),
    ("vip:mx-vip 10.0.0.25:25", ("vip:mx-vip",)), ("group:mx", ("mx1", "mx2")), ("group:mx@site1", ("mx1", "mx2")),
    ("group:mx@elsewhere", ()), ("site:site1", ("site:site1",)), ("rack:r2", ("rack:r2",)),
    ("feed:feed-a", ("feed:feed-a",)), ("fabric:san-b", ("fabric:san-b",)),
    ("firewall-pair:edge", ("firewall-pair:edge",)),
    ("domain:example.org", ()), ("service:smtp-in", ()), ("nosuchhost", ()), ("pdu:nosuch", ()),
])
def test_subjects_resolve_to_the_objects_they_name(subject: str, expected: tuple[str, ...]) -> None:
    assert resolve(validate(BROKEN / "rule_mx_on_one_feed").topology, subject) == expected


# ---- what is drawn ------------------------------------------------------------------------------------------------

def test_every_dependency_is_drawn() -> None:
    topology = validate(EXAMPLE).topology
    drawn_links = links(site_svg(topology))
    expected = {("power", h.name, f"pdu:{p.pdu}") for h in topology.hosts for p in h.power_supplies}
    expected |= {("power", f"pdu:{p.name}", f"feed:{p.feed}") for s in topology.sites for r in s.racks for p in r.pdus}
    expected |= {("network", h.name, f"switch:{m.switch}") for h in topology.hosts for b in h.bonds for m in b.members}
    expected |= {("san", h.name, f"fabric:{p.fabric}") for h in topology.hosts for lun in h.multipath_luns
                 for p in lun.paths}
    expected |= {("vip", f"vip:{v.name}", m.host) for v in topology.vips for m in v.members}
    expected |= {("pair", f"firewall-pair:{p.name}", m) for p in topology.firewall_pairs for m in p.members}
    assert {k for k, _, _ in expected} == {"power", "network", "san", "vip", "pair"}
    assert drawn_links == expected


def test_every_object_of_the_inventory_is_drawn() -> None:
    t = validate(EXAMPLE).topology
    expected = {f"site:{s.name}" for s in t.sites} | {h.name for h in t.hosts} | {f"vip:{v.name}" for v in t.vips}
    expected |= {f"firewall-pair:{p.name}" for p in t.firewall_pairs}
    for s in t.sites:
        expected |= {f"feed:{f.name}" for f in s.feeds} | {f"rack:{r.name}" for r in s.racks}
        expected |= {f"pdu:{p.name}" for r in s.racks for p in r.pdus} | {f"switch:{w.name}" for w in s.switches}
        expected |= {f"fabric:{f.name}" for f in s.fabrics} | {f"uplink:{u.name}" for u in s.uplinks}
    assert set(objects(site_svg(t))) == expected


def test_hovering_names_what_a_loss_takes_down() -> None:
    found = objects(site_svg(validate(BROKEN / "rule_mx_on_one_feed").topology))
    assert "its loss takes down hosts mx1, mx2; VIP mx-vip (no member left); stops smtp-in, submission" in title(
        found["feed:feed-a"])
    assert "its loss alone takes down nothing" in title(found["feed:feed-b"])
    assert "its loss takes down hosts mx1, fw1" in title(found["rack:r1"])
    assert "with every member down, it takes down" in title(found["vip:mx-vip"])
    assert "stops smtp-in, submission" in title(found["vip:mx-vip"])


def test_a_feed_s_box_prints_what_its_loss_takes_down() -> None:
    found = objects(site_svg(validate(BROKEN / "rule_mx_on_one_feed").topology))
    texts = ["".join(t.itertext()) for t in found["feed:feed-a"].iter(f"{SVG}text")]
    assert texts[0] == "feed-a"
    assert texts[1].startswith("loss: 2 hosts, 1 VIP, stops s")
    assert [t.text for t in found["feed:feed-b"].iter(f"{SVG}text")][1] == "loss: none"


def test_one_column_per_site_and_the_racks_side_by_side() -> None:
    found = objects(site_svg(validate(EXAMPLE).topology))

    def rect(key: str) -> tuple[float, float, float]:
        r = found[key].find(f"{SVG}rect")
        assert r is not None
        return float(r.attrib["x"]), float(r.attrib["y"]), float(r.attrib["width"])

    fra1, ams1 = rect("site:fra1"), rect("site:ams1")
    assert fra1[0] + fra1[2] < ams1[0]
    assert fra1[1] == ams1[1]
    racks = [rect(f"rack:fra1-r0{i}") for i in range(1, 5)]
    assert all(a[0] + a[2] < b[0] and a[1] == b[1] for a, b in itertools.pairwise(racks))
    assert all(fra1[0] < x and x + w < fra1[0] + fra1[2] for x, _, w in racks)


def test_the_svg_stands_alone_and_fits_800_pixels() -> None:
    svg = site_svg(validate(EXAMPLE).topology)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.attrib["style"] == "max-width:100%;height:auto"
    _, _, width, height = map(float, root.attrib["viewBox"].split())
    assert float(root.attrib["width"]) == width <= 900  # at 800 px it shrinks by no more than a ninth
    assert height > 0
    tags = {e.tag.removeprefix(SVG) for e in root.iter()}
    assert tags <= {"svg", "title", "g", "rect", "text", "path"}
    assert not [a for e in root.iter() for a in e.attrib if "href" in a or a.startswith("on")]
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    for element in root.iter(f"{SVG}text"):  # nothing is written outside the canvas
        assert 0 <= float(element.attrib["x"]) < width
        assert 0 < float(element.attrib["y"]) <= height


def test_control_characters_and_markup_in_names_are_escaped() -> None:
    topology = Topology(sites=(Site("s\x1b[31m1"),), hosts=(Host("mx<b>\x01", site="s\x1b[31m1"),))
    svg = site_svg(topology, [Mark("mx<b>\x01", "bad\x07 <script>", "fail")])
    root = ET.fromstring(svg)  # well-formed: no raw control character, no markup from a name
    assert not any(ch in svg for ch in "\x01\x07\x1b")
    assert "mx&lt;b&gt;\\x01" in svg
    assert "site s\\x1b[31m1" in "".join(root.itertext())
    assert not list(root.iter(f"{SVG}script"))
    assert marked(svg, "fail") == {"mx<b>\\x01"}


def test_an_empty_inventory_draws_an_empty_picture() -> None:
    root = ET.fromstring(site_svg(Topology()))
    assert "0 site(s), 0 host(s); 0 single point(s) of failure" in title(root)


def test_spof_marks_name_the_event_and_the_services() -> None:
    marks = spof_marks(Impact(validate(BROKEN / "rule_mx_on_one_feed").topology))
    assert [(m.subject, m.kind) for m in marks] == [("site:site1", "spof"), ("feed:feed-a", "spof")]
    assert marks[1].label == "single point of failure: feed feed-a alone stops smtp-in, submission"
