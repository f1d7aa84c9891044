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

KIND_NAMES = (
    "bonding", "mdstat", "mdadm-detail", "multipath", "cryptsetup", "luksdump", "lsblk", "lldp", "ip-link",
    "redfish", "ipmi-sdr",
)


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "inspect",
        help="parse tool output or a BMC and judge redundancy / encryption",
        description="Parse what a host or a BMC says and print facts, a verdict and findings as JSON. "
        "Exit 0 when parsed (whatever the verdict), 2 on bad input.",
    )
    p.add_argument("kind", choices=KIND_NAMES, help="what SOURCE holds")
    p.add_argument("source", help="a file, '-' for standard input, or for redfish a BMC URL or a saved Redfish tree")
    p.add_argument("--json", action="store_true", help="print JSON only (the default output is JSON too, indented)")
    p.add_argument("-i", "--inventory", metavar="PATH",
                   help="judge with this inventory's tier3_policy (and --host's own); default: the built-in policy")
    p.add_argument("--host", metavar="NAME", help="the inventory host SOURCE was read from (its policy applies)")
    p.add_argument("--ca-file", help="CA bundle to verify the BMC's TLS certificate")
    p.add_argument("--insecure", action="store_true", help="do not verify the BMC's TLS certificate (lab only)")
    p.add_argument("--username-env", default="TIER3_BMC_USERNAME", help="environment variable holding the BMC user")
    p.add_argument("--password-env", default="TIER3_BMC_PASSWORD", help="environment variable holding the BMC password")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per BMC request (default 10)")
    p.add_argument("--retries", type=int, default=2, help="retries per BMC GET on timeouts and 5xx answers (default 2)")
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
    kind = all_kinds()[args.kind]
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
