"""The site picture: the declared inventory as one self-contained SVG, every single point of failure and
every failed finding marked on the object it names.

``site_svg(topology, marks)`` is pure. One column per site, its racks side by side; in a rack its
switches at the top, then its hosts, and its PDUs as bars down both sides (as zero-U PDUs hang).
Above the racks stand the site's uplinks and power feeds, below them its SAN fabrics, VIPs and
firewall pairs. The lines are the dependencies the availability engine reads: host -> PDU -> feed
(brown), host -> switch (blue), host -> fabric (violet), VIP -> members (green), firewall pair ->
members (pink). They run in lanes beside the hosts and in trays above and below the racks, one lane
and one band per target, so a line can be followed to its end. Each object's ``<title>`` (the hover
text) names what its loss takes down (``tier3.audit.impact``); feeds, switches, fabrics, racks and
sites print it in the box too, so a printout shows it. Marks: a red outline and badge for a failed
finding, orange for a single point of failure, grey for a waived finding; the legend lists every
mark with the objects it is on, and the marks whose subject is nothing drawn (a DNS zone, a service).

This module lays the picture out (every object's box, then the lines between them);
``tier3.audit.diagram_svg`` draws it. Deterministic (inventory order, fixed sizes; text is cut to fit
by an estimate of glyph width, no font is measured), so a golden file can hold it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tier3.audit.diagram_svg import FONT, GLYPH, PAD, SMALL, fit, render
from tier3.audit.impact import Impact, Mark, placed, spof_marks
from tier3.model import Host, Pdu, Switch, Topology
from tier3.model.topology import SERVICE_GROUPS

__all__ = ["Mark", "site_svg", "spof_marks"]

GAP, BAR, LANE, BAND = 6.0, 6.0, 2.5, 4.0
HOST_W, HOST_H, SWITCH_H, BOX_H, BOX_W, HEADER_H = 62.0, 28.0, 26.0, 28.0, 100.0, 32.0
MIN_WIDTH = 640.0  # the legend's lines need it; a small site gets wider columns, not a larger scale
DOWN_KINDS = ("san", "vip", "pair")  # links that run below the racks, to the boxes under them


def site_svg(topology: Topology, marks: Sequence[Mark | tuple[str, str, str]] = ()) -> str:
    """The picture of ``topology`` as an ``<svg>`` element (no XML declaration, so a page can inline it).

    Every single point of failure the availability engine finds is marked whatever ``marks`` holds;
    ``marks`` adds the findings (``tier3.audit.impact``: ``finding_marks``, ``result_marks``; a plain
    (subject, label, kind) tuple is read as a ``Mark``), each drawn on the objects its subject names."""
    return render(Picture(topology, [m if isinstance(m, Mark) else Mark(*m) for m in marks]))


@dataclass
class Box:
    key: str  # as impact.resolve names drawn objects: site:fra1, pdu:r1-pdu-a, mx1
    kind: str
    x: float
    y: float
    w: float
    h: float
    lines: tuple[str, ...] = ()  # printed in the box
    about: tuple[str, ...] = ()  # the hover title's lines after the name
    text_y: float = 0.0  # where the lines start (a rack prints them below its switches, beside its PDUs)
    text_x: float = 0.0
    text_w: float = 0.0


@dataclass
class _Rack:
    key: str  # "" for the hosts of a site that stand in no declared rack
    label: str
    hosts: list[Host]
    switches: list[Switch]
    pdus: list[Pdu]
    up: list[str] = field(default_factory=list)  # switch keys, one lane each, right of the hosts
    down: list[str] = field(default_factory=list)  # fabric, VIP and pair keys, one lane each, left of them
    x: float = 0.0

    @property
    def width(self) -> float:
        return 10 + len(self.pdus) * BAR + (len(self.up) + len(self.down)) * LANE + HOST_W

    @property
    def host_x(self) -> float:
        return self.x + 5 + (len(self.pdus) + 1) // 2 * BAR + len(self.down) * LANE


@dataclass
class _Column:
    key: str  # "" for the hosts of no declared site
    name: str
    racks: list[_Rack]
    below: list[str]  # keys of the boxes under the racks
    above: list[tuple[str, ...]]  # rows of keys over the racks: uplinks, feeds
    x: float = 0.0
    w: float = 0.0


def _short(name: str, width: float, *prefixes: str) -> str:
    """The name if it fits, else without its site's or rack's prefix (fra1-mx1 -> mx1), cut to fit."""
    for prefix in ("", *prefixes):
        if prefix and name.startswith(prefix + "-") and len(name) > len(prefix) + 1:
            name = name[len(prefix) + 1:]
        if len(name) * FONT * GLYPH <= width:
            return name
    return fit(name, width)


def _links(topology: Topology) -> list[tuple[str, str, str]]:
    """(host, drawn key, link kind) for every dependency a line draws, once each, in inventory order."""
    out: list[tuple[str, str, str]] = []
    for host in topology.hosts:
        out += [(host.name, f"pdu:{p.pdu}", "power") for p in host.power_supplies if topology.pdu(p.pdu)]
        out += [(host.name, f"switch:{m.switch}", "network") for b in host.bonds for m in b.members
                if topology.switch(m.switch)]
        out += [(host.name, f"fabric:{p.fabric}", "san") for lun in host.multipath_luns for p in lun.paths
                if topology.fabric(p.fabric)]
    out += [(m.host, f"vip:{v.name}", "vip") for v in topology.vips for m in v.members if topology.host(m.host)]
    out += [(m, f"firewall-pair:{p.name}", "pair") for p in topology.firewall_pairs for m in p.members
            if topology.host(m)]
    return list(dict.fromkeys(out))


def _columns(topology: Topology, links: list[tuple[str, str, str]]) -> list[_Column]:
    sites = [s.name for s in topology.sites]

    def home(members: Sequence[str]) -> str:  # a VIP or pair stands under its first member's site
        return next((h.site for h in map(topology.host, members) if h is not None and h.site in sites), sites[0])

    columns = []
    for site in topology.sites:
        names = {r.name for r in site.racks}
        here = [h for h in topology.hosts if h.site == site.name]
        racks = [_Rack(f"rack:{r.name}", r.name, [h for h in here if h.rack == r.name],
                       [w for w in site.switches if w.rack == r.name], list(r.pdus)) for r in site.racks]
        loose = [h for h in here if h.rack not in names], [w for w in site.switches if w.rack not in names]
        if loose[0] or loose[1]:
            racks.append(_Rack("", "(no rack)", *loose, []))
        below = [f"fabric:{f.name}" for f in site.fabrics]
        below += [f"vip:{v.name}" for v in topology.vips if home([m.host for m in v.members]) == site.name]
        below += [f"firewall-pair:{p.name}" for p in topology.firewall_pairs if home(p.members) == site.name]
        above = [tuple(f"uplink:{u.name}" for u in site.uplinks), tuple(f"feed:{f.name}" for f in site.feeds)]
        columns.append(_Column(f"site:{site.name}", site.name, racks, below, above))
    stray = [h for h in topology.hosts if h.site not in sites]
    if stray or not columns:
        columns.append(_Column("", "(no site)", [_Rack("", "(no rack)", stray, [], [])], [], [(), ()]))
    for column in columns:
        for rack in column.racks:
            mine = {h.name for h in rack.hosts}
            targets = [key for host, key, kind in links if host in mine and kind != "power"]
            rack.up = list(dict.fromkeys(k for k in targets if k.startswith("switch:")))
            rack.down = list(dict.fromkeys(k for k in targets if not k.startswith("switch:")))
    return columns


class Picture:
    """The layout (every object's box, then the lines between them), then the SVG."""

    def __init__(self, topology: Topology, marks: Sequence[Mark]) -> None:
        self.topology = topology
        self.impact = Impact(topology)
        self.placed = placed(topology, [*spof_marks(self.impact), *marks])
        self.marks: dict[str, list[Mark]] = {}
        for mark, keys in self.placed.items():
            for key in keys:
                self.marks.setdefault(key, []).append(mark)
        self.links = _links(topology)
        self.columns = _columns(topology, self.links)
        self.boxes: dict[str, Box] = {}
        self.loose: list[tuple[float, float, str]] = []  # x, width, label of the racks that are no rack
        self.paths: list[tuple[str, str, str, list[tuple[float, float]]]] = []  # kind, from, to, points
        self._layout()
        self._route()

    # ---- boxes ----------------------------------------------------------------------------------

    def _layout(self) -> None:
        natural = [max(2 * PAD + sum(r.width for r in c.racks) + GAP * (len(c.racks) - 1), 2 * PAD + 2 * BOX_W + GAP)
                   for c in self.columns]
        spare = max(0.0, (MIN_WIDTH - PAD * (len(natural) + 1) - sum(natural)) / len(natural))
        x = PAD
        for column, width in zip(self.columns, natural, strict=True):
            column.x, column.w = x, width + spare
            x += column.w + PAD
        self.width = x
        y = PAD + 32.0  # under the sites' names
        for row in range(2):  # uplinks, then feeds
            if any(c.above[row] for c in self.columns):
                for column in self.columns:
                    self._row(column, column.above[row], y)
                y += BOX_H + GAP
        feeds = {f"feed:{p.feed}" for s in self.topology.sites for r in s.racks for p in r.pdus}
        tops = [k for c in self.columns for k in c.above[1] if k in feeds]
        tops += [k for c in self.columns for r in c.racks for k in r.up]
        self.bands = {k: y + 4 + i * BAND for i, k in enumerate(dict.fromkeys(tops))}
        self.rack_y = y + 8 + len(self.bands) * BAND
        rack_h = max((self._rack(c, i) for c in self.columns for i in range(len(c.racks))), default=0.0)
        for box in self.boxes.values():
            if box.kind in ("rack", "pdu"):
                box.h = rack_h - (box.y - self.rack_y) * 2
        y = self.rack_y + rack_h
        downs = list(dict.fromkeys(k for c in self.columns for r in c.racks for k in r.down))
        self.bands |= {k: y + 4 + i * BAND for i, k in enumerate(downs)}
        self.rack_h = rack_h
        y += 8 + len(downs) * BAND
        self.bottom = y + max((self._wrapped(c, y) for c in self.columns), default=0.0)
        for column in self.columns:
            if column.key:
                self._box(column.key, column.x, PAD, column.w, self.bottom - PAD)

    def _box(self, key: str, x: float, y: float, w: float, h: float, *,
             text: tuple[float, float, float] | None = None) -> None:
        """``text``: where the lines go and how wide they may be, when not at the box's top left."""
        kind, _, name = key.partition(":")
        tx, ty, tw = text or (x, y, w)
        lines, about = self._describe(kind, name, tw)
        self.boxes[key] = Box(key, kind, x, y, w, h, lines, about, ty, tx, tw)

    def _row(self, column: _Column, keys: Sequence[str], y: float) -> None:
        w = min(200.0, (column.w - 2 * PAD - GAP * (len(keys) - 1)) / max(len(keys), 1))
        for i, key in enumerate(keys):
            self._box(key, column.x + PAD + i * (w + GAP), y, w, BOX_H)

    def _wrapped(self, column: _Column, y: float) -> float:
        per_row = max(1, int((column.w - 2 * PAD + GAP) // (BOX_W + GAP)))
        for i, key in enumerate(column.below):
            self._box(key, column.x + PAD + i % per_row * (BOX_W + GAP), y + i // per_row * (BOX_H + GAP), BOX_W, BOX_H)
        return -(-len(column.below) // per_row) * (BOX_H + GAP)

    def _rack(self, column: _Column, index: int) -> float:
        """Place rack ``index`` of ``column`` and its contents; its height."""
        rack = column.racks[index]
        rack.x = column.x + PAD + sum(r.width + GAP for r in column.racks[:index])
        y = self.rack_y + 4
        for switch in rack.switches:
            self._box(f"switch:{switch.name}", rack.host_x, y, HOST_W, SWITCH_H)
            y += SWITCH_H + 3
        header = y
        y += HEADER_H
        for host in rack.hosts:
            self.boxes[host.name] = Box(host.name, "host", rack.host_x, y, HOST_W, HOST_H, *self._host(host, column),
                                        y, rack.host_x, HOST_W)
            y += HOST_H + 5
        if rack.key:
            inside = rack.x + 4 + (len(rack.pdus) + 1) // 2 * BAR  # between the PDU bars
            self._box(rack.key, rack.x, self.rack_y, rack.width, 0.0,
                      text=(inside, header, rack.width - 8 - len(rack.pdus) * BAR))
        else:
            self.loose.append((rack.x, rack.width, rack.label))
        for i, pdu in enumerate(rack.pdus):
            offset = i // 2 * BAR
            bx = rack.x + 2 + offset if i % 2 == 0 else rack.x + rack.width - 2 - BAR - offset
            self._box(f"pdu:{pdu.name}", bx, self.rack_y + 2, BAR, 0.0)
        return y - self.rack_y + 2

    # ---- text -----------------------------------------------------------------------------------

    def _describe(self, kind: str, name: str, width: float) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The lines printed in the box and the hover title's details."""
        t = self.topology
        brief = fit(self.impact.loss_of(f"{kind}:{name}").brief(), width - 6, SMALL)
        if kind == "uplink":
            u = next(u for s in t.sites for u in s.uplinks if u.name == name)
            return (name, f"{u.carrier} -> {u.lands_on}"), (f"carrier {u.carrier}, entry {u.entry}, "
                                                             f"lands on {u.lands_on}",)
        if kind == "vip":
            v = next(v for v in t.vips if v.name == name)
            members = ", ".join(f"{m.host} (priority {m.priority})" for m in v.members)
            return (name, v.address), (f"{v.address} on {v.network}, VRID {v.vrid}, fronts "
                                       f"{', '.join(v.services) or 'every service'}", f"members: {members}")
        if kind == "firewall-pair":
            p = next(p for p in t.firewall_pairs if p.name == name)
            return (name, p.platform), (f"platform {p.platform}, members {', '.join(p.members)}",)
        if kind == "pdu":
            pdu = t.pdu(name)
            return (), (f"rack {pdu.rack}, feed {pdu.feed}",) if pdu else ()
        if kind == "site":
            return (f"site {name}", brief), ()
        site = next((s.name for s in t.sites if name in {x.name for x in s.switches} | {x.name for x in s.fabrics}
                     | {x.name for x in s.feeds}), "")
        return (_short(name, width - 8, site), brief), ()

    def _host(self, host: Host, column: _Column) -> tuple[tuple[str, ...], tuple[str, ...]]:
        groups = ([g for g in SERVICE_GROUPS if g in host.groups]
                  or sorted(host.groups - {host.site, f"site_{host.site}"})[:1])
        supplies = ", ".join(f"{p.name} -> {p.pdu} (feed {self.topology.feed_of(p.pdu) or '?'})"
                             for p in host.power_supplies)
        bonds = "; ".join(f"{b.name} -> {', '.join(m.switch for m in b.members)}" for b in host.bonds)
        san = "; ".join(f"{lun.name} -> {', '.join(p.fabric for p in lun.paths)}" for lun in host.multipath_luns)
        about = (f"site {host.site}, rack {host.rack}, groups {', '.join(sorted(host.groups))}",
                 supplies and f"supplies: {supplies}", bonds and f"bonds: {bonds}", san and f"multipath: {san}")
        return (_short(host.name, HOST_W - 6, column.name, host.rack), " ".join(groups)), tuple(a for a in about if a)

    # ---- lines ----------------------------------------------------------------------------------

    def _route(self) -> None:
        for column in self.columns:
            for rack in column.racks:
                for host in rack.hosts:
                    self._stubs(rack, self.boxes[host.name])
        for key, bar in self.boxes.items():
            pdu = self.topology.pdu(key[4:]) if bar.kind == "pdu" else None
            feed = self.boxes.get(f"feed:{pdu.feed}") if pdu else None
            if feed is not None:
                bx, fx, band = bar.x + BAR / 2, feed.x + feed.w / 2, self.bands[feed.key]
                points = [(bx, bar.y), (bx, band), (fx, band), (fx, feed.y + feed.h)]
                self.paths.append(("power", key, feed.key, points))

    def _stubs(self, rack: _Rack, host: Box) -> None:
        """The host's lines: to a PDU bar straight across; to a switch up the lane right of the hosts; to a
        fabric, VIP or pair down the lane left of them; each leaves the host at its own height."""
        sides: dict[int, list[tuple[str, str, Box]]] = {-1: [], 1: []}
        for name, key, kind in self.links:
            target = self.boxes.get(key)
            if name == host.key and target is not None:
                left = target.x < host.x if kind == "power" else kind in DOWN_KINDS
                sides[-1 if left else 1].append((kind, key, target))
        for side, links in sides.items():
            edge = host.x if side < 0 else host.x + host.w
            for i, (kind, key, target) in enumerate(links):
                y = host.y + (i + 1) * host.h / (len(links) + 1)
                if kind == "power":
                    self.paths.append((kind, host.key, key, [(edge, y), (target.x + BAR if side < 0 else target.x, y)]))
                    continue
                lane = edge + side * (2.5 + (rack.down if side < 0 else rack.up).index(key) * LANE)
                cx, band = target.x + target.w / 2, self.bands[key]
                points = [(edge, y), (lane, y), (lane, band), (cx, band), (cx, target.y)]
                self.paths.append((kind, key, host.key, points) if kind in ("vip", "pair") else
                                  (kind, host.key, key, points))
