"""``sulh keyring init`` and ``sulh keyring rotate``: the site's data keys, made and rotated
only on purpose."""

from __future__ import annotations

import argparse

from sulh.core.setup import setup_django
from sulh.keys.keyring import keyring_create, keyring_rotate, keys_dir
from sulh.keys.token import token_configured, token_labels


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
    split = actions.add_parser(
        "split",
        help="print n shares of the key-encryption key, any m of which make it again "
        "(give each to a different custodian)",
    )
    split.add_argument("--shares", type=int, required=True, help="how many shares (n)")
    split.add_argument("--threshold", type=int, required=True, help="how many make the key (m)")
    split.set_defaults(handler=_split)
    combine = actions.add_parser(
        "combine",
        help="make the key-encryption key again from m shares read one per line on standard "
        "input, and check that it opens this site's keyring",
    )
    combine.add_argument(
        "--out",
        required=True,
        help="file to write the key to (mode 0600), outside the data folder; then point "
        "SULH_MASTER_KEY_FILE at it",
    )
    combine.set_defaults(handler=_combine)
    register_keys(subparsers)


def register_keys(subparsers: argparse._SubParsersAction) -> None:
    keys = subparsers.add_parser("signing", help="the signing keys' PKCS#11 token")
    actions = keys.add_subparsers(dest="signing_command", metavar="ACTION", required=True)
    check = actions.add_parser(
        "token-init",
        help="open the configured token (SULH_PKCS11_MODULE, _TOKEN, _PIN_FILE) and list "
        "this site's keys in it; new keys are then made inside it (sulh card root-init "
        "--online on a development site, sulh card certify in production)",
    )
    check.set_defaults(handler=_token_init)


def _token_init(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.keys.services import signer_backend

    if not token_configured():
        print("error: SULH_PKCS11_MODULE: no token configured; keys are " + signer_backend())
        return 2
    labels = token_labels()
    print(f"signer: {signer_backend()}: {len(labels)} keys of this site in it")
    for label in labels:
        print(f"  {label}")
    return 0


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


def _split(args: argparse.Namespace) -> int:
    setup_django()
    from sulh.keys.keyring import master_key
    from sulh.keys.recovery import kek_split

    shares = kek_split(master_key(), shares=args.shares, threshold=args.threshold)
    print(
        f"{len(shares)} shares, any {args.threshold} of which make the key-encryption key; "
        "give each to a different custodian and keep none on this host:"
    )
    for share in shares:
        print(share)
    return 0


def _combine(args: argparse.Namespace) -> int:
    setup_django()
    import base64
    import sys
    from pathlib import Path

    from sulh.keys.keyring import (
        keyring_exists,
        master_key_opens_keyring,
        refuse_beside_data,
        write_private,
    )
    from sulh.keys.recovery import kek_combine

    out = Path(args.out).resolve()
    refuse_beside_data(out, field="out")
    key = kek_combine(sys.stdin.read().splitlines())
    if keyring_exists() and not master_key_opens_keyring(key):
        print("error: shares: the key they make does not open this site's keyring")
        return 2
    write_private(out, base64.b64encode(key) + b"\n")
    print(f"key-encryption key written to {out}: set SULH_MASTER_KEY_FILE={out}")
    return 0
