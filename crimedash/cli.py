"""The command-line face of crimedash: the same core as the app, no browser needed.

Each subcommand is a small function `cmd_NAME(args) -> int` registered in `COMMANDS`
with a function that adds its arguments. Any `CrimedashError` is printed as a message
and exits 2; anything else is a bug and shows a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from crimedash import __version__
from crimedash.errors import CrimedashError


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
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except CrimedashError as exc:
        print(f"crimedash: {exc}", file=sys.stderr)
        return 2


def _commands() -> dict:
    """The subcommands, registered where they are written (crimedash.commands).

    The CLI imports the commands and never the other way round, so the registry lives
    with them; imported here rather than at the top so `import crimedash.cli` stays
    cheap for callers that only want `main`.
    """
    from crimedash.commands import COMMANDS

    return COMMANDS
