"""``lab up | down | status`` over a stand-in for the podman command (no container is started),
and the backend table they dispatch through.

The stand-in keeps the state podman would (containers, networks, volumes, images) and records every
command line, so the tests pin what the lab runs and in which order, and that a second ``up`` does
nothing.
"""

from __future__ import annotations

import io
import json
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console

from tier3 import lab
from tier3.errors import LabError
from tier3.lab import podman as podman_module
from tier3.lab.backends import BACKENDS, HostStatus, Removed, Started
from tier3.lab.control import by_backend, lab_cache_dir
from tier3.lab.hosts import HOSTS, LABEL, METAL_HOSTS, NETWORK, SUBNET, LabHost, select
from tier3.lab.progress import Steps
from tier3.lab.recipe import IMAGE_NAME, load_recipe
from tier3.lab.secrets import SECRETS_FILE

REAL_BACKENDS = dict(BACKENDS)


@pytest.fixture(autouse=True)
def no_metal_lab(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real vm backend acts on this machine's metal lab (VMs, switch namespaces): these tests drive
    control over a stand-in podman, without it (tests/unit/lab/test_vm_*.py test the vm backend); nor the
    firewall backend, whose down would remove a running firewall pair (tests/unit/lab/test_firewall_lab.py)."""
    monkeypatch.delitem(BACKENDS, "vm")
    monkeypatch.delitem(BACKENDS, "firewall")


@dataclass
class FakePodman:
    """What podman would answer, from the state the previous commands left."""

    containers: dict[str, str] = field(default_factory=dict)  # name -> state
    images: set[str] = field(default_factory=set)
    networks: dict[str, str] = field(default_factory=dict)  # name -> subnet
    volumes: list[str] = field(default_factory=list)
    calls: list[list[str]] = field(default_factory=list)
    system: str = "running"

    def run(self, args: tuple[str, ...]) -> tuple[int, str]:  # noqa: PLR0911, PLR0912  (one case per command)
        self.calls.append(list(args))
        match args:
            case ("image", "exists", image):
                return (0 if image in self.images else 1), ""
            case ("tag", source, target):
                self.images.add(target)
                return (0 if source in self.images else 1), ""
            case ("network", "exists", name):
                return (0 if name in self.networks else 1), ""
            case ("network", "inspect", name):
                return 0, json.dumps([{"name": name, "subnets": [{"subnet": self.networks[name]}]}])
            case ("network", "ls", "--format", "json"):
                return 0, json.dumps([{"name": n, "subnets": [{"subnet": s}]} for n, s in self.networks.items()])
            case ("network", "create", *rest):
                self.networks[rest[-1]] = rest[rest.index("--subnet") + 1]
                return 0, ""
            case ("container", "exists", name):
                return (0 if name in self.containers else 1), ""
            case ("inspect", "--format", "{{.State.Status}}", name):
                return 0, self.containers[name] + "\n"
            case ("inspect", "--format", "{{.ImageName}}", name):
                return 0, f"{IMAGE_NAME}:{load_recipe().digest}\n"
            case ("run", *rest):
                self.containers[rest[rest.index("--name") + 1]] = "running"
                return 0, "0123abcd\n"
            case ("start", name):
                self.containers[name] = "running"
                return 0, name + "\n"
            case ("exec", _name, "systemctl", "is-system-running"):
                return 0, self.system + "\n"
            case ("exec", _name, "python3", "-c", _):
                return 0, ""
            case ("ps", "--all", "--filter", _, "--format", _):
                return 0, "".join(name + "\n" for name in self.containers)
            case ("volume", "ls", *_):
                return 0, "".join(name + "\n" for name in self.volumes)
            case ("network", "ls", "--filter", _, "--format", _):
                return 0, "".join(name + "\n" for name in self.networks)
            case ("rm", "--force", "--time", "10", *names):
                for name in names:
                    del self.containers[name]
                return 0, ""
            case ("volume", "rm", "--force", *names):
                self.volumes = [v for v in self.volumes if v not in names]
                return 0, ""
            case ("network", "rm", *names):
                for name in names:
                    del self.networks[name]
                return 0, ""
        raise AssertionError(f"unexpected podman command: {args}")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakePodman:
    state = FakePodman(images={f"{IMAGE_NAME}:{load_recipe().digest}"})

    def init(self: podman_module.Podman, executable: str = "podman") -> None:
        self.executable = executable

    def call(self: podman_module.Podman, *args: str, check: bool = True, stdin: Any = None, hint: str = "") -> str:
        code, out = state.run(args)
        if check and code != 0:
            raise LabError("tier3 lab", " ".join(["podman", *args[:2]]), f"failed ({code})")
        return out

    monkeypatch.setattr(podman_module.Podman, "__init__", init)
    monkeypatch.setattr(podman_module.Podman, "__call__", call)
    monkeypatch.setattr(podman_module.Podman, "ok", lambda _self, *args: state.run(args)[0] == 0)
    return state


def steps() -> tuple[Steps, io.StringIO]:
    out = io.StringIO()
    return Steps(Console(file=out, highlight=False, soft_wrap=True, width=200)), out


def said(out: io.StringIO) -> list[str]:
    return [re.sub(r"\(\d+\.\d s\)", "(T s)", line) for line in out.getvalue().splitlines()]


def test_up_from_nothing_then_again(fake: FakePodman, tmp_path: Path) -> None:
    first, out = steps()
    result = lab.up(HOSTS, tmp_path / "lab", first)
    digest = load_recipe().digest
    assert (result.image_built, result.network_created, result.inventory_written) == (False, True, True)
    assert result.created == [h.name for h in HOSTS]
    assert result.started == []
    assert said(out) == [
        f"✓ image {IMAGE_NAME}:{digest} exists (recipe unchanged)",
        f"→ create network {NETWORK} ({SUBNET})",
        f"✓ create network {NETWORK} ({SUBNET}) (T s)",
        *[line for h in HOSTS for line in (f"→ start {h.container} ({h.address})",
                                            f"✓ start {h.container} ({h.address}) (T s)")],
        f"→ wait for systemd and python3 in {len(HOSTS)} containers",
        f"✓ wait for systemd and python3 in {len(HOSTS)} containers (T s)",
        f"✓ wrote {tmp_path / 'lab'}",
    ]
    runs = [c for c in fake.calls if c[0] == "run"]
    assert [c[c.index("--name") + 1] for c in runs] == [h.container for h in HOSTS]
    assert runs[0] == podman_module.run_args(HOSTS[0], f"{IMAGE_NAME}:{digest}", NETWORK, digest)
    assert ["tag", f"{IMAGE_NAME}:{digest}", f"{IMAGE_NAME}:current"] in fake.calls

    again, out = steps()
    fake.calls.clear()
    result = lab.up(HOSTS, tmp_path / "lab", again)
    assert not result.changed
    assert [c for c in fake.calls if c[0] in ("run", "start") or c[:2] == ["network", "create"]] == []
    assert said(out)[1:] == [*(f"✓ {h.container} is running" for h in HOSTS),
                             f"→ wait for systemd and python3 in {len(HOSTS)} containers",
                             f"✓ wait for systemd and python3 in {len(HOSTS)} containers (T s)",
                             f"✓ unchanged: {tmp_path / 'lab'}"]


def test_up_restarts_a_stopped_container(fake: FakePodman, tmp_path: Path) -> None:
    lab.up(HOSTS, tmp_path / "lab", steps()[0])
    fake.containers["tier3-lab-mx2"] = "exited"
    result = lab.up(HOSTS, tmp_path / "lab", steps()[0])
    assert (result.created, result.started) == ([], ["mx2"])
    assert ["start", "tier3-lab-mx2"] in fake.calls


def test_up_refuses_a_subnet_another_network_uses(fake: FakePodman, tmp_path: Path) -> None:
    fake.networks["podman-other"] = "10.89.30.0/25"
    with pytest.raises(LabError, match=r"overlaps the lab's 10\.89\.30\.0/24"):
        lab.up(HOSTS, tmp_path / "lab", steps()[0])
    assert not [c for c in fake.calls if c[0] == "run"]


def test_status_in_table_order(fake: FakePodman, tmp_path: Path) -> None:
    assert {s.container for s in lab.status()} == {"absent"}
    lab.up(select(["mx1", "lb2"]), tmp_path / "lab", steps()[0])
    fake.system = "degraded"
    rows = lab.status()
    assert [r.host.name for r in rows] == [h.name for h in HOSTS]
    assert {r.host.name: (r.container, r.system) for r in rows if r.container != "absent"} == {
        "mx1": ("running", "degraded"), "lb2": ("running", "degraded")}
    assert all(r.system == "-" for r in rows if r.container == "absent")


def test_down_removes_what_up_made_and_the_generated_inventory(fake: FakePodman, tmp_path: Path) -> None:
    lab.up(HOSTS, tmp_path / "lab", steps()[0])
    fake.volumes.append("tier3-lab-data")
    gone = lab.down(tmp_path / "lab", steps=steps()[0])
    assert gone.containers == [h.container for h in HOSTS]
    assert (gone.networks, gone.volumes, gone.images, gone.inventory_removed) == (
        [NETWORK], ["tier3-lab-data"], [], True)
    assert (fake.containers, fake.networks, fake.volumes) == ({}, {}, [])
    assert not (tmp_path / "lab").exists()
    assert ["ps", "--all", "--filter", f"label={LABEL}", "--format", "{{.Names}}"] in fake.calls


def test_down_leaves_an_inventory_it_did_not_write(fake: FakePodman, tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "hosts.yml").write_text("all: {}\n")
    with pytest.raises(LabError, match="is not a generated lab inventory"):
        lab.down(mine, steps=steps()[0])
    assert (mine / "hosts.yml").exists()


# ---- the backend table --------------------------------------------------------------------------


@dataclass
class RecordingBackend:
    """A second kind of lab host (as QEMU VMs will be), recording what control asks of it."""

    name: str = "vm"
    noun: str = "VM"
    calls: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def up(self, hosts: Sequence[LabHost], steps: Steps, rebuild: bool = False,
           secrets: object = None) -> Started:  # noqa: ARG002  (the interface: this backend needs none)
        self.calls.append(("up", tuple(h.name for h in hosts)))
        steps.say(f"✓ {len(hosts)} {self.noun}s up{' (rebuilt)' if rebuild else ''}")
        return Started(created=[h.name for h in hosts])

    def down(self, steps: Steps, purge: bool = False) -> Removed:
        self.calls.append(("down", ()))
        steps.say(f"✓ {self.noun}s down{' (purged)' if purge else ''}")
        return Removed(volumes=["tier3-lab-vm-disks"])

    def status(self, hosts: Sequence[LabHost]) -> list[HostStatus]:
        self.calls.append(("status", tuple(h.name for h in hosts)))
        return [HostStatus(h, "running", "running") for h in hosts]


def test_every_lab_host_names_a_backend_of_the_table() -> None:
    assert all(name == backend.name for name, backend in REAL_BACKENDS.items())
    assert {h.backend for h in HOSTS} == {"container"}
    assert {h.backend for h in METAL_HOSTS} == {"vm"}
    assert set(REAL_BACKENDS) == {"container", "vm", "firewall"}
    switch = replace(HOSTS[0], backend="switch")
    with pytest.raises(LabError, match="unknown lab backend 'switch'"):
        by_backend([switch])


def test_control_dispatches_each_host_to_its_backend(
    fake: FakePodman, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    vms = RecordingBackend()
    monkeypatch.setitem(BACKENDS, "vm", vms)
    hosts = (HOSTS[0], replace(HOSTS[1], backend="vm"), HOSTS[2])
    assert [(b.name, [h.name for h in members]) for b, members in by_backend(hosts)] == [
        ("container", ["mx1", "imap1"]), ("vm", ["mx2"])]
    up_steps, out = steps()
    result = lab.up(hosts, tmp_path / "lab", up_steps)
    assert result.created == ["mx1", "imap1", "mx2"]
    assert "✓ 1 VMs up" in said(out)
    assert [c[c.index("--name") + 1] for c in fake.calls if c[0] == "run"] == ["tier3-lab-mx1", "tier3-lab-imap1"]
    assert [r.host.name for r in lab.status(hosts)] == ["mx1", "mx2", "imap1"]  # table order, not by backend
    gone = lab.down(tmp_path / "lab", steps=steps()[0])
    assert gone.volumes == ["tier3-lab-vm-disks"]
    assert vms.calls == [("up", ("mx2",)), ("status", ("mx2",)), ("down", ())]


# ---- the lab's secrets and its cache (.cache/lab: the lab CA) ----------------------------------


def test_up_keeps_the_secrets_and_down_removes_them_with_the_lab_cache(fake: FakePodman, tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "inventory").mkdir(parents=True)
    (project / "ansible.cfg").write_text("[defaults]\n")
    target = project / "inventory" / "lab"
    lab.up(HOSTS, target, steps()[0])
    kept = target / SECRETS_FILE
    first = kept.read_text()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    settings = yaml.safe_load((target / "group_vars" / "all" / "main.yml").read_text())
    ca = project.resolve() / ".cache" / "lab" / "pki"
    assert (settings["pki_mode"], settings["pki_ca_dir"]) == ("internal_ca", str(ca))
    ca.mkdir(parents=True)  # what roles/pki makes there
    (ca / "ca.key").write_text("the lab CA's key\n")
    (project / ".cache" / "other").mkdir()

    again = lab.up(HOSTS, target, steps()[0])
    assert not again.inventory_written
    assert kept.read_text() == first  # the same passwords and DKIM key on every up

    gone = lab.down(target, steps=steps()[0])
    assert (gone.inventory_removed, gone.cache_removed) == (True, True)
    assert not target.exists()
    assert not (project / ".cache" / "lab").exists()
    assert (project / ".cache" / "other").is_dir()  # only the lab's part of the cache
    assert not lab.down(target, steps=steps()[0]).cache_removed


def test_the_lab_cache_is_the_projects_or_beside_a_stray_inventory(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "inventory").mkdir(parents=True)
    (project / "ansible.cfg").write_text("")
    assert lab_cache_dir(project / "inventory" / "lab") == project.resolve() / ".cache" / "lab"
    assert lab_cache_dir(tmp_path / "elsewhere" / "lab") == tmp_path.resolve() / "elsewhere" / ".cache" / "lab"


@dataclass
class MetalBackend(RecordingBackend):
    """The vm backend's stand-in whose VMs are gone after ``down`` (as QEMU's are)."""

    removed: bool = False

    def down(self, steps: Steps, purge: bool = False) -> Removed:
        self.removed = True
        return super().down(steps, purge)

    def status(self, hosts: Sequence[LabHost]) -> list[HostStatus]:
        return [HostStatus(h, "absent" if self.removed else "running", "-") for h in hosts]


def test_down_metal_only_beside_containers_writes_the_inventory_without_the_vms(
    fake: FakePodman, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(BACKENDS, "vm", MetalBackend())
    target = tmp_path / "lab"
    lab.up(HOSTS, target, steps()[0])
    lab.up(METAL_HOSTS, target, steps()[0], keep_running=True)
    secrets_before = (target / SECRETS_FILE).read_text()
    assert "metal1" in (target / "hosts.yml").read_text()

    gone = lab.down(target, steps=steps()[0], only=("vm",))
    assert (gone.inventory_rewritten, gone.inventory_removed) == (True, False)
    hosts_yml = (target / "hosts.yml").read_text()
    assert "metal1" not in hosts_yml
    assert "mx1" in hosts_yml
    assert not (target / "host_vars" / "metal1.yml").exists()
    assert (target / SECRETS_FILE).read_text() == secrets_before  # the containers' passwords stay
    assert set(fake.containers) == {h.container for h in HOSTS}  # the containers are left alone


def test_down_metal_only_with_no_container_left_removes_the_inventory(
    fake: FakePodman, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(BACKENDS, "vm", MetalBackend())
    target = tmp_path / "lab"
    lab.up(METAL_HOSTS, target, steps()[0], keep_running=True)
    assert fake.containers == {}
    gone = lab.down(target, steps=steps()[0], only=("vm",))
    assert (gone.inventory_rewritten, gone.inventory_removed) == (False, True)
    assert not target.exists()
