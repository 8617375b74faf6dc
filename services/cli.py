"""The `duban` command: one small dispatcher, each command's work lives in its own module."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="duban", description="Duban (督办) command line")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "run", help="start the whole stack (broker, databases, the three services, sinks)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.command == "run":
        from services.runner import main as run

        return run()
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
