"""The subcommand registry: each command module registers its handler here with the
function that adds its arguments, and `crimedash.cli` builds the parser from `COMMANDS`.

Kept apart from the commands so a command module and the CLI both depend on it and on
nothing of each other.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

__all__ = ["COMMANDS", "Configure", "Handler", "register"]

Handler = Callable[[argparse.Namespace], int]
Configure = Callable[[argparse.ArgumentParser], None]

# name -> (help, configure, handler); filled in by the register() calls below.
COMMANDS: dict[str, tuple[str, Configure, Handler]] = {}


def register(name: str, help: str, configure: Configure) -> Callable[[Handler], Handler]:
    """Add a subcommand to COMMANDS (used as a decorator on its handler)."""

    def deco(fn: Handler) -> Handler:
        COMMANDS[name] = (help, configure, fn)
        return fn

    return deco
