"""Build a Topology from a small description as data (the cases in rule_cases.yml).

Independent of the inventory loader on purpose: the rules are tested on the dataclasses alone.
Everything not described is healthy: two sites (fra1, ber1), each with two feeds, two racks with a
PDU on each feed, two switches and two SAN fabrics; a host sits in rack r1 unless told otherwise,
with two 500 W supplies on its rack's two PDUs, bond0 over two switches and a vaulted Redfish BMC.

Case keys: ``sites`` (merged per site over the defaults; ``null`` removes one), ``hosts``,
``vips`` (members {host: priority}, or a list of "host:priority" to list a host twice),
``firewall_pairs``, ``loads``. Host keys: ``groups``, ``rack``, ``site``, ``psus``
(a list of ``PDU`` or ``PDU:WATTS``), ``draw``, ``bonds`` ({name: [IFACE@SWITCH, ...]}), ``raid``
({name: {level, devices, spares}}), ``luns`` ({name: [DEVICE@FABRIC, ...]}), ``volumes`` ({name: {device,
mount}}; by default a mail host has one LUKS2 volume mounted at each path its groups store at,
``tier3.model.topology.DATA_PATHS``; ``null`` for none), ``capacity``, ``bmc`` (``null`` for none, or
{protocol, vaulted}).

Optional physical keys, as ``key=value`` words after an entry: a switch's rack ``r1 stack=s1``, a
PDU's feed ``fra1-a max_watts=3000``, a supply ``r1-a:500 outlet=3``, a bond member
``eth0@sw1 port=Ethernet1/1 card=nic1``, a LUN path ``sdc@san-a hba=hba1 controller=spa``. A LUN is
a list of paths or {paths, wwid, shared}; its WWID defaults to one of its own (host and index).

A site may take ``depends_on: {SERVICE: OTHER_SITE}`` and ``uplinks: {NAME: "CARRIER@LANDS_ON entry=ENTRY
circuit=ID"}`` (an uplink's entry defaults to one of its own, ``NAME-entry``; the default sites declare
none, so the uplink rules do not judge them); a load is a number or {load, site_loss_load}.
``targets`` ({SERVICE: {availability: FRACTION, rto_seconds: S}}) are tier3_targets, computed with the
built-in reliability figures.

A VIP may take ``services`` (a list: smtp, imap...). ``mail: {DOMAIN: {dmarc: {policy, pct, rua}, spf:
{include, ip4, ip6}}}`` declares tier3_mail with those domains (``null`` for a domain that declares
neither), ``dns: {primary: HOST}`` tier3_dns (contact hostmaster@example.net, a vaulted TSIG secret;
``tsig_vaulted: false`` for a literal one).

A firewall pair is its members, or a tier3_firewall_pairs entry without its name (members, policy,
management, ha); ``firewall_policies`` is a list of tier3_firewall_policies entries. Both are built with
the loader's builders (``tier3.schema.build.firewall_pair``, ``tier3.schema.firewall.build_policy``).
"""

from __future__ import annotations

import zlib
from typing import Any

from tier3.model import (
    Bmc,
    Bond,
    BondMember,
    Dmarc,
    DnsConfig,
    Fabric,
    Feed,
    FirewallPair,
    Host,
    Location,
    MailConfig,
    MailDomain,
    MultipathLun,
    MultipathPath,
    Pdu,
    PowerSupply,
    Rack,
    RaidArray,
    ServiceLoad,
    Site,
    SiteDependency,
    Spf,
    Switch,
    Target,
    Topology,
    Uplink,
    Vip,
    VipMember,
)
from tier3.model.topology import EncryptedVolume, data_paths
from tier3.schema.build import firewall_pair
from tier3.schema.firewall import build_policy

ALL_VARS = "group_vars/all.yml"

DEFAULT_SITES: dict[str, dict[str, Any]] = {
    "fra1": {
        "feeds": ["fra1-a", "fra1-b"],
        "racks": {"r1": {"r1-a": "fra1-a", "r1-b": "fra1-b"}, "r2": {"r2-a": "fra1-a", "r2-b": "fra1-b"}},
        "switches": {"sw1": "r1", "sw2": "r2"},
        "fabrics": ["san-a", "san-b"],
    },
    "ber1": {
        "feeds": ["ber1-a", "ber1-b"],
        "racks": {"r3": {"r3-a": "ber1-a", "r3-b": "ber1-b"}, "r4": {"r4-a": "ber1-a", "r4-b": "ber1-b"}},
        "switches": {"sw3": "r3", "sw4": "r4"},
        "fabrics": ["san-c", "san-d"],
    },
}


def _extras(text: object) -> tuple[str, dict[str, str]]:
    """``"eth0@sw1 port=1/1 card=nic1"`` -> ``("eth0@sw1", {"port": "1/1", "card": "nic1"})``."""
    head, *words = str(text).split()
    return head, dict(w.split("=", 1) for w in words)


def _pdu(pdu: str, feed: str, rack: str, location: Location) -> Pdu:
    feed, extras = _extras(feed)
    return Pdu(pdu, feed, rack, location, int(extras.get("max_watts", 0)))


