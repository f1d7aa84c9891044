"""Validated inventory documents -> the ``Topology`` dataclasses, each object with its Location."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tier3.model import (
    Bmc,
    Bond,
    BondMember,
    Fabric,
    Feed,
    FirewallPair,
    Host,
    Location,
    MultipathLun,
    MultipathPath,
    Pdu,
    PowerSupply,
    Rack,
    RaidArray,
    ServiceLoad,
    Site,
    SiteDependency,
    Switch,
    Uplink,
    Vip,
    VipMember,
)
from tier3.model.firewall import SSH_PORT, HaLink, Management, PairPolicy
from tier3.model.topology import EncryptedVolume
from tier3.model.waiver import Waiver


def site(doc: dict[str, Any], file: str, key: str) -> Site:
    name = doc["name"]
    racks = []
    for i, r in enumerate(doc.get("racks") or ()):
        rkey = f"{key}.racks[{i}]"
        pdus = tuple(
            Pdu(p["name"], p["feed"], r["name"], Location(file, f"{rkey}.pdus[{j}]"), p.get("max_watts", 0))
            for j, p in enumerate(r.get("pdus") or ())
        )
        racks.append(Rack(r["name"], name, pdus, Location(file, rkey)))
    return Site(
        name,
        feeds=tuple(
            Feed(f["name"], name, Location(file, f"{key}.feeds[{i}]")) for i, f in enumerate(doc.get("feeds") or ())
        ),
        racks=tuple(racks),
        switches=tuple(
            Switch(w["name"], name, w["rack"], Location(file, f"{key}.switches[{i}]"), w.get("stack", ""))
            for i, w in enumerate(doc.get("switches") or ())
        ),
        fabrics=tuple(
            Fabric(f["name"], name, Location(file, f"{key}.san_fabrics[{i}]"))
            for i, f in enumerate(doc.get("san_fabrics") or ())
        ),
        location=Location(file, key),
        depends_on=tuple(
            SiteDependency(d["service"], d["site"], Location(file, f"{key}.depends_on[{i}]"))
            for i, d in enumerate(doc.get("depends_on") or ())
        ),
        uplinks=tuple(
            Uplink(u["name"], name, u["carrier"], u["lands_on"], u["entry"], u.get("circuit", ""),
                   Location(file, f"{key}.uplinks[{i}]"))
            for i, u in enumerate(doc.get("uplinks") or ())
        ),
    )


def host(
    name: str, groups: frozenset[str], doc: dict[str, Any], file: str, key: str, *, vaulted: bool,
    policy: dict[str, Any] | None = None,
) -> Host:
    """One host; ``vaulted`` says whether its BMC password is a vault reference (the value is dropped)."""
    bmc_doc = doc.get("bmc")
    bmc = None
    if bmc_doc is not None:
        bmc = Bmc(
            bmc_doc["address"],
            bmc_doc["protocol"],
            bmc_doc["username"],
            password_is_vaulted=vaulted,
            location=Location(file, f"{key}.bmc"),
        )
    supplies = tuple(
        PowerSupply(p["name"], p["pdu"], p.get("capacity_watts", 0), Location(file, f"{key}.power_supplies[{i}]"),
                    str(p.get("outlet", "")))
        for i, p in enumerate(doc.get("power_supplies") or ())
    )
    bonds = []
    for i, b in enumerate(doc.get("bonds") or ()):
        bkey = f"{key}.bonds[{i}]"
        members = tuple(
            BondMember(m["interface"], m["switch"], str(m.get("port", "")), Location(file, f"{bkey}.members[{j}]"),
                       m.get("card", ""))
            for j, m in enumerate(b.get("members") or ())
        )
        bonds.append(Bond(b["name"], b["mode"], members, Location(file, bkey)))
    arrays = tuple(
        RaidArray(
            a["name"],
            a["level"],
            tuple(a.get("devices") or ()),
            tuple(a.get("spares") or ()),
            Location(file, f"{key}.raid_arrays[{i}]"),
        )
        for i, a in enumerate(doc.get("raid_arrays") or ())
    )
    luns = []
    for i, lun in enumerate(doc.get("multipath_luns") or ()):
        lkey = f"{key}.multipath_luns[{i}]"
        paths = tuple(
            MultipathPath(p["device"], p["fabric"], Location(file, f"{lkey}.paths[{j}]"), p.get("hba", ""),
                          p.get("controller", ""))
            for j, p in enumerate(lun.get("paths") or ())
        )
        luns.append(MultipathLun(lun["name"], lun["wwid"], paths, Location(file, lkey), bool(lun.get("shared"))))
    volumes = tuple(
        EncryptedVolume(v["name"], v["device"], Location(file, f"{key}.encrypted_volumes[{i}]"), v.get("mount", ""))
        for i, v in enumerate(doc.get("encrypted_volumes") or ())
    )
    return Host(
        name,
        groups=groups,
        site=doc["site"],
        rack=doc["rack"],
        bmc=bmc,
        power_supplies=supplies,
        power_draw_watts=doc.get("power_draw_watts") or 0,
        bonds=tuple(bonds),
        raid_arrays=arrays,
        multipath_luns=tuple(luns),
        encrypted_volumes=volumes,
        capacity=dict(doc.get("capacity") or {}),
        location=Location(file, key),
        policy=policy or {},
    )


def vip(doc: dict[str, Any], file: str, key: str) -> Vip:
    return Vip(
        doc["name"],
        doc["address"],
        doc["network"],
        doc["vrid"],
        tuple(
            VipMember(m["host"], m["priority"], Location(file, f"{key}.members[{i}]"))
            for i, m in enumerate(doc.get("members") or ())
        ),
        Location(file, key),
        tuple(doc.get("services") or ()),
    )


def firewall_pair(doc: dict[str, Any], file: str, key: str) -> FirewallPair:
    settings = None
    if any(part in doc for part in ("policy", "management", "ha")):  # without a policy: refused by check_firewall
        management = doc.get("management")
        ha = doc.get("ha")
        settings = PairPolicy(
            doc.get("policy", ""),
            None if management is None else Management(management["zone"], tuple(management["networks"]),
                                                       management.get("port", SSH_PORT)),
            None if ha is None else HaLink(ha["zone"], tuple(ha["addresses"]), bool(ha.get("state_sync", False))),
            Location(file, f"{key}.policy"),
        )
    return FirewallPair(doc["name"], doc["platform"], tuple(doc["members"]), Location(file, key), settings)


def load(doc: dict[str, Any], file: str, key: str) -> ServiceLoad:
    return ServiceLoad(doc["group"], doc["load"], doc.get("unit", "units"), Location(file, key),
                       doc.get("site_loss_load"))


def waiver(doc: dict[str, Any], file: str, key: str) -> Waiver:
    """One schema-clean tier3_waivers entry; an ``expires`` that is no calendar date is the caller's error
    (``tier3.schema.references``), here read as the last day there is, never as "no expiry"."""
    return Waiver(doc["rule"], doc["subject"], doc["justification"], doc["owner"], waiver_date(doc["expires"]),
                  Location(file, key), doc.get("ticket", ""))


def waiver_date(value: Any) -> dt.date:
    """``expires`` as a date: a YAML date, or ``YYYY-MM-DD``; ``date.min`` when it is no date at all (so an
    unreadable expiry fails at once, never holds forever; the reference check names it)."""
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return dt.date.min
