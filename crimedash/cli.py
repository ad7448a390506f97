"""The command-line face of crimedash: the same core as the app, no browser needed.

Each subcommand is a small function `cmd_NAME(args) -> int` registered in `COMMANDS`
with a function that adds its arguments. Any `CrimedashError` is printed as a message
and exits 2; anything else is a bug and shows a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from crimedash import __version__
from crimedash.errors import CrimedashError

Handler = Callable[[argparse.Namespace], int]
Configure = Callable[[argparse.ArgumentParser], None]

# name -> (help, configure, handler); filled in by the register() calls below.
COMMANDS: dict[str, tuple[str, Configure, Handler]] = {}


def register(name: str, help: str, configure: Configure) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        COMMANDS[name] = (help, configure, fn)
        return fn

    return deco


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crimedash",
        description="Design privacy-safe public crime maps (see README.md).",
    )
    parser.add_argument("--version", action="version", version=f"crimedash {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, configure, handler) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        configure(p)
        p.set_defaults(handler=handler)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    _load_commands()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except CrimedashError as exc:
        print(f"crimedash: {exc}", file=sys.stderr)
        return 2


def _load_commands() -> None:
    """Import the modules that register subcommands (kept lazy so --help stays quick)."""
    import crimedash.commands  # noqa: F401
