"""A copy of a running site's database gives no session to replay (second red-team
review): the sessions table holds keyed hashes of the cookies, not the cookies."""

from __future__ import annotations

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
