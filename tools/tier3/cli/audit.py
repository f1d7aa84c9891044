"""``tier3 audit [-i INVENTORY] [-o DIR]``: the site judged for auditors; ``--verify-bundle DIR`` checks a bundle."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from tier3.archive.site import SiteOptions, site_policy, verify_site
from tier3.audit.bundle import verify_bundle
from tier3.check.run import ROOT, inventory_paths, progress_line, run_playbook
from tier3.cli.archive import default_witness_dir
from tier3.errors import Tier3Error
from tier3.rules import RULES
from tier3.rules.observed.archive import KIND as ARCHIVE_KIND
from tier3.rules.observed.archive import RECONCILIATION
from tier3.schema import load_inventory

PLAYBOOK = ROOT / "playbooks" / "audit.yml"
AUDIT_ACTIONS = ("tier3.dc.tier3_audit", "tier3_audit")

DESCRIPTION = """\
Judge the whole site for auditors: every rule of the one catalogue on the declared inventory and on
the live hosts (one tier3_evidence round trip each, through playbooks/audit.yml and ansible-runner, a
line per host as it answers), the VIP listeners measured from here (TLS versions, cipher suites
against the Mozilla intermediate profile, certificates, AUTH before TLS), the mail archive verified
(tier3 archive verify) and the drills' last reports. The inventory's tier3_waivers turn exactly the
findings they name into waived until they expire; a rule with no evidence is "not evaluated", never
a pass. Writes DIR/report.html, report.json (versioned schema), report.junit.xml, summary.md,
oscal/assessment-results.json and the evidence bundle (DIR/evidence: every raw item, a manifest of
their SHA-256, signed with the controller's Ed25519 key). Read-only on every host."""

EPILOG = """\
exit status:
  0    verdict pass (waived and not-evaluated results are reported, and do not fail)
  1    verdict fail: a rule failed, a waiver expired, or a host could not be read
  2    bad input (the inventory, an option, a bundle that does not verify); nothing is written
  3    internal error (a bug in tier3)

examples:
  tier3 audit -i inventory/lab
  tier3 audit -i inventory/prod -o /srv/audits/2026-12 --signing-key /etc/tier3/audit.key
  tier3 audit --verify-bundle reports/audit/evidence --public-key auditor-pinned.pub"""


def add_parser(sub: Any) -> None:
    p = sub.add_parser("audit", help="judge the whole site for auditors: reports, OSCAL, the signed evidence bundle",
                       description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-i", "--inventory", action="append", default=[], metavar="INVENTORY",
                   help="inventory source (repeat for several; default: the one ansible.cfg names)")
    p.add_argument("--limit", default="", metavar="HOSTS", help="an Ansible host pattern: read only these hosts")
    p.add_argument("-o", "--output-dir", default="reports/audit", type=Path, metavar="DIR",
                   help="where the reports and the evidence bundle go (default reports/audit)")
    p.add_argument("--drills-dir", default=Path("reports/drills"), type=Path, metavar="DIR",
                   help="the drills' reports; the last of each drill is judged (default reports/drills)")
    p.add_argument("--no-archive", action="store_true", help="do not verify the mail archive (tier3 archive verify)")
    p.add_argument("--no-scan", action="store_true",
                   help="do not scan the listeners with sslyze: T3-OBS-TLS-007..010 are then not evaluated")
    p.add_argument("--witness-dir", type=Path, default=default_witness_dir(), metavar="DIR",
                   help="the archive heads kept from the last clean verification, as tier3 archive verify keeps "
                        "them (default: %(default)s)")
    p.add_argument("--signing-key", type=Path, metavar="PEM",
                   help="the Ed25519 key that signs the manifest (default: ~/.config/tier3/audit-signing.key)")
    p.add_argument("--today", default=None, type=_day, metavar="YYYY-MM-DD", help="judge the waivers as on this day")
    p.add_argument("--verify-bundle", type=Path, metavar="DIR",
                   help="check an evidence bundle: every hash against its manifest, and the signature")
    p.add_argument("--public-key", type=Path, metavar="PEM", help="with --verify-bundle: the key you trust")


def _day(value: str) -> str:
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a calendar date: {value!r} (write YYYY-MM-DD)") from None


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _verify(args: argparse.Namespace) -> int:
    checked = verify_bundle(args.verify_bundle, args.public_key)
    for problem in checked.problems:
        print(f"✗ {problem}")
    state = "verifies" if checked.ok else f"does NOT verify ({len(checked.problems)} problem(s))"
    print(f"tier3 audit: bundle {args.verify_bundle}: {checked.items} item(s), key {checked.key_sha256}: {state}")
    return 0 if checked.ok else 2


def _archive(paths: tuple[str, ...], out_dir: Path, witness_dir: Path) -> Path:
    """``tier3 archive verify`` of the archive hosts (the witnesses of ``witness_dir`` advanced as it advances
    them), written as a report the audit adds."""
    options = SiteOptions(paths, witness_dir, policy=site_policy(paths))
    _say("→ the mail archive: tier3 archive verify")
    verdict = verify_site(options, _say)
    ran = [r.id for r in RULES.values() if ARCHIVE_KIND in r.kinds and verdict.replicas] + [
        r.id for r in RULES.values() if RECONCILIATION in r.kinds and verdict.reconciliation is not None]
    target = out_dir / "archive-verify.json"
    out_dir.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"title": "tier3 archive verify", "findings": [f.to_dict() for f in verdict.findings],
                                  "checks": [{"rule_id": r} for r in ran], "unreachable": verdict.unreachable},
                                 indent=1, default=str) + "\n", encoding="utf-8")
    return target


