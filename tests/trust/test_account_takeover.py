"""Finding 11 (issue 16), as an attacker tries it: a weak password, and a demoted
administrator who keeps the admin site."""

from __future__ import annotations

import pytest
from django.test import Client

from sulh.accounts import security
from sulh.accounts.models import Role
from sulh.accounts.services import user_create
from sulh.core.errors import ValidationFailed
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("weak", ["x", "123456789012", "password1234", "decider-qasim1"])
def test_a_weak_password_is_refused_naming_the_field(weak):
    with pytest.raises(ValidationFailed) as refused:
        user_create(username="decider-qasim", password=weak, role=Role.DECIDING_OFFICER)
    assert refused.value.field == "password"
    assert refused.value.message


def _signed_in_admin(admin) -> Client:
    secret = security.totp_enrol(admin)
    client = Client()
    assert (
        client.post("/login/", {"username": admin.username, "password": PASSWORD})["location"]
        == "/login/code/"
    )
    assert client.post("/login/code/", {"code": security.totp_code(secret)}).status_code == 302
    return client


def test_the_admin_site_needs_the_role_and_a_second_factor(personas):
    admin = personas["admin"]
    client = _signed_in_admin(admin)
    assert client.get("/admin/").status_code == 200
    # a password-only session of a staff account does not reach it
    password_only = Client()
    password_only.force_login(admin)
    assert password_only.get("/admin/").status_code == 302
    # demoted: the very next request is refused, though is_staff is still set
    admin.role = Role.MONITOR
    admin.save(update_fields=["role"])
    assert admin.is_staff
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/accounts/user/").status_code == 302
