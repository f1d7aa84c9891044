# Copyright: tier3 contributors
# Apache-2.0 (see LICENSE)
"""Action plugin tier3.dc.tier3_files: render a role's templates on the controller, then one module call writes them.

Each ``files[].src`` is found in the role's ``templates/`` and rendered as ``ansible.builtin.template``
renders it (the task's variables, ``trim_blocks``); each ``files[].copy`` is a file on the controller
sent as it is (no templating: program files); the text goes to the host as ``files[].content``
of ONE ``tier3.dc.tier3_files`` call, which compares, checks and writes every file (see
plugins/modules/tier3_files.py). The texts are taken out of the task's ``invocation`` in the result,
so that a rendered private key or password file is never printed with ``-v``.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

# the variables ansible.builtin.template gives a template (ansible_managed, template_path, ...), from the
# function its own action plugin calls; ansible-core is pinned to 2.19 (pyproject.toml)
from ansible._internal._templating._template_vars import generate_ansible_template_vars
from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase
from ansible.template import trust_as_template

MODULE = "tier3.dc.tier3_files"


class ActionModule(ActionBase):  # type: ignore[misc]  # ansible ships no type hints
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("directories", "files", "validate_together", "strict_validate"))

    def _render(self, src: str, dest: str, task_vars: dict[str, Any]) -> str:
        try:
            source = self._find_needle("templates", src)
        except AnsibleError as exc:
            raise ValueError(f"files: {dest}: template {src!r} not found ({exc})") from None
        searchpath = [*task_vars.get("ansible_search_path", []), self._loader._basedir, os.path.dirname(source)]
        searchpath = [q for p in searchpath for q in (os.path.join(p, "templates"), p)]
        variables = {**task_vars, **generate_ansible_template_vars(
            path=src, fullpath=source, dest_path=dest, include_ansible_managed="ansible_managed" not in task_vars)}
        templar = self._templar.copy_with_new_env(searchpath=searchpath, available_variables=variables)
        text = templar.template(trust_as_template(self._loader.get_text_file_contents(source)),
                                escape_backslashes=False, overrides={"trim_blocks": True, "lstrip_blocks": False})
        return "" if text is None else str(text)

    def _copy(self, path: str, dest: str) -> str:
        try:
            return self._loader.get_text_file_contents(self._find_needle("files", path))
        except AnsibleError as exc:
            raise ValueError(f"files: {dest}: file {path!r} not found ({exc})") from None

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        self._supports_check_mode = True
        self._supports_async = False
        result: dict[str, Any] = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        args = dict(self._task.args)
        files = args.get("files") or []
        if not isinstance(files, list) or not all(isinstance(f, dict) for f in files):
            return {**result, "failed": True, "msg": "tier3_files: files must be a list of dicts with dest"}
        rendered = []
        try:
            for given in files:
                entry = dict(given)
                if entry.get("state") == "absent":  # nothing to render for a file that goes
                    entry.pop("src", None)
                    entry.pop("content", None)
                elif len([k for k in ("src", "copy", "content") if entry.get(k) is not None]) > 1:
                    raise ValueError(f"files: {entry.get('dest')}: give one of src, copy and content")
                elif entry.get("src") is not None:
                    entry["content"] = self._render(str(entry.pop("src")), str(entry.get("dest")), task_vars)
                elif entry.get("copy") is not None:
                    entry["content"] = self._copy(str(entry.pop("copy")), str(entry.get("dest")))
                rendered.append(entry)
        except (ValueError, AnsibleError) as exc:
            return {**result, "failed": True, "changed": False, "msg": f"tier3_files: {exc}"}
        args["files"] = rendered
        answer = self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)
        invocation = answer.get("invocation", {}).get("module_args", {})
        for entry in invocation.get("files") or []:
            if isinstance(entry, dict) and entry.get("content") is not None:
                body = str(entry["content"]).encode("utf-8")
                entry["content"] = f"({len(body)} bytes, sha256 {hashlib.sha256(body).hexdigest()})"
        return {**result, **answer}
