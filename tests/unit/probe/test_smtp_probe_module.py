"""tier3.dc.tier3_smtp_probe's `listeners` form (several listeners in one call, as roles/postfix's verify probes
its four), against the real SMTP listeners of mailservers.py on 127.0.0.1: through ansible-playbook on localhost
(argument spec, results, failure), and the module's own functions. About 10 s."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from mailservers import HOST, SERVICE_NAME, StartServer, ThrowawayCA

from support import ROOT, load_by_path, localhost_play, run_playbook

TIMEOUT = 3.0
SINGLE_FORM_KEYS = {"greeting_code", "greeting", "ehlo_plain", "ehlo_tls", "auth_plain", "auth_tls", "tls_version",
                    "tls_cipher"}


PROBE = load_by_path("tier3_smtp_probe", ROOT / "plugins" / "modules" / "tier3_smtp_probe.py")


def play(tmp_path: Path, tasks: str, *extra: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """Run ``tasks`` on localhost; the run and the results of its tasks by name (the JSON callback's)."""
    playbook = tmp_path / "probe.yml"
    playbook.write_text(localhost_play("Probe | listeners on 127.0.0.1", yaml.safe_load(tasks)), encoding="utf-8")
    run, report = run_playbook(playbook, *extra)
    results = {task["task"]["name"]: task["hosts"]["localhost"]
               for each in report["plays"] for task in each["tasks"]}
    return run, results


@pytest.mark.parametrize("mode", [(), ("--check",)], ids=["run", "check"])
def test_listeners_in_one_call_in_order(tmp_path: Path, mail_server: StartServer, ca_file: Path,
                                        mode: tuple[str, ...]) -> None:
    mx = mail_server("smtp")
    proxied = mail_server("smtp", proxy_protocol=True)
    submission = mail_server("smtp", auth_before_tls=True)
    plain = mail_server("smtp", tls=False)
    run, results = play(tmp_path, f"""\
    - name: Probe | four listeners, one call
      tier3.dc.tier3_smtp_probe:
        ca_file: "{ca_file}"
        server_name: {SERVICE_NAME}
        timeout: {TIMEOUT}
        listeners:
          - {{port: {mx.port}}}
          - {{port: {proxied.port}, proxy_protocol: true}}
          - {{port: {submission.port}, host: {HOST}, helo: client.test.invalid}}
          - {{port: {plain.port}, starttls: false, ca_file: null}}

    - name: Probe | the single form, unchanged
      tier3.dc.tier3_smtp_probe:
        port: {mx.port}
        timeout: {TIMEOUT}
""", *mode)
    assert run.returncode == 0, run.stdout + run.stderr
    many = results["Probe | four listeners, one call"]
    assert (many["changed"], many.get("failed", False)) == (False, False)
    records = many["listeners"]
    assert [(r["host"], r["port"], r["proxy_protocol"], r["failed"], r["msg"]) for r in records] == [
        (HOST, mx.port, False, False, ""), (HOST, proxied.port, True, False, ""),
        (HOST, submission.port, False, False, ""), (HOST, plain.port, False, False, "")]
    assert all(SINGLE_FORM_KEYS.issubset(r) for r in records)
    assert [r["greeting_code"] for r in records] == [220] * 4
    assert records[0]["greeting"] == f"{SERVICE_NAME} ESMTP tier3-test"
    assert [("starttls" in r["ehlo_plain"]) for r in records] == [True, True, True, False]
    assert [r["tls_version"] for r in records] == ["TLSv1.3", "TLSv1.3", "TLSv1.3", ""]
    assert [(r["auth_plain"], r["auth_tls"]) for r in records] == [
        ([], ["LOGIN", "PLAIN"]), ([], ["LOGIN", "PLAIN"]), (["LOGIN", "PLAIN"], ["LOGIN", "PLAIN"]), ([], [])]
    # the PROXY v2 header named the probe's own connection, as HAProxy names the client
    (source,) = proxied.settled().proxied
    assert source[0] == HOST
    assert source[1] > 0
    # the single form returns the keys at the top, and no listeners
    single = results["Probe | the single form, unchanged"]
    assert SINGLE_FORM_KEYS.issubset(single)
    assert "listeners" not in single
    assert (single["greeting_code"], single["tls_version"]) == (220, "TLSv1.3")
    assert mx.settled().connections == 2


def test_a_listener_that_fails_fails_the_task_naming_it_and_the_rest_are_probed(
        tmp_path: Path, mail_server: StartServer, closed_port: int, ca_file: Path) -> None:
    before, after = mail_server("smtp"), mail_server("smtp")
    run, results = play(tmp_path, f"""\
    - name: Probe | a closed port among open ones
      tier3.dc.tier3_smtp_probe:
        timeout: {TIMEOUT}
        listeners:
          - {{port: {before.port}}}
          - {{port: {closed_port}}}
          - {{port: {after.port}}}
""")
    assert run.returncode == 2, run.stdout + run.stderr
    task = results["Probe | a closed port among open ones"]
    assert task["failed"] is True
    assert f"{HOST}:{closed_port}: ConnectionRefusedError: " in task["msg"]
    records = task["listeners"]
    assert [(r["port"], r["failed"], r["greeting_code"]) for r in records] == [
        (before.port, False, 220), (closed_port, True, 0), (after.port, False, 220)]
    assert records[1]["msg"].startswith(f"{HOST}:{closed_port}: ConnectionRefusedError: ")
    assert records[1]["msg"] in task["msg"]
    assert (records[1]["ehlo_plain"], records[1]["tls_version"]) == ([], "")
    assert after.settled().connections == 1  # probed after the failure


@pytest.mark.parametrize(("args", "message"), [
    ("port: 25\n        listeners: [{port: 25}]", "parameters are mutually exclusive: port|listeners"),
    ("host: 127.0.0.1", "one of the following is required: port, listeners"),
    ("listeners: [{host: 127.0.0.1}]", "missing required arguments: port found in listeners"),
    ("listeners: [{port: 25, sni: x}]", "Unsupported parameters"),
    ("listeners: []", "listeners: an empty list"),
])
def test_bad_arguments(tmp_path: Path, args: str, message: str) -> None:
    run, results = play(tmp_path, f"""\
    - name: Probe | bad arguments
      tier3.dc.tier3_smtp_probe:
        {args}
""")
    assert run.returncode == 2, run.stdout + run.stderr
    task = results["Probe | bad arguments"]
    assert message in task["msg"]
    assert "Traceback" not in task["msg"]


def test_an_entry_takes_the_top_level_options_it_leaves_out() -> None:
    top = {"host": "127.0.0.1", "port": None, "proxy_protocol": True, "starttls": True, "ca_file": "/ca.pem",
           "server_name": "mx.test", "helo": "localhost", "timeout": 15.0}
    assert PROBE.entry_params(top, {"port": 25, "host": None, "proxy_protocol": None, "starttls": None,
                                    "ca_file": None, "server_name": None, "helo": None, "timeout": None}) == {
        **top, "port": 25}
    # what an entry says wins, false included
    assert PROBE.entry_params(top, {"port": 587, "proxy_protocol": False, "starttls": False, "timeout": 2.0}) == {
        **top, "port": 587, "proxy_protocol": False, "starttls": False, "timeout": 2.0}


def test_each_listener_is_checked_against_its_own_name(mail_server: StartServer, ca: ThrowawayCA,
                                                      ca_file: Path) -> None:
    """A certificate that does not name the service fails its own entry only; another name for it passes."""
    other = mail_server("smtp", cert=ca.issue("probe-other", dns=("other.test.invalid",), ips=()))
    good = mail_server("smtp")
    top = {"host": HOST, "port": None, "proxy_protocol": False, "starttls": True, "ca_file": str(ca_file),
           "server_name": SERVICE_NAME, "helo": "localhost", "timeout": TIMEOUT}
    records = PROBE.probe_many(top, [{"port": other.port}, {"port": good.port},
                                     {"port": other.port, "server_name": "other.test.invalid"}])
    assert [(r["port"], r["failed"]) for r in records] == [(other.port, True), (good.port, False),
                                                           (other.port, False)]
    assert "SSLCertVerificationError" in records[0]["msg"]
    assert "Hostname mismatch" in records[0]["msg"] or "doesn't match" in records[0]["msg"]
    assert records[2]["tls_version"] == "TLSv1.3"
    assert isinstance(ssl.SSLCertVerificationError("x"), OSError)  # why PROBE_ERRORS catches it
