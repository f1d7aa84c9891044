"""T3-OBS-ENC-020..025: a host's dm-crypt mappings, LUKS headers and lsblk tree (real captures,
tests/declared_support.py) against its declared encrypted_volumes. Each case changes one record or one declared
key of the healthy host and asserts the one topology finding it gives; the healthy host gives none."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from declared_support import (
    HOST,
    MD1_UUID,
    VDL_UUID,
    changed,
    declared,
    dump,
    healthy,
    items,
    real,
    record,
    redeclared,
    status,
    topology,
)
from tier3.inspect import InspectOptions, all_kinds
from tier3.inspect.topology import gathered
from tier3.model import Topology
from tier3.model.policy import Policy

KIND = all_kinds()["topology"]
VOLUMES = declared()["encrypted_volumes"]
LUKS1_REFUSED = "Dump operation is not supported for this device type.\n"  # capture-luks2-json.sh's output


def judge(topo: Topology, records: dict[str, list[dict[str, Any]]], policy: Policy | None = None,
          ) -> list[dict[str, Any]]:
    options = InspectOptions(policy=policy or topo.policy_for(HOST), topology=topo, host=HOST)
    findings: list[dict[str, Any]] = KIND.inspect_raw(gathered(items(records)).raw, "answer", options)["findings"]
    return findings


def ids(findings: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(f["rule_id"], f["subject"]) for f in findings]


def volumes(*more: dict[str, Any], cryptmd: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return [{**VOLUMES[0], **(cryptmd or {})}, VOLUMES[1], *more]


def statuses(*more: dict[str, Any]) -> list[dict[str, Any]]:
    return [*healthy()["cryptsetup"], *more]


def dumps(*more: dict[str, Any]) -> list[dict[str, Any]]:
    return [*healthy()["luksdump"], *more]


def lsblk_mounted(name: str, mount: str) -> dict[str, Any]:
    """The real tree with the filesystem on crypt ``name`` mounted at ``mount`` (the capture had it unmounted:
    the one change made to it)."""
    tree = json.loads(real("lsblk_crypt_on_md_and_mpath.json"))

    def mount_on(node: dict[str, Any]) -> None:
        if node["name"] == name:
            node["mountpoints"], node["mountpoint"] = [mount], mount
        for child in node.get("children", []):
            mount_on(child)

    for dev in tree["blockdevices"]:
        mount_on(dev)
    return record("lsblk", argv=("lsblk", "-J", "-O"), text=json.dumps(tree))


NOT_OPEN = record("cryptsetup", argv=("cryptsetup", "status", "/dev/mapper/cryptnotopen"),
                  item="/dev/mapper/cryptnotopen", fixture="cryptsetup_status_inactive.txt", status="failed", rc=4)
VDM = "/dev/disk/by-uuid/02a37d17-ab8d-482a-a449-c1adf7b441a3"  # the LUKS1 header on vdm
LUKS1_DUMP = record("luksdump", argv=("cryptsetup", "luksDump", "--dump-json-metadata", VDM), item=VDM,
                    status="failed", rc=1, stderr=LUKS1_REFUSED)

CASES: list[tuple[str, dict[str, Any], dict[str, list[dict[str, Any]]], list[tuple[str, str]]]] = [
    ("healthy: cryptmd on md1 and cryptmpath on mpatha, LUKS2 argon2id", {}, {}, []),
    ("cryptnotopen declared, cryptsetup says inactive (exit 4)",
     {"encrypted_volumes": volumes({"name": "cryptnotopen", "device": "/dev/vdg"})},
     {"cryptsetup": statuses(NOT_OPEN)}, [("T3-OBS-ENC-020", "/dev/mapper/cryptnotopen")]),
    ("cryptluks1 declared: open as LUKS1 (its JSON dump refused)",
     {"encrypted_volumes": volumes({"name": "cryptluks1", "device": "/dev/vdm"})},
     {"cryptsetup": statuses(status("cryptluks1", "cryptsetup_status_luks1.txt")), "luksdump": dumps(LUKS1_DUMP)},
     [("T3-OBS-ENC-021", "/dev/mapper/cryptluks1")]),
    ("cryptmd declared on md0, open on md1", {"encrypted_volumes": volumes(cryptmd={"device": "/dev/md0"})}, {},
     [("T3-OBS-ENC-022", "/dev/mapper/cryptmd")]),
    ("cryptmd declared by a UUID that is not md1's",
     {"encrypted_volumes": volumes(cryptmd={"device": "/dev/disk/by-uuid/b21b8890-266a-4ba5-8275-4e124fa188dd"})},
     {}, [("T3-OBS-ENC-022", "/dev/mapper/cryptmd")]),
    ("cryptpbkdf2 declared: its key slot is pbkdf2",
     {"encrypted_volumes": volumes({"name": "cryptpbkdf2", "device": "/dev/vdl"})},
     {"cryptsetup": statuses(status("cryptpbkdf2", "cryptsetup_status_luks2_pbkdf2.txt")),
      "luksdump": dumps(dump(VDL_UUID, "luksdump_json_luks2_pbkdf2.json"))},
     [("T3-OBS-ENC-023", "/dev/mapper/cryptpbkdf2")]),
    ("cryptpbkdf2 open, not declared", {},
     {"cryptsetup": statuses(status("cryptpbkdf2", "cryptsetup_status_luks2_pbkdf2.txt"))},
     [("T3-OBS-ENC-024", "/dev/mapper/cryptpbkdf2")]),
    ("cryptmd declared mounted at /srv/mail, nothing mounted there",
     {"encrypted_volumes": volumes(cryptmd={"mount": "/srv/mail"})}, {}, [("T3-OBS-ENC-025", "/dev/mapper/cryptmd")]),
    ("cryptmd declared mounted at /srv/mail, mounted there", {"encrypted_volumes": volumes(cryptmd={
        "mount": "/srv/mail"})}, {"lsblk": [lsblk_mounted("cryptmd", "/srv/mail")]}, []),
    ("cryptmd declared mounted at /srv/mail, cryptmpath mounted there", {"encrypted_volumes": volumes(cryptmd={
        "mount": "/srv/mail"})}, {"lsblk": [lsblk_mounted("cryptmpath", "/srv/mail")]},
     [("T3-OBS-ENC-025", "/dev/mapper/cryptmd")]),
    ("cryptpbkdf2 declared by vdl's serial (by-id)", {"encrypted_volumes": volumes(
        {"name": "cryptpbkdf2", "device": "/dev/disk/by-id/virtio-T3DISK11"})},
     {"cryptsetup": statuses(status("cryptpbkdf2", "cryptsetup_status_luks2_pbkdf2.txt"))}, []),
    ("cryptpbkdf2 declared by vdm's serial (by-id)", {"encrypted_volumes": volumes(
        {"name": "cryptpbkdf2", "device": "/dev/disk/by-id/virtio-T3DISK12"})},
     {"cryptsetup": statuses(status("cryptpbkdf2", "cryptsetup_status_luks2_pbkdf2.txt"))},
     [("T3-OBS-ENC-022", "/dev/mapper/cryptpbkdf2")]),
    ("cryptmd declared by its UUID",
     {"encrypted_volumes": volumes(cryptmd={"device": f"/dev/disk/by-uuid/{MD1_UUID}"})}, {}, []),
]


@pytest.mark.parametrize(("declared_keys", "records", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_defect_is_one_finding(tmp_path: Path, declared_keys: dict[str, Any],
                                    records: dict[str, list[dict[str, Any]]], expected: list[tuple[str, str]]) -> None:
    findings = judge(topology(tmp_path, redeclared(**declared_keys)), changed(**records))
    assert ids(findings) == expected
    assert all(f["evidence"]["declared"] and "observed" in f["evidence"] for f in findings)


def test_the_header_is_found_by_the_uuid_under_the_mapping(tmp_path: Path) -> None:
    topo = topology(tmp_path, redeclared(encrypted_volumes=volumes({"name": "cryptpbkdf2", "device": "/dev/vdl"})))
    records = changed(cryptsetup=statuses(status("cryptpbkdf2", "cryptsetup_status_luks2_pbkdf2.txt")),
                      luksdump=dumps(dump(VDL_UUID, "luksdump_json_luks2_pbkdf2.json")))
    (finding,) = judge(topo, records)
    assert finding["message"] == "declared cryptpbkdf2 within the policy, observed key slot 0 PBKDF pbkdf2"
    assert finding["evidence"]["observed"]["pbkdf"] == {0: "pbkdf2"}
    assert judge(topo, records, Policy({"crypt_weak_pbkdfs": ["argon2i"]})) == []
    del records["luksdump"]  # no header: the PBKDF is not known, cipher and key still are (and pass)
    assert judge(topo, records) == []


def test_luks1_is_a_finding_only_while_the_policy_asks_for_luks2(tmp_path: Path) -> None:
    topo = topology(tmp_path, redeclared(encrypted_volumes=volumes({"name": "cryptluks1", "device": "/dev/vdm"})))
    records = changed(cryptsetup=statuses(status("cryptluks1", "cryptsetup_status_luks1.txt")))
    assert ids(judge(topo, records)) == [("T3-OBS-ENC-021", "/dev/mapper/cryptluks1")]
    assert judge(topo, records, Policy({"crypt_require_luks2": False})) == []


def test_a_volume_not_open_is_judged_no_further(tmp_path: Path) -> None:
    topo = topology(tmp_path, redeclared(encrypted_volumes=volumes(cryptmd={"device": "/dev/md0", "mount": "/srv"})))
    records = changed(cryptsetup=[status("cryptmpath", "cryptsetup_status_luks2_on_mpath.txt")])
    (finding,) = judge(topo, records)
    assert (finding["rule_id"], finding["message"]) == (
        "T3-OBS-ENC-020", "declared cryptmd on /dev/md0, observed cryptmpath open")


def test_silent_without_cryptsetup_evidence(tmp_path: Path) -> None:
    topo = topology(tmp_path, redeclared(encrypted_volumes=volumes({"name": "cryptnotopen", "device": "/dev/vdg"})))
    records = healthy()
    del records["cryptsetup"]
    assert judge(topo, records) == []
