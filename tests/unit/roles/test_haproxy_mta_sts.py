"""roles/haproxy's MTA-STS and metrics frontends, rendered by Ansible itself (ansible-playbook on localhost) from a
lab-like inventory: the role's defaults and vars, its template, the tier3.dc.tier3_dns_mta_sts_policies filter.

The policy files the role writes must be the texts whose hashes tools/tier3/dns/zone.py publishes in ``_mta-sts``
(computed here again with the library, from the same data); haproxy.cfg must serve each at its host's name over
TLS 1.2+, and the firewall declaration must open 443 to anyone and the metrics port to the monitoring hosts only.
HAProxy itself checks and serves the rendered file in molecule/cluster (and `haproxy -c` in tasks/configure.yml);
this machine has no haproxy. About 4 s per render.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from support import ROOT
from tier3.dns.zone import mta_sts_policies, mta_sts_policy, policy_id, records

ROLE = ROOT / "roles" / "haproxy"
MAIL = {
    "hostname": "mail.lab.tier3.test",
    "imap_hostname": "imap.lab.tier3.test",
    "domains": [
        {"name": "lab.tier3.test", "mta_sts": {"mode": "testing", "max_age": 86400},
         "dkim": [{"selector": "lab2026", "private_key": "not read by this role"}]},
        {"name": "Example.TEST"},  # no mta_sts: published (and served) with the defaults, mode testing
    ],
}
VIPS = [
    {"name": "lab-smtp", "address": "10.89.30.100", "services": ["smtp", "submission"],
     "members": [{"host": "lb1", "priority": 150}, {"host": "lb2", "priority": 100}]},
    {"name": "lab-imap", "address": "10.89.30.101", "services": ["imap", "imaps", "lmtp"],
     "members": [{"host": "lb2", "priority": 150}, {"host": "lb1", "priority": 100}]},
]
ADDRESSES = {"mx1": "10.89.30.11", "mx2": "10.89.30.12", "imap1": "10.89.30.21", "imap2": "10.89.30.22",
             "lb1": "10.89.30.41", "lb2": "10.89.30.42", "mon1": "10.89.30.71"}
CERT_SHA256 = "ab" * 32  # what the preflight's read of /etc/tier3/pki/tier3.crt would give


def inventory(monitoring: bool) -> dict[str, Any]:
    groups = {"mx": ["mx1", "mx2"], "imap": ["imap1", "imap2"], "lb": ["lb1", "lb2"]}
    if monitoring:
        groups["monitoring"] = ["mon1"]
    return {"all": {
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                 "tier3_mail": MAIL, "tier3_vips": VIPS, "tier3_host": {"site": "lab"}},
        "children": {group: {"hosts": {host: {} for host in hosts}} for group, hosts in groups.items()},
    }}


def playbook(out: Path) -> list[dict[str, Any]]:
    """Facts (each host's default IPv4 address), then on lb1 the role's defaults and vars, its template, and the
    policy files and firewall declaration as the role computes them."""
    return [
        {"name": "Facts", "hosts": "all", "gather_facts": False, "tasks": [
            {"name": "Address", "ansible.builtin.set_fact": {
                "ansible_facts": {"default_ipv4": {"address": "{{ addresses[inventory_hostname] }}"}}}}],
         "vars": {"addresses": ADDRESSES}},
        {"name": "Render", "hosts": "lb1", "gather_facts": False, "tasks": [
            {"name": "Defaults", "ansible.builtin.include_vars": str(ROLE / "defaults" / "main.yml")},
            {"name": "Vars", "ansible.builtin.include_vars": str(ROLE / "vars" / "main.yml")},
            {"name": "Read", "ansible.builtin.set_fact": {"__haproxy_pki_read": {"files": {
                "/etc/tier3/pki/tier3.crt": {"exists": True, "sha256": CERT_SHA256}}}}},
            {"name": "Template", "ansible.builtin.template": {
                "src": str(ROLE / "templates" / "haproxy.cfg.j2"), "dest": str(out / "haproxy.cfg"), "mode": "0644"}},
            {"name": "Derived", "ansible.builtin.copy": {"dest": str(out / "derived.json"), "mode": "0644", "content":
                "{{ {'policies': __haproxy_mta_sts_policies, 'firewall': haproxy_firewall_allowed,"
                " 'served': __haproxy_mta_sts_served | bool} | to_json }}"}},
        ]},
    ]


def render(tmp_path: Path, *extra_vars: str, monitoring: bool = True) -> tuple[str, dict[str, Any]]:
    """(haproxy.cfg, {policies, firewall, served}) as the role renders them for lb1."""
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory(monitoring)), encoding="utf-8")
    (tmp_path / "play.yml").write_text(yaml.safe_dump(playbook(tmp_path), sort_keys=False), encoding="utf-8")
    # the facts stay in memory: the checkout's jsonfile cache holds the lab's real hosts
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_CACHE_PLUGIN": "memory",
           "ANSIBLE_NOCOLOR": "1"}
    args = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(tmp_path / "inventory.yml"),
            str(tmp_path / "play.yml")]
    for value in extra_vars:
        args += ["-e", value]
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    derived: dict[str, Any] = json.loads((tmp_path / "derived.json").read_text(encoding="utf-8"))
    return (tmp_path / "haproxy.cfg").read_text(encoding="utf-8"), derived


def section(config: str, name: str) -> str:
    """The lines of ``frontend <name>`` up to the next section."""
    match = re.search(rf"^frontend {name}\n((?:(?:    .*|\s*)\n)*)", config, re.MULTILINE)
    return match[1] if match else ""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    return render(tmp_path_factory.mktemp("lab"))


def test_each_policy_is_the_text_the_zone_hashes(lab: tuple[str, dict[str, Any]]) -> None:
    _, derived = lab
    sites = dict.fromkeys(ADDRESSES, "lab")
    assert derived["policies"] == mta_sts_policies(MAIL, VIPS, sites, ["lb1", "lb2"])
    assert derived["policies"]["lab.tier3.test"] == mta_sts_policy(["mx-lab.lab.tier3.test"], "testing", 86400)
    assert derived["policies"]["example.test"] == mta_sts_policy(["mx-lab.lab.tier3.test"])  # the defaults
    for domain in MAIL["domains"]:
        name = str(domain["name"]).lower()
        published = [r.data for r in records(domain, MAIL, VIPS, sites, [], balancers=["lb1", "lb2"])
                     if r.name == f"_mta-sts.{name}"]
        assert published == [f"v=STSv1; id={policy_id(derived['policies'][name])}"]


def test_the_mta_sts_frontend_serves_each_policy_at_its_host_over_tls12(lab: tuple[str, dict[str, Any]]) -> None:
    config, derived = lab
    frontend = section(config, "mta_sts")
    assert "    mode http\n" in frontend
    intermediate_ecdhe = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                          "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305")
    assert (f"    bind *:443 ssl crt /etc/haproxy/certs/mta-sts.pem ssl-min-ver TLSv1.2 ciphers {intermediate_ecdhe} "
            "alpn http/1.1\n") in frontend
    served = re.findall(r"http-request return status 200 content-type text/plain file (\S+) if mta_sts_read "
                        r"mta_sts_path \{ req\.hdr\(host\),field\(1,:\),lower -m str (\S+) \}", frontend)
    assert served == [("/etc/haproxy/mta-sts/example.test.txt", "mta-sts.example.test"),
                      ("/etc/haproxy/mta-sts/lab.tier3.test.txt", "mta-sts.lab.tier3.test")]
    assert "    acl mta_sts_path path /.well-known/mta-sts.txt\n" in frontend
    assert frontend.rstrip().endswith('http-request return status 404 content-type text/plain string "not found"')
    # the digests that make a new certificate or policy reload HAProxy
    assert f"sha256 {CERT_SHA256}" in config
    assert sorted(derived["policies"]) == ["example.test", "lab.tier3.test"]


def test_the_metrics_frontend_serves_the_prometheus_exporter(lab: tuple[str, dict[str, Any]]) -> None:
    frontend = section(lab[0], "prometheus")
    assert "    bind *:8405\n" in frontend
    assert "    http-request use-service prometheus-exporter if { path /metrics }\n" in frontend
    assert "    http-request set-log-level silent\n" in frontend


def firewall_of(derived: dict[str, Any], port: int) -> list[dict[str, Any]]:
    return [entry for entry in derived["firewall"] if entry["port"] == port]


def test_the_firewall_opens_443_to_anyone_and_metrics_to_the_monitoring_hosts_only(
        lab: tuple[str, dict[str, Any]]) -> None:
    _, derived = lab
    assert firewall_of(derived, 443) == [{"port": 443, "proto": "tcp", "comment": "haproxy mta-sts"}]
    assert firewall_of(derived, 8405) == [{"port": 8405, "proto": "tcp", "comment": "haproxy metrics from 10.89.30.71",
                                           "source": "10.89.30.71"}]
    assert [e["port"] for e in derived["firewall"]] == [25, 587, 143, 993, 24, 24, 443, 8405]


def test_without_monitoring_hosts_the_metrics_port_stays_closed(tmp_path: Path) -> None:
    config, derived = render(tmp_path, monitoring=False)
    assert firewall_of(derived, 8405) == []
    assert section(config, "prometheus")  # served all the same, to the host itself


def test_switched_off_neither_frontend_nor_port(tmp_path: Path) -> None:
    config, derived = render(tmp_path, "haproxy_mta_sts=false", "haproxy_metrics=false")
    assert (section(config, "mta_sts"), section(config, "prometheus"), derived["served"]) == ("", "", False)
    assert firewall_of(derived, 443) == []
    assert firewall_of(derived, 8405) == []
    assert "frontend smtp" in config


def test_no_smtp_frontend_no_mta_sts(tmp_path: Path) -> None:
    config, derived = render(tmp_path, '{"haproxy_mx_servers": []}')
    assert (section(config, "mta_sts"), derived["served"]) == ("", False)
    assert firewall_of(derived, 443) == []
