"""``tier3 fw plan|push|rollback --pair NAME``: a firewall pair from its vendor-neutral policy (docs/firewall.md)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from tier3.check.run import inventory_paths
from tier3.drill.inventory import Templater, ansible_inventory, shown, unvault
from tier3.errors import Tier3Error
from tier3.firewall.pair import REVERT_SECONDS
from tier3.firewall.run import BLOCKING, execute, members, refusal, target
from tier3.schema.loader import load_inventory

DESCRIPTION = """\
A firewall pair of the inventory (tier3_firewall_pairs) and the policy it enforces (tier3_firewall_policies),
driven from this machine with Netmiko, one SSH session per member:
  plan      read each member's HA role and running policy, print the diff against the intended policy;
            changes nothing
  push      plan, keep a rollback copy of each member's policy (--state-dir), push with the device's revert
            timer armed (to the active member where the pair syncs its configuration, else to both, standby
            first), verify both members run it and the active member did not change, then confirm; on any
            failure every member already changed is rolled back, and the report says what happened on each
  rollback  put each member back on its rollback copy from the last push
The policy must load cleanly and pass the firewall rules (T3-FWL-*) at high or worse before any member is
contacted."""

EPILOG = """\
exit status:
  0    done: planned, pushed and confirmed, rolled back, or nothing to change
  1    the run failed on a member (unreachable, a command rejected, a session lost, the active member
       changed): the report names what happened on each member; every member changed was rolled back
       unless the report says "left to its revert timer"
  2    bad input: the pair, its policy (a T3-FWL finding at high or worse), the inventory or a credential;
       no member was contacted
  3    internal error (a bug in tier3)

examples:
  tier3 fw plan --pair lab-fw -i inventory/lab
  tier3 fw push --pair lab-fw -i inventory/lab --revert-seconds 60
  tier3 fw rollback --pair lab-fw -i inventory/lab"""


def default_state_dir() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "tier3" / "fw"


def add_parser(sub: Any) -> None:
    p = sub.add_parser("fw", help="plan, push and roll back a firewall pair's policy", description=DESCRIPTION,
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("verb", choices=("plan", "push", "rollback"), help="what to do")
    p.add_argument("--pair", required=True, help="the pair's name (tier3_firewall_pairs[].name)")
    p.add_argument("-i", "--inventory", action="append", default=[], metavar="INVENTORY",
                   help="inventory source (default: the one ansible.cfg names)")
    p.add_argument("--revert-seconds", type=int, default=REVERT_SECONDS,
                   help=f"how long a push stays unconfirmed before the device rolls it back (default {REVERT_SECONDS})")
    p.add_argument("--state-dir", type=Path, default=default_state_dir(),
                   help="where the rollback copies are kept (default $XDG_STATE_HOME/tier3/fw)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")


def _progress(member: str, step: str) -> None:
    print(f"tier3 fw: {member}: {step}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    if not 10 <= args.revert_seconds <= 3600:
        raise Tier3Error("tier3 fw", "--revert-seconds", f"{args.revert_seconds} is outside 10-3600",
                         hint="give the device time to be confirmed, and not an hour more")
    sources = inventory_paths(args.inventory)
    topology = load_inventory(sources[0], *sources[1:]).topology
    chosen = target(topology, args.pair)
    refused = refusal(topology, chosen)
    if refused and args.verb != "rollback":
        for f in refused:
            where = f"{f.location.file}: {f.location.key}" if f.location else topology.source
            print(f"tier3 fw: {where}: {f.rule_id} [{f.severity.value}] {f.subject}: {f.message} (fix: {f.hint})",
                  file=sys.stderr)
        print(f"tier3 fw: {len(refused)} finding(s) at {BLOCKING.value} or worse on pair {chosen.pair.name}: "
              "nothing was contacted", file=sys.stderr)
        return 2
    listing = ansible_inventory(list(sources))
    hostvars = listing.get("_meta", {}).get("hostvars", {})
    source = shown(list(sources))
    hostvars = {name: unvault(source, hostvars[name]) for name in chosen.pair.members if name in hostvars}
    templater = Templater(hostvars, source)
    resolved = {name: templater(name, name, dict(hostvars.get(name, {}))) for name in chosen.pair.members
                if name in hostvars}
    reached = members(source, chosen, resolved)
    report = execute(args.verb, chosen, reached, state_dir=args.state_dir, revert_seconds=args.revert_seconds,
                     on_step=_progress)
    if args.json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
    else:
        for entry in report.members.values():
            if entry.diff and args.verb in ("plan", "push"):
                sys.stdout.write(entry.diff if entry.diff.endswith("\n") else entry.diff + "\n")
        sys.stdout.write("\n".join(report.lines()) + "\n")
    return 0 if report.ok else 1
