"""The `duban` command: one small dispatcher, each command's work lives in its own module."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import Any

SERVICE_NAMES = ["hazard_api", "escalation", "notification", "reporting"]


def migrate(service_name: str | None) -> int:
    from ops.preparing import load_service, migrate
    from ops.stack import SERVICES

    # A service without data (the portal) has nothing to migrate: its settings are not needed.
    specs = [s for s in SERVICES if s.keeps_data and service_name in (None, s.name)]
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
    migrate_cmd.add_argument("service", nargs="?", choices=SERVICE_NAMES)
    seed = commands.add_parser(
        "seed-demo", help="write the demo county into hazard_api's database (development only)"
    )
    seed.add_argument(
        "--if-empty",
        action="store_true",
        help="only into an empty directory (default: whenever the demo county is absent)",
    )
    _admin_parsers(commands)
    calendar = commands.add_parser("calendar", help="the official holiday schedule of a year")
    calendar_actions = calendar.add_subparsers(dest="action", required=True)
    load = calendar_actions.add_parser(
        "load", help="load (or replace) a year's schedule from a JSON or YAML file"
    )
    load.add_argument("file", help="JSON or YAML: year, notice_no, holidays, workdays")
    load.add_argument("--by", required=True, help="the county-office account loading it")
    _directory_parsers(commands)
    _dead_letter_parsers(commands)
    _reporting_parsers(commands)
    check = commands.add_parser(
        "check-config", help="list what in this deployment's settings is unsafe for production"
    )
    check.add_argument("service", nargs="?", choices=SERVICE_NAMES)
    return parser


def _admin_parsers(commands: Any) -> None:
    admin = commands.add_parser("admin", help="county-office accounts from the server's shell")
    actions = admin.add_subparsers(dest="action", required=True)
    create = actions.add_parser(
        "create", help="create a county-office administrator (works in production)"
    )
    create.add_argument("username")
    create.add_argument("--name", required=True, help="the administrator's name (姓名)")
    create.add_argument("--mobile")
    create.add_argument("--email")
    create.add_argument(
        "--unit", help="unit id (the county or a department); default: the safety office"
    )
    create.add_argument("--county", help="an empty directory only: the county's name")
    create.add_argument("--area-code", help="with --county: its GB/T 2260 code")
    client = actions.add_parser(
        "client",
        help="create an integration account (对接系统) bound to the county, e.g. reporting's",
    )
    client.add_argument("username")
    client.add_argument(
        "--scopes", nargs="+", required=True, help="e.g. hazards:read listing:external"
    )
    client.add_argument("--unit", help="unit id it is bound to; default: the county")
    reset = actions.add_parser("reset-password", help="set a new password (and unlock the account)")
    reset.add_argument("username")
    for command in (create, client, reset):
        command.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of standard input (no prompt)",
        )


def _directory_parsers(commands: Any) -> None:
    directory = commands.add_parser(
        "directory", help="the organisation directory as an XLSX spreadsheet (import/export)"
    )
    actions = directory.add_subparsers(dest="action", required=True)
    importing = actions.add_parser(
        "import", help="check a whole file, then write all of it or nothing (upsert by codes)"
    )
    importing.add_argument("file", help="an .xlsx file in the template's format")
    importing.add_argument(
        "--dry-run", action="store_true", help="check and count only; write nothing"
    )
    export = actions.add_parser("export", help="write the whole directory to an .xlsx file")
    export.add_argument("file")
    blank = actions.add_parser("template", help="write the empty import template")
    blank.add_argument("file")


def directory(args: argparse.Namespace) -> int:
    from ops.directory import run_export, run_import, run_template

    if args.action == "import":
        return run_import(args.file, dry_run=args.dry_run)
    if args.action == "export":
        return run_export(args.file)
    return run_template(args.file)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError("须为正整数")
    return int(text)


def _dead_letter_parsers(commands: Any) -> None:
    letters = commands.add_parser(
        "dead-letters", help="events the consumers gave up on (<topic>.dlq)"
    )
    actions = letters.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="one line per dead letter")
    listing.add_argument("--topic", help="e.g. hazard.events (default: every .dlq topic)")
    listing.add_argument("--limit", type=_positive, help="only the N most recent")
    replay = actions.add_parser(
        "replay", help="publish dead-lettered events again to their topic (same event id)"
    )
    replay.add_argument("--topic", required=True, help="e.g. hazard.events")
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", dest="ids", action="append", metavar="EVENT_ID")
    which.add_argument("--all", action="store_true")


def _reporting_parsers(commands: Any) -> None:
    reporting = commands.add_parser(
        "reporting", help="the upward submissions ledger: replay or verify a submission"
    )
    actions = reporting.add_subparsers(dest="action", required=True)
    replay = actions.add_parser(
        "replay", help="send a (dead-lettered) submission again: same webhook-id, current secret"
    )
    replay.add_argument("ref", metavar="ID", help="the webhook-id (msg_…) or ledger number")
    verify = actions.add_parser(
        "verify", help="regenerate a past submission from the ledger and compare byte for byte"
    )
    verify.add_argument("ref", metavar="ID", help="the webhook-id (msg_…) or ledger number")


def admin(args: argparse.Namespace) -> int:
    from ops.admin import NewAdmin, run_create, run_reset
    from ops.clients import run_client

    if args.action == "reset-password":
        return run_reset(args.username, password_stdin=args.password_stdin)
    if args.action == "client":
        return run_client(args.username, args.scopes, args.unit, password_stdin=args.password_stdin)
    data = NewAdmin(
        username=args.username,
        name=args.name,
        mobile=args.mobile,
        email=args.email,
        unit_id=args.unit,
        county=args.county,
        area_code=args.area_code,
    )
    return run_create(data, password_stdin=args.password_stdin)


def dead_letters(args: argparse.Namespace) -> int:
    from ops.deadletters import run_list, run_replay

    if args.action == "list":
        return run_list(args.topic, args.limit)
    return run_replay(args.topic, None if args.all else args.ids)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.command == "run":
        from ops.stack import main as run

        return run()
    if args.command == "migrate":
        return migrate(args.service)
    if args.command == "seed-demo":
        return seed_demo(args.if_empty)
    if args.command == "admin":
        return admin(args)
    if args.command == "directory":
        return directory(args)
    if args.command == "dead-letters":
        return dead_letters(args)
    if args.command == "reporting":
        from ops.reporting import run as reporting

        return reporting(args.action, args.ref)
    if args.command == "calendar":
        from ops.calendar import run_load

        return run_load(args.file, args.by)
    if args.command == "check-config":
        from ops.checks import run as check_config

        return check_config(args.service)
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
