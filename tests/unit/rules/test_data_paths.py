"""tier3.model.topology.DATA_PATHS, where T3-ENC-001 looks for each mail group's store, is where the roles
keep it: Dovecot's mail homes (roles/dovecot), the archive store (roles/archive), Postfix's queue (Debian's
build, which roles/postfix leaves as it is)."""

from __future__ import annotations

from pathlib import Path

import yaml

from tier3.model.topology import DATA_PATHS

ROOT = Path(__file__).resolve().parents[3]


def defaults(role: str) -> dict[str, object]:
    return yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text(encoding="utf-8"))


def test_the_paths_are_the_roles_defaults() -> None:
    paths = {group: [path for _what, path in entries] for group, entries in DATA_PATHS.items()}
    mail_home = str(defaults("dovecot")["dovecot_mail_home"])
    assert paths["imap"] == [mail_home.split("/%", 1)[0]]  # /var/vmail/%d/%n: every home under /var/vmail
    assert paths["archive"] == [defaults("archive")["archive_store"]]
    assert paths["mx"] == ["/var/spool/postfix"]
    postfix_roles = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "roles" / "postfix").rglob("*")
                              if p.is_file() and p.suffix in (".yml", ".j2"))
    assert "queue_directory" not in postfix_roles  # the role keeps Debian's queue_directory
