"""Arguments shared by the data-taking subcommands: the inputs, the design as options,
the release plan and progress. The design options are generated from the settings table
(`crimedash.settings.SETTINGS`), so a setting's flag, help and default are spelled once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from crimedash.design import Design
from crimedash.settings import SETTINGS, SETTINGS_BY_NAME, precision_for_frequency

__all__ = [
    "FLAG_ALIASES",
    "add_data_arguments",
    "add_design_arguments",
    "add_plan_arguments",
    "add_progress_argument",
    "also_from_args",
    "dataset_from_args",
    "design_from_args",
    "setting_help",
    "show_progress",
]


def setting_help(name: str) -> str:
    """A setting's help from the settings table, with its default when it has one
    (an empty tuple or None is no default worth printing: "(default: ())" says nothing)."""
    s = SETTINGS_BY_NAME[name]
    text = s.help if s.default is None or s.default == () else f"{s.help} (default: {s.default})"
    return text.replace("%", "%%")  # argparse formats help: a percent sign is its own


def add_progress_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show loading progress on stderr (default: only when stderr is a terminal)",
    )


def show_progress(args: argparse.Namespace) -> bool:
    """Progress lines are for a person watching: on a terminal, or when asked; never
    mixed into a log file or a pipe unless --progress says so."""
    asked = getattr(args, "progress", None)
    return sys.stderr.isatty() if asked is None else asked


def add_data_arguments(p: argparse.ArgumentParser) -> None:
    """Incidents and context layers, as every data-taking subcommand reads them."""
    add_progress_argument(p)
    p.add_argument("incidents", nargs="+", help="incident files, folders or police.uk zips")
    p.add_argument("--households", help="households: address points or polygons")
    p.add_argument(
        "--areas",
        action="append",
        default=[],
        help="an areas layer (output areas, beats...); repeat for several",
    )


# A shorter spelling people already use (and the docs show) beside the setting's own flag.
FLAG_ALIASES: dict[str, tuple[str, ...]] = {"hidden_groups": ("--hide",)}


def _pair(text: str) -> tuple[str, str]:
    """NAME=VALUE on the command line, as a mapping setting's item."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return key.strip(), value.strip()


def add_design_arguments(p: argparse.ArgumentParser) -> None:
    """Every design setting as an option, generated from the settings table: its flag is
    the setting's name with hyphens, its help, choices and default come from its row, so
    a new setting is on the command line the moment it is in the table."""
    g = p.add_argument_group(
        "design", "every setting of docs/design-settings.md; options override --design"
    )
    g.add_argument("--design", help="a design JSON file; options below override it")
    for s in SETTINGS:
        kw: dict = {"dest": s.name, "help": setting_help(s.name)}
        if isinstance(s.default, bool):
            kw["action"] = argparse.BooleanOptionalAction
        elif s.pairs:
            kw.update(nargs="+", type=_pair, metavar="NAME=VALUE")
        elif isinstance(s.default, tuple) or s.default is None:  # a list of words or numbers
            kw["nargs"] = "+"
        if not s.pairs and not isinstance(s.default, bool):
            if s.choices:
                kw["choices"] = s.choices
            elif s.whole:
                kw["type"] = int
            elif isinstance(s.default, float):
                kw["type"] = float
        if s.name == "counts":
            kw["choices"] = (*s.choices, "suppressed")
            kw["help"] += "; 'suppressed' is exact counts with --min-count"
        g.add_argument(s.flag, *FLAG_ALIASES.get(s.name, ()), **kw)


def design_from_args(args: argparse.Namespace) -> Design:
    """The design the options describe (file first, then options on top)."""
    base = Design.from_json(_read_design_file(args.design)) if args.design else Design()
    changes = {}
    for s in SETTINGS:
        value = getattr(args, s.name, None)
        if value is not None:
            changes[s.name] = tuple(value) if isinstance(value, list) else value
    if changes.get("counts") == "suppressed":
        changes["counts"] = "exact"
        if not changes.get("min_count") and not base.min_count:
            changes["min_count"] = 3
    if "time_precision" not in changes and "frequency" in changes and not args.design:
        # a release interval implies showing no finer time than it, unless asked (the
        # app's frequency control applies the same rule)
        changes["time_precision"] = precision_for_frequency(
            changes["frequency"], base.time_precision
        )
    return Design.from_dict({**base.to_dict(), **changes}) if changes else base


def add_plan_arguments(p: argparse.ArgumentParser) -> None:
    """The release plan: the other products published with the design (¶34)."""
    p.add_argument(
        "--also",
        action="append",
        default=[],
        metavar="DESIGN.json",
        help="another product published from the same data (repeatable): the privacy "
        "budget is spent over all of them",
    )


def also_from_args(args: argparse.Namespace) -> list[Design]:
    return [Design.from_json(_read_design_file(path)) for path in args.also]


def _read_design_file(path: str) -> str:
    from crimedash.errors import DesignError

    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DesignError(f"cannot read the design file {path}: {exc}") from None


def dataset_from_args(args: argparse.Namespace, *, quiet: bool = False):
    """The data set the arguments name; progress on stderr when `show_progress` says so
    (`quiet` turns it off regardless, e.g. under --json unless --progress is given)."""
    from crimedash.dataset import load_dataset

    shown = show_progress(args) and not (quiet and getattr(args, "progress", None) is not True)

    def progress(f: float, msg: str) -> None:
        if shown:
            print(f"\r[{f:4.0%}] {msg:<60}", end="", file=sys.stderr, flush=True)

    ds = load_dataset(
        args.incidents, households=args.households, areas=args.areas or None, progress=progress
    )
    if shown:
        print(file=sys.stderr)
    return ds
