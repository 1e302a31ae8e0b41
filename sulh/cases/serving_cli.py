"""``sulh users serve|unserve|services``: which programs (and stations) an officer serves."""

from __future__ import annotations

import argparse

from sulh.core.setup import setup_django


def _users_commands(subparsers: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """The ``users`` group's sub-commands, made here or shared with another package's."""
    users = subparsers.choices.get("users")
    if users is None:
        users = subparsers.add_parser("users", help="staff accounts")
        return users.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    for action in users._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    raise RuntimeError("the users command has no sub-commands")


def register(subparsers: argparse._SubParsersAction) -> None:
    commands = _users_commands(subparsers)
    for name, help_text, handler in (
        ("serve", "let an officer see a program's cases (at a station, where it says so)",
         _serve),
        ("unserve", "stop an officer seeing a program's cases (at a station, or all)", _unserve),
    ):  # fmt: skip
        command = commands.add_parser(name, help=help_text)
        command.add_argument("username")
        command.add_argument("--program", required=True, help="the program's id")
        command.add_argument("--station", default="", help="a station's code")
        command.set_defaults(handler=handler)
    listing = commands.add_parser("services", help="list the programs an officer serves")
    listing.add_argument("username")
    listing.set_defaults(handler=_services)


def _serve(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.cases.serving import officer_serve

    officer_serve(username=args.username, program_code=args.program, station_code=args.station)
    where = f" at {args.station}" if args.station else ""
    print(f"{args.username} serves {args.program}{where}")
    return 0


def _unserve(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.cases.serving import officer_unserve

    ended = officer_unserve(
        username=args.username, program_code=args.program, station_code=args.station
    )
    print(f"{ended} service(s) ended")
    return 0


def _services(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.cases.serving import officer_services

    for program, station in officer_services(username=args.username):
        print(f"{program}\t{station or '(every station)'}")
    return 0
