# Copyright: tier3 contributors
# Apache-2.0 (see LICENSE)
"""Action plugin tier3.dc.tier3_check: a live host judged against the rules and the declared inventory.

Host scope (the default): one ``tier3.dc.tier3_evidence`` call on the host gathers every item the
kinds it owes need (``tier3.evidence.kinds_owed``: by its groups and VIPs, plus ``kinds``); the
controller parses and judges them (``tier3.check.judge_host``). A host that declares a ``bmc`` has its
BMC read here too, by the controller, in the same task (``bmc``, on by default;
``tier3.check.bmc.read_bmc``): the password is the host's templated ``tier3_host.bmc.password`` (a
vaulted variable), handed to the client and never put in the result, a finding or a message. It
never fails the host for a finding, so that the site step sees every host; a host it cannot read
says so in ``error`` (and what its BMC said is kept).

Site scope (``scope: site``, once, on the controller): gathers each host's result from
``hostvars``, adds an ``error`` finding for each host that gave nothing, judges what needs more
than one host (who holds each VIP), probes every VIP service from the controller and (``dns``, on by
default when the inventory has dns hosts and ``tier3_dns``) asks every authoritative server for every
record of every mail domain (``tier3.check.judge_site``), writes the reports to ``report_dir`` and
fails when a rule fails at ``fail_on`` or worse, or a host could not be judged. Documentation:
plugins/modules/tier3_check.py (ansible-doc tier3.dc.tier3_check). playbooks/check.yml and ``tier3 check``
run both scopes.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ansible.errors import AnsibleError, AnsibleUndefinedVariable
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible_collections.tier3.dc.plugins.plugin_utils.tier3_package import missing, use_bundled

display = Display()
use_bundled()

try:
    import tier3
    from tier3.check import (
        DNS_KIND,
        LISTENER_KIND,
        PROBE_TIMEOUT,
        SCAN_KIND,
        HostCheck,
        check_report,
        collected_kinds,
        host_kinds,
        judge_host,
        judge_site,
        scan_with_sslyze,
        unanswered,
        vip_listeners,
    )
    from tier3.check.bmc import BmcAccess, bmc_kinds_owed, item_records, read_bmc
    from tier3.check.declared import summary as declared_summary
    from tier3.check.measured import unmeasured
    from tier3.check.textfile import findings_textfile
    from tier3.errors import Tier3Error
    from tier3.evidence import items_from_answer, kinds_owed
    from tier3.model import Finding, Severity, Status, Topology, blocking
    from tier3.probe.dns_expected import HOST_KEYS, SITE_KEYS, DnsPlan, plan_from_vars
    from tier3.report import format_text, writer
    from tier3.schema import load_inventory
except ImportError as exc:
    MISSING: str | None = missing(exc)
else:
    MISSING = None

EVIDENCE_MODULE = "tier3.dc.tier3_evidence"
DEFAULT_FAIL_ON = "low"
DEFAULT_RESULTS_VAR = "tier3_check_result"
REPORT_FILES = {"json": "check.json", "junit": "check.junit.xml", "html": "check.html"}
_TOPOLOGIES: dict[tuple[str, ...], Topology] = {}  # per worker process: one inventory read per run


def _topology(args: Mapping[str, Any], task_vars: Mapping[str, Any]) -> tuple[Topology, str]:
    given = args.get("inventory") or task_vars.get("ansible_inventory_sources") or []
    paths = tuple(str(p) for p in ([given] if isinstance(given, str) else given))
    if not paths:
        raise Tier3Error("inventory", "", "no inventory to judge against",
                         hint="run with -i INVENTORY, or give inventory: to the task")
    if paths not in _TOPOLOGIES:
        _TOPOLOGIES[paths] = load_inventory(*paths).topology
    return _TOPOLOGIES[paths], " + ".join(paths)


def _kinds(given: Any) -> tuple[str, ...]:
    return host_kinds([] if given is None else [given] if isinstance(given, str) else list(given), "kinds")


def _summary(check: HostCheck) -> str:
    failed = [f for f in check.findings if f.status in (Status.FAIL, Status.ERROR)]
    return (f"{check.host}: {', '.join(check.kinds) or 'no kinds'}; {len(check.items)} item(s) read, "
            f"{len(failed)} finding(s)" + ("" if not failed else ": " + ", ".join(
                sorted({f"{f.rule_id} {f.subject}" for f in failed}))))


def _flag(value: Any) -> bool:
    """A boolean host variable as Ansible's ``| bool`` reads it (``"false"`` is false)."""
    return value if isinstance(value, bool) else str(value).strip().lower() in ("1", "true", "yes", "on", "y")


