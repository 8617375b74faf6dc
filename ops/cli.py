"""The `duban` command: one small dispatcher, each command's work lives in its own module."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence


def migrate(service_name: str | None) -> int:
    from ops.stack import SERVICES, load_service, migrate

    specs = [s for s in SERVICES if service_name in (None, s.name)]
    for spec in specs:
        service = load_service(spec)
        if isinstance(service, str):
            if service_name is not None or not service.startswith("not built yet"):
                print(f"{spec.name}: {service}", file=sys.stderr)
                return 1
            continue
        migrate(service)
    return 0


def seed_demo(if_empty: bool) -> int:
    from services.hazard_api.config import Settings
    from services.hazard_api.directory.seed import seed_demo_database

    settings = Settings()
    if settings.env == "production":
        print(
            "seed-demo 会创建使用公开演示密码的账号，DUBAN_ENV=production 时拒绝执行",
            file=sys.stderr,
        )
        return 2
    created = asyncio.run(seed_demo_database(settings, if_empty=if_empty))
    print("演示县已写入" if created else "目录中已有数据，未写入演示县")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="duban", description="Duban (督办) command line")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "run", help="start the whole stack (broker, databases, the three services, sinks)"
    )
    migrate_cmd = commands.add_parser("migrate", help="upgrade databases to the newest schema")
    migrate_cmd.add_argument(
        "service", nargs="?", choices=["hazard_api", "escalation", "notification"]
    )
    seed = commands.add_parser(
        "seed-demo", help="write the demo county into hazard_api's database (development only)"
    )
    seed.add_argument(
        "--if-empty",
        action="store_true",
        help="only into an empty directory (default: whenever the demo county is absent)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.command == "run":
        from ops.stack import main as run

        return run()
    if args.command == "migrate":
        return migrate(args.service)
    if args.command == "seed-demo":
        return seed_demo(args.if_empty)
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
