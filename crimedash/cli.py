"""The command-line face of crimedash: the same core as the app, no browser needed.

Each subcommand is a small function `cmd_NAME(args) -> int` registered in
`crimedash.commands.COMMANDS` with a function that adds its arguments.

Exit codes follow the usual convention: 0 done, 1 refused or bad data (any
`CrimedashError`, printed as a message with its hint), 2 a usage error (argparse's own).
Anything else is a bug and shows a traceback. A reader that closes the pipe early
(`crimedash designs list --json | head`) is not an error worth a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from crimedash import __version__
from crimedash.errors import CrimedashError

__all__ = ["EXIT_OK", "EXIT_REFUSED", "EXIT_USAGE", "build_parser", "main"]

EXIT_OK = 0
EXIT_REFUSED = 1  # a refusal or a data error: the message says what to change
EXIT_USAGE = 2  # the command line itself is wrong (argparse exits with this)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crimedash",
        description="Design privacy-safe public crime maps (see README.md).",
    )
    parser.add_argument("--version", action="version", version=f"crimedash {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, configure, handler) in _commands().items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        configure(p)
        p.set_defaults(handler=handler)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        code = args.handler(args)
        sys.stdout.flush()  # a closed pipe shows up here, not at interpreter exit
        return code
    except CrimedashError as exc:
        print(f"crimedash: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except BrokenPipeError:
        _drop_stdout()
        return EXIT_REFUSED


def _drop_stdout() -> None:
    """Point stdout at /dev/null so Python's final flush cannot raise again (the recipe
    in the signal module's documentation for SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (captured output)
        pass


def _commands() -> dict:
    """The subcommands, registered where they are written (crimedash.commands).

    The CLI imports the commands and never the other way round, so the registry lives
    with them; imported here rather than at the top so `import crimedash.cli` stays
    cheap for callers that only want `main`.
    """
    from crimedash.commands import COMMANDS  # importing the package registers every command

    return COMMANDS
