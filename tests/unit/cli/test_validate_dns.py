"""``tier3 validate`` on a two-site inventory with tier3_dns: the DNS faults issue 19 names fail it
(exit 1) with the rule that judges them, the servers' placement by the placement rules already there.

- DNS servers sharing a rack: T3-PLC-001 (the whole group) and T3-PLC-009 (within a site);
- DNS servers in one site: T3-PLC-011 (a mail site without dns), and T3-DNS-003 once that site
  declares it takes dns from the other (depends_on), which T3-PLC-011 accepts;
- an SPF record over 10 lookups: T3-DNS-001; DMARC that does not enforce: T3-DNS-002.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tier3.cli import main

TWO_SITES = Path(__file__).parents[2] / "fixtures" / "inventories" / "healthy-two-site"
RULE_ID = re.compile(r"\bT3-[A-Z]{3}-\d{3}\b")
Doc = dict[str, Any]
MAIL: Doc = {
    "hostname": "mail.example.net",
    "imap_hostname": "imap.example.net",
    "domains": [{"name": "example.net", "dmarc": {"policy": "reject", "rua": "mailto:dmarc@example.net"},
                 "spf": {"include": ["_spf.partner.example.com"]}}],
}
DNS: Doc = {"primary": "dns1", "contact": "hostmaster@example.net", "tsig_secret": "{{ vault_tier3_dns_tsig }}"}


def _yaml(path: Path, change: Callable[[Doc], None]) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.fixture
def inv(tmp_path: Path) -> Path:
    target = tmp_path / "inv"
    shutil.copytree(TWO_SITES, target)
    _yaml(target / "group_vars" / "all.yml", lambda d: d.update(tier3_mail=yaml.safe_load(yaml.safe_dump(MAIL)),
                                                                tier3_dns=dict(DNS)))
    return target


def verdict(inv: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, set[str], str]:
    code = main(["validate", str(inv)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, set(RULE_ID.findall(out)), out


def in_rack(inv: Path, host: str, rack: str) -> None:
    def move(d: Doc) -> None:
        d["tier3_host"]["rack"] = rack
        for supply, side in zip(d["tier3_host"]["power_supplies"], "ab", strict=True):
            supply["pdu"] = f"{rack}-pdu-{side}"

    _yaml(inv / "host_vars" / f"{host}.yml", move)


def out_of_group_dns(inv: Path, *hosts: str) -> None:
    def drop(d: Doc) -> None:
        for group in d["all"]["children"].values():
            for host in hosts:
                group["hosts"].pop(host, None)

    _yaml(inv / "hosts.yml", drop)


def depends_on_dns(inv: Path, site: int, other: str) -> None:
    _yaml(inv / "group_vars" / "all.yml",
          lambda d: d["tier3_sites"][site].update(depends_on=[{"service": "dns", "site": other}]))


def test_the_two_site_inventory_with_tier3_dns_is_clean(inv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert verdict(inv, capsys)[:2] == (0, set())


def test_dns_servers_sharing_a_rack_in_a_site_fail_t3_plc_009(inv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    in_rack(inv, "dns2", "r1")
    code, rules, out = verdict(inv, capsys)
    assert (code, rules) == (1, {"T3-PLC-009"})
    assert "group:dns@site1: in site site1: members dns1, dns2 both sit in rack r1" in out


def test_dns_servers_all_in_one_rack_fail_t3_plc_001(inv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_of_group_dns(inv, "dns3", "dns4")
    depends_on_dns(inv, 1, "site1")
    in_rack(inv, "dns2", "r1")
    code, rules, out = verdict(inv, capsys)
    assert (code, rules) == (1, {"T3-PLC-001", "T3-DNS-003"})
    assert "group:dns: members dns1, dns2 both sit in rack r1" in out


def test_dns_servers_in_one_site_fail_t3_plc_011(inv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_of_group_dns(inv, "dns3", "dns4")
    code, rules, out = verdict(inv, capsys)
    assert (code, rules) == (1, {"T3-PLC-011"})
    assert "site site2 serves mail (mx3, mx4) but has no member of group dns" in out


def test_dns_servers_in_one_site_fail_t3_dns_003_when_the_other_declares_it_depends_on_them(
    inv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_of_group_dns(inv, "dns3", "dns4")
    depends_on_dns(inv, 1, "site1")
    code, rules, out = verdict(inv, capsys)
    assert (code, rules) == (1, {"T3-DNS-003"})
    assert ("group:dns: the authoritative servers dns1, dns2 are all in site site1: losing it leaves the MX of "
            "site2 unresolvable") in out


def test_spf_over_ten_lookups_fails_t3_dns_001(inv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    includes = [f"_spf{i}.partner.example.com" for i in range(11)]
    _yaml(inv / "group_vars" / "all.yml", lambda d: d["tier3_mail"]["domains"][0]["spf"].update(include=includes))
    code, rules, out = verdict(inv, capsys)
    assert (code, rules) == (1, {"T3-DNS-001"})
    assert ("all.yml: tier3_mail.domains[0].spf.include: T3-DNS-001 [high] domain:example.net: the SPF record of "
            "example.net costs 11 DNS lookups") in out


def test_dmarc_none_fails_t3_dns_002(inv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _yaml(inv / "group_vars" / "all.yml", lambda d: d["tier3_mail"]["domains"][0].update(dmarc={"policy": "none"}))
    code, rules, out = verdict(inv, capsys)
    assert (code, rules) == (1, {"T3-DNS-002"})
    assert ("all.yml: tier3_mail.domains[0].dmarc.policy: T3-DNS-002 [medium] domain:example.net: p=none only "
            "monitors: mail that fails DMARC for example.net is delivered as if it passed") in out
