"""``tier3 lab up | down | status | image | monitoring | fault | heal``: the local lab of systemd containers
under Podman with the firewall pair (network namespaces), and (``--metal``) the metal hosts: QEMU VMs
with two switches and BMC emulators.

up      build the image if its recipe changed, start the containers and the firewall pair, write
        inventory/lab (idempotent); --metal: the metal hosts too, --metal-only: only them,
        --firewall-only: only the firewall pair
down    remove the containers, the network, volumes, the VMs, switches, emulators, the firewall pair and
        inventory/lab (--purge: the images too; --metal-only: only the VMs, switches and emulators;
        --firewall-only: only the firewall pair)
status  each host's container (VM, firewall) state and its systemd (sshd and VRRP) state; the metal lab's
        switches and BMCs
image   make sure the lab image exists (Molecule's dependency step); prints its name
monitoring  the lab's Prometheus targets up per job and the alerts Alertmanager holds
fault   inject a fault into a running metal host: HOST FAULT (faults: see `tier3 lab fault --help`)
heal    remove it again: HOST FAULT
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
from tier3.lab.faults import FAULTS
from tier3.lab.hosts import select
from tier3.lab.metal import METAL
from tier3.lab.progress import Steps


def add_parser(sub: Any) -> None:
    p = sub.add_parser("lab", help="the local lab: Podman systemd containers, metal VMs and inventory/lab",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    inventory_help = "inventory directory to write/remove (default: inventory/lab of the project around the cwd)"
    up = actions.add_parser("up", help="build (if needed) and start the lab; write inventory/lab")
    up.add_argument("hosts", nargs="*", metavar="HOST", help="only these lab hosts (default: all)")
    up.add_argument("--rebuild", action="store_true", help="rebuild the image even if it exists")
    up.add_argument("--inventory", type=Path, help=inventory_help)
    up.add_argument("--quiet", action="store_true", help="print only the summary line")
    metal = up.add_mutually_exclusive_group()
    metal.add_argument("--metal", action="store_true", help="also the metal hosts (QEMU VMs, switches, BMCs)")
    metal.add_argument("--metal-only", action="store_true",
                       help="only the metal hosts, no container (inventory/lab keeps the running containers)")
    metal.add_argument("--firewall-only", action="store_true",
                       help="only the firewall pair (network namespaces, sshd, keepalived); inventory/lab keeps "
                       "the running containers")
    down = actions.add_parser("down", help="remove everything the lab created")
    down.add_argument("--purge", action="store_true", help="also remove the lab image and the build cache")
    only = down.add_mutually_exclusive_group()
    only.add_argument("--metal-only", action="store_true",
                      help="only the metal hosts, switches and BMCs (the containers stay; inventory/lab is "
                      "written without the VMs, or removed when no lab host is left)")
    only.add_argument("--firewall-only", action="store_true",
                      help="only the firewall pair (the containers stay; inventory/lab is written without it)")
    down.add_argument("--inventory", type=Path, help=inventory_help)
    actions.add_parser("status", help="each host's container and systemd state")
    image = actions.add_parser("image", help="make sure the lab image exists; print its name")
    image.add_argument("--rebuild", action="store_true", help="rebuild the image even if it exists")
    actions.add_parser("monitoring", help="the lab's Prometheus targets and Alertmanager's alerts, now")
    table = "\n".join(f"  {name:<20} {fault.about}" for name, fault in FAULTS.items())
    for action, verb in (("fault", "inject"), ("heal", "remove")):
        what = f"{verb} a fault on a running metal host"
        cmd = actions.add_parser(action, help=what, description=f"{what.capitalize()}.\n\nfaults:\n{table}",
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
        cmd.add_argument("host", choices=[m.name for m in METAL], metavar="HOST",
                         help=f"a metal host: {', '.join(m.name for m in METAL)}")
        cmd.add_argument("fault", choices=list(FAULTS), metavar="FAULT", help="one of: " + ", ".join(FAULTS))


def run(args: argparse.Namespace) -> int:
    out = Console(file=sys.stdout, highlight=False, soft_wrap=True)
    if args.action == "up":
        steps = Steps(out, quiet=args.quiet)
        alone = args.metal_only or args.firewall_only
        hosts = select(args.hosts, metal=args.metal or args.metal_only, containers=not alone,
                       firewall=not args.metal_only)
        result = lab.up(hosts, args.inventory, steps, rebuild=args.rebuild, keep_running=alone)
        if result.changed:
            made = ", ".join(result.created) or "none"
            out.print(f"lab up: ready in {result.seconds:.1f} s (created: {made}; "
                      f"image built: {'yes' if result.image_built else 'no'})", markup=False)
        else:
            out.print(f"lab up: nothing to do, every host is running ({result.seconds:.1f} s)", markup=False)
        return 0
    if args.action == "down":
        only = ("vm",) if args.metal_only else ("firewall",) if args.firewall_only else ()
        gone = lab.down(args.inventory, purge=args.purge, steps=Steps(out), only=only)
        what = (len(gone.containers), len(gone.networks), len(gone.volumes), len(gone.images))
        metal = (len(gone.vms), len(gone.switches), len(gone.emulators))
        out.print("lab down: removed {} containers, {} networks, {} volumes, {} images".format(*what)
                  + (", {} VMs, {} switches, {} emulators".format(*metal) if any(metal) else "")
                  + (f", the firewall pair ({len(gone.namespaces)} namespaces, {len(gone.processes)} processes)"
                     if gone.namespaces or gone.processes else "")
                  + (", inventory/lab" if gone.inventory_removed else "")
                  + ("; inventory/lab written without them" if gone.inventory_rewritten else "")
                  + (", .cache/lab" if gone.cache_removed else ""), markup=False)
        return 0
    if args.action == "image":
        steps = Steps(Console(file=sys.stderr, highlight=False, soft_wrap=True))
        print(lab.ensure_lab_image(steps, rebuild=args.rebuild))
        return 0
    if args.action == "monitoring":
        return _monitoring(out)
    if args.action in ("fault", "heal"):
        done = lab.fault(args.host, args.fault, heal=args.action == "heal")
        out.print(f"lab {args.action} {args.host} {args.fault}: {done}", markup=False)
        return 0
    return _status(out)


def _status(out: Console) -> int:
    rows = lab.status()
    table = Table(title="tier3 lab")
    for column in ("host", "groups", "runs as", "address", "state", "systemd"):
        table.add_column(column)
    for row in rows:
        h = row.host
        table.add_row(h.name, ",".join(h.groups), h.instance, h.address, row.container, row.system)
    out.print(table)
    parts = lab.metal_parts()
    if parts:
        metal = Table(title="tier3 lab: metal switches and BMCs")
        for column in ("kind", "name", "where", "state"):
            metal.add_column(column)
        for part in parts:
            metal.add_row(part.kind, part.name, part.where, part.state)
        out.print(metal)
    return 0 if all(r.container == "running" for r in rows) and all(p.state == "running" for p in parts) else 1


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
