"""The audit's HTML page in a real browser: Debian's chromium, headless, at 800 px wide (tools/setup-machine installs
it; without it these tests fail, they never skip). The screenshot is decoded here (zlib and the PNG chunks) and must
show a page (many colours, the verdict's red); the DOM after layout must hold the counts as rendered text and be no
wider than the window; the framework filter must hide what it says; printing must give a PDF of several pages."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import audit_sample
import pytest

from tier3.audit.diagram import site_svg
from tier3.audit.impact import result_marks
from tier3.audit.model import Outcome
from tier3.audit.writers.html import COLOURS, write_html
from tier3.validate import validate

ROOT = Path(__file__).resolve().parents[3]
WIDTH = 800
TIMEOUT = 120
# written into a copy of the page: what layout made of it, then the filter applied, as JSON in <pre id="measured">
MEASURE = """<script>
window.addEventListener("load", function () {
  var width = window.innerWidth, out = {scrollWidth: document.documentElement.scrollWidth, innerWidth: width};
  out.wider = [].slice.call(document.querySelectorAll("body *")).filter(function (el) {
    return el.getBoundingClientRect().right > width + 0.5; }).map(function (el) {
    return el.tagName + (el.id ? "#" + el.id : "") + "." + el.className; }).slice(0, 10);
  out.verdict = document.getElementById("verdict").innerText;
  out.filter_shown = !document.getElementById("filter").hidden;
  out.cards = document.querySelectorAll("article.result").length;
  var pick = document.getElementById("framework");
  pick.value = "SEC-17A-4";
  pick.dispatchEvent(new Event("change"));
  out.filtered = [].slice.call(document.querySelectorAll("article.result")).filter(function (a) {
    return a.offsetParent !== null; }).map(function (a) { return a.getAttribute("data-rule"); });
  out.state = document.getElementById("filter-state").innerText;
  var pre = document.createElement("pre");
  pre.id = "measured";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
</body>"""


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium")
    assert found, "chromium is not installed: tools/setup-machine installs it (APT_PACKAGES)"
    return found


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample report with a site picture (the marks of its results on a small broken site), as a file."""
    report = audit_sample.sample_report()
    topology = validate(ROOT / "tests" / "fixtures" / "inventories" / "broken" / "rule_mx_on_one_feed").topology
    report = dataclasses.replace(report, diagram=site_svg(topology, result_marks(report.results)))
    target = tmp_path_factory.mktemp("html") / "report.html"
    with target.open("w", encoding="utf-8") as out:
        write_html(report, out)
    return target


def run(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
         f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def pixels(png: bytes) -> tuple[int, int, list[tuple[int, ...]]]:
    """Width, height and every pixel (RGB or RGBA, 8 bits) of a PNG: the chunks, zlib, then each row's filter."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    at, data, header = 8, b"", b""
    while at < len(png):
        (size,) = struct.unpack(">I", png[at:at + 4])
        kind, body = png[at + 4:at + 8], png[at + 8:at + 8 + size]
        header = body if kind == b"IHDR" else header
        data += body if kind == b"IDAT" else b""
        at += 12 + size
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert (depth, interlace) == (8, 0)
    channels = {2: 3, 6: 4}[colour]
    raw, stride = zlib.decompress(data), width * channels
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(line)
        previous = line
    return width, height, [tuple(row[x:x + 3]) for row in rows for x in range(0, stride, channels)]


def rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def test_the_page_renders_with_the_verdict_colour(chromium: str, page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "page.png"
    run(chromium, tmp_path / "profile", f"--screenshot={shot}", f"--window-size={WIDTH},1000", page.as_uri())
    width, height, seen = pixels(shot.read_bytes())
    assert (width, height) == (WIDTH, 1000)
    counted = Counter(seen)
    assert len(counted) > 300, "a blank or nearly blank page"  # text, badges, chart bars
    assert counted[(255, 255, 255)] < 0.9 * len(seen)
    red = rgb(COLOURS[Outcome.FAIL])
    assert counted[red] > 20_000, "the verdict banner (a FAIL, in the fail colour) is missing"
    assert counted[rgb(COLOURS[Outcome.PASS])] > 500  # the summary's pass bars


def measured(dom: str) -> dict[str, object]:
    class Find(HTMLParser):
        inside, text = False, ""

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.inside = self.inside or (tag == "pre" and ("id", "measured") in attrs)

        def handle_endtag(self, tag: str) -> None:
            self.inside = self.inside and tag != "pre"

        def handle_data(self, data: str) -> None:
            self.text += data if self.inside else ""

    finder = Find()
    finder.feed(dom)
    assert finder.text, "the measuring script wrote nothing: did the page load?"
    found: dict[str, object] = json.loads(finder.text)
    return found


def test_the_counts_are_rendered_and_nothing_is_wider_than_800_px(chromium: str, page: Path, tmp_path: Path) -> None:
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", MEASURE), encoding="utf-8")
    dom = run(chromium, tmp_path / "profile", f"--window-size={WIDTH},1000", "--virtual-time-budget=5000",
              "--dump-dom", probe.as_uri()).stdout
    found = measured(dom)
    assert found["innerWidth"] == WIDTH
    assert found["wider"] == []
    assert isinstance(found["scrollWidth"], int)
    assert found["scrollWidth"] <= WIDTH
    verdict = " ".join(str(found["verdict"]).split())
    assert verdict.startswith("FAIL 6 results:")
    for said in ("2 pass", "1 fail", "1 waived", "1 not evaluated", "1 error"):
        assert said in verdict
    assert found["filter_shown"] is True
    assert found["cards"] == 6
    # SEC 17a-4: the archive retention rule; the host that could not be read supports no control, so it stays
    assert found["filtered"] == ["T3-OBS-ARC-009", "evidence"]  # in the order of the areas
    assert found["state"] == "showing 2 of 6 results"


def test_printing_gives_a_pdf_of_several_pages(chromium: str, page: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    run(chromium, tmp_path / "profile", "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", data))
    assert pages >= 3  # every result, waiver, host and the picture in print: several A4/Letter pages