def _switch(name: str, site: str, rack: str) -> Switch:
    rack, extras = _extras(rack)
    return Switch(name, site, rack, stack=extras.get("stack", ""))


def _member(text: str) -> BondMember:
    head, extras = _extras(text)
    interface, switch = head.split("@", 1)
    return BondMember(interface, switch, extras.get("port", ""), card=extras.get("card", ""))


def _path(text: str) -> MultipathPath:
    head, extras = _extras(text)
    device, fabric = head.split("@", 1)
    return MultipathPath(device, fabric, hba=extras.get("hba", ""), controller=extras.get("controller", ""))


def _uplink(name: str, site: str, text: str, location: Location) -> Uplink:
    head, extras = _extras(text)
    carrier, lands_on = head.split("@", 1)
    return Uplink(name, site, carrier, lands_on, extras.get("entry", f"{name}-entry"), extras.get("circuit", ""),
                  location)


def _sites(spec: dict[str, Any] | None) -> tuple[Site, ...]:
    merged: dict[str, dict[str, Any]] = {name: dict(value) for name, value in DEFAULT_SITES.items()}
    for name, value in (spec or {}).items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = {**merged.get(name, {}), **value}
    sites = []
    for i, (name, s) in enumerate(merged.items()):
        key = f"tier3_sites[{i}]"
        racks = tuple(
            Rack(
                rack,
                name,
                tuple(_pdu(pdu, feed, rack, Location(ALL_VARS, f"{key}.racks[{j}].pdus[{k}]"))
                      for k, (pdu, feed) in enumerate(pdus.items())),
                Location(ALL_VARS, f"{key}.racks[{j}]"),
            )
            for j, (rack, pdus) in enumerate(s.get("racks", {}).items())
        )
        sites.append(
            Site(
                name,
                feeds=tuple(
                    Feed(f, name, Location(ALL_VARS, f"{key}.feeds[{k}]")) for k, f in enumerate(s.get("feeds", []))
                ),
                racks=racks,
                switches=tuple(_switch(w, name, r) for w, r in s.get("switches", {}).items()),
                fabrics=tuple(Fabric(f, name) for f in s.get("fabrics", [])),
                location=Location(ALL_VARS, key),
                depends_on=tuple(
                    SiteDependency(service, other, Location(ALL_VARS, f"{key}.depends_on[{k}]"))
                    for k, (service, other) in enumerate((s.get("depends_on") or {}).items())
                ),
                uplinks=tuple(
                    _uplink(u, name, text, Location(ALL_VARS, f"{key}.uplinks[{k}]"))
                    for k, (u, text) in enumerate((s.get("uplinks") or {}).items())
                ),
            )
        )
    return tuple(sites)


def _site_of_rack(sites: tuple[Site, ...]) -> dict[str, Site]:
    return {r.name: s for s in sites for r in s.racks}


def _host(name: str, spec: dict[str, Any], sites: tuple[Site, ...]) -> Host:
    file = f"host_vars/{name}.yml"
    rack = spec.get("rack", "r1")
    site = _site_of_rack(sites).get(rack)
    site_name = spec.get("site", site.name if site else "")
    switches = [w.name for w in site.switches] if site else ["sw1", "sw2"]
    psus = spec.get("psus", [f"{rack}-a", f"{rack}-b"])
    supplies = []
    for i, text in enumerate(psus):
        head, extras = _extras(text)
        pdu, _, watts = head.partition(":")
        supplies.append(
            PowerSupply(f"PSU{i + 1}", pdu, int(watts or 500), Location(file, f"tier3_host.power_supplies[{i}]"),
                        extras.get("outlet", ""))
        )
    bonds_spec = spec.get("bonds", {"bond0": [f"eth0@{switches[0]}", f"eth1@{switches[1]}"]})
    bonds = tuple(
        Bond(
            bond,
            "active-backup",
            tuple(_member(m) for m in members),
            Location(file, f"tier3_host.bonds[{i}]"),
        )
        for i, (bond, members) in enumerate(bonds_spec.items())
    )
    arrays = tuple(
        RaidArray(
            array,
            a["level"],
            tuple(a.get("devices", ())),
            tuple(a.get("spares", ())),
            Location(file, f"tier3_host.raid_arrays[{i}]"),
        )
        for i, (array, a) in enumerate(spec.get("raid", {}).items())
    )
    luns = tuple(
        MultipathLun(
            lun,
            str(paths.get("wwid", "")) if isinstance(paths, dict) and "wwid" in paths
            else f"3600a0980{zlib.crc32(name.encode()):08x}{i:015d}",  # one of its own: host and index
            tuple(_path(p) for p in (paths.get("paths", []) if isinstance(paths, dict) else paths)),
            Location(file, f"tier3_host.multipath_luns[{i}]"),
            bool(paths.get("shared", False)) if isinstance(paths, dict) else False,
        )
        for i, (lun, paths) in enumerate(spec.get("luns", {}).items())
    )
    groups = frozenset(spec.get("groups", ()))
    default_volumes = {f"crypt{i or ''}": {"device": f"/dev/md{i + 1}", "mount": path}
                       for i, (_what, path) in enumerate(data_paths(groups))}
    volumes = tuple(
        EncryptedVolume(volume, v["device"], Location(file, f"tier3_host.encrypted_volumes[{i}]"), v.get("mount", ""))
        for i, (volume, v) in enumerate((spec.get("volumes") or {} if "volumes" in spec else default_volumes).items())
    )
    bmc_spec = spec.get("bmc", {})
    bmc = None
    if bmc_spec is not None:
        bmc = Bmc(
            f"{name}-bmc.oob.example.net",
            bmc_spec.get("protocol", "redfish"),
            "tier3",
            bool(bmc_spec.get("vaulted", True)),
            Location(file, "tier3_host.bmc"),
        )
    return Host(
        name,
        groups=groups,
        site=site_name,
        rack=rack,
        bmc=bmc,
        power_supplies=tuple(supplies),
        power_draw_watts=int(spec.get("draw", 0)),
        bonds=bonds,
        raid_arrays=arrays,
        multipath_luns=luns,
        encrypted_volumes=volumes,
        capacity=dict(spec.get("capacity", {})),
        location=Location(file, "tier3_host"),
    )


