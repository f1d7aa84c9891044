"""The drill site from an inventory: what is read, and every missing or wrong key named with its fix."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from drill_inventory import GROUP_VARS

from tier3.drill import DrillError, load_site, site_from_vars
from tier3.drill.drills import DRILLS
from tier3.drill.inventory import Templater, groups_of
from tier3.drill.site import DrillSite

GROUPS = {"all": ["mx1", "mx2", "imap1", "imap2", "lb1", "lb2"], "mx": ["mx1", "mx2"], "imap": ["imap1", "imap2"],
          "lb": ["lb1", "lb2"]}


def site_of(group_vars: dict[str, Any], groups: dict[str, list[str]] | None = None) -> DrillSite:
    groups = groups or GROUPS
    hostvars = {h: {**group_vars, "ansible_host": f"t3drill-unit-{h}"} for h in groups["all"]}
    return site_from_vars("inv", hostvars, groups, Templater(hostvars, "inv"), root=Path("/nonexistent"))


def test_the_lab_shape_is_read(lab_vars: dict[str, Any]) -> None:
    site = site_of(lab_vars)
    assert (site.mailbox, site.password, site.rto_seconds, site.rpo_messages, site.domain) == (
        "drill@lab.tier3.test", "drill-secret", 3.0, 0, "lab.tier3.test")
    assert (site.smtp_name, site.imap_name, site.ca_file) == ("mail.lab.tier3.test", "imap.lab.tier3.test", "")
    assert [(v.name, v.address, v.members) for v in site.vips] == [
        ("lab-smtp", "10.89.30.100", ("lb1", "lb2")), ("lab-imap", "10.89.30.101", ("lb1", "lb2"))]
    assert site.hosts["lb1"].connection == "containers.podman.podman"
    assert site.hosts["lb1"].target == "t3drill-unit-lb1"
    assert "drill-secret" not in repr(site)


def _drop(*path: str) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        node = data
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
    return edit


def _set(value: Any, *path: str | int) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        node: Any = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return edit


# edit of group_vars/all -> the key the one error line names, and a piece of its message
BAD = {
    "no tier3_drill": (_drop("tier3_drill"), "tier3_drill", "missing"),
    "no mailbox": (_drop("tier3_drill", "mailbox"), "tier3_drill.mailbox", "missing"),
    "mailbox not an address": (_set("drill", "tier3_drill", "mailbox"), "tier3_drill.mailbox", "not a mail address"),
    "mailbox not a user": (_set("bob@lab.tier3.test", "tier3_drill", "mailbox"), "tier3_drill.mailbox",
                           "is not one of tier3_mail.users"),
    "rto zero": (_set(0, "tier3_drill", "rto_seconds"), "tier3_drill.rto_seconds", "above 0"),
    "rto text": (_set("3s", "tier3_drill", "rto_seconds"), "tier3_drill.rto_seconds", "above 0"),
    "rpo negative": (_set(-1, "tier3_drill", "rpo_messages"), "tier3_drill.rpo_messages", "0 or more"),
    "rpo fraction": (_set(0.5, "tier3_drill", "rpo_messages"), "tier3_drill.rpo_messages", "whole number"),
    "no tier3_mail": (_drop("tier3_mail"), "tier3_mail", "missing"),
    "no users": (_drop("tier3_mail", "users"), "tier3_mail.users", "missing"),
    "no vips": (_drop("tier3_vips"), "tier3_vips", "missing or empty"),
    "vip without services": (_drop("tier3_vips", 0, "services"), "tier3_vips[0].services", "services it fronts"),
    "vip member unknown": (_set([{"host": "lb9", "priority": 1}], "tier3_vips", 1, "members"),
                           "tier3_vips[lab-imap].members", "unknown host lb9"),
    "undefined vault variable": (_drop("vault_tier3_mail_drill"), "tier3_mail.users[1].password",
                                 "refers to undefined vault_tier3_mail_drill"),
    "ansible filter": (_set("{{ 'x' | password_hash('sha512') }}", "tier3_mail", "users", 1, "password"),
                       "tier3_mail.users[1].password", "cannot be templated outside Ansible"),
}


@pytest.mark.parametrize(("edit", "key", "says"), BAD.values(), ids=BAD.keys())
def test_bad_site_is_one_error_naming_the_key(lab_vars: dict[str, Any], edit: Callable[[dict[str, Any]], None],
                                              key: str, says: str) -> None:
    edit(lab_vars)
    with pytest.raises(DrillError) as raised:
        site_of(lab_vars)
    assert raised.value.where == key
    assert says in raised.value.message
    assert raised.value.hint
    assert raised.value.exit_code == 2


def test_no_mail_group_at_all() -> None:
    with pytest.raises(DrillError, match="no host in the groups lb, mx or imap"):
        site_of(GROUP_VARS, {"all": ["dns1"], "dns": ["dns1"]})


def test_a_ca_dir_without_its_certificate_is_named(lab_vars: dict[str, Any], tmp_path: Path) -> None:
    lab_vars["pki_ca_dir"] = str(tmp_path)
    with pytest.raises(DrillError) as raised:
        site_of(lab_vars)
    assert (raised.value.where, raised.value.message) == ("pki_ca_dir", f"no CA certificate at {tmp_path / 'ca.crt'}")
    (tmp_path / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    assert site_of(lab_vars).ca_file == str(tmp_path / "ca.crt")


def test_templates_resolve_through_the_hosts_own_variables() -> None:
    hostvars = {"h": {"a": "{{ b }}", "b": "{{ c }}-x", "c": 7, "whole": "{{ items }}", "items": [1, 2],
                      "loop1": "{{ loop2 }}", "loop2": "{{ loop1 }}"}}
    t = Templater(hostvars, "inv")
    assert t("h", "a", hostvars["h"]["a"]) == "7-x"
    assert t("h", "whole", hostvars["h"]["whole"]) == [1, 2]  # a bare reference keeps its type
    assert t("h", "plain", {"k": ["v", 1]}) == {"k": ["v", 1]}
    with pytest.raises(DrillError, match="loop"):
        t("h", "loop1", hostvars["h"]["loop1"])
    with pytest.raises(DrillError, match="vault-encrypted"):
        t("h", "secret", {"__ansible_vault": "$ANSIBLE_VAULT;1.1;AES256\n..."})


def test_groups_include_their_children_in_inventory_order() -> None:
    listing = {"_meta": {"hostvars": {}}, "all": {"children": ["ungrouped", "lab"]}, "lab": {"children": ["mx", "lb"]},
               "mx": {"hosts": ["mx1", "mx2"]}, "lb": {"hosts": ["lb2", "lb1"]}, "ungrouped": {}}
    groups = groups_of(listing)
    assert groups["lab"] == ("mx1", "mx2", "lb2", "lb1")
    assert groups["all"] == ("mx1", "mx2", "lb2", "lb1")
    assert groups["ungrouped"] == ()


def test_every_drill_plans_against_the_lab_shape(lab_vars: dict[str, Any]) -> None:
    site = site_of(lab_vars)
    plans = {name: d.plan(site, lambda vip: ([vip.members[0]], [])) for name, d in DRILLS.items()}
    assert {n: (p.target, p.role, p.probe, p.measured_vip.name) for n, p in plans.items()} == {
        "lb-failover": ("lb1", "lb", "smtp", "lab-smtp"),
        "mx-failover": ("mx1", "mx", "smtp", "lab-smtp"),
        "imap-failover": ("imap1", "imap", "imap", "lab-imap"),
    }
    lb = plans["lb-failover"]
    assert (str(lb.smtp), lb.smtp.tls_name, str(lb.imap), lb.imap.tls_name) == (
        "10.89.30.100:25", "mail.lab.tier3.test", "10.89.30.101:993", "imap.lab.tier3.test")
    assert [v.name for v in plans["mx-failover"].vips] == ["lab-smtp", "lab-imap"]


@pytest.mark.parametrize(("drill", "edit", "key"), [
    ("mx-failover", {"mx": ["mx1"]}, "groups.mx"),
    ("imap-failover", {"imap": ["imap1"]}, "groups.imap"),
])
def test_a_drill_needs_a_pair(lab_vars: dict[str, Any], drill: str, edit: dict[str, list[str]], key: str) -> None:
    site = site_of(lab_vars, {**GROUPS, **edit, "all": GROUPS["all"]})
    with pytest.raises(DrillError) as raised:
        DRILLS[drill].plan(site, lambda vip: ([vip.members[0]], []))
    assert raised.value.where == key


def test_the_lb_drill_refuses_a_vip_on_two_members_or_unreadable(lab_vars: dict[str, Any]) -> None:
    site = site_of(lab_vars)
    with pytest.raises(DrillError, match=r"held by 2 members \(lb1, lb2\) before the drill; nothing was killed"):
        DRILLS["lb-failover"].plan(site, lambda vip: (list(vip.members), []))
    with pytest.raises(DrillError, match="cannot read the addresses of lb2"):
        DRILLS["lb-failover"].plan(site, lambda _vip: ([], ["lb2"]))


def test_a_vip_for_every_probe(lab_vars: dict[str, Any]) -> None:
    lab_vars["tier3_vips"][1]["services"] = ["lmtp"]
    with pytest.raises(DrillError, match="no VIP fronts the imaps service"):
        DRILLS["mx-failover"].plan(site_of(lab_vars), lambda vip: ([vip.members[0]], []))


def test_load_site_reads_ansible_inventory(write_inventory: Callable[..., Path]) -> None:
    site = load_site([str(write_inventory())])
    assert (site.password, site.groups["mx"], site.hosts["imap2"].target) == (
        "drill-secret", ("mx1", "mx2"), "t3drill-unit-imap2")


def test_load_site_with_a_vault_file(write_inventory: Callable[..., Path], tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The password in an encrypted vars file: ansible-inventory decrypts it with Ansible's own password setting."""
    inventory = write_inventory(_drop("vault_tier3_mail_drill"))
    secret = inventory / "group_vars" / "all" / "vault.yml"
    secret.write_text("vault_tier3_mail_drill: from-the-vault\n", encoding="utf-8")
    password = tmp_path / "vault-password"
    password.write_text("correct horse\n", encoding="utf-8")
    monkeypatch.delenv("ANSIBLE_VAULT_PASSWORD_FILE", raising=False)  # make exports the lab's
    subprocess.run(["ansible-vault", "encrypt", "--vault-password-file", str(password), str(secret)], check=True,
                   capture_output=True)
    with pytest.raises(DrillError, match="no vault secrets found") as raised:
        load_site([str(inventory)])
    assert "ANSIBLE_VAULT_PASSWORD_FILE" in raised.value.hint
    monkeypatch.setenv("ANSIBLE_VAULT_PASSWORD_FILE", str(password))
    assert load_site([str(inventory)]).password == "from-the-vault"


def test_a_missing_inventory_is_named(tmp_path: Path) -> None:
    with pytest.raises(DrillError, match="no such inventory file or directory"):
        load_site([str(tmp_path / "nope")])
