"""Reads for accounts: the staff account behind a request (web pages and API alike)."""

from __future__ import annotations

from django.http import HttpRequest

from sulh.accounts.models import User


def request_user(request: HttpRequest) -> User:
    """The signed-in account; pages and endpoints reach here only after authentication
    (``login_required``, the API's ``AUTH``), so anything else is a programming error."""
    user = request.user
    assert isinstance(user, User)
    return user
