"""The tier3.dc.tier3_evidence module: its whitelist is the engine's kind table, and run for real through
ansible-playbook on this machine (localhost, connection local; no command is mocked) it returns one record per
file and command, the same in check mode, cut at max_bytes but hashed whole, failing only on bad arguments.
About 4 s."""

from __future__ import annotations

import ast
import glob
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from tier3.inspect import Evidence, all_kinds

ROOT = Path(__file__).resolve().parents[3]
MODULE = ROOT / "plugins" / "modules" / "tier3_evidence.py"
ITEMS_FILE = ROOT / "plugins" / "module_utils" / "tier3_evidence_items.py"
ITEMS_IMPORT = "ansible_collections.tier3.dc.plugins.module_utils.tier3_evidence_items"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
BIN_DIRS = ("/usr/sbin", "/sbin", "/usr/bin", "/bin")  # where the module looks, besides PATH
KINDS = ["vip-holders", "lsblk", "mdstat", "postqueue", "mdadm-detail", "bonding"]
RECORD_KEYS = {"kind", "id", "source", "argv", "path", "item", "status", "rc", "text", "stderr", "sha256", "size",
               "truncated", "read_at", "detail"}
STABLE_KEYS = RECORD_KEYS - {"text", "sha256", "size", "read_at", "stderr"}  # outputs may change between two runs

PLAYBOOK = f"""\
---
- name: Evidence | this machine
  hosts: localhost
  gather_facts: false
  connection: local
  vars:
    ansible_python_interpreter: "{sys.executable}"
  tasks:
    - name: Evidence | the kinds
      tier3.dc.tier3_evidence:
        kinds: {json.dumps(KINDS)}

    - name: Evidence | whole before
      tier3.dc.tier3_evidence:
        kinds: [vip-holders]

    - name: Evidence | cut at 10 bytes
      tier3.dc.tier3_evidence:
        kinds: [vip-holders, ip-link]
        max_bytes: 10

    - name: Evidence | whole
      tier3.dc.tier3_evidence:
        kinds: [vip-holders]

    - name: Evidence | an unknown kind
      tier3.dc.tier3_evidence:
        kinds: [mdstat, pop3]
      failed_when: false

    - name: Evidence | no kind
      tier3.dc.tier3_evidence:
        kinds: []
      failed_when: false

    - name: Evidence | a negative max_bytes
      tier3.dc.tier3_evidence:
        kinds: [mdstat]
        max_bytes: -1
      failed_when: false

    - name: Evidence | a zero timeout
      tier3.dc.tier3_evidence:
        kinds: [mdstat]
        timeout: 0
      failed_when: false
"""


def load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ITEMS: dict[str, tuple[dict[str, Any], ...]] = load(ITEMS_FILE, "tier3_evidence_items").ITEMS


def host_item(evidence: Evidence) -> dict[str, Any]:
    """An Evidence of the kind table as the module's whitelist writes it."""
    assert bool(evidence.path) != bool(evidence.argv), f"{evidence}: a file or a command, never both or neither"
    assert not (evidence.path and evidence.each), f"{evidence}: a file item is its own glob"
    return {"path": evidence.path} if evidence.path else {"argv": list(evidence.argv), "each": evidence.each}


def documented(name: str) -> Any:
    """DOCUMENTATION or RETURN of the module, read as ansible-doc reads it (without importing the module)."""
    for node in ast.parse(MODULE.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            assert isinstance(node.value, ast.Constant)
            return yaml.safe_load(node.value.value)
    raise AssertionError(f"{MODULE.name} has no {name}")


def ip_names() -> set[str]:
    done = subprocess.run(["ip", "-j", "addr"], capture_output=True, check=True, timeout=10)
    return {link["ifname"] for link in json.loads(done.stdout)}


def installed(command: str) -> bool:
    path = os.pathsep.join([os.environ.get("PATH", ""), *BIN_DIRS])
    return shutil.which(command, path=path) is not None


class Play:
    """One ansible-playbook run of PLAYBOOK (json callback): the task results by task name."""

    def __init__(self, tmp: Path, *extra: str) -> None:
        playbook = tmp / "evidence.yml"
        playbook.write_text(PLAYBOOK, encoding="utf-8")
        env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
               "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"}
        self.names_before = ip_names()
        self.started = time.time()
        done = subprocess.run([str(ANSIBLE_PLAYBOOK), "-i", "localhost,", str(playbook), *extra], cwd=ROOT, env=env,
                              capture_output=True, text=True, check=False, timeout=120)
        self.names_after = ip_names()
        assert done.returncode == 0, done.stdout + done.stderr
        out = json.loads(done.stdout)
        self.results = {t["task"]["name"].removeprefix("Evidence | "): t["hosts"]["localhost"]
                        for t in out["plays"][0]["tasks"]}
        self.stats = out["stats"]["localhost"]

    def records(self, task: str, kind: str) -> list[dict[str, Any]]:
        return [r for r in self.results[task]["evidence"] if r["kind"] == kind]

    def one(self, task: str, kind: str) -> dict[str, Any]:
        records = self.records(task, kind)
        assert len(records) == 1, records
        return records[0]


