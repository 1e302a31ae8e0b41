"""The verifier page has the deployment's root built in (issue #16, finding 14): rendered
from SULH_ROOT_PUBLIC_KEY, else the site's recorded root; never taken from a list."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from sulh.cards.pinning import root_pem
from sulh.keys.services import root_online_create
from sulh.keys.signing import b64u, new_private_key, public_bytes

pytestmark = pytest.mark.django_db


def _pinned(client: Client) -> str:
    html = client.get("/verify/").content.decode()
    found = re.search(r'data-root-key="([^"]*)"', html)
    assert found is not None
    return found.group(1)


def test_the_page_pins_the_configured_root_over_the_sites_own(settings):
    assert _pinned(Client()) == ""  # no root anywhere: the page checks nothing
    site_root = root_online_create()
    assert _pinned(Client()) == site_root.public_point
    deployment = new_private_key().public_key()
    settings.SULH_ROOT_PUBLIC_KEY = root_pem(deployment)
    assert _pinned(Client()) == b64u(public_bytes(deployment))
