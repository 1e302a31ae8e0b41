"""``sulh users enrol-code USERNAME``: a one-time code with which an account enrols (or
replaces) its authenticator app."""

from __future__ import annotations

import argparse
import sys

from sulh.core.setup import setup_django


def register(subparsers: argparse._SubParsersAction) -> None:
    users = subparsers.add_parser("users", help="staff accounts")
    actions = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    enrol = actions.add_parser(
        "enrol-code",
        help="print a one-time enrolment code for an account's second factor (shown once, "
        "good for SULH_ENROLMENT_CODE_HOURS, 24 by default); it also removes the account's "
        "authenticator, so it is how a lost one is reset",
    )
    enrol.add_argument("username")
    enrol.set_defaults(handler=_enrol_code)


def _enrol_code(args: argparse.Namespace) -> int:
    setup_django()
    from django.conf import settings

    from sulh.accounts import security
    from sulh.accounts.models import User

    user = User.objects.filter(username=args.username).first()
    if user is None:
        print(f"error: username: no account {args.username!r}", file=sys.stderr)
        return 2
    code = security.enrolment_code_issue(user=user)
    print(code)
    hours = settings.SULH_ENROLMENT_CODE_HOURS
    print(
        f"give it to {user.username} in person: it is good once, for {hours} hours, and is not "
        "stored (only its hash); the account's previous authenticator no longer works",
        file=sys.stderr,
    )
    if not security.needs_second_factor(user):
        print(
            f"note: the role of {user.username} does not ask for a second factor", file=sys.stderr
        )
    return 0
