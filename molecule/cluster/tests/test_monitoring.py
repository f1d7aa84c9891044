"""The lab's monitoring, from the machine: Prometheus scrapes every target, a Postfix queue filled past
its threshold fires the queue-depth alert in Alertmanager within the rule's ``for`` window and resolves
when the queue drains, and a mail service killed with SIGKILL is restarted by systemd, the restart
counted in Prometheus; after Dovecot's, replication recovers (the syncs to the killed peer failed
meanwhile, and Dovecot retries a failed user only minutes later, so the test asks once and waits).

The queue fills with mail to the outside peer (outside.test, a transport in the lab's tier3_mail) while
its smtp-sink is stopped: a destination inside the lab that refuses connections, so each message is
deferred on the MX that took it. Alertmanager's notifications go to the alert sink on the client peer
(playbooks/lab.yml), a real HTTP receiver standing in for a pager; the tests read what it was sent.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import time
import urllib.parse
import urllib.request
import uuid
from email.message import EmailMessage
from typing import Any

import pytest

from conftest import Lab, podman_exec, replication_settled, wait_for

ALERT = "Tier3MailQueueDepth"
OUTSIDE_SINK = "tier3-lab-sink.service"


def _duration(text: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    for suffix in ("ms", "s", "m", "h", "d"):
        if text.endswith(suffix) and text[: -len(suffix)].isdigit():
            return int(text[: -len(suffix)]) * units[suffix]
    raise AssertionError(f"not a duration: {text!r}")


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def servers(lab: Lab) -> list[str]:
    return [h for h in lab.service_hosts if h.startswith("mon")]


def prometheus(lab: Lab) -> str:
    return f"http://{lab.address(servers(lab)[0])}:9090"


def alertmanager(lab: Lab, host: str | None = None) -> str:
    return f"http://{lab.address(host or servers(lab)[0])}:9093"


def query(lab: Lab, expression: str) -> list[dict[str, Any]]:
    found = get_json(f"{prometheus(lab)}/api/v1/query?" + urllib.parse.urlencode({"query": expression}))
    assert found["status"] == "success", found
    return list(found["data"]["result"])


def active_alerts(lab: Lab, host: str | None = None) -> list[dict[str, Any]]:
    url = f"{alertmanager(lab, host)}/api/v2/alerts?" + urllib.parse.urlencode({"filter": f'alertname="{ALERT}"'})
    return [a for a in get_json(url) if a["status"]["state"] == "active"]


def notifications(lab: Lab) -> list[dict[str, Any]]:
    client = next(h for h, v in lab.host_vars.items() if not v.get("tier3_host") and h == "client")
    with urllib.request.urlopen(f"http://{lab.address(client)}:9099/alerts", timeout=10) as response:
        lines = response.read().decode().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def queued(host: str) -> int:
    out = podman_exec(host, "postqueue", "-j").stdout
    return sum(1 for line in out.splitlines() if line.strip())


# Alertmanager's --cluster.peer-timeout (its default): the peer at position N of the cluster waits N times
# this before it sends what the peers before it should have sent
PEER_TIMEOUT_S = 15.0


def _mine(lab: Lab, since: int) -> list[dict[str, Any]]:
    """The sink's notifications after the first ``since`` that carry the queue-depth alert."""
    return [n for n in notifications(lab)[since:] if any(a["labels"]["alertname"] == ALERT for a in n["alerts"])]


