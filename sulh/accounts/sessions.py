"""Staff sessions whose keys are stored keyed: a copy of the database gives no cookie.

Django's database sessions store the cookie's value itself as the primary key, so a thief
with a copy of the database of a running site could replay an officer's or the
administrator's session, second factor passed. Here the column holds an HMAC of the key
(under the site's secret key, kept off the database); every lookup, save and delete goes
through the field, so the store's code is Django's own.

The session's data (who is half signed in, the authenticator secret shown while an officer
enrols) is sealed with AES-GCM under a key derived from the cookie itself, which the
database never holds: neither a copy of the database or a backup, nor the whole server
with its secret key, reads a session's data without its cookie (third red-team review).
"""

from __future__ import annotations

import base64
import secrets
from typing import Any, ClassVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.contrib.sessions.base_session import AbstractBaseSession, BaseSessionManager
from django.db import models
from django.utils.crypto import salted_hmac


class _Stored(str):
    """A key read back from the column: already keyed, never keyed again."""


class KeyedSessionKeyField(models.CharField):
    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or isinstance(value, _Stored):
            return None if value is None else str(value)
        return salted_hmac("sulh.accounts.sessions", value, algorithm="sha256").hexdigest()[:40]

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return None if value is None else _Stored(value)


class StaffSession(AbstractBaseSession):
    session_key = KeyedSessionKeyField(max_length=40, primary_key=True)

    objects: ClassVar[BaseSessionManager] = BaseSessionManager()

    @classmethod
    def get_session_store_class(cls) -> type[SessionStore]:
        return SessionStore


SEALED_PREFIX = "s1:"
_NONCE = 12


def _data_cipher(session_key: str) -> AESGCM:
    return AESGCM(
        salted_hmac("sulh.accounts.sessions.data", session_key, algorithm="sha256").digest()
    )


class SessionStore(DatabaseStore):
    @classmethod
    def get_model_class(cls) -> type[StaffSession]:
        return StaffSession

    def encode(self, session_dict: dict[str, Any]) -> str:
        signed = super().encode(session_dict).encode()
        key = self._get_or_create_session_key()  # type: ignore[attr-defined]  # Django's, untyped
        nonce = secrets.token_bytes(_NONCE)
        sealed = _data_cipher(key).encrypt(nonce, signed, b"sulh.session")
        return SEALED_PREFIX + base64.b64encode(nonce + sealed).decode()

    def decode(self, session_data: bytes | str) -> dict[str, Any]:
        if isinstance(session_data, bytes):
            session_data = session_data.decode()
        key = self.session_key
        if not key or not session_data.startswith(SEALED_PREFIX):
            return {}  # not sealed (an older session) or no cookie: a new, empty session
        blob = base64.b64decode(session_data[len(SEALED_PREFIX) :])
        try:
            signed = _data_cipher(key).decrypt(blob[:_NONCE], blob[_NONCE:], b"sulh.session")
        except InvalidTag:
            return {}
        return super().decode(signed.decode())
