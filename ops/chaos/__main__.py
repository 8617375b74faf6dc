"""`python -m ops.chaos --seed N --hazards M --rounds R`: one seeded chaos run (`make chaos`).

Prints the seed first (and how to replay it), the faults of each round, any problem the
checker found, and last one line `RESULT lost=… duplicates=… reordered=… faults=… items=…`.
Exits 1 when anything was lost, duplicated or reordered.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
from pathlib import Path

from ops.chaos.run import Options, run
from ops.chaos.world import PG_ADMIN_DSN


def parse(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(prog="python -m ops.chaos", description=__doc__)
    parser.add_argument("--seed", type=int, default=None, help="default: a new random seed")
    parser.add_argument("--hazards", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=16)
    parser.add_argument("--faults-per-round", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument(
        "--pg-dsn", default=PG_ADMIN_DSN, help="admin database of the PostgreSQL server to use"
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument(
        "--env", action="append", default=[], metavar="KEY=VALUE", help="extra service env"
    )
    args = parser.parse_args(argv)
    extra = dict(item.split("=", 1) for item in args.env)
    return Options(
        seed=args.seed if args.seed is not None else secrets.randbelow(10**6),
        hazards=args.hazards,
        rounds=args.rounds,
        faults_per_round=args.faults_per_round,
        extra_env=extra,
        workdir=args.workdir,
        keep=args.keep,
        admin_dsn=args.pg_dsn,
    )


def main(argv: list[str] | None = None) -> int:
    outcome = asyncio.run(run(parse(sys.argv[1:] if argv is None else argv)))
    print(outcome.result_line(), flush=True)
    return 0 if outcome.verdict.clean and outcome.settled else 1


if __name__ == "__main__":
    sys.exit(main())
