"""Declared versus observed, test material shared by tests/unit/rules/test_topology_*.py and
tests/unit/check/test_declared.py: one host's tier3_evidence answer assembled from real captures
(tests/fixtures/real, README.md and CAPTURED.md say how each was made), and an inventory declaring
that host, written to a directory and read by the real loader.

The captures are of one Debian 12 guest (bonding, md, multipath, LUKS, lsblk) and of lldpd over veth
pairs (two switches t3-sw-a and t3-sw-b): the bond's members eth1 and eth2 are the interfaces both
captures name. ``healthy()`` is an answer in which every declared object is found as declared;
each test changes one record or one declared key and asserts the one finding that gives.
"""

from __future__ import annotations

import copy
import hashlib
import shlex
from pathlib import Path
from typing import Any

import yaml

from support import FIXTURES
from tier3.evidence import EvidenceItem, items_from_answer
from tier3.model import Topology
from tier3.schema import load_inventory

REAL = FIXTURES / "real"
HOST = "metal1"
WWID = "35000c5001ea71ac0"  # mpatha of multipath_ll_*.txt
MD1_UUID = "8da5e4bd-276c-4036-8c7c-92cc8ba68052"  # the LUKS2 header on md1 (lsblk_crypt_on_md_and_mpath.json)
MPATH_UUID = "0f608e81-32bf-4b2e-a3cd-5058f546b2d4"  # the LUKS2 header on mpatha
VDL_UUID = "b21b8890-266a-4ba5-8275-4e124fa188dd"  # the LUKS2 (pbkdf2) header on vdl
ROOT_UUID = "30120034-74f7-46ef-b23b-35ade9e21ec2"  # vda's ext4: no LUKS header
READ_AT = 1796124000.0

SITES = [{"name": "site1", "feeds": [{"name": "feed-a"}, {"name": "feed-b"}],
          "racks": [{"name": "r1", "pdus": [{"name": "r1-pdu-a", "feed": "feed-a"}]},
                    {"name": "r2", "pdus": [{"name": "r2-pdu-a", "feed": "feed-b"}]}],
          "switches": [{"name": "t3-sw-a", "rack": "r1"}, {"name": "t3-sw-b", "rack": "r2"},
                       {"name": "t3-sw-c", "rack": "r2"}],
          "san_fabrics": [{"name": "san-a"}, {"name": "san-b"}]}]


def declared() -> dict[str, Any]:
    """tier3_host of HOST as the captures show it: every object there, as it is."""
    return {
        "site": "site1", "rack": "r1",
        "bonds": [{"name": "bond0", "mode": "active-backup",
                   "members": [{"interface": "eth1", "switch": "t3-sw-a", "port": "swp1"},
                               {"interface": "eth2", "switch": "t3-sw-b", "port": "swp1"}]}],
        "raid_arrays": [{"name": "md0", "level": "raid5", "devices": ["/dev/vdb", "/dev/vdc", "/dev/vdd"]},
                        {"name": "md1", "level": "raid1", "devices": ["/dev/vde", "/dev/vdf"], "spares": ["/dev/vdg"]}],
        "multipath_luns": [{"name": "lun0", "wwid": WWID,
                            "paths": [{"device": "/dev/sda", "fabric": "san-a", "hba": "host6"},
                                      {"device": "/dev/sdb", "fabric": "san-b", "hba": "host7"}]}],
        "encrypted_volumes": [{"name": "cryptmd", "device": "/dev/md1"},
                              {"name": "cryptmpath", "device": "/dev/mapper/mpatha"}],
    }


def write_inventory(where: Path, host: dict[str, Any], sites: list[dict[str, Any]] | None = None) -> Path:
    """An inventory of HOST (tier3_host ``host``) in ``where``."""
    (where / "group_vars").mkdir(parents=True, exist_ok=True)
    (where / "host_vars").mkdir(exist_ok=True)
    (where / "hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": {HOST: None}}}), encoding="utf-8")
    (where / "group_vars" / "all.yml").write_text(yaml.safe_dump({"tier3_sites": sites or SITES}), encoding="utf-8")
    (where / "host_vars" / f"{HOST}.yml").write_text(yaml.safe_dump({"tier3_host": host}, sort_keys=False),
                                                      encoding="utf-8")
    return where


def topology(where: Path, host: dict[str, Any] | None = None) -> Topology:
    return load_inventory(write_inventory(where, declared() if host is None else host)).topology


