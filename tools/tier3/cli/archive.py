"""``tier3 archive verify|fetch|purge|hold|release``: the mail archive of a site, from the controller."""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tier3.archive.site import STORE, SiteOptions, ad_hoc, site_policy, verify_site
from tier3.archive.verify import prove_inclusion
from tier3.check.run import inventory_paths
from tier3.errors import ArchiveError, Tier3Error
from tier3.ledger.examine import load_snapshot
from tier3.report.text import text_lines

DESCRIPTION = """\
The mail archive of a site (docs/archive.md), from this machine, one round trip per host:
  verify   every archive replica: the chained log, every signed head (and the Merkle consistency of the
           last two), the head kept as witness from the last clean verification, each object's hash and
           flags, no plaintext, retention against the inventory; and every message the MX pair's Postfix
           logged as accepted, in every replica or still waiting in an MX queue. Read-only on the hosts;
           the witness files (one per host) are kept in --witness-dir and advance only on a clean replica.
  fetch    one message, decrypted here with the reader's identity (never on an archive host), after its
           ciphertext hashed to its address and its log entry proved included under the newest signed head.
  hold, release, purge
           legal holds (who, why, kept in the chained log) and the deletion of what is past retention and
           under no hold; a purge refuses, naming the object, anything else and deletes nothing then."""

EPILOG = """\
exit status:
  0    clean (verify), done (fetch, hold, release, purge)
  1    findings: a rule failed (verify)
  2    bad input, a refusal (a purge of a held or unexpired object), or a host that could not be read
  3    internal error (a bug in tier3)

examples:
  tier3 archive verify -i inventory/lab
  tier3 archive fetch -i inventory/lab --host archive1 --id 3fa4... --identity .cache/lab/archive-identity.txt
  tier3 archive hold -i inventory/lab --name case-17 --mailbox cfo@example.net --by legal --reason "matter 17"
  tier3 archive purge -i inventory/lab --by records-office"""


def default_witness_dir() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "tier3" / "archive-witness"


def add_parser(sub: Any) -> None:
    p = sub.add_parser("archive", help="verify, fetch from, hold and purge the mail archive",
                       description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-i", "--inventory", action="append", default=[], metavar="INVENTORY",
                        help="inventory source (default: the one ansible.cfg names)")
    common.add_argument("--store", default=STORE, help=f"the store on the archive hosts (default {STORE})")
    verify = actions.add_parser("verify", parents=[common], help="judge every replica and reconcile with Postfix")
    verify.add_argument("--witness-dir", type=Path, default=default_witness_dir(),
                        help="where the witness of each host is kept (default $XDG_STATE_HOME/tier3/archive-witness)")
    verify.add_argument("--since", default="-7d", help="how far back the MX log is read (journalctl --since)")
    verify.add_argument("--json", action="store_true", help="print the findings and facts as JSON")
    fetch = actions.add_parser("fetch", parents=[common], help="decrypt one message, its hash and inclusion proved")
    fetch.add_argument("--host", required=True, help="the archive host to read it from")
    fetch.add_argument("--id", required=True, dest="address", help="the object's address (SHA-256 of its ciphertext)")
    fetch.add_argument("--identity", type=Path, required=True, help="the reader's age identity file")
    fetch.add_argument("-o", "--output", type=Path, help="write the message here (default: standard output)")
    for name, text in (("hold", "set a legal hold"), ("release", "release a legal hold"),
                       ("purge", "delete what is past retention and under no hold")):
        action = actions.add_parser(name, parents=[common], help=text)
        action.add_argument("--by", required=True, help="who does it (kept in the log)")
        if name != "purge":
            action.add_argument("--name", required=True, help="the hold's name (a matter or case id)")
            action.add_argument("--reason", required=True, help="why (kept in the log)")
        if name != "release":
            action.add_argument("--object", action="append", default=[], help="an object's address (repeat)")
        if name == "hold":
            action.add_argument("--mailbox", action="append", default=[], help="a mailbox, its mail to come too")
            action.add_argument("--domain", action="append", default=[], help="a domain, its mail to come too")


def _say(line: str) -> None:
    print(line, flush=True)


