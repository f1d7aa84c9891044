"""``tier3 inspect KIND SOURCE [--json]``: parsed facts and a verdict from tool output or a BMC."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from tier3.inspect import InspectOptions, all_kinds

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


def run(args: argparse.Namespace) -> int:
    kind = all_kinds()[args.kind]
    options = InspectOptions(
        ca_file=args.ca_file,
        insecure=args.insecure,
        username_env=args.username_env,
        password_env=args.password_env,
        timeout=args.timeout,
        retries=args.retries,
        extra={"auth": args.auth},
    )
    report = kind.inspect(args.source, options)
    indent = None if args.json else 2
    sys.stdout.write(json.dumps(report, indent=indent, sort_keys=False) + "\n")
    return 0
