"""The audit's HTML page (tier3.audit.writers.html), read back with html.parser into a small tree: the verdict and
counts, every outcome, rationale, fix and evidence inline, waivers with their justification, hosts, drills, the
manifest, escaping, the site picture embedded only when safe, and nothing fetched from the network."""

from __future__ import annotations

import dataclasses
import io
import re
import tomllib
from collections.abc import Iterator
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import audit_sample
import pytest

from tier3.audit.diagram import site_svg
from tier3.audit.impact import result_marks
from tier3.audit.model import Area, AuditReport, Outcome, Result
from tier3.audit.writers.html import write_html
from tier3.model import Severity
from tier3.validate import validate

ROOT = Path(__file__).resolve().parents[3]
VOID = frozenset({"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "embed", "source", "track", "wbr"})
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclasses.dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = dataclasses.field(default_factory=list)

    def text(self) -> str:
        """The text inside, whitespace collapsed (as a reader sees it)."""
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return " ".join(" ".join(parts).split())

    def iter(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        wanted = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
        return [n for n in self.iter() if n is not self and (tag is None or n.tag == tag)
                and all(n.attrs.get(k) == v or (k == "class" and v in n.attrs.get("class", "").split())
                        for k, v in wanted.items())]

    def one(self, tag: str | None = None, **attrs: str) -> Node:
        found = self.all(tag, **attrs)
        assert len(found) == 1, f"{len(found)} <{tag} {attrs}>"
        return found[0]


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def html_of(report: AuditReport) -> str:
    out = io.StringIO()
    write_html(report, out)
    return out.getvalue()


def parse(text: str) -> Node:
    tree = _Tree()
    tree.feed(text)
    tree.close()
    return tree.root


@pytest.fixture(scope="module")
def report() -> AuditReport:
    return audit_sample.sample_report()


@pytest.fixture(scope="module")
def page(report: AuditReport) -> Node:
    return parse(html_of(report))


def article(page: Node, rule_id: str) -> Node:
    return page.one("article", data_rule=rule_id)


# ---- the verdict and the summary ------------------------------------------------------------------------------------

def test_the_verdict_and_every_count(page: Node, report: AuditReport) -> None:
    verdict = page.one("section", id="verdict")
    assert verdict.attrs["data-verdict"] == "fail"
    assert verdict.all("strong")[0].text() == "FAIL"
    shown = {s.attrs["data-outcome"]: s.one("b").text() for s in verdict.all("span", class_="count")}
    assert shown == {o: str(n) for o, n in report.counts.items()}
    assert shown == {"pass": "2", "fail": "1", "waived": "1", "not evaluated": "1", "error": "1"}
    assert page.one("head").one("title").text() == "tier3 audit fra1, ams1: FAIL"


@pytest.mark.parametrize(("table", "key"), [("by-area", "data-area"), ("by-framework", "data-framework")])
def test_the_summary_tables_count_each_outcome(page: Node, report: AuditReport, table: str, key: str) -> None:
    expected = report.by_area() if table == "by-area" else report.by_framework()
    rows = page.one("table", id=table).one("tbody").all("tr")
    got = {r.attrs[key]: {td.attrs["data-outcome"]: int(td.text()) for td in r.all("td") if "data-outcome" in td.attrs}
           for r in rows}
    assert got == expected
    assert len(rows) == (5 if table == "by-area" else 6)


def test_the_charts_are_inline_svg_with_a_bar_per_area_and_framework(page: Node, report: AuditReport) -> None:
    charts = page.one("section", id="summary").all("svg", class_="chart")
    assert len(charts) == 2
    area_bars = {t.text() for t in charts[0].all("rect") for t in t.all("title")}
    assert "encryption in transit: 1 fail" in area_bars
    assert "redundancy: 1 waived" in area_bars
    assert "redundancy: 1 pass" in area_bars
    labels = [t.text() for t in charts[1].all("text")]
    assert "PCI DSS v4.0" in labels
    assert "1 fail, 1 pass" in labels  # NIST 800-53: the TLS failure and the encrypted store


# ---- the findings -------------------------------------------------------------------------------------------------

def test_every_result_is_shown_once_with_its_outcome(page: Node, report: AuditReport) -> None:
    cards = page.all("article", class_="result")
    assert len(cards) == len(report.results) == 6
    assert {c.attrs["data-outcome"] for c in cards} == {o.value for o in Outcome}
    assert [c.attrs["data-outcome"] for c in cards if c.attrs["data-rule"] == "evidence"] == ["error"]


def test_findings_are_grouped_by_area_in_the_order_of_the_areas(page: Node) -> None:
    areas = [s.attrs["data-area"] for s in page.one("section", id="findings").all("section")]
    assert areas == ["encryption in transit", "encryption at rest", "retention", "redundancy", "input"]
    redundancy = page.one("section", id="findings").one("section", data_area="redundancy")
    assert [a.attrs["data-outcome"] for a in redundancy.all("article")] == ["waived", "pass"]  # worst first


def test_rationale_fix_and_evidence_are_inline_not_folded(page: Node) -> None:
    tls = article(page, "T3-OBS-TLS-001")
    assert tls.one("dd", class_="message").text() == "accepts TLSv1 (policy: TLSv1.2, TLSv1.3)"
    assert tls.one("dd", class_="rationale").text() == "TLS 1.0 and 1.1 are broken."
    assert tls.one("dd", class_="fix").text() == "set smtpd_tls_mandatory_protocols = >=TLSv1.2"
    assert '"TLSv1": "accepted"' in tls.one("pre", class_="evidence").text()
    assert "ab" * 32 in tls.one("ul", class_="refs").text()
    assert "waiver expired on 2020-09-30" in tls.one("dd", class_="waiver").text()
    assert not page.all("details")  # nothing a printout would hide


def test_the_controls_each_show_their_status_and_results(page: Node, report: AuditReport) -> None:
    rows = {r.attrs["data-control"]: r for r in page.one("section", id="controls").all("tr")
            if "data-control" in r.attrs}
    assert list(rows) == [c.id for c in report.controls]
    for status in report.control_statuses():
        assert rows[status.control.id].one("span", class_="badge").text() == status.outcome.value
    assert "T3-OBS-ENC-004 imap1:/var/vmail (pass)" in rows["NIST-800-53:SC-28"].text()
    assert rows["SEC-17A-4:f(2)(ii)"].one("span", class_="badge").text() == "not evaluated"


def test_each_host_has_its_section_with_its_results(page: Node) -> None:
    hosts = {s.attrs["data-host"]: s for s in page.one("section", id="hosts").all("section")}
    assert list(hosts) == ["mx1", "mx2", "imap1", "mon2"]
    assert "not read" in hosts["mon2"].one("h3").text()
    assert "unreachable: ssh: connect to host mon2 port 22: timed out" in hosts["mon2"].text()
    assert hosts["mon2"].one("span", class_="badge").text() == "error"
    assert "T3-OBS-ENC-004" in hosts["imap1"].text()
    assert hosts["mx1"].text().endswith("No result names this host.")


def test_waivers_show_justification_owner_expiry_and_use(page: Node) -> None:
    rows = {r.attrs["data-waiver"]: r for r in page.one("section", id="waivers").all("tr") if "data-waiver" in r.attrs}
    kept = rows["T3-PWR-003"]
    assert kept.one("td", class_="justification").text() == (
        "PDU b of rack r2 is replaced in the January window; change CHG-1042")
    assert "ops-dc@example.test" in kept.text()
    assert "in force until 2099-01-31" in kept.text()
    assert [a.text() for a in kept.all("a")] == ["T3-PWR-003"]
    expired = rows["T3-OBS-TLS-001"]
    assert expired.one("strong", class_="expired").text() == "expired on 2020-09-30"
    assert expired.text().endswith("none")  # the finding it named failed: the waiver no longer holds


def test_waiver_links_point_at_the_waived_result(page: Node) -> None:
    link = page.one("section", id="waivers").one("a")
    target = page.one("article", id=link.attrs["href"].removeprefix("#"))
    assert target.attrs["data-rule"] == "T3-PWR-003"
    assert target.attrs["data-outcome"] == "waived"


def test_drills_notes_provenance_and_the_manifest(page: Node) -> None:
    drill = page.one("section", id="drills").one("tbody").one("tr").text()
    assert drill.startswith("mx-failover 2026-12-01T10:00:00Z 0.45 s (RTO 30 s) 0 (RPO 0) pass")
    assert page.one("section", id="notes").one("li").text() == "the archive hosts were not read: --limit mx"
    scope = page.one("section", id="scope").text()
    assert "0123456789abcdef0123456789abcdef01234567" in scope
    assert "tier3 audit -i inventory/lab -o reports/audit" in scope
    assert "fail_on=low" in scope
    manifest = page.one("section", id="evidence").one("tbody").one("tr")
    assert [td.text() for td in manifest.all("td")] == ["postqueue -j", "mx1", "postqueue", "9f" * 32,
                                                        "items/mx1/0001-postqueue.txt", "12"]


# ---- the framework filter ------------------------------------------------------------------------------------------

def test_the_filter_is_hidden_until_its_script_runs_and_lists_the_frameworks(page: Node, report: AuditReport) -> None:
    box = page.one("div", id="filter")
    assert "hidden" in box.attrs  # without JavaScript the page shows everything and no dead control
    assert [o.attrs["value"] for o in box.all("option")] == ["", *(f.key for f in report.scope.frameworks)]
    assert article(page, "T3-OBS-TLS-001").attrs["data-frameworks"] == "HIPAA NIST-800-53 PCI-DSS"
    assert article(page, "evidence").attrs["data-frameworks"] == "*"  # supports no control: shown for every one
    (script,) = page.all("script")
    assert "src" not in script.attrs
    assert 'getElementById("framework")' in script.text()


# ---- escaping and self-containment ----------------------------------------------------------------------------------

def strange() -> AuditReport:
    odd = Result("T3-PWR-001", "one supply", Area.REDUNDANCY, "declared", Severity.HIGH, Outcome.FAIL,
                 subject="mx1\x07", host="mx1", message="bell\x01then\x1b[2J <script>alert(1)</script>",
                 hint="fix & <b>bold</b>", evidence={"raw": "\x00nul"})
    return audit_sample.sample_report(extra=(odd,))


def test_control_characters_are_escaped_and_markup_is_text() -> None:
    text = html_of(strange())
    assert not CONTROL.search(text)
    card = parse(text).one("article", data_rule="T3-PWR-001")
    assert card.one("dd", class_="message").text() == "bell\\x01then\\x1b[2J <script>alert(1)</script>"
    assert card.one("dd", class_="fix").text() == "fix & <b>bold</b>"
    assert "mx1\\x07" in card.text()
    assert '"raw": "\\\\x00nul"' in card.one("pre", class_="evidence").text()  # escaped, then JSON-quoted
    assert len(parse(text).all("script")) == 1  # the filter's, none from the data


def test_nothing_is_fetched_from_the_network(page: Node, report: AuditReport) -> None:
    text = html_of(report)
    assert not [n for n in page.iter() if "src" in n.attrs or n.tag in ("link", "iframe", "object", "embed", "img")]
    assert re.findall(r"https?://[^\s\"'<]+", text) == ["http://www.w3.org/2000/svg"] * text.count("xmlns=")
    assert "@import" not in text
    assert "url(" not in text
    style = page.one("style").text()
    assert "@media print" in style
    assert "overflow-wrap: anywhere" in style


def test_the_site_picture_is_embedded(report: AuditReport) -> None:
    topology = validate(ROOT / "tests" / "fixtures" / "inventories" / "broken" / "rule_mx_on_one_feed").topology
    drawn = dataclasses.replace(report, diagram=site_svg(topology, result_marks(report.results)))
    site = parse(html_of(drawn)).one("section", id="site")
    svg = site.one("svg", data_picture="tier3-site")
    assert {g.attrs["data-subject"] for g in svg.all("g") if "waived" in g.attrs.get("data-marks", "")} == {"mx2"}


@pytest.mark.parametrize(("diagram", "why"), [
    ("", "no site picture in this report."),
    ('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "it holds script"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><rect onclick="x()"/></svg>', "it holds rect onclick"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><a href="https://x.test"/></svg>', "it holds a href"),
    ("<svg><g></svg>", "not well-formed SVG"),
    ("<html/>", "not an <svg> element"),
])
def test_a_picture_that_is_not_plain_svg_is_left_out(report: AuditReport, diagram: str, why: str) -> None:
    text = html_of(dataclasses.replace(report, diagram=diagram))
    site = parse(text).one("section", id="site")
    assert not site.all("svg")
    assert why in site.text()
    assert "alert(1)" not in text
    assert "https://x.test" not in text


def test_the_template_ships_with_the_package() -> None:
    assert resources.files("tier3.audit").joinpath("templates/audit.html.j2").is_file()
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["tier3"]
    assert "audit/templates/*" in data