def _verify(args: argparse.Namespace) -> int:
    inventory = inventory_paths(args.inventory)
    options = SiteOptions(inventory, args.witness_dir, args.since, site_policy(inventory), args.store)
    verdict = verify_site(options, _say if not args.json else lambda _line: None)
    if args.json:
        json.dump({"findings": [f.to_dict() for f in verdict.findings], "unreachable": verdict.unreachable,
                   "witnesses": verdict.witnesses}, sys.stdout, indent=1, default=str)
        print()
    else:
        for line in text_lines(verdict.findings):
            print(line)
        print(f"archive: {len(verdict.replicas)} replica(s) verified, {len(verdict.findings)} finding(s); "
              f"witnesses in {args.witness_dir}")
    if verdict.unreachable:
        for host, why in sorted(verdict.unreachable.items()):
            print(f"tier3 archive verify: {host}: not read: {why}", file=sys.stderr)
        return 2
    return 1 if verdict.findings else 0


def _fetch(args: argparse.Namespace) -> int:
    inventory = inventory_paths(args.inventory)
    path = f"{args.store}/objects/{args.address[:2]}/{args.address[2:]}"
    objects, failed = ad_hoc(inventory, args.host, "ansible.builtin.slurp", f"src={path}")
    snapshots, failed_too = ad_hoc(inventory, args.host, "ansible.builtin.command",
                                   f"/usr/local/bin/tier3-archive snapshot --store {args.store}")
    if args.host in failed or args.host in failed_too or args.host not in objects:
        why = failed.get(args.host) or failed_too.get(args.host) or "no such host in the inventory"
        raise ArchiveError(args.host, args.address, f"cannot read the object: {why}", hint="check --host and --id")
    ciphertext = base64.b64decode(objects[args.host]["content"])
    if hashlib.sha256(ciphertext).hexdigest() != args.address:
        raise ArchiveError(args.host, args.address, "the object does not hash to its address (altered)",
                           hint="fetch it from the other replica; run tier3 archive verify")
    snapshot = load_snapshot(str(snapshots[args.host].get("stdout", "")), f"{args.host}: tier3-archive snapshot")
    index, size = prove_inclusion(args.address, snapshot, args.host)
    done = subprocess.run(["age", "--decrypt", "-i", str(args.identity)], input=ciphertext, capture_output=True,
                          check=False)
    if done.returncode != 0:
        raise ArchiveError(str(args.identity), "", f"age could not decrypt: {done.stderr.decode(errors='replace')}",
                           hint="give the identity of one of the archive's recipients")
    if args.output:
        args.output.write_bytes(done.stdout)
    else:
        sys.stdout.buffer.write(done.stdout)
    print(f"tier3 archive fetch: {args.address} from {args.host}: hash verified, entry {index} included under the "
          f"signed head of {size} entries, {len(done.stdout)} bytes decrypted", file=sys.stderr)
    return 0


def _host_command(args: argparse.Namespace) -> int:
    inventory = inventory_paths(args.inventory)
    argv = ["/usr/local/bin/tier3-archive", args.action, "--store", args.store, "--by", args.by]
    if args.action != "purge":
        argv += ["--name", args.name, "--reason", args.reason]
    argv += [f"--object={a}" for a in getattr(args, "object", [])]
    argv += [f"--mailbox={m}" for m in getattr(args, "mailbox", [])]
    argv += [f"--domain={d}" for d in getattr(args, "domain", [])]
    answered, failed = ad_hoc(inventory, "archive", "ansible.builtin.command",
                              " ".join(_quoted(a) for a in argv))
    for host, res in sorted(answered.items()):
        print(f"✓ {host}: {args.action} {res.get('stdout', '').strip() or 'done'}")
    for host, why in sorted(failed.items()):
        print(f"✗ {host}: {why}", file=sys.stderr)
    return 2 if failed or not answered else 0


def _quoted(word: str) -> str:
    return "'" + word.replace("'", "'\"'\"'") + "'"


def run(args: argparse.Namespace) -> int:
    try:
        if args.action == "verify":
            return _verify(args)
        if args.action == "fetch":
            return _fetch(args)
        return _host_command(args)
    except Tier3Error:
        raise
    except KeyError as exc:
        raise ArchiveError("tier3 archive", str(exc), "an answer from a host lacked a field",
                           hint="run playbooks/archive.yml so the hosts run this tier3's tier3-archive") from None
