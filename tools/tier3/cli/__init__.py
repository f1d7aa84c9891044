"""The ``tier3`` command: parse arguments, call one library function, print, return an exit code.

Each subcommand lives in its own module with ``add_parser(subparsers)`` and ``run(args) -> int``;
``COMMANDS`` is the dispatch table. ``main(argv)`` never lets a ``Tier3Error`` escape as a
traceback: it prints one line on stderr and returns 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from tier3 import __version__
from tier3.errors import Tier3Error

# subcommand name -> module under tier3.cli that implements it (imported lazily: start-up stays fast)
COMMANDS: dict[str, str] = {
    "validate": "tier3.cli.validate",
    "rules": "tier3.cli.rules",
    "lab": "tier3.cli.lab",
    "inspect": "tier3.cli.inspect",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tier3", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--version", action="version", version=f"tier3 {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        if only is not None and name != only:
            sub.add_parser(name, help=f"(see tier3 {name} --help)")
            continue
        importlib.import_module(module_name).add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    wanted = args_list[0] if args_list and args_list[0] in COMMANDS else None
    parser = build_parser(only=wanted)
    if wanted is None:
        # no or unknown command: full help (importing every subcommand is fine here)
        parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # argparse: usage errors exit 2, --help exits 0
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(importlib.import_module(COMMANDS[args.command]).run(args))
    except Tier3Error as exc:
        print(f"tier3 {args.command}: {exc.one_line()}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"tier3 {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
