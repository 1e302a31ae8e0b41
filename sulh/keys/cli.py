"""``sulh keyring init`` and ``sulh keyring rotate``: the site's data keys, made and rotated
only on purpose."""

from __future__ import annotations

import argparse

from sulh.core.setup import setup_django
from sulh.keys.keyring import keyring_create, keyring_rotate, keys_dir


def register(subparsers: argparse._SubParsersAction) -> None:
    keyring = subparsers.add_parser("keyring", help="the data keys that seal personal fields")
    actions = keyring.add_subparsers(dest="keyring_command", metavar="ACTION", required=True)
    init = actions.add_parser(
        "init",
        help="make this site's keyring (once; without SULH_MASTER_KEY also a development "
        "key-encryption key)",
    )
    init.add_argument(
        "--after-abandon",
        action="store_true",
        help="start over with new keys on a site that was abandoned (nothing sealed before "
        "can be read)",
    )
    init.set_defaults(handler=_init)
    rotate = actions.add_parser(
        "rotate", help="make a new data key active (values sealed before stay readable)"
    )
    rotate.set_defaults(handler=_rotate)


def _init(args: argparse.Namespace) -> int:
    setup_django()
    if keyring_create(after_abandon=args.after_abandon):
        print(f"keyring made in {keys_dir()}: back up this folder apart from the database")
    else:
        print(f"this site already has a keyring in {keys_dir()}: nothing changed")
    return 0


def _rotate(args: argparse.Namespace) -> int:
    setup_django()
    print(f"data key {keyring_rotate()} is now active")
    return 0
