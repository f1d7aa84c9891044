"""``tier3 lab up | down | status | image | monitoring``: the local lab of systemd containers under Podman.

up      build the image if its recipe changed, start the containers, write inventory/lab (idempotent)
down    remove the containers, the network, volumes and inventory/lab (--purge: the image too)
status  each host's container and systemd state
image   make sure the lab image exists (Molecule's dependency step); prints its name
monitoring  the lab's Prometheus targets up per job and the alerts Alertmanager holds
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from tier3 import lab
from tier3.lab import monitoring
from tier3.lab.hosts import select
from tier3.lab.progress import Steps


def add_parser(sub: Any) -> None:
    p = sub.add_parser("lab", help="the local lab: Podman systemd containers and inventory/lab",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    inventory_help = "inventory directory to write/remove (default: inventory/lab of the project around the cwd)"
    up = actions.add_parser("up", help="build (if needed) and start the lab; write inventory/lab")
    up.add_argument("hosts", nargs="*", metavar="HOST", help="only these lab hosts (default: all)")
    up.add_argument("--rebuild", action="store_true", help="rebuild the image even if it exists")
    up.add_argument("--inventory", type=Path, help=inventory_help)
    up.add_argument("--quiet", action="store_true", help="print only the summary line")
    down = actions.add_parser("down", help="remove everything the lab created")
    down.add_argument("--purge", action="store_true", help="also remove the lab image and the build cache")
    down.add_argument("--inventory", type=Path, help=inventory_help)
    actions.add_parser("status", help="each host's container and systemd state")
    image = actions.add_parser("image", help="make sure the lab image exists; print its name")
    image.add_argument("--rebuild", action="store_true", help="rebuild the image even if it exists")
    actions.add_parser("monitoring", help="the lab's Prometheus targets and Alertmanager's alerts, now")


def run(args: argparse.Namespace) -> int:
    out = Console(file=sys.stdout, highlight=False, soft_wrap=True)
    if args.action == "up":
        steps = Steps(out, quiet=args.quiet)
        result = lab.up(select(args.hosts), args.inventory, steps, rebuild=args.rebuild)
        if result.changed:
            made = ", ".join(result.created) or "none"
            out.print(f"lab up: ready in {result.seconds:.1f} s (created: {made}; "
                      f"image built: {'yes' if result.image_built else 'no'})", markup=False)
        else:
            out.print(f"lab up: nothing to do, every host is running ({result.seconds:.1f} s)", markup=False)
        return 0
    if args.action == "down":
        gone = lab.down(args.inventory, purge=args.purge, steps=Steps(out))
        what = (len(gone.containers), len(gone.networks), len(gone.volumes), len(gone.images))
        out.print("lab down: removed {} containers, {} networks, {} volumes, {} images".format(*what)
                  + (", inventory/lab" if gone.inventory_removed else "")
                  + (", .cache/lab" if gone.cache_removed else ""), markup=False)
        return 0
    if args.action == "image":
        steps = Steps(Console(file=sys.stderr, highlight=False, soft_wrap=True))
        print(lab.ensure_lab_image(steps, rebuild=args.rebuild))
        return 0
    if args.action == "monitoring":
        return _monitoring(out)
    rows = lab.status()
    table = Table(title="tier3 lab")
    for column in ("host", "groups", "container", "address", "state", "systemd"):
        table.add_column(column)
    for row in rows:
        h = row.host
        table.add_row(h.name, ",".join(h.groups), h.container, h.address, row.container, row.system)
    out.print(table)
    return 0 if all(r.container == "running" for r in rows) else 1


def _monitoring(out: Console) -> int:
    """Exit 0 when every target is up, 1 when one is down (a finding about the lab, not an error)."""
    now = monitoring.read()
    out.print(f"Prometheus {now.prometheus}, Alertmanager {now.alertmanager}", markup=False)
    for job, (up, every) in now.jobs.items():
        out.print(f"  {'✓' if up == every else '✗'} {job}: {up}/{every} targets up", markup=False)
    out.print(f"  alerts: {len(now.alerts)}", markup=False)
    for name, severity, instance, state in now.alerts:
        out.print(f"    {name} ({severity}) {instance or '-'}: {state}", markup=False)
    return 0 if all(up == every for up, every in now.jobs.values()) else 1