def audit_result(event: dict[str, Any]) -> dict[str, Any] | None:
    """The tier3_audit task's result in an ansible-runner event (None for every other event)."""
    data = event.get("event_data") or {}
    if data.get("task_action") in AUDIT_ACTIONS and event.get("event") in ("runner_on_ok", "runner_on_failed"):
        res = data.get("res")
        return dict(res) if isinstance(res, dict) else {}
    return None


def run(args: argparse.Namespace) -> int:
    if args.verify_bundle is not None:
        return _verify(args)
    paths = inventory_paths(args.inventory)
    topology = load_inventory(*paths).topology  # a bad inventory is exit 2 here, before any host is touched
    out_dir = args.output_dir.resolve()
    extra = []
    if not args.no_archive and topology.group("archive"):
        extra.append(str(_archive(paths, out_dir, args.witness_dir)))
    command = "tier3 audit " + " ".join(shlex.quote(a) for a in sys.argv[2:])
    variables: dict[str, Any] = {"tier3_audit_dir": str(out_dir),
                                 "tier3_audit_drills_dir": str(args.drills_dir.resolve()),
                                 "tier3_audit_extra_reports": extra, "tier3_audit_command": command.strip()}
    if args.signing_key:
        variables["tier3_audit_signing_key"] = str(args.signing_key.resolve())
    if args.today:
        variables["tier3_audit_today"] = args.today
    if args.no_scan:
        variables["tier3_check_scan"] = False
    _say(f"→ tier3 audit: {' + '.join(paths)}{f' (limit {args.limit})' if args.limit else ''}")
    seen: dict[str, dict[str, Any]] = {}

    def on_event(event: dict[str, Any]) -> None:
        line = progress_line(event)
        said = audit_result(event)
        if said is not None:
            seen["audit"] = said
            line = f"{'✗' if said.get('failed') else '✓'} {said.get('summary') or said.get('msg', '')}"
        if line:
            _say(line)

    rc = run_playbook(PLAYBOOK, paths, args.limit, variables, on_event)
    result = seen.get("audit")
    if not isinstance(result, dict) or "verdict" not in result:
        why = (result or {}).get("msg") if isinstance(result, dict) else None
        raise Tier3Error(" + ".join(paths), "", str(why or f"ansible-playbook exited {rc} before the audit step"),
                         hint="fix what it says; ansible-playbook playbooks/audit.yml -v shows the whole run")
    print(f"tier3 audit: verdict {result['verdict'].upper()}: " + ", ".join(
        f"{n} {o}" for o, n in result["counts"].items()))
    for line in result.get("failed_results", []):
        print(f"  ✗ {line}")
    print(f"tier3 audit: report {out_dir / 'report.html'} (JSON, JUnit, summary.md, OSCAL and the signed evidence "
          f"bundle beside it; key {result.get('key_sha256', '')[:16]})")
    return 0 if result["verdict"] == "pass" else 1
