"""``sulh tokens create|list|revoke``: device tokens for station devices.

``create`` prints the raw token once (it is never stored or shown again); ``list`` shows
no secret. Officers who need a second factor get no device token: they use the API signed
in and step up (``POST /api/step-up``).
"""

from __future__ import annotations

import argparse

from sulh.accounts.policy import DEVICE_SCOPES
from sulh.core.setup import setup_django

DEFAULT_DAYS = 90  # sulh.api.tokens.DEFAULT_DAYS, without setting Django up for --help


def register(subparsers: argparse._SubParsersAction) -> None:
    tokens = subparsers.add_parser("tokens", help="device tokens for station devices")
    actions = tokens.add_subparsers(dest="tokens_command", metavar="ACTION", required=True)
    create = actions.add_parser(
        "create", help="a token for one device at one station (printed once)"
    )
    create.add_argument("--user", required=True, help="the staff account the device acts as")
    create.add_argument("--station", required=True, help="the station code the device is at")
    create.add_argument("--device", required=True, help="the device's name, e.g. tablet-3")
    create.add_argument(
        "--scope",
        required=True,
        action="append",
        choices=sorted(DEVICE_SCOPES),
        help="what the device may do (repeat for several): "
        + "; ".join(f"{scope}: {action}" for scope, action in DEVICE_SCOPES.items()),
    )
    create.add_argument(
        "--days",
        type=int,
        default=DEFAULT_DAYS,
        help=f"validity (default {DEFAULT_DAYS}, at most 365)",
    )
    create.set_defaults(handler=_create)
    listing = actions.add_parser("list", help="every device token, without secrets")
    listing.set_defaults(handler=_list)
    revoke = actions.add_parser("revoke", help="revoke a device token at once")
    revoke.add_argument("id", type=int, help="the token's id (sulh tokens list)")
    revoke.set_defaults(handler=_revoke)


def _create(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.api import tokens

    created = tokens.device_token_create(
        user=tokens.user_named(args.user),
        station=tokens.station_coded(args.station),
        device=args.device,
        scopes=args.scope,
        days=args.days,
    )
    token = created.token
    print(
        f"device token {token.pk} for {token.user.username} on {token.device} at "
        f"{token.station.code}, scopes {token.scopes}, "
        f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC"
    )
    print("Give this to the device now; it is not stored and will not be shown again:")
    print(created.raw)
    return 0


def _list(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.api import tokens

    rows = tokens.device_tokens_list()
    if not rows:
        print("no device tokens")
        return 0
    print("id\tstate\tstation\tdevice\tuser\tscopes\texpires\tlast used")
    for token in rows:
        used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
        print(
            f"{token.pk}\t{tokens.device_token_state(token)}\t{token.station.code}\t"
            f"{token.device}\t{token.user.username}\t{token.scopes}\t"
            f"{token.expires_at:%Y-%m-%d}\t{used}"
        )
    return 0


def _revoke(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.api import tokens

    token = tokens.device_token_revoke(token_id=args.id)
    print(f"device token {token.pk} ({token.device} at {token.station.code}) revoked")
    return 0
