"""``tier3-archive``: the archive host's own command (roles/archive installs it), over one store.

    tier3-archive ingest   --store DIR [--journal-domain D] --sender ADDR RECIPIENT...  < message   (pipe(8))
    tier3-archive seal     --store DIR --key FILE [--sweep]   make the batch immutable, sign a head (root)
    tier3-archive keygen   --key FILE                   create the head signing key once; print its public key
    tier3-archive hold     --store DIR --name N --by WHO --reason WHY (--object A | --mailbox M | --domain D)...
    tier3-archive release  --store DIR --name N --by WHO --reason WHY
    tier3-archive holds    --store DIR                  the holds in force, as JSON
    tier3-archive purge    --store DIR --by WHO [--object A]...   (root)
    tier3-archive snapshot --store DIR [--since N]      what a verifier needs, as JSON on stdout

Exit status: 0 done; 2 refused or bad input (one line on stderr names the object or file and the
fix); for ``ingest`` every failure is 75 (EX_TEMPFAIL), so Postfix keeps the message queued and
retries: a journal copy is never dropped.

The MX pair journals each original recipient ``alice@example.net`` as ``alice=example.net@<journal
domain>`` (roles/postfix's recipient_bcc_maps), so the envelope, Bcc recipients included, reaches the
archive; ``--journal-domain`` decodes them back (at the last ``=``, which no domain holds).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from tier3.archive.store import Store
from tier3.errors import Tier3Error
from tier3.ledger import heads

EX_TEMPFAIL = 75


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tier3-archive", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    commands = {name: sub.add_parser(name) for name in
                ("ingest", "seal", "keygen", "hold", "release", "holds", "purge", "snapshot")}
    for name, command in commands.items():
        if name != "keygen":
            command.add_argument("--store", type=Path, required=True, help="the store's root directory")
            command.add_argument("--host", default=None, help="the host name heads carry (default: this host's)")
    commands["ingest"].add_argument("--sender", required=True)
    commands["ingest"].add_argument("--journal-domain", default="", help="decode local=domain@<this domain>")
    commands["seal"].add_argument("--sweep", action="store_true", help="set the flags of every object, not the batch")
    commands["ingest"].add_argument("recipients", nargs="+")
    for name in ("seal", "keygen"):
        commands[name].add_argument("--key", type=Path, required=True, help="the Ed25519 head signing key (PEM)")
    for name in ("hold", "release", "purge"):
        commands[name].add_argument("--by", required=True, help="who does it (kept in the log)")
    for name in ("hold", "release"):
        commands[name].add_argument("--name", required=True, help="the hold's name (a matter or case id)")
        commands[name].add_argument("--reason", required=True, help="why (kept in the log)")
    for name in ("hold", "purge"):
        commands[name].add_argument("--object", action="append", default=[], help="an object's address")
    commands["hold"].add_argument("--mailbox", action="append", default=[])
    commands["hold"].add_argument("--domain", action="append", default=[])
    commands["snapshot"].add_argument("--since", type=int, default=0, help="from this log entry on (incremental)")
    return parser


def _keygen(path: Path) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(heads.new_private_key())
    return heads.public_key_text(path.read_bytes())


def journaled(recipient: str, domain: str) -> str:
    """``alice=example.net@archive1.journal.example`` -> ``alice@example.net`` (others unchanged)."""
    local, _, at = recipient.rpartition("@")
    if not domain or at.lower() != domain.lower() or "=" not in local:
        return recipient
    mailbox, _, original_domain = local.rpartition("=")
    return f"{mailbox}@{original_domain}"


def _run(args: argparse.Namespace) -> int:
    if args.command == "keygen":
        print(_keygen(args.key))
        return 0
    store = Store(args.store, host=args.host)
    if args.command == "ingest":
        recipients = [journaled(r, args.journal_domain) for r in args.recipients]
        print(store.ingest(sys.stdin.buffer.read(), args.sender, recipients))
    elif args.command == "seal":
        head = store.seal(args.key.read_bytes(), sweep=args.sweep)
        print(json.dumps({"changed": head is not None or store.flags_set > 0, "flags_set": store.flags_set,
                          "head": head.to_data() if head else None}))
    elif args.command == "hold":
        store.hold(args.name, {"objects": args.object, "mailboxes": args.mailbox, "domains": args.domain},
                   by=args.by, reason=args.reason)
    elif args.command == "release":
        store.release(args.name, by=args.by, reason=args.reason)
    elif args.command == "holds":
        print(json.dumps({name: hold.__dict__ for name, hold in store.state().holds.items()}, default=sorted))
    elif args.command == "purge":
        print(json.dumps({"purged": store.purge(args.by, args.object)}))
    elif args.command == "snapshot":
        json.dump(store.snapshot(args.since), sys.stdout)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except Tier3Error as error:
        print(f"tier3-archive {args.command}: {error}", file=sys.stderr)
        return EX_TEMPFAIL if args.command == "ingest" else error.exit_code
    except OSError as error:
        print(f"tier3-archive {args.command}: {error}", file=sys.stderr)
        return EX_TEMPFAIL if args.command == "ingest" else 2


if __name__ == "__main__":
    sys.exit(main())
