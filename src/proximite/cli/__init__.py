"""The ``proximite`` command line: a thin shell over the library.

Each sub-command lives in its own module of this package and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a
function ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from proximite.errors import ProximiteError

#: Sub-command modules, in the order shown by ``proximite --help``.
COMMANDS = ("audit", "route", "plan", "batch")


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every available sub-command."""
    from proximite import __version__

    parser = argparse.ArgumentParser(
        prog="proximite",
        description="Measure access to France Services on real open data.",
    )
    parser.add_argument("--version", action="version", version=f"proximite {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"proximite.cli.{name}")
        except ModuleNotFoundError as exc:  # a sub-command not written yet
            if exc.name != f"proximite.cli.{name}":
                raise
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``proximite`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except ProximiteError as exc:
        print(f"proximite {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except FileNotFoundError as exc:
        name = exc.filename or exc
        print(f"proximite {args.command}: error: file not found: {name}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
