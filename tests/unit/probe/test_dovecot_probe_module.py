"""The tier3.dc.tier3_dovecot_probe module run for real through ansible-playbook on localhost (connection local)
against the listeners of mailservers.py on 127.0.0.1 (no mock): the single form as the roles have always called it,
and the O(probes) list form, one module run for several probes, whose results come back in order, a probe that
cannot connect or verify recorded in its entry instead of failing the call. About 5 s."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mailservers import HOST, StartServer, ThrowawayCA

from support import localhost_play, run_playbook

PASSWORD = "s3cret-probe-password"  # must appear nowhere in the run's output (the option is no_log)
TLS_1_2_PLUS = ("TLSv1.2", "TLSv1.3")


def probe_on_localhost(tmp: Path, *calls: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """Each call's arguments in a task of its own (failures ignored); each task's result, and the whole output."""
    playbook = tmp / "probe.yml"
    tasks = [{"name": f"probe {n}", "tier3.dc.tier3_dovecot_probe": args, "ignore_errors": True}
             for n, args in enumerate(calls)]
    playbook.write_text(localhost_play("Probe", tasks), encoding="utf-8")
    done, out = run_playbook(playbook, timeout=120)
    return [task["hosts"]["localhost"] for task in out["plays"][0]["tasks"]], done.stdout + done.stderr


def test_the_single_form_is_unchanged(mail_server: StartServer, ca_file: Path, closed_port: int,
                                       tmp_path: Path) -> None:
    imaps = mail_server("imaps")
    (ok, refused), _ = probe_on_localhost(
        tmp_path, {"protocol": "imaps", "host": HOST, "port": imaps.port, "ca_file": str(ca_file)},
        {"protocol": "lmtp", "host": HOST, "port": closed_port, "ca_file": str(ca_file), "timeout": 3})
    assert (ok.get("failed", False), ok["changed"]) == (False, False)
    assert ok["tls"]["version"] in TLS_1_2_PLUS
    assert ok["capabilities"] == ["AUTH=PLAIN", "IMAP4rev1", "SASL-IR"]
    assert "probes" not in ok
    assert "login" not in ok
    assert refused["failed"] is True
    assert refused["msg"].startswith(f"lmtp {HOST}:{closed_port}: ")
    assert "refused" in refused["msg"]


def test_the_list_form_runs_every_probe_in_order(mail_server: StartServer, ca: ThrowawayCA, ca_file: Path,
                                                 closed_port: int, tmp_path: Path) -> None:
    imaps, imap, lmtp = mail_server("imaps"), mail_server("imap"), mail_server("lmtp")
    stranger = mail_server("imaps", cert=ca.issue("stranger", self_signed=True))
    ca_path = str(ca_file)
    (result,), output = probe_on_localhost(tmp_path, {"probes": [
        {"protocol": "imaps", "host": HOST, "port": imaps.port, "ca_file": ca_path, "user": "alice@test.invalid",
         "password": PASSWORD},
        {"protocol": "imap", "host": HOST, "port": imap.port, "ca_file": ca_path},
        {"protocol": "lmtp", "host": HOST, "port": closed_port, "ca_file": ca_path, "timeout": 3},
        {"protocol": "imaps", "host": HOST, "port": stranger.port, "ca_file": ca_path},
        {"protocol": "lmtp", "host": HOST, "port": lmtp.port, "ca_file": ca_path},
        {"protocol": "tls", "host": HOST, "port": imaps.port, "ca_file": ca_path, "server_name": "mail.test.invalid"},
    ]})
    # a probe that failed does not fail the call: the later ones ran
    assert (result.get("failed", False), result["changed"]) == (False, False)
    records = result["probes"]
    assert [(r["protocol"], r["port"], r["failed"]) for r in records] == [
        ("imaps", imaps.port, False), ("imap", imap.port, False), ("lmtp", closed_port, True),
        ("imaps", stranger.port, True), ("lmtp", lmtp.port, False), ("tls", imaps.port, False)]
    assert {r["host"] for r in records} == {HOST}
    logged_in, starttls, refused, unverified, lhlo, handshake = records
    # each record holds what the single form returns for its protocol
    assert logged_in["tls"]["version"] in TLS_1_2_PLUS
    assert logged_in["login"] is False  # the test server has no users: LOGIN is answered BAD
    assert logged_in["msg"] == ""
    assert starttls["capabilities_before_tls"] == ["IMAP4rev1", "LOGINDISABLED", "SASL-IR", "STARTTLS"]
    assert starttls["plaintext_login"] == "BAD Error in IMAP command."
    assert starttls["capabilities"] == ["AUTH=PLAIN", "IMAP4rev1", "SASL-IR"]
    assert "login" not in starttls
    assert refused["msg"].startswith(f"lmtp {HOST}:{closed_port}: ")
    assert "refused" in refused["msg"]
    assert "tls" not in refused
    assert unverified["msg"] == f"{HOST}:{stranger.port}: certificate does not verify: self-signed certificate"
    assert lhlo["banner"] == "220 mail.test.invalid ESMTP tier3-test"
    assert "STARTTLS" in lhlo["capabilities_before_tls"]
    assert lhlo["tls"]["version"] in TLS_1_2_PLUS
    assert handshake["tls"]["version"] in TLS_1_2_PLUS
    # the entries' passwords are no_log like the single form's: masked in the invocation, nowhere in the output
    (invoked, *_) = result["invocation"]["module_args"]["probes"]
    assert invoked["password"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert PASSWORD not in output
    assert stranger.settled().connections == 1
    assert imaps.settled().connections == 2


def test_the_list_form_refuses_bad_arguments(tmp_path: Path) -> None:
    both, entry_without_host, neither, host_alone = (r["msg"] for r in probe_on_localhost(
        tmp_path,
        {"protocol": "imaps", "host": HOST, "probes": [{"protocol": "imaps", "host": HOST}]},
        {"probes": [{"protocol": "imaps"}]},
        {"port": 993},
        {"host": HOST})[0])
    assert "mutually exclusive" in both
    assert "probes|protocol" in both
    assert "missing required arguments: host" in entry_without_host
    assert "probes" in entry_without_host
    assert "one of the following is required: protocol, probes" in neither
    assert "parameters are required together: protocol, host" in host_alone
