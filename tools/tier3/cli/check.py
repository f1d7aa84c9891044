"""``tier3 check [-i INVENTORY] [--limit HOSTS] [-o DIR]``: the live hosts against the rules and the inventory."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tier3.check import host_kinds
from tier3.check.run import CheckOptions, inventory_paths, run_check
from tier3.errors import Tier3Error
from tier3.model import Severity, Status, blocking
from tier3.report import writer
from tier3.schema import load_inventory

DESCRIPTION = """\
Read every host of the inventory in one round trip each (the tier3_evidence module: the outputs the
kinds it owes need, each with its command, exit code, time and SHA-256), judge them on this machine
with the observed rules and against what the inventory declares: each VIP held by exactly one of its
members, the Postfix queue of each MX, Dovecot replication on each IMAP host, every service of
every VIP probed from here (answers, TLS versions, certificate, no AUTH before TLS), and each
declared BMC read from here (power supplies against the declared ones, PDUs and feeds). Runs
playbooks/check.yml through ansible-runner, with a line per host as its result arrives; writes
check.json (every finding and every evidence item with its SHA-256), check.junit.xml and check.html
to DIR, and prints the findings. Read-only: nothing on a host is changed."""

EPILOG = """\
kinds each host owes (from the inventory):
  mx group       postqueue       (postqueue -j)
  imap group     replicator      (doveadm replicator status '*' and doveadm replicator status)
  a VIP member   vip-holders     (ip -j addr; judged over every member at once)
  tier3_host.bmc redfish         (or ipmi-sdr for protocol ipmi; read from this machine, not with --no-bmc)
  --kind KIND    any other kind a host gives (tier3 inspect --help lists them)

exit status:
  0    every host read and every rule passed (or failed below --fail-on)
  1    findings: a rule failed at --fail-on or worse
  2    bad input or a host that could not be judged: an inventory that does not validate, an unreachable
       host, an item a host could not give (the report names each); the reports are still written
  3    internal error (a bug in tier3)

examples:
  tier3 check
  tier3 check -i inventory/lab --limit mx -o reports/check
  tier3 check -i inventory/prod --kind mdstat --kind bonding --fail-on high"""


def add_parser(sub: Any) -> None:
    p = sub.add_parser("check", help="read the live hosts (one round trip each) and judge them against the rules",
                       description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-i", "--inventory", action="append", default=[], metavar="INVENTORY",
                   help="inventory source (repeat for several; default: the one ansible.cfg names)")
    p.add_argument("--limit", default="", metavar="HOSTS", help="an Ansible host pattern: check only these hosts")
    p.add_argument("-o", "--output-dir", default="reports/check", metavar="DIR",
                   help="where check.json, check.junit.xml and check.html go (default reports/check)")
    p.add_argument("--kind", action="append", default=[], metavar="KIND",
                   help="a kind every host gives besides the ones it owes (repeat)")
    p.add_argument("--fail-on", choices=[s.value for s in Severity], default="low",
                   help="exit 1 only for failed rules of this severity or worse (default low)")
    p.add_argument("--no-probe", action="store_true", help="do not probe the VIP services from this machine")
    p.add_argument("--no-scan", action="store_true",
                   help="probe the VIP services but do not scan them with sslyze (T3-OBS-TLS-007..010 not judged)")
    p.add_argument("--no-bmc", action="store_true", help="do not read the hosts' declared BMCs from this machine")
    p.add_argument("--ca-file", default="", metavar="PEM",
                   help="the CA the listeners' certificates must verify against (default: pki_ca_dir/ca.crt)")


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    kinds = host_kinds(args.kind, "--kind")
    paths = inventory_paths(args.inventory)
    load_inventory(*paths)  # a bad inventory is exit 2 here, before any host is touched
    options = CheckOptions(inventory=paths, limit=args.limit, kinds=kinds, report_dir=args.output_dir,
                           fail_on=args.fail_on, probe=not args.no_probe, scan=not args.no_scan, ca_file=args.ca_file,
                           bmc=not args.no_bmc)
    _say(f"→ tier3 check: {' + '.join(paths)}{f' (limit {args.limit})' if args.limit else ''}")
    outcome = run_check(options, _say)
    if outcome.report is None:
        raise Tier3Error(" + ".join(paths), "", "; ".join(outcome.problems),
                         hint="fix what it says; ansible-playbook playbooks/check.yml -v shows the whole run")
    writer("text")(outcome.report, sys.stdout)
    print(f"tier3 check: reports in {', '.join(outcome.report_files)}", file=sys.stderr)
    errors = [f for f in outcome.report.findings if f.status is Status.ERROR]
    if errors:
        return 2
    return 1 if blocking(outcome.report.failed, Severity(args.fail_on)) else 0
