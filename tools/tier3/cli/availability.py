"""``tier3 availability -i INVENTORY [--service NAME|all] [--format text|json|html] [--what-if CHANGE]...``."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from tier3.availability import SERVICES, evaluate
from tier3.availability.exact import TooEntangled
from tier3.availability.montecarlo import estimate
from tier3.availability.whatif import GRAMMAR, apply
from tier3.errors import Tier3Error
from tier3.report.availability import WRITERS, AvailabilityReport
from tier3.schema import InventorySchemaErrors
from tier3.schema.loader import load_inventory

DESCRIPTION = """\
What the declared design can promise: for each mail service, the path it needs end to end (uplink,
firewall pair, load balancers, MX or IMAP hosts with their storage, DNS; power and network under
each host), as a fault tree whose shared failure domains are shared events (both supplies of a host
on one feed fail together; a site loss takes everything in it), computed exactly. Prints the
steady-state availability, the expected downtime a year and the minimal cut sets ranked by their
share of it. Reliability figures: tier3_reliability over the built-in defaults (docs/availability.md).
Nothing is changed; nothing is contacted."""

EPILOG = f"""\
--what-if CHANGE (repeatable, applied in order) evaluates the inventory with a change and prints
the figures before and after. CHANGE is one of:
  {GRAMMAR}

exit status:
  0    computed; every declared target (tier3_targets) is reached
  1    a service misses its declared availability or RTO target
  2    bad input (inventory errors, a --what-if that names nothing, an unwritable --output)
  3    internal error (a bug in tier3)

examples:
  tier3 availability -i inventory/example
  tier3 availability -i inventory/example --service smtp-in --what-if 'set uplink fra1-uplink-b carrier=Carrier-A'
  tier3 availability -i inventory/example --format html --output reports/availability.html"""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "availability",
        help="the computed availability of each mail service, its cut sets, and what a change buys",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("-i", "--inventory", required=True, metavar="INVENTORY", help="inventory directory or file")
    p.add_argument("--service", choices=[*SERVICES, "all"], default="all", help="one service or all (default)")
    p.add_argument("--format", choices=tuple(WRITERS), default="text", help="output format (default: text)")
    p.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
    p.add_argument("--what-if", action="append", default=[], metavar="CHANGE",
                   help="evaluate with this change too and print before and after (repeatable)")
    p.add_argument("--top", type=int, default=5, metavar="N", help="cut sets shown per service (default: 5)")
    p.add_argument("--monte-carlo", type=int, default=0, metavar="SAMPLES",
                   help="also estimate each figure by sampling (seeded), as a cross-check, on standard error")


def run(args: argparse.Namespace) -> int:
    if args.top < 1:
        raise Tier3Error("--top", "", f"{args.top} is not a positive count", hint="--top 5")
    try:
        loaded = load_inventory(args.inventory)
    except InventorySchemaErrors as exc:
        for line in exc.lines():
            print(f"tier3 availability: {line}", file=sys.stderr)
        return exc.exit_code
    topology = loaded.topology
    services = None if args.service == "all" else [args.service]
    changed = topology
    for change in args.what_if:
        changed = apply(changed, change)
    try:
        started = time.perf_counter()
        results = evaluate(changed, services)
        baseline = evaluate(topology, services) if args.what_if else []
    except TooEntangled as exc:
        raise Tier3Error(args.inventory, "", str(exc), hint="the exact method enumerates shared components "
                         "per site: fewer components shared across racks, or report the design to tier3") from None
    elapsed = time.perf_counter() - started
    report = AvailabilityReport(topology.source, tuple(results), tuple(baseline), tuple(args.what_if), args.top)
    from tier3.cli.validate import _opened  # noqa: PLC0415  (the one writer of --output files)

    with _opened(args.output) as out:
        WRITERS[args.format](report, out)
    if args.monte_carlo:
        for result in results:
            p, se = estimate(result.structure, args.monte_carlo, seed=1)
            print(f"tier3 availability: {result.service}: Monte Carlo ({args.monte_carlo} draws) {p:.3e} +/- {se:.1e}; "
                  f"exact {result.unavailability:.3e}", file=sys.stderr)
    events = max((len(r.structure.events) for r in results), default=0)  # the services share their events
    print(f"tier3 availability: {len(results)} service(s), {events} events, {elapsed:.2f} s", file=sys.stderr)
    missed = [r for r in results if r.meets_availability is False or r.rto_breaches]
    return 1 if missed else 0