def _told(notification: dict[str, Any]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """What a notification tells the pager: its status and each alert's instance and status. Two
    Alertmanagers of one cluster that both sent a group's flush send the same."""
    return notification["status"], tuple(sorted((a["labels"].get("instance", ""), a["status"])
                                                for a in notification["alerts"]))


def _wait_for_notification(lab: Lab, status: str, since: int) -> tuple[list[dict[str, Any]], float]:
    """Wait until the sink holds a notification of the queue-depth alert with ``status``, after its first
    ``since``; return the sink's notifications of that alert and the seconds it took. A group flushes every
    group_interval, and a cluster peer sends what the peers before it should have sent only after its peer
    timeout; a miss fails with what each Alertmanager says it sent, and what it logged."""
    budget = _duration(lab.all_vars["tier3_monitoring"]["group_interval"]) + len(servers(lab)) * PEER_TIMEOUT_S + 10
    try:
        return wait_for(f"the {status} notification of {ALERT} at the sink", lambda: (
            (mine := _mine(lab, since)) and any(n["status"] == status for n in mine) and mine), budget)
    except pytest.fail.Exception as failed:
        pytest.fail(f"{failed}\n{_delivery_state(lab, since)}")


def test_prometheus_scrapes_every_target_and_alertmanager_is_one_cluster(lab: Lab) -> None:
    def all_up() -> list[dict[str, Any]] | None:
        targets = get_json(f"{prometheus(lab)}/api/v1/targets")["data"]["activeTargets"]
        return targets if targets and all(t["health"] == "up" for t in targets) else None

    targets, _ = wait_for("every scrape target up", all_up, 90)
    jobs = {t["labels"]["job"] for t in targets}
    assert {"node", "haproxy", "dovecot", "prometheus", "alertmanager"} <= jobs
    scraped = {t["labels"]["instance"] for t in targets if t["labels"]["job"] == "node"}
    assert scraped == set(lab.service_hosts)
    for host in servers(lab):
        status = get_json(f"{alertmanager(lab, host)}/api/v2/status")
        assert len(status["cluster"]["peers"]) == len(servers(lab)), status["cluster"]


def _fill_queue(lab: Lab, count: int) -> None:
    """``count`` messages to the outside peer in one authenticated submission session (one MX takes them all)."""
    context = ssl.create_default_context(cafile=lab.ca_file)
    sender = f"alice@{lab.domain}"
    with smtplib.SMTP(lab.vip("submission"), 587, timeout=30) as smtp:
        smtp.starttls(context=context)
        smtp.login(sender, lab.password(sender))
        for n in range(count):
            message = EmailMessage()
            message["From"], message["To"] = sender, f"queue-test-{n}@outside.test"
            message["Subject"] = f"tier3 queue-depth test {uuid.uuid4()}"
            message.set_content("Deferred on purpose: the outside peer is stopped.\n")
            smtp.send_message(message)


def test_a_queue_past_its_threshold_fires_the_alert_and_it_resolves_when_the_queue_drains(lab: Lab) -> None:
    threshold = lab.all_vars["tier3_monitoring"]["thresholds"]["queue_depth"]
    window = _duration(threshold["for"])
    interval = _duration(lab.all_vars["tier3_monitoring"]["scrape_interval"])
    mx = [h for h in lab.host_vars if h.startswith("mx")]
    assert not active_alerts(lab), "the queue-depth alert is firing before the test"
    started_notifications = len(notifications(lab))
    podman_exec("outside", "systemctl", "stop", OUTSIDE_SINK)
    try:
        _fill_queue(lab, int(threshold["above"]) + 3)
        wait_for("the queue past its threshold",
                               lambda: max(queued(h) for h in mx) > int(threshold["above"]), 60)
        # the alert fires after `for` of the rule past the threshold, plus a scrape, a rule evaluation and
        # Alertmanager's group_wait: what a slower alert would miss is the rule, not the lab
        budget = window + 3 * interval + _duration(lab.all_vars["tier3_monitoring"]["group_wait"]) + 15
        firing, fired_s = wait_for(f"{ALERT} active in Alertmanager", lambda: active_alerts(lab), budget)
        print(f"\n{ALERT} active {fired_s:.0f} s after the queue passed {threshold['above']} "
              f"(for: {threshold['for']}):\n{json.dumps(firing, indent=2, sort_keys=True)}")
        assert fired_s >= window - interval, f"fired after {fired_s:.0f} s, before the rule's for ({threshold['for']})"
        assert firing[0]["labels"]["severity"]
        assert firing[0]["annotations"]["runbook_url"].endswith(f"{ALERT}.md")
        for host in servers(lab)[1:]:  # the other Alertmanager of the cluster has it too
            wait_for(f"{ALERT} on {host}", lambda h=host: active_alerts(lab, h), 30)  # type: ignore[misc]
        # the queue stays full until the pager was told: an alert that fired and resolved between two
        # flushes of its group is never notified (Alertmanager's dedup stage: the receiver never knew of
        # it), and the group of an alert notified before (an earlier fill of the queue, in a drill or
        # another test) flushes only every group_interval, not after group_wait
        _, told_s = _wait_for_notification(lab, "firing", started_notifications)
        print(f"firing notification at the sink {told_s:.0f} s after both Alertmanagers held the alert")
    finally:
        podman_exec("outside", "systemctl", "start", OUTSIDE_SINK)
        for host in mx:
            podman_exec(host, "postqueue", "-f")
    wait_for("the queue drained", lambda: all(queued(h) == 0 for h in mx), 120)

    def resolved_everywhere() -> bool:
        rules = [a for a in get_json(f"{prometheus(lab)}/api/v1/alerts")["data"]["alerts"]
                 if a["labels"]["alertname"] == ALERT]
        return not rules and not any(active_alerts(lab, h) for h in servers(lab))

    try:
        _, resolved_s = wait_for(f"{ALERT} resolved in Prometheus and every Alertmanager", resolved_everywhere, 120)
    except pytest.fail.Exception as failed:  # say what each part saw, so a failure names its stage
        pytest.fail(f"{failed}\n{_state(lab, mx, started_notifications)}")
    print(f"\n{ALERT} resolved {resolved_s:.0f} s after the queue drained:\n{_state(lab, mx, started_notifications)}")
    RESOLVED["sink_before_test"] = started_notifications


# how many notifications the sink held before the queue-depth test, once that test saw the alert resolve
RESOLVED: dict[str, int] = {}


def test_the_receiver_got_one_firing_and_one_resolved_notification(lab: Lab) -> None:
    since = RESOLVED.get("sink_before_test")
    assert since is not None, "the queue-depth test did not get as far as the resolution"
    # Alertmanager drops a resolved alert from its active list at once, but notifies it at the group's next flush
    mine, took_s = _wait_for_notification(lab, "resolved", since)
    print(f"\nresolved notification at the sink {took_s:.0f} s after the alert left Alertmanager's active list")
    assert mine[0]["status"] == "firing", json.dumps(mine)
    assert mine[-1]["status"] == "resolved", json.dumps(mine)
    assert [a["status"] for a in mine[-1]["alerts"]] == ["resolved"] * len(mine[-1]["alerts"])
    # one notification per change of the group, not one per Alertmanager: the cluster deduplicates. (A
    # group may change while it fires: Prometheus re-sends an alert resolved earlier, for 15 minutes, and
    # that resolution is news to the receiver, so a second firing notification may follow; never the same
    # notification twice.)
    told = [_told(n) for n in mine]
    assert len(set(told)) == len(told), f"a notification sent twice: {json.dumps(mine)}"


def _delivery_state(lab: Lab, since: int) -> str:
    sent = notifications(lab)
    lines = [f"sink since the test began: {json.dumps(sent[since:])}",
             "sink before the test: " + "; ".join(
                 f"{n['status']} {[(a['labels']['alertname'], a['labels'].get('instance'), a['startsAt'])]}"
                 for n in sent[:since] for a in n["alerts"])]
    for host in servers(lab):
        with urllib.request.urlopen(f"{alertmanager(lab, host)}/metrics", timeout=10) as response:
            metrics = [m for m in response.read().decode().splitlines()
                       if (m.startswith(("alertmanager_notifications", "alertmanager_notification_requests"))
                           and 'integration="webhook"' in m) or m.startswith("alertmanager_nflog_")]
        groups = get_json(f"{alertmanager(lab, host)}/api/v2/alerts/groups")
        lines.append(f"{host} groups: " + json.dumps([(g["labels"], [(a["labels"].get("instance"),
                     a["status"]["state"], a["startsAt"]) for a in g["alerts"]]) for g in groups]))
        # the lab logs at debug: each alert received and each group flushed, so the journal says whether the
        # group of this alert flushed at all, and what the notify pipeline did with it
        journal = podman_exec(host, "journalctl", "-u", "prometheus-alertmanager", "--no-pager", "--since", "-15min",
                              check=False).stdout.splitlines()
        relevant = [line for line in journal if ALERT in line or "level=warn" in line or "level=error" in line]
        lines += [f"{host} Alertmanager: {'; '.join(metrics)}",
                  f"{host} journal: {ALERT}, warnings and errors of the last 15 min (last 40):", *relevant[-40:]]
    return "\n".join(lines)


def _state(lab: Lab, mx: list[str], since: int) -> str:
    """Where a queue-depth alert stands: postqueue on each MX, the series Prometheus reads, the alert in
    Prometheus and in Alertmanager, and what the sink was sent."""
    series = query(lab, 'tier3_postfix_queue_messages{queue=~"active|incoming|deferred"}'
                        ' or tier3_metrics_timestamp_seconds')
    rules = [a for a in get_json(f"{prometheus(lab)}/api/v1/alerts")["data"]["alerts"]
             if a["labels"]["alertname"] == ALERT]
    return "\n".join([
        "postqueue -j lines: " + ", ".join(f"{h} {queued(h)}" for h in mx),
        "Prometheus reads: " + "; ".join(f"{r['metric'].get('instance')} {r['metric'].get('__name__')}"
                                          f"{{{r['metric'].get('queue', '')}}} = {r['value'][1]}"
                                          for r in series if r["metric"].get("instance", "").startswith("mx")),
        f"time now: {time.time():.0f}",
        f"Prometheus alerts: {json.dumps(rules)}",
        f"Alertmanager: {json.dumps(active_alerts(lab))}",
        f"sink since the test began: {json.dumps(notifications(lab)[since:])}"])


def _unit(host: str, unit: str) -> dict[str, str]:
    out = podman_exec(host, "systemctl", "show", "--property=MainPID,NRestarts,ActiveState", unit).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


@pytest.mark.parametrize(("host", "unit"), [("imap2", "dovecot.service"), ("mx2", "postfix@-.service")])
def test_a_killed_mail_service_is_restarted_and_the_restart_counted(lab: Lab, host: str, unit: str) -> None:
    before = _unit(host, unit)
    assert before["ActiveState"] == "active", before
    assert before["MainPID"] != "0", f"systemd knows no main process of {unit}: a killed one would go unnoticed"

    podman_exec(host, "kill", "-KILL", before["MainPID"])
    after, took_s = wait_for(f"{unit} on {host} restarted", lambda: (
        (u := _unit(host, unit))["ActiveState"] == "active" and u["MainPID"] not in ("0", before["MainPID"]) and u), 60)
    print(f"\n{unit} on {host}: killed PID {before['MainPID']}, running again as {after['MainPID']} "
          f"after {took_s:.0f} s, NRestarts {before['NRestarts']} -> {after['NRestarts']}")
    assert int(after["NRestarts"]) == int(before["NRestarts"]) + 1
    expression = f'tier3_unit_restarts_total{{instance="{host}",unit="{unit}"}}'
    counted, _ = wait_for(f"{expression} = {after['NRestarts']} in Prometheus", lambda: [
        r for r in query(lab, expression) if int(float(r["value"][1])) == int(after["NRestarts"])], 60)
    assert counted
    if unit == "dovecot.service":  # syncs to the killed peer failed meanwhile: replication must recover
        print(f"replication caught up {replication_settled():.0f} s after the restart")