def _vip_members(members: dict[str, int] | list[str]) -> list[tuple[str, str]]:
    """{host: priority}, or a list of "host:priority" (to list a host twice)."""
    if isinstance(members, dict):
        return [(h, str(p)) for h, p in members.items()]
    return [tuple(m.split(":", 1)) for m in members]  # type: ignore[misc]


def _mail(spec: dict[str, Any] | None) -> MailConfig | None:
    if spec is None:
        return None
    domains = []
    for i, (name, d) in enumerate(spec.items()):
        where = Location(ALL_VARS, f"tier3_mail.domains[{i}]")
        dmarc, spf = (d or {}).get("dmarc"), (d or {}).get("spf") or {}
        domains.append(MailDomain(
            name, location=where,
            dmarc=None if dmarc is None else Dmarc(
                dmarc.get("policy", "quarantine"), dmarc.get("rua", ""), int(dmarc.get("pct", 100)),
                Location(ALL_VARS, f"{where.key}.dmarc")),
            spf=Spf(tuple(spf.get("include", ())), tuple(spf.get("ip4", ())), tuple(spf.get("ip6", ())),
                    Location(ALL_VARS, f"{where.key}.spf")),
        ))
    return MailConfig("mail.example.net", "imap.example.net", domains=tuple(domains),
                      location=Location(ALL_VARS, "tier3_mail"))


def _dns(spec: dict[str, Any] | None) -> DnsConfig | None:
    if spec is None:
        return None
    return DnsConfig(spec["primary"], "hostmaster@example.net", bool(spec.get("tsig_vaulted", True)),
                     location=Location(ALL_VARS, "tier3_dns"))


def build(case: dict[str, Any]) -> Topology:
    sites = _sites(case.get("sites"))
    hosts = tuple(_host(name, spec or {}, sites) for name, spec in (case.get("hosts") or {}).items())
    vips = tuple(
        Vip(
            name,
            v.get("address", f"192.0.2.{i + 10}"),
            v.get("network", "fra1-mail"),
            int(v.get("vrid", 51 + i)),
            tuple(VipMember(h, int(p)) for h, p in _vip_members(v["members"])),
            Location(ALL_VARS, f"tier3_vips[{i}]"),
            tuple(v.get("services", ())),
        )
        for i, (name, v) in enumerate((case.get("vips") or {}).items())
    )
    pairs = tuple(
        firewall_pair({"name": name, "platform": "linux", **members}, ALL_VARS, f"tier3_firewall_pairs[{i}]")
        if isinstance(members, dict) else
        FirewallPair(name, "nftables", tuple(members), Location(ALL_VARS, f"tier3_firewall_pairs[{i}]"))
        for i, (name, members) in enumerate((case.get("firewall_pairs") or {}).items())
    )
    policies = tuple(build_policy(doc, ALL_VARS, f"tier3_firewall_policies[{i}]")
                     for i, doc in enumerate(case.get("firewall_policies") or ()))
    loads = tuple(
        ServiceLoad(group, int(load["load"] if isinstance(load, dict) else load), "connections",
                    Location(ALL_VARS, f"tier3_load.{group}"),
                    load.get("site_loss_load") if isinstance(load, dict) else None)
        for group, load in (case.get("loads") or {}).items()
    )
    targets = tuple(
        Target(service, t.get("availability"), t.get("rto_seconds"), Location(ALL_VARS, f"tier3_targets.{service}"))
        for service, t in (case.get("targets") or {}).items()
    )
    return Topology(sites=sites, hosts=hosts, vips=vips, firewall_pairs=pairs, firewall_policies=policies,
                    loads=loads, source="inventory/test",
                    targets=targets, mail=_mail(case.get("mail")), dns=_dns(case.get("dns")))
