"""CLI subcommands: each parses its arguments, calls the core, and prints the answer."""

from __future__ import annotations
