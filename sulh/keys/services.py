"""The site's signing keys: reading one never makes one.

A production site gets its root from ``sulh card root-init`` (kept offline; only its public
half is stored here) and its station and publication keys from the certification ceremony
(``sulh card certify``). A development or demo site may instead hold an **online** root,
made by ``sulh card root-init --online`` or by the first write that needs it (issuing a
card, signing a tree head) while ``SULH_PRODUCTION`` is off; with an online root, a write
that signs renews the key it needs when that key is near its end. Reads (the trust list,
the status list, the latest tree head) only ever use the keys that exist, and say which
command to run when one is missing.

Every signature goes through ``Signer``. With a PKCS#11 token configured
(``SULH_PKCS11_MODULE``, see ``sulh.keys.token``) new keys are generated inside the token
and the database keeps only their public half and label; without one (development, the
demo) the private half is sealed in the database under the keyring. A production site
makes no key outside a token, and no key at all implicitly: a missing one is a 503 that
names the command to run.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from sulh.core.errors import Conflict, ValidationFailed
from sulh.keys.keyring import KeysMissing
from sulh.keys.models import MonitorKey, SigningKey, WitnessKey
from sulh.keys.monitors import MonitorKeyError, monitor_public_parse
from sulh.keys.signing import (
    b64u,
    key_id,
    new_private_key,
    public_bytes,
    public_from_bytes,
    sign_raw,
    unb64u,
)
from sulh.keys.token import token_configured, token_generate, token_label, token_sign
from sulh.keys.witnesses import WitnessKeyError, witness_public_parse

SIGNING_KEY_DAYS = 180
ROOT_DAYS = 3650


@dataclass(frozen=True)
class Signer:
    """A key that signs: its id and public half, and the ES256 signature of a message, made
    inside the token that holds the key or, on a development site, with the key sealed in
    the database."""

    row: SigningKey

    @property
    def kid(self) -> bytes:
        return bytes.fromhex(self.row.kid)

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        return public_key_of(self.row)  # the stored public half: nothing to unseal

    @property
    def backend(self) -> str:
        """Where the private half is: "token" or "database" (sealed, development)."""
        return "token" if self.row.token_label else "database"

    def sign(self, message: bytes) -> bytes:
        if self.row.token_label:
            return token_sign(label=self.row.token_label, message=message)
        return sign_raw(private_key_of(self.row), message)


def signer_backend() -> str:
    """Where new signing keys are made: a description for the operator (the demo says it)."""
    if token_configured():
        return f"PKCS#11 token {settings.SULH_PKCS11_TOKEN!r} ({settings.SULH_PKCS11_MODULE})"
    return "file-backed: private keys sealed in the database under the keyring (development)"


def pem_of(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def private_key_of(row: SigningKey) -> ec.EllipticCurvePrivateKey:
    if row.token_label:
        raise KeysMissing(
            f"the {row.kind} key is inside the signing token: it signs there", field="token"
        )
    if not row.private_pem:
        raise KeysMissing(f"the {row.kind} key is kept offline", field=f"{row.kind}_key")
    key = serialization.load_pem_private_key(row.private_pem.encode(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def public_key_of(row: SigningKey) -> ec.EllipticCurvePublicKey:
    return public_from_bytes(unb64u(row.public_point))


def signing_key_create(*, kind: str, station_id: int | None, days: int) -> SigningKey:
    """A new key of ``kind``: an explicit write (certification, or an online root's renewal).
    Inside the token when one is configured; a production site refuses any other place."""
    now = timezone.now()
    window = {
        "not_before": now - dt.timedelta(minutes=5),
        "not_after": now + dt.timedelta(days=days),
    }
    if token_configured():
        while True:
            label = token_label(kind)
            public = public_from_bytes(token_generate(label=label))
            if not SigningKey.objects.filter(kid=key_id(public).hex()).exists():
                break  # kids are short: never reuse one
        return SigningKey.objects.create(
            kind=kind, station_id=station_id, kid=key_id(public).hex(),
            public_point=b64u(public_bytes(public)), private_pem="", token_label=label, **window,
        )  # fmt: skip
    if settings.SULH_PRODUCTION:
        raise KeysMissing(
            "a production site keeps its signing keys in a PKCS#11 token: set "
            "SULH_PKCS11_MODULE, SULH_PKCS11_TOKEN and SULH_PKCS11_PIN_FILE, then run "
            "'sulh signing token-init'",
            field="SULH_PKCS11_MODULE",
        )
    key = new_private_key()
    while SigningKey.objects.filter(kid=key_id(key.public_key()).hex()).exists():
        key = new_private_key()  # kids are short: never reuse one
    return SigningKey.objects.create(
        kind=kind,
        station_id=station_id,
        kid=key_id(key.public_key()).hex(),
        public_point=b64u(public_bytes(key.public_key())),
        private_pem=pem_of(key),
        **window,
    )


def root_find() -> SigningKey | None:
    return SigningKey.objects.filter(kind="root").order_by("-not_after").first()


def root_key() -> SigningKey:
    """The program authority's root key (its public half at least)."""
    found = root_find()
    if found is None:
        raise KeysMissing(
            "this site has no root key: run 'sulh card root-init --out FILE' (kept offline) "
            "and 'sulh card certify', or 'sulh card root-init --online' on a development site",
            field="root_key",
        )
    return found


def root_signer() -> Signer:
    """The online (development or demo) root, to sign the trust list as it is now."""
    root = root_key()
    if not root.private_pem and not root.token_label:
        raise KeysMissing(
            "the root key is kept offline: the trust list is signed at the certification "
            "(sulh card certify)",
            field="root_key",
        )
    return Signer(root)


def root_offline() -> bool:
    root = root_find()
    return root is not None and not root.private_pem and not root.token_label


def root_online_create() -> SigningKey:
    """An online root and its publication key, for a development or demo site only."""
    if settings.SULH_PRODUCTION:
        raise Conflict(
            "a production site keeps its root offline: run 'sulh card root-init --out FILE'",
            field="root_key",
        )
    try:
        with transaction.atomic():
            root = signing_key_create(kind="root", station_id=None, days=ROOT_DAYS)
            signing_key_create(kind="publication", station_id=None, days=SIGNING_KEY_DAYS)
    except IntegrityError:  # another process made it first: there is only one root
        return SigningKey.objects.get(kind="root")
    return root


def root_for_signing() -> SigningKey:
    """The root a write signs under: on a development site, the first such write makes an
    online root; a production site must have run the root ceremony."""
    found = root_find()
    if found is not None:
        return found
    if settings.SULH_PRODUCTION:
        return root_key()  # raises, naming the command
    return root_online_create()


def root_offline_create(*, out: Path) -> SigningKey:
    """Make the program authority's root key: its private half goes to ``out`` only (to be
    kept offline), its public half stays here."""
    if SigningKey.objects.filter(kind="root").exists():
        raise Conflict("this site already has a root key", field="root_key")
    key = new_private_key()
    out.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(pem_of(key))
    now = timezone.now()
    return SigningKey.objects.create(
        kind="root", station=None, kid=key_id(key.public_key()).hex(),
        public_point=b64u(public_bytes(key.public_key())), private_pem="",
        not_before=now - dt.timedelta(minutes=5), not_after=now + dt.timedelta(days=ROOT_DAYS),
    )  # fmt: skip


def root_private_check(root_pem: bytes) -> ec.EllipticCurvePrivateKey:
    """The offline root brought to the ceremony, checked against the site's root."""
    private = serialization.load_pem_private_key(root_pem, password=None)
    if not isinstance(private, ec.EllipticCurvePrivateKey):
        raise ValidationFailed("not an ES256 (P-256) private key", field="root_key")
    if b64u(public_bytes(private.public_key())) != root_key().public_point:
        raise ValidationFailed("this is not the site's root key", field="root_key")
    return private


def signing_key_current(
    kind: str, *, station_id: int | None = None, margin_days: int = 7
) -> SigningKey | None:
    """The key of ``kind`` (for the station) valid beyond ``margin_days`` from now."""
    soon = timezone.now() + dt.timedelta(days=margin_days)
    keys = SigningKey.objects.filter(kind=kind, not_after__gt=soon)
    keys = (
        keys.filter(station__isnull=True)
        if station_id is None
        else keys.filter(station_id=station_id)
    )
    return keys.order_by("-not_after").first()


def station_keys() -> list[SigningKey]:
    return list(SigningKey.objects.filter(kind="station").select_related("station"))


def station_signer(*, station_id: int, station_code: str) -> Signer:
    """The key a station signs cards with now. With an online (development) root, a new one
    is made when the last is near its end; with the root offline, only keys it certified."""
    found = signing_key_current("station", station_id=station_id)
    if found is not None:
        return Signer(found)
    root_for_signing()
    if root_offline() or settings.SULH_PRODUCTION:
        raise Conflict(
            f"station {station_code} has no certified signing key: the program authority "
            "certifies keys with its offline root (sulh card certify)",
            field="station",
        )
    return Signer(signing_key_create(kind="station", station_id=station_id, days=SIGNING_KEY_DAYS))


def publication_key() -> SigningKey:
    """The online key that signs status lists and tree heads, certified in the trust list by
    the root. A read: never made here."""
    found = signing_key_current("publication", margin_days=1)
    if found is None:
        raise KeysMissing(
            "no current publication key: certify one with the offline root (sulh card "
            "certify), or make an online root on a development site (sulh card root-init "
            "--online)",
            field="publication_key",
        )
    return found


def publication_signer() -> Signer:
    """The publication key a write signs with: with an online (development) root, renewed
    when near its end."""
    root_for_signing()
    found = signing_key_current("publication", margin_days=1)
    if found is None and not root_offline() and not settings.SULH_PRODUCTION:
        found = signing_key_create(kind="publication", station_id=None, days=SIGNING_KEY_DAYS)
    return Signer(found or publication_key())


def monitor_enrol(*, public: object) -> MonitorKey:
    """Record an accredited monitor's public keys (at the root ceremony, which then lists
    them in the trust list). The same name with other keys is refused, never replaced."""
    try:
        document = monitor_public_parse(public)
    except MonitorKeyError as exc:
        raise ValidationFailed(str(exc), field="monitor_key") from exc
    row, created = MonitorKey.objects.get_or_create(
        name=document["name"],
        defaults={
            "encryption_key": document["encryption_key"],
            "signing_key": document["signing_key"],
            "enrolled_at": timezone.now(),
        },
    )
    if not created and (row.encryption_key, row.signing_key) != (
        document["encryption_key"],
        document["signing_key"],
    ):
        raise Conflict(
            f"a monitor named {row.name!r} is enrolled with other keys", field="monitor_key"
        )
    return row


def monitors_enrolled() -> list[dict[str, str]]:
    """The enrolled monitors' public keys, as the trust list names them."""
    return [
        {k: v for k, v in row.public_document().items() if k != "format"}
        for row in MonitorKey.objects.order_by("name")
    ]


def witness_enrol(*, public: object) -> WitnessKey:
    """Record a destruction witness's public key, as a monitor's is recorded. The same name
    with another key is refused, never replaced."""
    try:
        document = witness_public_parse(public)
    except WitnessKeyError as exc:
        raise ValidationFailed(str(exc), field="witness_key") from exc
    row, created = WitnessKey.objects.get_or_create(
        name=document["name"],
        defaults={"signing_key": document["signing_key"], "enrolled_at": timezone.now()},
    )
    if not created and row.signing_key != document["signing_key"]:
        raise Conflict(
            f"a witness named {row.name!r} is enrolled with another key", field="witness_key"
        )
    return row