@pytest.fixture(scope="module")
def plays(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Play]:
    """The playbook run, and run with --check, side by side."""
    with ThreadPoolExecutor(2) as pool:
        run = pool.submit(Play, tmp_path_factory.mktemp("run"))
        check = pool.submit(Play, tmp_path_factory.mktemp("check"), "--check")
        return {"run": run.result(), "check": check.result()}


# ---- the whitelist ----------------------------------------------------------------------------


def test_the_whitelist_is_the_kind_table() -> None:
    expected = [(name, tuple(host_item(e) for e in kind.evidence)) for name, kind in all_kinds().items()
                if kind.evidence]
    assert list(ITEMS.items()) == expected  # same kinds, same items, same order


def test_the_documented_choices_are_the_whitelist() -> None:
    assert documented("DOCUMENTATION")["options"]["kinds"]["choices"] == list(ITEMS)
    assert set(documented("RETURN")["evidence"]["contains"]) == RECORD_KEYS


# ---- on this machine --------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["run", "check"])
def test_one_call_returns_every_item_in_the_order_asked(plays: dict[str, Play], mode: str) -> None:
    play = plays[mode]
    result = play.results["the kinds"]
    assert result["changed"] is False
    assert "skipped" not in result  # check mode is supported, not skipped
    assert result["kinds"] == KINDS
    assert play.started <= result["collected_at"] <= time.time()
    kinds = [r["kind"] for r in result["evidence"]]
    assert sorted(set(kinds), key=kinds.index) == KINDS
    assert kinds == sorted(kinds, key=KINDS.index)  # grouped by kind, in the order asked
    read_at = [r["read_at"] for r in result["evidence"]]
    assert read_at == sorted(read_at)
    assert read_at[0] >= result["collected_at"]
    for record in result["evidence"]:
        assert set(record) == RECORD_KEYS, record
    assert play.stats["changed"] == 0
    assert play.stats["failures"] == 0


@pytest.mark.parametrize("mode", ["run", "check"])
def test_the_commands_here_are_read_and_hashed(plays: dict[str, Play], mode: str) -> None:
    play = plays[mode]
    vips = play.one("the kinds", "vip-holders")
    assert (vips["argv"], vips["id"], vips["path"], vips["item"]) == (["ip", "-j", "addr"], "ip -j addr", None, None)
    assert (vips["source"], vips["status"], vips["rc"], vips["truncated"], vips["detail"]) == \
           ("command", "ok", 0, False, "")
    names = {link["ifname"] for link in json.loads(vips["text"])}
    stable = play.names_before & play.names_after  # the lab may add or drop veths meanwhile
    assert "lo" in names
    assert stable <= names <= play.names_before | play.names_after
    raw = vips["text"].encode("utf-8")
    assert vips["sha256"] == hashlib.sha256(raw).hexdigest()
    assert vips["size"] == len(raw)

    lsblk = play.one("the kinds", "lsblk")
    assert (lsblk["id"], lsblk["status"], lsblk["rc"]) == ("lsblk -J -O", "ok", 0)
    assert isinstance(json.loads(lsblk["text"])["blockdevices"], list)
    assert lsblk["sha256"] == hashlib.sha256(lsblk["text"].encode("utf-8")).hexdigest()


@pytest.mark.parametrize("mode", ["run", "check"])
def test_what_this_machine_lacks_is_missing_or_none(plays: dict[str, Play], mode: str) -> None:
    play = plays[mode]
    queue = play.one("the kinds", "postqueue")
    assert (queue["argv"], queue["id"], queue["source"]) == (["postqueue", "-j"], "postqueue -j", "command")
    if installed("postqueue"):
        assert queue["status"] in {"ok", "failed"}
        assert isinstance(queue["rc"], int)
    else:
        assert (queue["status"], queue["detail"]) == ("missing", "postqueue: not installed")
        assert (queue["rc"], queue["sha256"], queue["size"], queue["text"]) == (None, None, None, "")

    mdstat = play.one("the kinds", "mdstat")
    assert (mdstat["source"], mdstat["path"], mdstat["id"], mdstat["argv"]) == \
           ("file", "/proc/mdstat", "/proc/mdstat", None)
    if Path("/proc/mdstat").exists():
        assert (mdstat["status"], mdstat["rc"], mdstat["detail"]) == ("ok", None, "")
        assert mdstat["text"].startswith("Personalities :")  # a resync may change the rest between two reads
        assert mdstat["sha256"] == hashlib.sha256(mdstat["text"].encode("utf-8")).hexdigest()
    else:
        assert (mdstat["status"], mdstat["detail"]) == ("missing", "/proc/mdstat: no such file")
        assert (mdstat["sha256"], mdstat["size"]) == (None, None)

    arrays = play.records("the kinds", "mdadm-detail")
    devices = sorted(glob.glob("/dev/md[0-9]*"))
    if not devices:
        assert [(r["status"], r["detail"], r["item"], r["rc"]) for r in arrays] == \
               [("none", "nothing matches /dev/md[0-9]*", None, None)]
    else:
        assert [r["item"] for r in arrays] == devices
        assert [r["argv"] for r in arrays] == [["mdadm", "--detail", d] for d in devices]
        expected = {"ok", "failed"} if installed("mdadm") else {"missing"}
        assert {r["status"] for r in arrays} <= expected

    bonds = play.records("the kinds", "bonding")
    found = sorted(glob.glob("/proc/net/bonding/*"))
    if not found:
        assert [(r["status"], r["detail"], r["path"]) for r in bonds] == \
               [("none", "nothing matches /proc/net/bonding/*", "/proc/net/bonding/*")]
    else:
        assert [(r["path"], r["status"]) for r in bonds] == [(f, "ok") for f in found]


