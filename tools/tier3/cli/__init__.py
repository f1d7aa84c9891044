"""The ``tier3`` command: parse arguments, call one library function, print, return an exit code.

Each subcommand lives in its own module with ``add_parser(subparsers)`` and ``run(args) -> int``;
``COMMANDS`` is the dispatch table. Exit status, the same for every subcommand:

    0  clean (or nothing at or above --fail-on)
    1  findings: rules failed
    2  bad input or an environment to fix (unreadable file, bad option, output not writable);
       one line on stderr names the file, key or option and the fix
    3  internal error: a bug in tier3; one line on stderr asks for a bug report
       (TIER3_DEBUG=1 prints the traceback too)
    130 interrupted; 141 standard output closed early (a pipe into head): quiet, as Unix tools do

No exception ever escapes as a traceback with the exit code of a finding.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import os
import sys
import traceback
from collections.abc import Sequence

from tier3 import __version__
from tier3.errors import Tier3Error
from tier3.printable import printable

# subcommand name -> module under tier3.cli that implements it (imported lazily: start-up stays fast)
COMMANDS: dict[str, str] = {
    "validate": "tier3.cli.validate",
    "rules": "tier3.cli.rules",
    "lab": "tier3.cli.lab",
    "inspect": "tier3.cli.inspect",
    "drill": "tier3.cli.drill",
    "check": "tier3.cli.check",
    "availability": "tier3.cli.availability",
    "archive": "tier3.cli.archive",
    "fw": "tier3.cli.fw",
    "audit": "tier3.cli.audit",
}
EXIT_CLEAN, EXIT_FINDINGS, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_INTERRUPTED, EXIT_PIPE = 130, 141  # 128 + SIGINT, 128 + SIGPIPE
EXIT_CODES = """exit status:
  0    clean
  1    findings (rules failed; with --fail-on, at that severity or worse)
  2    bad input: the one line on stderr names the file, key or option and the fix
  3    internal error (a bug in tier3): please report it with the command line"""


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tier3",
        description="Provision and audit Tier III mail sites: check inventories, judge what hosts and BMCs "
        "report, run the local lab.",
        epilog=EXIT_CODES + "\n\nrun `tier3 COMMAND --help` for each command's options and an example",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tier3 {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        if only is not None and name != only:
            sub.add_parser(name, help=f"(see tier3 {name} --help)")
            continue
        importlib.import_module(module_name).add_parser(sub)
    return parser


def _say(command: str, text: str) -> None:
    with contextlib.suppress(OSError):  # stderr gone too: nothing left to tell
        print(f"tier3 {command}: {printable(text)}", file=sys.stderr)


def _stdout_closed() -> int:
    """Standard output was closed by its reader (``| head``): stop quietly, as Unix tools do."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's final flush must not fail again
    except (OSError, ValueError):
        pass
    return EXIT_PIPE


def _run(args: argparse.Namespace) -> int:
    code = int(importlib.import_module(COMMANDS[args.command]).run(args))
    sys.stdout.flush()  # a full disk or a closed pipe shows here, inside the handlers below
    return code


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
        return EXIT_BAD_INPUT
    command = str(args.command)
    try:
        return _run(args)
    except (Exception, KeyboardInterrupt) as exc:
        return _failure(command, exc)


# errno of a write that failed for a reason the user can fix (not a bug)
_WRITE_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS, errno.EBADF)


def _failure(command: str, exc: BaseException) -> int:
    """The exit code and the one line for whatever stopped the command."""
    if isinstance(exc, Tier3Error):
        _say(command, exc.one_line())
        code = exc.exit_code
    elif isinstance(exc, KeyboardInterrupt):
        _say(command, "interrupted")
        code = EXIT_INTERRUPTED
    elif isinstance(exc, BrokenPipeError):
        code = _stdout_closed()
    elif isinstance(exc, OSError) and exc.errno in _WRITE_ERRORS:
        _say(command, f"cannot write the output: {exc.strerror or exc} (fix: free space on the target, or "
             "write elsewhere with --output)")
        code = EXIT_BAD_INPUT
    else:
        code = _internal(command, exc)
    return code


def _internal(command: str, exc: BaseException) -> int:
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" at {os.path.basename(where.filename)}:{where.lineno}" if where else ""
    _say(command, f"internal error{at}: {type(exc).__name__}: {exc} -- this is a bug in tier3 {__version__}; "
         "please report it with the command line (TIER3_DEBUG=1 shows the traceback)")
    if os.environ.get("TIER3_DEBUG"):
        traceback.print_exception(exc, file=sys.stderr)
    return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
