"""The contract every role in roles/ keeps (docs/style.md, roles). New roles are checked for free.

- ``meta/argument_specs.yml`` declares the ``main`` entry point; its options are the role's
  interface: every default in ``defaults/main.yml`` is declared with the same value, and every
  option has a default or is required.
- README.md's "Role Variables" table lists exactly those options, with their defaults.
- Variables are prefixed with the role name: ``<role>_`` public (defaults, argument_specs),
  ``__<role>_`` internal (vars/); what tasks define (register, set_fact, task vars, loop_var) too.
- Handlers are named ``<role> | <action>``, every notify names one, and a check runs before the
  reload or restart of the same service.
- A template written where a service with a checker reads its configuration carries
  ``validate:`` with that checker (``VALIDATED``), in a ``template`` task or a file of a
  ``tier3.dc.tier3_files`` task. Postfix and Dovecot check their whole configuration, not one file:
  their files are checked together before they land (``validate_together`` of ``tier3_files``),
  or notify a check handler after (``CHECKED_AFTER``).
- Templates start with ``{{ ansible_managed | comment }}``; tasks/main.yml opens with the
  preflight and ends with verify.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROLES_DIR = Path(__file__).resolve().parents[3] / "roles"
ROLES = sorted(p.name for p in ROLES_DIR.iterdir() if (p / "tasks").is_dir())

# dest (pattern) -> the service's own checker, which `validate:` must run (on %s) before the file lands
VALIDATED: dict[str, str] = {
    r"(^|/)sshd_config$": "sshd -t",
    r"(^|/)nftables\.conf$|\.nft$": "nft -c",
    r"(^|/)keepalived\.conf$": "keepalived -t",
    r"(^|/)haproxy\.cfg$": "haproxy -c",
    r"(^|/)chrony\.conf$": "chronyd -p",
    r"^/etc/apt/apt\.conf\.d/": "apt-config -c",
}
# dest (pattern) -> the checker a notified handler runs after writing: `postfix check` and
# `doveconf -n` read the whole installed configuration (main.cf with master.cf, dovecot.conf with
# conf.d/), so they cannot check one file on its own before it lands.
CHECKED_AFTER: dict[str, str] = {
    r"^/etc/postfix/": "postfix check",
    r"^/etc/dovecot/": "doveconf -n",
}
TEMPLATE_MODULES = ("ansible.builtin.template", "ansible.legacy.template", "template")
FILES_MODULES = ("tier3.dc.tier3_files", "tier3_files")  # one task, many templates (files[].src)
NESTED = ("block", "rescue", "always")


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None


def options(role: str) -> dict[str, Any]:
    specs = load(ROLES_DIR / role / "meta" / "argument_specs.yml") or {}
    found: dict[str, Any] = (specs.get("argument_specs", {}).get("main") or {}).get("options") or {}
    return found


def defaults(role: str) -> dict[str, Any]:
    return load(ROLES_DIR / role / "defaults" / "main.yml") or {}


def internal(role: str) -> dict[str, Any]:
    return load(ROLES_DIR / role / "vars" / "main.yml") or {}


def tasks(role: str, *dirs: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(file, task) for every task under tasks/ and handlers/ (or ``dirs``), blocks flattened."""
    def walk(entries: list[dict[str, Any]], where: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for task in entries or []:
            yield where, task
            for key in NESTED:
                yield from walk(task.get(key) or [], where)

    for directory in dirs or ("tasks", "handlers"):
        for path in sorted((ROLES_DIR / role / directory).glob("*.yml")):
            yield from walk(load(path) or [], f"{directory}/{path.name}")


def handlers(role: str) -> list[dict[str, Any]]:
    return load(ROLES_DIR / role / "handlers" / "main.yml") or []


def readme_table(role: str) -> dict[str, str]:
    """variable -> its default cell, from README.md's "Role Variables" table."""
    text = (ROLES_DIR / role / "README.md").read_text(encoding="utf-8")
    assert "\n## Role Variables\n" in text, f"roles/{role}/README.md has no '## Role Variables' section"
    section = text.split("\n## Role Variables\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) >= 2 and (m := re.fullmatch(r"`([A-Za-z0-9_]+)`", cells[0])):
            rows[m[1]] = cells[1]
    return rows


def resolve(text: str, variables: dict[str, Any]) -> str:
    """``{{ name }}`` replaced by the role's own string value of ``name`` (others left as they are)."""
    def value(m: re.Match[str]) -> str:
        found = variables.get(m[1])
        return found if isinstance(found, str) else m[0]

    return re.sub(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", value, text)


def command_of(task: dict[str, Any]) -> str:
    for key in ("ansible.builtin.command", "command", "ansible.builtin.shell", "shell"):
        if key in task:
            args = task[key]
            return str(args.get("cmd", args.get("argv", "")) if isinstance(args, dict) else args)
    return ""


def bare(command: str) -> str:
    """``/usr/sbin/sshd -t -f %s`` -> ``sshd -t -f %s``."""
    return " ".join(word.rsplit("/", 1)[-1] for word in command.split())


def notified(task: dict[str, Any]) -> list[str]:
    notify = task.get("notify") or []
    return [notify] if isinstance(notify, str) else list(notify)


@pytest.fixture(params=ROLES)
def role(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_every_role_is_checked() -> None:
    assert ROLES, "no role under roles/"


def test_argument_specs_declare_the_main_entry_point(role: str) -> None:
    specs = load(ROLES_DIR / role / "meta" / "argument_specs.yml")
    assert specs, f"roles/{role}/meta/argument_specs.yml is missing or empty"
    main = specs["argument_specs"]["main"]
    assert main.get("short_description")
    assert options(role), "the main entry point declares no options"
    for name, spec in options(role).items():
        assert spec.get("type"), f"{name}: no type"
        assert spec.get("description"), f"{name}: no description"


def test_defaults_are_the_declared_options(role: str) -> None:
    declared, given = options(role), defaults(role)
    assert sorted(set(given) - set(declared)) == [], "defaults not declared in meta/argument_specs.yml"
    for name, spec in declared.items():
        if spec.get("required"):
            assert "default" not in spec, f"{name}: required and defaulted"
            assert name not in given, f"{name}: required, yet defaults/main.yml sets it"
        else:
            assert name in given, f"{name}: neither required nor in defaults/main.yml"
            assert "default" in spec, f"{name}: in defaults/main.yml, but argument_specs has no default"
            assert spec["default"] == given[name], name


def test_readme_lists_every_option_with_its_default(role: str) -> None:
    table, declared = readme_table(role), options(role)
    assert sorted(table) == sorted(declared)
    for name, cell in table.items():
        spec = declared[name]
        if spec.get("required"):
            assert "required" in cell, f"{name}: README should say it is required"
        elif m := re.fullmatch(r"`([^`]*)`", cell):  # one literal: it must be the default (prose is free)
            assert yaml.safe_load(m[1]) == spec["default"], f"{name}: README says {cell}, the default is"


def test_readme_has_the_house_sections(role: str) -> None:
    text = (ROLES_DIR / role / "README.md").read_text(encoding="utf-8")
    for heading in ("## Role Variables", "## Example Playbook", "## What it verifies"):
        assert f"\n{heading}\n" in text, heading


def test_variables_carry_the_role_prefix(role: str) -> None:
    public, private = f"{role}_", f"__{role}_"
    assert [n for n in options(role) if not n.startswith(public)] == []
    assert [n for n in defaults(role) if not n.startswith(public)] == []
    assert [n for n in internal(role) if not n.startswith(private)] == [], "vars/ holds internal __<role>_ names"
    assert not set(internal(role)) & set(defaults(role))
    defined: list[tuple[str, str]] = []
    for where, task in tasks(role):
        facts = task.get("ansible.builtin.set_fact") or task.get("set_fact") or {}
        loop_var = (task.get("loop_control") or {}).get("loop_var")
        names = [task.get("register"), *(task.get("vars") or {}), *facts, loop_var]
        defined += [(where, n) for n in names if n and n != "cacheable"]
    assert [(w, n) for w, n in defined if not n.startswith((public, private))] == []


def test_handlers_are_named_role_action_and_every_notify_finds_one(role: str) -> None:
    names = [h["name"] for h in handlers(role)]
    assert [n for n in names if not re.fullmatch(rf"{re.escape(role)} \| [a-z0-9][^|]*", n)] == []
    known = set(names) | {h["listen"] for h in handlers(role) if isinstance(h.get("listen"), str)}
    missing = [(w, n) for w, t in tasks(role) for n in notified(t) if n not in known]
    assert missing == []


def test_a_check_handler_runs_before_the_reload_of_its_service(role: str) -> None:
    names = [h["name"] for h in handlers(role)]
    for index, name in enumerate(names):
        if m := re.fullmatch(rf"{re.escape(role)} \| (reload|restart) (.+)", name):
            check = f"{role} | check {m[2]}"
            if check in names:
                assert names.index(check) < index, f"{check!r} must come before {name!r} (handlers run in file order)"


def template_tasks(role: str) -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(file, resolved dest, template args, task) for every template task of the role, and every
    file of its tier3_files tasks (the file's entry as the args)."""
    variables = {**defaults(role), **internal(role)}
    for where, task in tasks(role):
        if many := next((m for m in FILES_MODULES if m in task), None):
            entries = task[many].get("files") or []
            assert isinstance(entries, list), f"{where}: {task.get('name')}: files: write the list out in the task"
            for entry in entries:
                if entry.get("state", "present") != "absent":
                    yield where, resolve(str(entry.get("dest", "")), variables), entry, task
            continue
        module = next((m for m in TEMPLATE_MODULES if m in task), None)
        if module is None:
            continue
        args = task[module]
        assert isinstance(args, dict), f"{where}: {task.get('name')}: write the template arguments as a mapping"
        yield where, resolve(str(args.get("dest", "")), variables), args, task


def test_service_configs_are_checked_before_they_land(role: str) -> None:
    for where, dest, args, task in template_tasks(role):
        for pattern, checker in VALIDATED.items():
            if re.search(pattern, dest):
                validate = bare(str(args.get("validate", "")))
                need = f"{where}: {task.get('name')}: {dest} needs validate: {checker} ... %s (got {validate!r})"
                assert checker in validate, need
                assert "%s" in validate, need


def test_postfix_and_dovecot_configs_are_checked_after_writing(role: str) -> None:
    commands = {h["name"]: bare(command_of(h)) for h in handlers(role)}
    for where, dest, _args, task in template_tasks(role):
        for pattern, checker in CHECKED_AFTER.items():
            if re.search(pattern, dest):
                many = next((task[m] for m in FILES_MODULES if m in task), {})
                before = [c for c in (many.get("validate_together"), _args.get("validate")) if c]
                if any(set(checker.split()) <= set(bare(c).split()) for c in before):
                    continue  # checked before it lands
                runs = [n for n in notified(task) if checker in commands.get(n, "")]
                assert runs, f"{where}: {task.get('name')}: {dest} must be checked with {checker!r} before it lands " \
                             "(tier3_files validate_together) or notify a handler that runs it"


def test_templates_start_with_ansible_managed(role: str) -> None:
    for template in sorted((ROLES_DIR / role / "templates").glob("*.j2")):
        lines = [line for line in template.read_text(encoding="utf-8").splitlines() if not line.startswith("#!")]
        assert lines[0] == "{{ ansible_managed | comment }}", template.name


def test_main_opens_with_the_preflight_and_ends_with_verify(role: str) -> None:
    entries = load(ROLES_DIR / role / "tasks" / "main.yml")
    imported = [next((str(v) for k, v in e.items() if k.endswith(("import_tasks", "include_tasks"))), "")
                for e in entries]
    if len(imported) == 1 and imported[0] != "preflight.yml":  # main.yml includes one table of contents
        entries = load(ROLES_DIR / role / "tasks" / imported[0])
        imported = [next((str(v) for k, v in e.items() if k.endswith(("import_tasks", "include_tasks"))), "")
                    for e in entries]
    assert imported[0] == "preflight.yml"
    assert imported[-1] == "verify.yml"


def test_galaxy_role_name_is_the_directory(role: str) -> None:
    meta = load(ROLES_DIR / role / "meta" / "main.yml")
    assert meta["galaxy_info"]["role_name"] == role


# ---- the helpers themselves ---------------------------------------------------------------------


def test_bare_and_resolve() -> None:
    assert bare("/usr/sbin/sshd -t -f %s") == "sshd -t -f %s"
    assert resolve("{{ __x_dir }}/a.conf {{ item }}", {"__x_dir": "/etc/x"}) == "/etc/x/a.conf {{ item }}"


def test_the_checker_tables_match_the_files_they_name() -> None:
    hits = {d: [c for p, c in VALIDATED.items() if re.search(p, d)] for d in (
        "/etc/ssh/sshd_config", "/etc/nftables.conf", "/etc/keepalived/keepalived.conf", "/etc/haproxy/haproxy.cfg",
        "/etc/chrony/chrony.conf", "/etc/apt/apt.conf.d/52x", "/etc/ssh/ssh_config")}
    assert hits == {"/etc/ssh/sshd_config": ["sshd -t"], "/etc/nftables.conf": ["nft -c"],
                    "/etc/keepalived/keepalived.conf": ["keepalived -t"], "/etc/haproxy/haproxy.cfg": ["haproxy -c"],
                    "/etc/chrony/chrony.conf": ["chronyd -p"], "/etc/apt/apt.conf.d/52x": ["apt-config -c"],
                    "/etc/ssh/ssh_config": []}
    assert [c for p, c in CHECKED_AFTER.items() if re.search(p, "/etc/postfix/main.cf")] == ["postfix check"]
    assert [c for p, c in CHECKED_AFTER.items() if re.search(p, "/etc/dovecot/conf.d/10-ssl.conf")] == ["doveconf -n"]
