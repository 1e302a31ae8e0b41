"""Signing keys inside a PKCS#11 token: a hardware security module, a smart card, or
SoftHSM2 (the same interface, in software, for tests and small sites).

Keys are generated inside the token (P-256, sensitive, never extractable); the database
keeps only the public half and the key's label. Whoever copies the database, or the whole
disk of the database host, holds no private signing key: signing needs the token and its
PIN. Settings: ``SULH_PKCS11_MODULE`` (the module's path, e.g.
``/usr/lib/softhsm/libsofthsm2.so``), ``SULH_PKCS11_TOKEN`` (the token's label) and the
user PIN in ``SULH_PKCS11_PIN`` or, better, a file named by ``SULH_PKCS11_PIN_FILE``.

One session is opened per process on first use (after a fork, the child opens its own).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import threading
from typing import Any

import pkcs11
from asn1crypto.core import OctetString
from django.conf import settings
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11.exceptions import PKCS11Error
from pkcs11.util.ec import encode_named_curve_parameters

from sulh.core.errors import SulhError

LABEL_PREFIX = "sulh-"
_lock = threading.RLock()
_libraries: dict[str, Any] = {}
_session: dict[str, Any] = {}


class TokenError(SulhError):
    """The token cannot be reached, refuses the PIN, or lacks a key the site lists."""

    status = 503
    code = "token"


def token_configured() -> bool:
    return bool(settings.SULH_PKCS11_MODULE)


def _pin() -> str:
    if settings.SULH_PKCS11_PIN:
        return str(settings.SULH_PKCS11_PIN)
    path = settings.SULH_PKCS11_PIN_FILE
    if not path:
        raise TokenError(
            "no PIN for the signing token: set SULH_PKCS11_PIN_FILE (or SULH_PKCS11_PIN)",
            field="SULH_PKCS11_PIN_FILE",
        )
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError as exc:
        raise TokenError(
            f"the PIN file cannot be read: {exc.strerror}", field="SULH_PKCS11_PIN_FILE"
        ) from None


def _open() -> Any:
    """This process's session with the token, logged in as its user."""
    found = _session.get("session")
    if found is not None and _session.get("pid") == os.getpid():
        return found
    module = str(settings.SULH_PKCS11_MODULE)
    if not module:
        raise TokenError("no signing token configured (SULH_PKCS11_MODULE)", field="token")
    try:
        library = _libraries.get(module)
        if library is None or _session.get("pid") not in (None, os.getpid()):
            if library is not None:
                library.reinitialize()  # a forked child must initialise the module again
            else:
                library = pkcs11.lib(module)
            _libraries[module] = library
        token = library.get_token(token_label=settings.SULH_PKCS11_TOKEN)
        session = token.open(user_pin=_pin(), rw=True)
    except (PKCS11Error, RuntimeError, OSError) as exc:
        raise TokenError(
            f"the signing token {settings.SULH_PKCS11_TOKEN!r} cannot be opened "
            f"({type(exc).__name__})",
            field="SULH_PKCS11_TOKEN",
        ) from None
    _session.update(session=session, pid=os.getpid())
    return session


def token_label(kind: str) -> str:
    """A fresh label for a new key of ``kind`` (the database row keeps it)."""
    return f"{LABEL_PREFIX}{kind}-{secrets.token_hex(6)}"


def token_generate(*, label: str) -> bytes:
    """A new P-256 key pair made inside the token, stored under ``label``: its private half
    sensitive and not extractable. Returns the public point (uncompressed, 65 bytes)."""
    with _lock:
        session = _open()
        try:
            parameters = session.create_domain_parameters(
                KeyType.EC,
                {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")},
                local=True,
            )
            public, _private = parameters.generate_keypair(
                store=True,
                label=label,
                public_template={Attribute.VERIFY: True},
                private_template={
                    Attribute.SIGN: True,
                    Attribute.SENSITIVE: True,
                    Attribute.EXTRACTABLE: False,
                    Attribute.PRIVATE: True,
                },
            )
            point = OctetString.load(public[Attribute.EC_POINT]).native
        except PKCS11Error as exc:
            raise TokenError(
                f"the token did not make the key ({type(exc).__name__})", field="token"
            ) from None
    assert isinstance(point, bytes) and len(point) == 65
    return point


def token_sign(*, label: str, message: bytes) -> bytes:
    """ES256 over ``message`` by the token's key ``label``: r || s, 32 bytes each."""
    digest = hashlib.sha256(message).digest()
    with _lock:
        session = _open()
        try:
            key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=label)
            signature = key.sign(digest, mechanism=Mechanism.ECDSA)
        except PKCS11Error as exc:
            raise TokenError(
                f"the signing token cannot sign with {label} ({type(exc).__name__})",
                field="token",
            ) from None
    assert isinstance(signature, bytes) and len(signature) == 64
    return signature


def token_labels() -> list[str]:
    """The labels of this site's private keys in the token."""
    with _lock:
        session = _open()
        labels = {
            str(found[Attribute.LABEL])
            for found in session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY})
        }
    return sorted(label for label in labels if label.startswith(LABEL_PREFIX))


def token_destroy_all() -> int:
    """Site abandon: every key pair of this site in the token is destroyed. The count of
    private keys destroyed."""
    destroyed = 0
    with _lock:
        session = _open()
        for cls in (ObjectClass.PRIVATE_KEY, ObjectClass.PUBLIC_KEY):
            for found in list(session.get_objects({Attribute.CLASS: cls})):
                if str(found[Attribute.LABEL]).startswith(LABEL_PREFIX):
                    found.destroy()
                    destroyed += cls == ObjectClass.PRIVATE_KEY
    return destroyed


def token_forget() -> None:
    """Close this process's session (tests switching tokens; site abandon)."""
    with _lock:
        session = _session.pop("session", None)
        _session.pop("pid", None)
        if session is not None:
            with contextlib.suppress(PKCS11Error):
                session.close()