def real(name: str) -> str:
    return (REAL / name).read_text(encoding="utf-8")


def record(kind: str, *, path: str = "", argv: tuple[str, ...] = (), item: str | None = None, fixture: str = "",
           text: str | None = None, status: str = "ok", rc: int | None = 0, stderr: str = "") -> dict[str, Any]:
    """One record as tier3_evidence returns it: a file (``path``) or a command (``argv``, ``item`` for a glob match)."""
    body = real(fixture) if fixture else (text or "")
    raw = body.encode("utf-8")
    read = status in ("ok", "failed")
    return {"kind": kind, "id": path or shlex.join(argv), "source": "file" if path else "command",
            "argv": None if path else list(argv), "path": path or None, "item": item, "status": status,
            "rc": None if path else rc, "text": body, "stderr": stderr, "sha256": hashlib.sha256(raw).hexdigest()
            if read else None, "size": len(raw) if read else None, "truncated": False, "read_at": READ_AT, "detail": ""}


def status(name: str, fixture: str) -> dict[str, Any]:
    device = f"/dev/mapper/{name}"
    return record("cryptsetup", argv=("cryptsetup", "status", device), item=device, fixture=fixture)


def dump(uuid: str, fixture: str) -> dict[str, Any]:
    device = f"/dev/disk/by-uuid/{uuid}"
    return record("luksdump", argv=("cryptsetup", "luksDump", "--dump-json-metadata", device), item=device,
                  fixture=fixture)


def healthy() -> dict[str, list[dict[str, Any]]]:
    """kind -> records of HOST: every declared object found as declared (the root filesystem's UUID, which
    holds no LUKS header, included as luksDump answers it)."""
    root = f"/dev/disk/by-uuid/{ROOT_UUID}"
    return {
        "bonding": [record("bonding", path="/proc/net/bonding/bond0",
                           fixture="proc_net_bonding_bond0_active_backup.txt")],
        "ip-link": [record("ip-link", argv=("ip", "-d", "link", "show"), fixture="ip_d_link_bond0.txt")],
        "lldp": [record("lldp", argv=("lldpctl", "-f", "json"), fixture="lldpctl_json_two_switches.json")],
        "mdstat": [record("mdstat", path="/proc/mdstat", fixture="proc_mdstat_raid1_spare.txt")],
        "mdadm-detail": [
            record("mdadm-detail", argv=("mdadm", "--detail", "/dev/md0"), item="/dev/md0",
                   fixture="mdadm_detail_md0_raid5_clean.txt"),
            record("mdadm-detail", argv=("mdadm", "--detail", "/dev/md1"), item="/dev/md1",
                   fixture="mdadm_detail_md1_spare.txt")],
        "multipath": [record("multipath", argv=("multipath", "-ll"), fixture="multipath_ll_all_paths_active.txt")],
        "cryptsetup": [status("cryptmd", "cryptsetup_status_luks2_argon2id.txt"),
                       status("cryptmpath", "cryptsetup_status_luks2_on_mpath.txt")],
        "luksdump": [dump(MD1_UUID, "luksdump_json_luks2_argon2id.json"),
                     dump(MPATH_UUID, "luksdump_luks2_on_mpath.txt"),  # its capture is of the text form
                     record("luksdump", argv=("cryptsetup", "luksDump", "--dump-json-metadata", root), item=root,
                            status="failed", rc=1, stderr=f"Device {root} is not a valid LUKS device.\n")],
        "lsblk": [record("lsblk", argv=("lsblk", "-J", "-O"), fixture="lsblk_crypt_on_md_and_mpath.json")],
    }


def answer(records: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return {"evidence": [r for kind in records.values() for r in kind], "changed": False}


def items(records: dict[str, list[dict[str, Any]]]) -> list[EvidenceItem]:
    return items_from_answer(HOST, answer(records))


def changed(**kinds: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """``healthy()`` with the records of some kinds replaced (``ip_link=`` for ip-link, ``mdadm_detail=`` ...)."""
    out = healthy()
    out.update({k.replace("_", "-"): v for k, v in kinds.items()})
    return out


def redeclared(**keys: Any) -> dict[str, Any]:
    """``declared()`` with some tier3_host keys replaced."""
    out = copy.deepcopy(declared())
    out.update(keys)
    return out