def _said_check(host: str, said: Mapping[str, Any], where: str, *, judged_only: bool = False) -> HostCheck:
    """A host scope result back as a HostCheck; ``judged_only``: the kinds of its items alone (a host whose
    module failed still carries what its BMC said)."""
    items = tuple(items_from_answer(host, said, where))
    kinds = tuple(dict.fromkeys(i.kind for i in items)) if judged_only else tuple(said.get("kinds", ()))
    return HostCheck(host, kinds, items, tuple(Finding.from_dict(f) for f in said.get("findings", ())),
                     tuple(said.get("facts", ())))


class ActionModule(ActionBase):  # type: ignore[misc]  # ansible ships no type hints
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset((
        "scope", "kinds", "inventory", "max_bytes", "now",
        "hosts", "results_var", "probe", "scan", "ca_file", "timeout", "report_dir", "fail_on", "dns", "bmc",
    ))

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        self._supports_check_mode = True
        result: dict[str, Any] = super().run(tmp, task_vars)
        if MISSING is not None:
            return {**result, "failed": True, "msg": MISSING}
        display.vvv(f"tier3_check: tier3 {tier3.__version__} from {Path(tier3.__file__).parent}")
        args, facts = dict(self._task.args), task_vars or {}
        try:
            scope = args.get("scope", "host")
            if scope == "host":
                return {**result, **self._host(args, facts)}
            if scope == "site":
                return {**result, **self._site(args, facts)}
            raise Tier3Error("scope", "", f"unknown scope {scope!r}", hint="host (each host) or site (once)")
        except Tier3Error as exc:
            return {**result, "failed": True, "changed": False, "errors": [exc.one_line()],
                    "msg": f"tier3_check: {exc.one_line()}"}

    def _checks_hardware(self, host_vars: Mapping[str, Any]) -> bool:
        """``tier3_check_hardware`` of a host (default true). False on a host that is not the machine its
        tier3_host describes (a container standing in for a server): its declared bonds, arrays, LUNs
        and volumes are not looked for on it, and the report says so."""
        flag = host_vars.get("tier3_check_hardware")
        return True if flag is None else _flag(self._templar.template(flag))

    # ---- host scope -----------------------------------------------------------------------------

    def _host(self, args: dict[str, Any], task_vars: Mapping[str, Any]) -> dict[str, Any]:
        topology, _ = _topology(args, task_vars)
        host = str(task_vars.get("inventory_hostname"))
        owed = kinds_owed(topology, host, _kinds(args.get("kinds")), hardware=self._checks_hardware(task_vars))
        bmc_owed = bmc_kinds_owed(topology, host, bool(args.get("bmc", True)))
        if not owed and not bmc_owed:
            return {"changed": False, "kinds": [], "evidence": [], "findings": [], "facts": [],
                    "textfile": findings_textfile([], time.time()),
                    "msg": f"{host}: the inventory declares nothing tier3 check reads on this host"}
        now = args.get("now")
        bmc = self._bmc(host, topology, task_vars) if bmc_owed else HostCheck(host, (), (), ())
        checks = [bmc]
        evidence: list[dict[str, Any]] = []
        collected = collected_kinds(owed)
        if collected:  # the host's one round trip, for the kinds it gives itself (never the BMC's)
            module_args: dict[str, Any] = {"kinds": list(collected)}
            if args.get("max_bytes") is not None:
                module_args["max_bytes"] = int(args["max_bytes"])
            answer = self._execute_module(module_name=EVIDENCE_MODULE, module_args=module_args, task_vars=task_vars)
            if answer.get("failed") or answer.get("unreachable"):
                why = str(answer.get("msg") or "the module failed").strip().splitlines()[0]
                return {"changed": False, "kinds": [*owed, *bmc.kinds], "evidence": item_records(bmc.items),
                        "findings": [f.to_dict() for f in bmc.findings], "facts": list(bmc.facts),
                        "error": f"{EVIDENCE_MODULE} failed: {why}", "msg": f"{host}: {EVIDENCE_MODULE} failed: {why}"}
            checks.insert(0, judge_host(host, items_from_answer(host, answer), owed, topology,
                                        float(now) if now is not None else None))
            evidence = list(answer["evidence"])
        check = HostCheck(host, (*owed, *bmc.kinds), tuple(i for c in checks for i in c.items),
                          tuple(f for c in checks for f in c.findings), tuple(x for c in checks for x in c.facts))
        failed = [f for f in check.findings if f.status in (Status.FAIL, Status.ERROR)]
        findings = [f.to_dict() for f in check.findings]
        return {"changed": False, "kinds": list(check.kinds), "evidence": [*evidence, *item_records(bmc.items)],
                "findings": findings, "facts": list(check.facts),
                "textfile": findings_textfile(findings, float(now) if now is not None else time.time()),
                "failed_rules": sorted({f"{f.rule_id} {f.subject}" for f in failed}), "msg": _summary(check)}

    def _bmc(self, host: str, topology: Topology, task_vars: Mapping[str, Any]) -> HostCheck:
        """The host's BMC read from here: the password templated from ``tier3_host.bmc.password`` (a vault
        value or a vaulted variable), the CA from ``tier3_bmc_ca_file`` (else the system's),
        ``tier3_bmc_insecure`` (labs), ``tier3_bmc_timeout`` and ``tier3_bmc_retries`` per request;
        nothing of the password leaves (not in the result, a finding, a message or the display)."""
        declared = task_vars.get("tier3_host")
        said = declared.get("bmc") if isinstance(declared, Mapping) else None
        raw = said.get("password") if isinstance(said, Mapping) else None
        password: str | None = None
        why = ""
        try:
            value = self._templar.template(raw) if raw is not None else None
            password = value if isinstance(value, str) else None
        except AnsibleUndefinedVariable as exc:  # names the variable, never a value
            why = str(exc).splitlines()[0]
        except AnsibleError as exc:
            why = f"templating failed ({type(exc).__name__})"
        timeout, retries = self._var(task_vars, "tier3_bmc_timeout"), self._var(task_vars, "tier3_bmc_retries")
        access = BmcAccess(ca_file=self._var(task_vars, "tier3_bmc_ca_file") or None,
                           insecure=_flag(self._var(task_vars, "tier3_bmc_insecure")),
                           timeout=float(timeout) if timeout is not None else BmcAccess.timeout,
                           retries=int(retries) if retries is not None else BmcAccess.retries)
        return read_bmc(host, topology, password, access, why_no_password=why)

    def _var(self, task_vars: Mapping[str, Any], name: str) -> Any:
        return self._templar.template(task_vars[name]) if task_vars.get(name) is not None else None

    # ---- site scope -----------------------------------------------------------------------------

    def _gathered(self, hosts: list[str], results_var: str, task_vars: Mapping[str, Any],
                  ) -> tuple[list[HostCheck], list[Finding]]:
        hostvars = task_vars.get("hostvars", {})
        checks: list[HostCheck] = []
        lost: list[Finding] = []
        for host in hosts:
            said = hostvars[host].get(results_var) if host in hostvars else None
            said = self._templar.template(said) if said is not None else None
            if not isinstance(said, Mapping):
                lost.append(unanswered(host, "no result: the host was not reached or the check did not run"))
            elif said.get("unreachable"):
                lost.append(unanswered(host, f"unreachable: {str(said.get('msg') or '').strip()[:300]}"))
            elif said.get("failed") or said.get("error"):
                lost.append(unanswered(host, str(said.get("error") or said.get("msg") or "the check failed")))
                if said.get("evidence") or said.get("findings"):  # its BMC, read from here even so
                    checks.append(_said_check(host, said, f"{results_var} of {host}", judged_only=True))
            else:
                checks.append(_said_check(host, said, f"{results_var} of {host}"))
        return checks, lost

    def _dns_plan(self, task_vars: Mapping[str, Any]) -> DnsPlan | None:
        """The questions for the authoritative servers, from the inventory's variables (templated here: the
        DKIM private keys are read on the controller for their public halves and go no further)."""
        hostvars = task_vars.get("hostvars", {})
        groups = {name: list(hosts) for name, hosts in (task_vars.get("groups") or {}).items()}
        dns_hosts = set(groups.get("dns") or [])
        view: dict[str, dict[str, Any]] = {}
        for host in groups.get("all") or []:
            if host not in hostvars:
                continue
            keys = HOST_KEYS + (SITE_KEYS if host in dns_hosts else ())
            said = hostvars[host]
            view[host] = {k: self._templar.template(said[k]) for k in keys if k in said}
        return plan_from_vars(view, groups)

    def _site(self, args: dict[str, Any], task_vars: Mapping[str, Any]) -> dict[str, Any]:
        topology, source = _topology(args, task_vars)
        hosts = args.get("hosts")
        if not isinstance(hosts, list) or not all(isinstance(h, str) for h in hosts):
            raise Tier3Error("hosts", "", "scope site needs hosts: the list of hosts checked",
                             hint="hosts: \"{{ ansible_play_hosts_all }}\" of the host play (playbooks/check.yml)")
        try:
            threshold = Severity(str(args.get("fail_on", DEFAULT_FAIL_ON)))
        except ValueError:
            raise Tier3Error("fail_on", "", f"must be one of: {', '.join(s.value for s in Severity)}") from None
        checks, lost = self._gathered(hosts, str(args.get("results_var") or DEFAULT_RESULTS_VAR), task_vars)
        probe = bool(args.get("probe", True))
        ca_file = args.get("ca_file") or None
        scope = set(hosts)  # a --limit probes the VIPs and DNS servers of its hosts only
        if probe and ca_file and vip_listeners(topology, scope) and not Path(ca_file).is_file():
            raise Tier3Error("ca_file", "", f"{ca_file}: no such file",
                             hint="the CA certificate (PEM) on the controller")
        plan = self._dns_plan(task_vars) if bool(args.get("dns", True)) and topology.dns is not None else None
        scanner = scan_with_sslyze if bool(args.get("scan", True)) else None
        site_findings, site_facts = judge_site(topology, checks, probe=probe, ca_file=ca_file,
                                      timeout=float(args.get("timeout") or PROBE_TIMEOUT), dns=plan, scope=scope,
                                      scanner=scanner)
        # a rule of a kind the step did not measure did not run: "not evaluated", never a pass
        left = unmeasured(topology, scope, probe=probe, scan=scanner is not None, dns=plan)
        report = check_report(checks, site_findings, source=source, probed=LISTENER_KIND not in left,
                              scanned=SCAN_KIND not in left, extra_findings=lost,
                              dns_probed=DNS_KIND not in left, topology=topology, checked=hosts,
                              hardware_off={h for h in hosts if not self._checks_hardware(
                                  task_vars.get("hostvars", {}).get(h, {}))})
        written = self._write(report, args.get("report_dir"))
        errors = [f for f in report.findings if f.status is Status.ERROR]
        stop = blocking([f for f in report.failed if f.status is Status.FAIL], threshold)
        objects = (f", {declared_summary(report.declared)}" if report.declared else "")
        summary = (f"tier3 check: {len(hosts)} host(s), {len(report.evidence)} evidence item(s), "
                   f"{len(report.all_checks())} check(s){objects}; {len(stop)} failed at {threshold.value} or worse, "
                   f"{len(errors)} host or item(s) not judged")
        out: dict[str, Any] = {"changed": False, "summary": summary, "report_files": written,
                               "findings": [f.to_dict() for f in report.findings],
                               "checks": [c.rule_id for c in report.all_checks()], "facts": site_facts,
                               "unmeasured": left,
                               "failed_rules": sorted({f"{f.rule_id} {f.subject}" for f in [*stop, *errors]})}
        if stop or errors:
            out["failed"] = True
            out["msg"] = summary + "\n" + "\n".join(format_text(f) for f in [*errors, *stop])
        else:
            out["msg"] = summary
        return out

    @staticmethod
    def _write(report: Any, report_dir: Any) -> list[str]:
        if not report_dir:
            return []
        target = Path(str(report_dir))
        written = []
        try:
            target.mkdir(parents=True, exist_ok=True)
            for fmt, name in REPORT_FILES.items():
                path = target / name
                with path.open("w", encoding="utf-8") as out:
                    writer(fmt)(report, out)
                written.append(str(path))
        except OSError as exc:
            raise Tier3Error(str(target), "", f"cannot write the reports: {exc.strerror or exc}",
                             hint="choose a writable report_dir") from None
        return written
