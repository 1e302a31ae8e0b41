"""Staff sessions whose keys are stored keyed: a copy of the database gives no cookie.

Django's database sessions store the cookie's value itself as the primary key, so a thief
with a copy of the database of a running site could replay an officer's or the
administrator's session, second factor passed. Here the column holds an HMAC of the key
(under the site's secret key, kept off the database); every lookup, save and delete goes
through the field, so the store's code is Django's own.
"""

from __future__ import annotations

from typing import Any, ClassVar

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


class SessionStore(DatabaseStore):
    @classmethod
    def get_model_class(cls) -> type[StaffSession]:
        return StaffSession
