"""Every Molecule platform runs like a lab container: the same image, runtime, systemd mode,
rlimits, cgroup manager and capabilities as the ``podman run`` the lab itself issues.

The expected values come from ``tier3.lab.podman.run_args`` (the lab's real command line), not
from a copy: change an option of the lab and every molecule/*/molecule.yml must follow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tier3.lab.hosts import HOSTS, NETWORK, PREFIX, LabHost
from tier3.lab.podman import run_args
from tier3.lab.recipe import CURRENT_TAG, IMAGE_NAME

ROOT = Path(__file__).resolve().parents[3]
SCENARIOS = sorted((ROOT / "molecule").glob("*/molecule.yml"))
MOLECULE_IMAGE = f"{IMAGE_NAME}:{CURRENT_TAG}"  # the moving tag `tier3 lab image` keeps on the newest build
# podman run options that differ per container by design (a scenario has its own name and network)
PER_CONTAINER = {"--detach", "--name", "--hostname", "--network", "--ip", "--label"}
WITH_VALUE = {"--name", "--hostname", "--runtime", "--network", "--ip", "--label", "--ulimit", "--cap-add",
              "--cgroup-manager", "--systemd", "--security-opt"}


def parse_options(tokens: list[str]) -> dict[str, list[str]]:
    """``--opt value`` / ``--opt=value`` / ``--flag`` -> option -> values (a flag's value is "")."""
    options: dict[str, list[str]] = {}
    rest = iter(tokens)
    for token in rest:
        assert token.startswith("--"), f"not an option: {token}"
        name, sep, value = token.partition("=")
        if not sep:
            value = next(rest) if name in WITH_VALUE else ""
        options.setdefault(name, []).append(value)
    return options


def one(options: dict[str, list[str]], name: str) -> str | None:
    values = options.get(name)
    return values[-1] if values else None


def lab_options(host: LabHost) -> dict[str, Any]:
    """What the lab runs for ``host``, from its own command line."""
    args = run_args(host, MOLECULE_IMAGE)
    assert args[:1] == ["run"]
    *tokens, image, command = args[1:]
    options = parse_options(tokens)
    compared = {"--runtime", "--systemd", "--ulimit", "--cap-add", "--cgroup-manager", "--privileged"}
    unknown = set(options) - compared - PER_CONTAINER
    assert not unknown, f"the lab runs with {sorted(unknown)}: teach this test (and molecule.yml) about it"
    return {
        "image": image,
        "command": command,
        "runtime": one(options, "--runtime"),
        "systemd": one(options, "--systemd"),
        "cgroup_manager": one(options, "--cgroup-manager"),
        "privileged": "--privileged" in options,
        "ulimits": sorted(options.get("--ulimit", [])),
        "capabilities": sorted(options.get("--cap-add", [])),
    }


def molecule_options(platform: dict[str, Any]) -> dict[str, Any]:
    """What the Podman driver of molecule-plugins runs for ``platform`` (its create playbook)."""
    extra = parse_options([str(o) for o in platform.get("extra_opts", [])])
    unknown = set(extra) - {"--runtime", "--cgroup-manager"}
    assert not unknown, f"{platform['name']}: extra_opts {sorted(unknown)} that no lab container has"
    image = str(platform["image"])
    return {
        "image": image if platform.get("pre_build_image") else f"molecule_local/{image}",
        "command": platform.get("command"),
        "runtime": one(extra, "--runtime"),
        "systemd": platform.get("systemd"),
        "cgroup_manager": platform.get("cgroup_manager", one(extra, "--cgroup-manager")),
        "privileged": bool(platform.get("privileged", False)),
        "ulimits": sorted(platform.get("ulimits", [])),
        "capabilities": sorted(platform.get("capabilities", [])),
    }


def platforms() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    rows = []
    for path in SCENARIOS:
        scenario = yaml.safe_load(path.read_text(encoding="utf-8"))
        rows += [(path.parent.name, scenario, platform) for platform in scenario["platforms"]]
    return rows


def test_there_is_a_scenario() -> None:
    assert platforms(), "no molecule/*/molecule.yml platform found"


@pytest.mark.parametrize(("scenario", "config", "platform"), platforms(),
                         ids=[f"{s}:{p['name']}" for s, _, p in platforms()])
def test_platform_runs_like_a_lab_container(scenario: str, config: dict[str, Any], platform: dict[str, Any]) -> None:
    actual = molecule_options(platform)
    # the lab host with the same capabilities (a service host, or a load balancer with SYS_ADMIN)
    alike = [h for h in HOSTS if sorted(h.capabilities) == actual["capabilities"]]
    assert alike, f"{scenario}: capabilities {actual['capabilities']} are no lab host's: " + str(
        sorted({tuple(sorted(h.capabilities)) for h in HOSTS}))
    assert actual == lab_options(alike[0])


@pytest.mark.parametrize(("scenario", "config", "platform"), platforms(),
                         ids=[f"{s}:{p['name']}" for s, _, p in platforms()])
def test_platform_keeps_out_of_the_lab(scenario: str, config: dict[str, Any], platform: dict[str, Any]) -> None:
    """Its own name and network: `molecule destroy` removes the network it names (docs/lab.md, pitfalls)."""
    assert not str(platform["name"]).startswith(PREFIX)
    assert platform.get("network") not in (None, NETWORK), scenario
    assert config["dependency"] == {"name": "shell", "command": "tier3 lab image"}  # builds MOLECULE_IMAGE


def test_parse_options() -> None:
    assert parse_options(["--runtime=runc", "--cap-add", "NET_RAW", "--detach", "--ulimit", "a", "--ulimit", "b"]) == {
        "--runtime": ["runc"], "--cap-add": ["NET_RAW"], "--detach": [""], "--ulimit": ["a", "b"]}
