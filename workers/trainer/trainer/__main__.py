"""`python -m trainer <command>`; commands are added as the trainer grows."""

from __future__ import annotations

import argparse
import sys

from .events import EventWriter

COMMANDS: dict[str, str] = {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trainer", description=__doc__)
    parser.add_argument("command", nargs="?", help="one of: " + (", ".join(COMMANDS) or "(none yet)"))
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    if args.command not in COMMANDS:
        EventWriter().error(f"unknown command {args.command!r}")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
