"""``tier3 drill NAME [-i INVENTORY] [--duration S] [--rate PER_S] [--output FILE]``: a failover drill."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from tier3.drill import DRILLS, DrillOptions, execute, load_site

DESCRIPTION = """\
Kill one node of the mail cluster hard (lab: podman kill; SSH hosts: SIGKILL to its service) while a
client on this machine streams mail through the VIP, then restore it. Prints the figures as JSON:
takeover_s (fault to the service back for good, from the client's side; cross-checked with
keepalived's notify log when a VIP moved), sent, accepted, readable_on_survivor,
readable_after_rejoin, delayed, lost, holders_after. Judges them with the T3-OBS-DRL rules against
the inventory's tier3_drill (rto_seconds, rpo_messages) and writes a JSON report. Progress goes to
standard error. Nothing is killed when the cluster is not healthy before the drill."""

EPILOG = """\
drills:
{drills}

exit status:
  0    the drill passed every rule
  1    a drill rule failed (takeover over the RTO, messages lost over the RPO, VIP not on exactly one member)
  2    bad input or a cluster not fit for a drill: unknown drill, an inventory without the groups, VIPs,
       tier3_drill or mailbox it needs (the one line names the key), a VIP on 0 or 2 members before the drill
  3    internal error (a bug in tier3); the killed node is restored first

examples:
  tier3 drill lb-failover
  tier3 drill mx-failover -i inventory/lab --duration 30 --rate 10
  tier3 drill imap-failover -i inventory/prod --output reports/drills/imap-$(date +%F).json"""

MAX_DURATION = 3600.0
MAX_RATE = 50.0


def _seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {value!r}") from None
    if not 4.0 <= number <= MAX_DURATION:
        raise argparse.ArgumentTypeError(f"expected 4 to {MAX_DURATION:g} seconds, got {value!r}")
    return number


def _rate(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected messages per second, got {value!r}") from None
    if not 0 < number <= MAX_RATE:
        raise argparse.ArgumentTypeError(f"expected a rate above 0 and at most {MAX_RATE:g} per second, got {value!r}")
    return number


def add_parser(sub: Any) -> None:
    drills = "\n".join(f"  {name:<15}{d.summary} ({d.runbook})" for name, d in DRILLS.items())
    p = sub.add_parser(
        "drill",
        help="kill a node while mail streams through the VIP; measure takeover and loss; restore",
        description=DESCRIPTION,
        epilog=EPILOG.format(drills=drills),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("name", choices=tuple(DRILLS), metavar="NAME", help=f"the drill: {', '.join(DRILLS)}")
    p.add_argument("-i", "--inventory", action="append", default=[], metavar="INVENTORY",
                   help="inventory source, as for ansible (repeat for several; default: the one ansible.cfg names)")
    p.add_argument("--duration", type=_seconds, default=DrillOptions.duration, metavar="S",
                   help=f"seconds of streaming, 4 to {MAX_DURATION:g} (default {DrillOptions.duration:g}; "
                        "the node dies at min(5, S/4) s)")
    p.add_argument("--rate", type=_rate, default=DrillOptions.rate, metavar="PER_S",
                   help=f"messages (and IMAP polls) per second (default {DrillOptions.rate:g})")
    p.add_argument("--output", type=Path, metavar="FILE",
                   help="the JSON report (default: reports/drills/NAME-YYYYMMDDTHHMMSSZ.json); the probe log "
                        "goes beside it")
    p.add_argument("--keep-messages", action="store_true",
                   help="leave the drill's messages in the drill mailbox (default: deleted once counted)")


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _terminated(signum: int, _frame: object) -> None:
    """SIGTERM (a CI job's timeout, systemd): unwind like Ctrl-C, so the killed node is restored first."""
    raise SystemExit(128 + signum)


def run(args: argparse.Namespace) -> int:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminated)
    site = load_site(args.inventory)
    options = DrillOptions(duration=args.duration, rate=args.rate, keep_messages=args.keep_messages)
    outcome = execute(args.name, site, options, args.output, _progress)
    sys.stdout.write(json.dumps(outcome.result, indent=2) + "\n")
    return 1 if outcome.failed else 0