def test_check_mode_gives_the_same_records(plays: dict[str, Play]) -> None:
    run, check = plays["run"].results["the kinds"], plays["check"].results["the kinds"]
    assert check["changed"] is False
    assert [{k: r[k] for k in STABLE_KEYS} for r in check["evidence"]] == \
           [{k: r[k] for k in STABLE_KEYS} for r in run["evidence"]]
    for before, after in zip(run["evidence"], check["evidence"], strict=True):
        if before["status"] in {"missing", "none"}:  # nothing read: nothing that could change
            assert {**after, "read_at": 0} == {**before, "read_at": 0}


def test_max_bytes_cuts_the_text_and_hashes_the_whole(plays: dict[str, Play]) -> None:
    play = plays["run"]
    before, cut, whole = (play.one(task, "vip-holders") for task in ("whole before", "cut at 10 bytes", "whole"))
    assert (cut["status"], cut["truncated"], cut["text"]) == ("ok", True, '[{"ifindex')
    assert whole["truncated"] is False
    assert whole["size"] == len(whole["text"].encode("utf-8")) > 10
    assert cut["sha256"] != hashlib.sha256(b'[{"ifindex').hexdigest()
    # the cut read lies between two whole reads: where those two agree, the machine's addresses did not change
    # around it, and the cut item must carry the whole output's size (and, byte for byte, its hash)
    if before["size"] == whole["size"]:
        assert cut["size"] == whole["size"]
    if before["text"] == whole["text"]:
        assert cut["sha256"] == whole["sha256"] == hashlib.sha256(whole["text"].encode("utf-8")).hexdigest()

    link = play.one("cut at 10 bytes", "ip-link")  # a bridge's gc_timer ticks: no second read to compare with
    assert (link["status"], link["truncated"], link["text"]) == ("ok", True, "1: lo: <LO")
    assert link["size"] > 10


@pytest.mark.parametrize(("task", "message"), [
    ("an unknown kind", "value of kinds must be one or more of: " + ", ".join(ITEMS) + ". Got no match for: pop3"),
    ("no kind", "kinds: name at least one of: " + ", ".join(ITEMS)),
    ("a negative max_bytes", "max_bytes: must be at least 0, got -1"),
    ("a zero timeout", "timeout: must be at least 1 second, got 0"),
])
def test_bad_arguments_fail_naming_what_is_accepted(plays: dict[str, Play], task: str, message: str) -> None:
    for play in plays.values():
        result = play.results[task]
        assert result["failed_when_result"] is False
        assert result["msg"] == message
        assert "evidence" not in result


# ---- in process: what no whitelisted command does here -------------------------------------------


@pytest.fixture
def evidence_module(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """plugins/modules/tier3_evidence.py imported here, its whitelist import served by the real file."""
    monkeypatch.setitem(sys.modules, ITEMS_IMPORT, load(ITEMS_FILE, ITEMS_IMPORT))
    return load(MODULE, "tier3_evidence")


def test_a_command_past_its_timeout_is_killed_with_what_it_started(evidence_module: ModuleType) -> None:
    started = time.monotonic()
    rc, out, err, detail = evidence_module.run("/bin/sh", ["sh", "-c", "echo begun; sleep 30 & sleep 30"], 1)
    assert time.monotonic() - started < 5  # the background sleep holding stdout was killed too
    assert (rc, out, err, detail) == (None, b"begun\n", b"", "timed out after 1 s")


@pytest.mark.parametrize(("raw", "truncated", "text"), [
    ("grün".encode(), False, "grün"),
    ("grün".encode()[:3], True, "gr"),  # the cut split ü: dropped, not replaced
    (b"gr\xfcn", False, "gr\ufffdn"),  # not UTF-8: replaced
])
def test_text_is_utf8_replaced_and_a_split_character_dropped(
        evidence_module: ModuleType, raw: bytes, truncated: bool, text: str) -> None:
    assert evidence_module.decoded(raw, truncated) == text
