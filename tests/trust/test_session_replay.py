"""A copy of a running site's database gives no session to replay (second red-team
review): the sessions table holds keyed hashes of the cookies, not the cookies."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client


def test_a_stored_session_key_replayed_as_a_cookie_opens_nothing(personas, programs):
    client = Client()
    client.force_login(personas["clerk"])
    cookie = client.cookies["sessionid"].value
    assert client.get("/").status_code == 200  # the clerk's own session works
    with connection.cursor() as cursor:
        cursor.execute("SELECT session_key FROM accounts_staffsession")
        stored = [row[0] for row in cursor.fetchall()]
    assert stored and cookie not in stored
    for key in stored:  # the thief replays every stored key as the cookie
        thief = Client()
        thief.cookies["sessionid"] = key
        answer = thief.get("/")
        assert answer.status_code == 302 and "login" in answer["Location"]
    client.logout()  # signing out ends the stored session
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM accounts_staffsession")
        assert cursor.fetchone()[0] == 0


def test_a_sessions_data_is_sealed_to_its_cookie_even_against_the_sites_own_keys(db):
    """Third red-team review: a backup taken while an officer enrolled held the
    authenticator secret of the QR step in the sessions table, readable with the site's
    secret key; with it and the password, the thief signed in past the second factor."""
    from django.core import signing

    from sulh.accounts.sessions import SessionStore

    secret = "JBSWY3DPEHPK3PXPJBSWY3DP"  # a made-up base32 secret, as the QR step keeps
    store = SessionStore()
    store["login_secret"], store["login_pending"] = secret, 7
    store.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT session_data FROM accounts_staffsession")
        [(raw,)] = cursor.fetchall()
    assert secret not in raw and "login" not in raw
    with_keys = SessionStore()  # the whole server: the same code and secret key, no cookie
    assert with_keys.decode(raw) == {}
    with pytest.raises(signing.BadSignature):  # nor Django's own reader, with the secret key
        signing.loads(raw, salt="django.contrib.sessions.SessionStore")
    # the officer's browser, with its cookie, goes on where it was
    assert SessionStore(session_key=store.session_key).load()["login_secret"] == secret
