"""CLI subcommands: each parses its arguments, calls the core, and prints the answer.

One module per group of commands (assess and attack; load, store and sample; export and
the design log; the app), each registering `cmd_NAME(args) -> int` in
`crimedash.commands.registry.COMMANDS` with the function that adds its arguments;
`crimedash.cli` builds the parser from `COMMANDS`. Importing this package imports every
command module, so the registry is complete.
"""

from __future__ import annotations

from crimedash.commands import assess, data, publish, serve
from crimedash.commands.registry import COMMANDS

__all__ = ["COMMANDS", "assess", "data", "publish", "serve"]
