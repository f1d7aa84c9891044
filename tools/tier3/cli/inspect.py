"""``tier3 inspect KIND SOURCE [--json] [-i INVENTORY [--host HOST]]``: parsed facts and a verdict from tool
output or a BMC, judged with the default policy or with the ``tier3_policy`` in force for HOST."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from tier3.errors import Tier3Error
from tier3.inspect import InspectOptions, all_kinds
from tier3.model import Topology
from tier3.model.policy import DEFAULT_POLICY, Policy

KINDS = all_kinds()
KIND_NAMES = tuple(KINDS)

DESCRIPTION = """\
Parse what a host or a BMC says (a saved tool output, standard input, or a BMC over the network)
and print the parsed facts, a verdict (redundant / encrypted) and the findings of the observed
rules as JSON. The thresholds are the built-in policy, or the tier3_policy in force for --host in
the inventory given with -i."""

EPILOG = """\
kinds:
{kinds}

exit status:
  0    SOURCE parsed and judged, whatever the verdict (a degraded array is a finding, not an error)
  2    bad input: unreadable or cut SOURCE, a BMC that answers badly, a bad option
  3    internal error (a bug in tier3)

examples:
  tier3 inspect mdstat /proc/mdstat
  ssh mx1 cat /proc/net/bonding/bond0 | tier3 inspect bonding - --json
  tier3 inspect luksdump saved/mx1-luksdump.txt -i inventory/prod --host fra1-mx1
  TIER3_BMC_USERNAME=tier3 TIER3_BMC_PASSWORD=... tier3 inspect redfish https://fra1-mx1-bmc --ca-file ca.pem"""


def _positive(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, a number above 0, got {value!r}") from None
    if not number > 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"expected seconds above 0, got {value!r}")
    return number


def _count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number (0 or more), got {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, got {value!r}")
    return number


def add_parser(sub: Any) -> None:
    kinds = "\n".join(f"  {name:<13}{kind.summary}" for name, kind in KINDS.items())
    p = sub.add_parser(
        "inspect",
        help="parse tool output or a BMC and judge redundancy / encryption",
        description=DESCRIPTION,
        epilog=EPILOG.format(kinds=kinds),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("kind", choices=KIND_NAMES, metavar="KIND", help="what SOURCE holds: one of the kinds below")
    p.add_argument("source", help="a file, '-' for standard input, or for redfish a BMC URL or a saved Redfish tree")
    p.add_argument("--json", action="store_true", help="print JSON only (the default output is JSON too, indented)")
    p.add_argument("-i", "--inventory", metavar="PATH",
                   help="judge with this inventory's tier3_policy (and --host's own); default: the built-in policy")
    p.add_argument("--host", metavar="NAME", help="the inventory host SOURCE was read from (its policy applies)")
    p.add_argument("--ca-file", help="CA bundle to verify the BMC's TLS certificate")
    p.add_argument("--insecure", action="store_true", help="do not verify the BMC's TLS certificate (lab only)")
    p.add_argument("--username-env", default="TIER3_BMC_USERNAME", help="environment variable holding the BMC user")
    p.add_argument("--password-env", default="TIER3_BMC_PASSWORD", help="environment variable holding the BMC password")
    p.add_argument("--timeout", type=_positive, default=10.0, help="seconds per BMC request, above 0 (default 10)")
    p.add_argument("--retries", type=_count, default=2,
                   help="retries per BMC GET on timeouts and 5xx answers, 0 or more (default 2)")
    p.add_argument(
        "--auth", choices=("basic", "session"), default="basic",
        help="Redfish authentication: basic, or a session (X-Auth-Token, deleted at the end)",
    )


def _policy(inventory: str | None, host: str | None) -> tuple[Policy, Topology | None]:
    """The policy to judge with: the built-in defaults, or the inventory's for HOST."""
    if inventory is None:
        if host is not None:
            raise Tier3Error("--host", "", "--host needs -i INVENTORY", hint="add -i PATH of the inventory HOST is in")
        return DEFAULT_POLICY, None
    from tier3.schema import load_inventory  # noqa: PLC0415  (only when an inventory is given)

    topology = load_inventory(inventory).topology
    if host is not None and topology.host(host) is None:
        raise Tier3Error(inventory, "--host", f"host {host!r} is not in the inventory",
                         hint="give an inventory host name (tier3 validate lists the hosts it read)")
    return topology.policy_for(host), topology


def run(args: argparse.Namespace) -> int:
    kind = KINDS[args.kind]
    policy, topology = _policy(args.inventory, args.host)
    options = InspectOptions(
        ca_file=args.ca_file,
        insecure=args.insecure,
        username_env=args.username_env,
        password_env=args.password_env,
        timeout=args.timeout,
        retries=args.retries,
        extra={"auth": args.auth},
        policy=policy,
        topology=topology,
        host=args.host,
    )
    report = kind.inspect(args.source, options)
    indent = None if args.json else 2
    sys.stdout.write(json.dumps(report, indent=indent, sort_keys=False) + "\n")
    return 0
