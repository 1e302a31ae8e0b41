"""The program authority's root key stays offline: the site holds its public half, a
certification ceremony with the root at hand certifies station and publication keys and
signs the trust list, and everything online is signed by the certified keys."""

from __future__ import annotations

import json
import stat

import pytest
from django.test import Client

from sulh.cards import services
from sulh.cards.status import StatusListError, status_list_load
from sulh.cards.trust import trust_list_load
from sulh.cards.verify import Verdict, verify_card
from sulh.cli import main
from sulh.core.errors import Conflict, ValidationFailed
from sulh.keys.models import SigningKey
from sulh.keys.services import pem_of as _pem
from sulh.keys.services import root_key
from sulh.keys.signing import new_private_key, unb64u
from tests.cards.test_issue import _decided

pytestmark = pytest.mark.django_db


def test_cards_are_issued_only_under_keys_the_offline_root_certified(personas, programs, tmp_path):
    root_file = tmp_path / "media" / "root.pem"
    assert main(["card", "root-init", "--out", str(root_file)]) == 0
    assert stat.S_IMODE(root_file.stat().st_mode) == 0o600
    assert SigningKey.objects.get(kind="root").private_pem == ""  # only the public half here
    assert main(["card", "root-init", "--out", str(tmp_path / "again.pem")]) == 2

    case, _ = _decided(personas)
    with pytest.raises(Conflict) as refused:
        services.card_issue(case=case, user=personas["card_officer"])
    assert refused.value.field == "station"
    with pytest.raises(ValidationFailed) as wrong:
        services.certify(root_pem=_pem(new_private_key()).encode())
    assert wrong.value.field == "root_key"

    assert main(["card", "certify", "--root-key", str(root_file)]) == 0
    card = services.card_issue(case=case, user=personas["card_officer"])
    served = Client().get("/api/cards/trust-list.json").json()
    trusted = trust_list_load(served, root_public_key=_site_root())
    assert trusted.publication_key is not None
    status_document = Client().get("/api/cards/status.json").json()
    status = status_list_load(status_document, public_key=trusted.status_signer)
    assert verify_card(card.text, trusted=trusted, status=status).verdict == Verdict.VALID
    with pytest.raises(StatusListError):  # signed by the publication key, not the root
        status_list_load(status_document, public_key=trusted.root_public_key)
    # the served list is the one signed at the ceremony: a stranger cannot re-sign it
    forged = json.loads(json.dumps(served))
    forged["keys"][0]["station"] = "elsewhere"
    with pytest.raises(ValueError, match="signature"):
        trust_list_load(forged, root_public_key=_site_root())


def _site_root() -> bytes:
    """The pin a checkpoint of this site holds: the site's root public key."""
    return unb64u(root_key().public_point)
