"""The site picture's SVG: boxes, lines, badges and the legend, from a laid-out ``tier3.audit.diagram.Picture``.

Presentation attributes only (no ``<style>``, font, script or link), so the element can be inlined in a
page without its styles leaking; every text through ``printable`` and ElementTree's escaping. The
colours: a red outline and badge for a failed finding, orange (dashed) for a single point of failure,
grey (dotted) for a waived finding; lines brown for power, blue for network, violet for SAN, green
for VIP membership, pink for firewall pairs.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from tier3.audit.impact import FAIL, LEAD, MARK_KINDS, SPOF, WAIVED
from tier3.printable import printable

if TYPE_CHECKING:
    from tier3.audit.diagram import Box, Picture

SVG_NS = "http://www.w3.org/2000/svg"
FONT, SMALL, BADGE = 11.0, 9.0, 8.0  # at 800 px the example shrinks to about 0.86: 9.5 and 7.7 px
GLYPH = 0.58  # the average width of a sans-serif glyph, in ems: an estimate, since no font is measured
PAD, LINE = 8.0, 13.0
LINK_COLOURS = {"power": "#92400e", "network": "#1d4ed8", "san": "#7c3aed", "vip": "#15803d", "pair": "#be185d"}
LINK_NAMES = {"power": "power: host -> PDU -> feed", "network": "network: host -> switch",
              "san": "SAN: host -> fabric", "vip": "VIP -> members", "pair": "firewall pair -> members"}
MARK_COLOURS = {FAIL: "#b00020", SPOF: "#e65100", WAIVED: "#6b7280"}
MARK_NAMES = {FAIL: "FAIL", SPOF: "SPF", WAIVED: "WAIVED"}
MARK_MEANINGS = {FAIL: "failed finding", SPOF: "single point of failure", WAIVED: "waived finding"}
MARK_DASHES = {FAIL: "", SPOF: "6 3", WAIVED: "2 2"}
FILLS = {"site": "#f8fafc", "rack": "#eef2f6", "host": "#ffffff", "feed": "#fef3c7", "pdu": "#fbbf24",
         "switch": "#dbeafe", "fabric": "#ede9fe", "vip": "#dcfce7", "firewall-pair": "#fce7f3", "uplink": "#e0f2fe"}
SHOWS_LOSS = ("feed", "switch", "fabric", "rack")  # boxes that print what their loss takes down


def render(picture: Picture) -> str:
    """The ``<svg>`` element of ``picture``, indented (one element a line: a golden file diffs well)."""
    return _Drawing(picture).svg()


def num(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def fit(text: str, width: float, size: float = FONT) -> str:
    room = max(int(width / (size * GLYPH)), 2)
    return text if len(text) <= room else text[: room - 1] + "\u2026"



class _Drawing:
    def __init__(self, picture: Picture) -> None:
        self.p = picture

    def _title(self, box: Box) -> str:
        name = box.key if box.kind == "host" else box.key.partition(":")[2]
        lead = LEAD.get(box.kind, "its loss")
        lines = [f"{box.kind} {name}", *box.about, self.p.impact.loss_of(box.key).text(lead)]
        lines += [f"{MARK_NAMES[m.kind]}: {m.label}" for m in self.p.marks.get(box.key, [])]
        return "\n".join(printable(line) for line in lines)

    def svg(self) -> str:
        legend = self._legend_items()
        height = self.p.bottom + PAD + len(legend) * LINE + PAD
        root = ET.Element("svg", {
            "xmlns": SVG_NS, "viewBox": f"0 0 {num(self.p.width)} {num(height)}", "width": num(self.p.width),
            "style": "max-width:100%;height:auto", "role": "img", "font-family": "sans-serif",
            "font-size": num(FONT), "data-picture": "tier3-site"})
        ET.SubElement(root, "title").text = printable(self._summary())
        for column in self.p.columns:
            if not column.key:
                self._outline(root, column.x, PAD, column.w, self.p.bottom - PAD, label=column.name)
        racks = [box for box in self.p.boxes.values() if box.kind == "rack"]
        for box in self.p.boxes.values():
            if box.kind == "site":
                self._draw(root, box)
        for box in racks:  # a rack's fill under the lines, its outline, name and marks over them
            ET.SubElement(root, "rect", {"x": num(box.x), "y": num(box.y), "width": num(box.w), "height": num(box.h),
                                         "rx": "3", "fill": FILLS["rack"]})
        for x, w, label in self.p.loose:
            self._outline(root, x, self.p.rack_y, w, self.p.rack_h, label=label)
        for kind, start, end, points in self.p.paths:
            ET.SubElement(root, "path", {
                "d": "M" + " L".join(f"{num(x)} {num(y)}" for x, y in points), "fill": "none",
                "stroke": LINK_COLOURS[kind], "stroke-width": "1", "stroke-opacity": "0.7",
                "data-link": kind, "data-from": printable(start), "data-to": printable(end)})
        for box in racks:
            self._draw(root, box)
        for box in self.p.boxes.values():
            if box.kind not in ("site", "rack"):
                self._draw(root, box)
        self._legend(root, legend, self.p.bottom + PAD)
        ET.indent(root)
        return ET.tostring(root, encoding="unicode") + "\n"

    def _summary(self) -> str:
        counted = {k: sum(1 for m in self.p.placed if m.kind == k) for k in MARK_KINDS}
        return (f"Site picture of {self.p.topology.source or 'the inventory'}: {len(self.p.topology.sites)} site(s), "
                f"{len(self.p.topology.hosts)} host(s); {counted[SPOF]} single point(s) of failure, "
                f"{counted[FAIL]} failed and {counted[WAIVED]} waived finding(s) marked")

    def _outline(self, root: ET.Element, x: float, y: float, w: float, h: float, *, label: str) -> None:
        ET.SubElement(root, "rect", {"x": num(x), "y": num(y), "width": num(w), "height": num(h), "fill": "none",
                                     "stroke": "#94a3b8", "stroke-dasharray": "4 3"})
        _text(root, x + 4, y + 12, fit(label, w - 8), bold=True)

    def _draw(self, root: ET.Element, box: Box) -> None:
        marks = self.p.marks.get(box.key, [])
        kinds = [k for k in MARK_KINDS if any(m.kind == k for m in marks)]
        g = ET.SubElement(root, "g", {"data-subject": printable(box.key), "data-kind": box.kind,
                                      "data-marks": " ".join(kinds)})
        ET.SubElement(g, "title").text = self._title(box)
        rect = {"x": num(box.x), "y": num(box.y), "width": num(box.w), "height": num(box.h), "rx": "3",
                "fill": FILLS[box.kind], "stroke": "#475569", "stroke-width": "1"}
        over = box.kind == "rack"  # drawn over the lines: no fill, yet hovering anywhere on it shows its title
        if over:
            rect |= {"fill": "none", "pointer-events": "all"}
        if kinds:
            rect |= {"stroke": MARK_COLOURS[kinds[0]], "stroke-width": "2.5"}
            if MARK_DASHES[kinds[0]]:
                rect["stroke-dasharray"] = MARK_DASHES[kinds[0]]
        ET.SubElement(g, "rect", rect)
        first, *rest = box.lines or ("",)
        left, width = box.text_x + 4, (box.text_w or box.w) - 8
        if first:
            _text(g, left, box.text_y + 12, first if box.kind == "host" else fit(first, width), bold=True, halo=over)
        for i, line in enumerate(rest):
            loss = line.startswith("loss: ") and line != "loss: none"
            _text(g, left, box.text_y + 23 + i * 10, fit(line, width, SMALL), size=SMALL,
                  colour=MARK_COLOURS[FAIL] if loss else "#334155", halo=over)
        right = box.x + box.w
        for kind in reversed(kinds):
            count = sum(1 for m in marks if m.kind == kind)
            right -= _badge(g, right, box.y - 7, MARK_NAMES[kind] + (f" {count}" if count > 1 else ""), kind) + 2

    def _legend_items(self) -> list[list[tuple[str, str, str, str]]]:
        """Rows of (role, swatch, text, hover text): what the lines and marks mean (wrapped to the width),
        then one row per mark with the objects it is on."""
        rows: list[list[tuple[str, str, str, str]]] = []
        for items in ([(f"link:{k}", v) for k, v in LINK_NAMES.items()], [(k, MARK_MEANINGS[k]) for k in MARK_KINDS]):
            rows.append([])
            x = PAD
            for swatch, text in items:
                if rows[-1] and x + _legend_width(swatch, text) > self.p.width - PAD:
                    rows.append([])
                    x = PAD
                rows[-1].append(("key", swatch, text, text))
                x += _legend_width(swatch, text)
        for mark, keys in self.p.placed.items():
            where = ", ".join(keys) if keys else f"{mark.subject or mark.host or '(no subject)'}, which is not drawn"
            text = printable(f"{where}: {mark.label}")
            rows.append([("mark", mark.kind, fit(text, self.p.width - 2 * PAD - 50, SMALL), text)])
        return rows

    def _legend(self, root: ET.Element, rows: list[list[tuple[str, str, str, str]]], y: float) -> None:
        for row in rows:
            x = PAD
            for role, swatch, text, hover in row:
                g = ET.SubElement(root, "g", {"data-legend": role, "data-kind": swatch})
                ET.SubElement(g, "title").text = hover
                if swatch.startswith("link:"):
                    ET.SubElement(g, "path", {"d": f"M{num(x)} {num(y + 6)} L{num(x + 18)} {num(y + 6)}",
                                              "stroke": LINK_COLOURS[swatch[5:]], "stroke-width": "2"})
                else:
                    _badge(g, x + 44, y + 1, MARK_NAMES[swatch], swatch)
                _text(g, x + _SWATCH_W[swatch.startswith("link:")], y + 9, text, size=SMALL, colour="#1e293b")
                x += _legend_width(swatch, text)
            y += LINE


_SWATCH_W = {True: 22.0, False: 48.0}  # a line's swatch, a badge's


def _legend_width(swatch: str, text: str) -> float:
    return _SWATCH_W[swatch.startswith("link:")] + len(text) * SMALL * GLYPH + 14


def _text(parent: ET.Element, x: float, y: float, text: str, *, size: float = FONT, bold: bool = False,
          colour: str = "#0f172a", halo: bool = False) -> None:
    """``halo``: a rim of the rack's colour round the glyphs, so the lines under the text do not cross it."""
    attrs = {"x": num(x), "y": num(y), "fill": colour}
    if halo:
        attrs |= {"stroke": FILLS["rack"], "stroke-width": "3", "paint-order": "stroke"}
    if size != FONT:
        attrs["font-size"] = num(size)
    if bold:
        attrs["font-weight"] = "bold"
    ET.SubElement(parent, "text", attrs).text = printable(text)


def _badge(parent: ET.Element, right: float, y: float, text: str, kind: str) -> float:
    """A badge ending at ``right``; its width."""
    w = len(text) * BADGE * GLYPH + 6
    ET.SubElement(parent, "rect", {"x": num(right - w), "y": num(y), "width": num(w), "height": "12", "rx": "2",
                                   "fill": MARK_COLOURS[kind]})
    ET.SubElement(parent, "text", {"x": num(right - w + 3), "y": num(y + 9.5), "font-size": num(BADGE),
                                   "font-weight": "bold", "fill": "#ffffff"}).text = text
    return w
