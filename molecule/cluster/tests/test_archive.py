"""The mail archive on the converged lab: mail sent through the MX VIP is journaled to both archive hosts,
encrypted to the lab reader's key (decrypted here with the identity only the machine holds), immutable once
sealed, verified clean by the T3-OBS-ARC rules, and reconciled with what the MX pair's Postfix logged; with
one archive host's Postfix down, its copies wait in the MX queue and arrive, every one, once it is back.
"""

from __future__ import annotations

import email
import json
import smtplib
import subprocess
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, Lab, podman_exec, wait_for
from tier3.archive.verify import verify_snapshot
from tier3.ledger.retention import Policy

ARCHIVES = ("archive1", "archive2")
STORE = "/var/lib/tier3-archive"
IDENTITY = ROOT / ".cache" / "lab" / "archive-identity.txt"
BATCH = 5
WAIT_S = 90


def send(lab: Lab, count: int, tag: str) -> list[str]:
    """``count`` messages from the outside to alice through the MX VIP; their Message-IDs."""
    ids = []
    with smtplib.SMTP(lab.vip("smtp"), 25, timeout=10) as smtp:
        smtp.starttls()
        for n in range(count):
            msg = EmailMessage()
            msg["From"] = "partner@example.org"
            msg["To"] = f"alice@{lab.domain}"
            msg["Subject"] = f"tier3 archive test {tag} {n}"
            msg["Message-ID"] = f"<{tag}-{n}@tier3.test>"
            msg.set_content(f"archive {tag} {n}\n")
            smtp.send_message(msg, to_addrs=[f"alice@{lab.domain}", f"bob@{lab.domain}"])
            ids.append(str(msg["Message-ID"]))
    return ids


def snapshot(host: str) -> dict[str, Any]:
    done = podman_exec(host, "/usr/local/bin/tier3-archive", "snapshot", "--store", STORE)
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def archived_ids(host: str) -> set[str]:
    return {json.loads(line).get("message_id", "") for line in snapshot(host)["log"] if '"kind":"ingest"' in line}


def seal(host: str) -> None:
    podman_exec(host, "/usr/local/bin/tier3-archive", "seal", "--store", STORE, "--key",
                "/etc/tier3-archive/head-signing.key", "--host", host)


def accepted_ids(tag: str) -> set[str]:
    """The Message-IDs the MX pair's cleanup logged for this test's messages (what Postfix accepted)."""
    found = set()
    for host in ("mx1", "mx2"):
        journal = podman_exec(host, "journalctl", "--no-pager", "-o", "cat", "-t", "postfix/cleanup",
                              "--since", "-30min").stdout
        found |= {line.split("message-id=", 1)[1].strip() for line in journal.splitlines()
                  if f"message-id=<{tag}-" in line}
    return found


def test_every_accepted_message_is_in_both_archives_encrypted_immutable_and_verified(lab: Lab) -> None:
    tag = f"arc-{uuid.uuid4().hex[:8]}"
    ids = set(send(lab, BATCH, tag))
    for host in ARCHIVES:
        wait_for(f"{BATCH} journal copies on {host}", lambda h=host: ids <= archived_ids(h), WAIT_S)
    assert accepted_ids(tag) == ids  # reconciled: what Postfix accepted is what both archives hold
    policy = Policy.from_data(lab.all_vars["tier3_archive"]["retention"])
    for host in ARCHIVES:
        seal(host)
        taken = snapshot(host)
        verdict = verify_snapshot(taken, source=host, policy=policy)
        assert [f"{f.rule_id} {f.subject}: {f.message}" for f in verdict.findings] == []
        entries = [json.loads(line) for line in taken["log"] if '"kind":"ingest"' in line]
        ours = [e for e in entries if e["message_id"] in ids]
        assert len(ours) == BATCH
        assert {tuple(e["recipients"]) for e in ours} == {(f"alice@{lab.domain}", f"bob@{lab.domain}")}
        assert {e["retain_until"][:4] for e in ours} == {str(int(e["time"][:4]) + 30) for e in ours}  # alice: 30y
        objects = {o["name"]: o for o in taken["objects"]}
        assert all(objects[e["object"]]["encrypted"] and objects[e["object"]]["immutable"] for e in ours)
        ciphertext = _raw(host, ours[0]["object"])
        assert ours[0]["message_id"].encode() not in ciphertext
        clear = subprocess.run(["age", "--decrypt", "-i", str(IDENTITY)], input=ciphertext, capture_output=True,
                               check=True).stdout
        assert ours[0]["message_id"].encode() in clear
        hop = str(email.message_from_bytes(clear).get_all("Received", [])[0])  # the MX -> archive hop, added last
        assert f"by {host}" in hop
        assert "using TLSv1." in hop  # the journal copy travelled encrypted (smtpd_tls_security_level=encrypt)


def _raw(host: str, address: str) -> bytes:
    path = f"{STORE}/objects/{address[:2]}/{address[2:]}"
    return subprocess.run(["podman", "exec", f"tier3-lab-{host}", "cat", path], capture_output=True, check=True,
                          timeout=30).stdout


@pytest.fixture
def archive2_postfix_stopped() -> Any:
    podman_exec("archive2", "systemctl", "stop", "postfix")
    yield
    podman_exec("archive2", "systemctl", "start", "postfix")


@pytest.mark.usefixtures("archive2_postfix_stopped")
def test_copies_for_an_archive_host_that_is_down_wait_and_arrive(lab: Lab) -> None:
    tag = f"down-{uuid.uuid4().hex[:8]}"
    ids = set(send(lab, BATCH, tag))
    wait_for(f"{BATCH} journal copies on archive1", lambda: ids <= archived_ids("archive1"), WAIT_S)
    assert not ids & archived_ids("archive2")
    queued = sum(podman_exec(mx, "postqueue", "-j").stdout.count("archive2.") for mx in ("mx1", "mx2"))
    assert queued >= BATCH  # each copy for archive2 waits in the MX queue
    podman_exec("archive2", "systemctl", "start", "postfix")
    for mx in ("mx1", "mx2"):
        podman_exec(mx, "postqueue", "-f")
    wait_for(f"the {BATCH} waiting copies on archive2", lambda: ids <= archived_ids("archive2"), WAIT_S)
    print(f"archive1 {len(ids & archived_ids('archive1'))}/{BATCH}, archive2 {len(ids & archived_ids('archive2'))}"
          f"/{BATCH} after archive2's Postfix came back ({queued} copies had waited in the MX queue)")
    seal("archive2")
    assert verify_snapshot(snapshot("archive2"), source="archive2").findings == ()


def test_the_lab_reader_identity_is_never_on_an_archive_host() -> None:
    key = IDENTITY.read_text().split("AGE-SECRET-KEY-", 1)[1].strip()
    for host in ARCHIVES:
        found = podman_exec(host, "grep", "-rlF", key[:20], "/etc", STORE, "/usr/local", check=False)
        assert found.returncode == 1, f"{host} holds the reader's private key: {found.stdout}"
    assert Path(IDENTITY).stat().st_mode & 0o077 == 0
