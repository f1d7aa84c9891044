"""parse_mdadm_detail on real captures: counts, state tokens, device roles, verdicts."""

from __future__ import annotations

from pathlib import Path

from judged import findings, ids, is_redundant

from tier3.parsers.mdadm import Device, MdDetail, parse_mdadm_detail

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "real"


def detail(name: str) -> MdDetail:
    return parse_mdadm_detail((REAL / name).read_text(encoding="utf-8"), name)


def test_raid1_clean() -> None:
    d = detail("mdadm_detail_md0.txt")
    assert (d.device, d.level, d.state, d.raid_devices, d.total_devices, d.active_devices, d.working_devices,
            d.failed_devices, d.spare_devices) == ("/dev/md0", "raid1", ("clean",), 2, 2, 2, 2, 0, 0)
    assert d.devices == (Device(0, 0, ("active", "sync"), "/dev/vda", 25),
                         Device(1, 1, ("active", "sync"), "/dev/vdb", 26))
    assert is_redundant("mdadm-detail", d) is True


def test_faulty_and_removed_slot() -> None:
    d = detail("mdadm_detail_md0_faulty.txt")
    assert [(x.number, x.slot, x.state, x.device) for x in d.devices] == [
        (0, 0, ("active", "sync"), "/dev/vdb"), (1, 1, ("active", "sync"), "/dev/vdc"),
        (None, 2, ("removed",), ""), (2, None, ("faulty",), "/dev/vdd")]
    assert ids("mdadm-detail", d) == [
        ("T3-OBS-STO-001", "/dev/md0"), ("T3-OBS-STO-005", "/dev/md0:vdd")]
    assert findings("mdadm-detail", d)[0].evidence["removed_slots"] == [2]


def test_spare_rebuilding_and_progress() -> None:
    d = detail("mdadm_detail_md0_raid5_initial_recovery.txt")
    assert d.state == ("clean", "degraded", "recovering")
    assert d.progress == {"Rebuild Status": "2% complete"}
    assert d.devices[-1].state == ("spare", "rebuilding")


def test_check_is_redundant_and_pending_resync_is_not() -> None:
    assert is_redundant("mdadm-detail", detail("mdadm_detail_md0_check.txt")) is True
    pending = detail("mdadm_detail_md5_resync_pending.txt")
    assert (pending.state, is_redundant("mdadm-detail", pending)) == (("clean", "resyncing", "(PENDING)"), False)


def test_inactive_has_fewer_keys_and_no_state_column() -> None:
    d = detail("mdadm_detail_md1_inactive.txt")
    assert (d.state, d.raid_devices, d.total_devices) == (("inactive",), None, 1)
    assert d.devices == (Device(None, None, (), "/dev/vde", 16),)
    assert [r for r, _ in ids("mdadm-detail", d)] == ["T3-OBS-STO-004"]


def test_raid10_set_states_and_raid0() -> None:
    assert detail("mdadm_detail_md7_raid10_clean.txt").devices[0].state == ("active", "sync", "set-A")
    assert [r for r, _ in ids("mdadm-detail", detail("mdadm_detail_md2_raid0.txt"))] == ["T3-OBS-STO-003"]


def test_imsm_container_and_volume() -> None:
    field = REAL.parent / "field"
    box = parse_mdadm_detail((field / "mdadm_detail_imsm_container.txt").read_text(encoding="utf-8"), "x")
    assert (box.container, box.version, box.state, box.total_devices) == (True, "imsm", (), 2)
    assert [(x.slot, x.device) for x in box.devices] == [(None, "/dev/sda"), (None, "/dev/sdb")]
    assert ids("mdadm-detail", box) == []
    volume = parse_mdadm_detail((field / "mdadm_detail_imsm_volume.txt").read_text(encoding="utf-8"), "x")
    assert (volume.container, volume.container_of, is_redundant("mdadm-detail", volume)) == (
        False, "/dev/md/imsm0, member 0", True)
