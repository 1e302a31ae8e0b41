"""Issue 22, item 1, on the demo's own data: every child's case gets past review (child
protection resolves its candidates through the case page) and hand-over; vetting officers
are still refused children's records."""

from __future__ import annotations

import pytest
from django.test import Client

from sulh.accounts.models import User
from sulh.cases.models import Case, State
from sulh.cli import main
from sulh.matching.models import CandidateStatus

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _own_data_dir(settings, tmp_path):
    settings.SULH_DATA_DIR = tmp_path / "data"
    settings.SULH_CASE_READS = 10_000  # one officer works through every child's case here


def _signed_in(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_child_protection_takes_every_demo_child_past_review_and_hand_over(tmp_path):
    out = tmp_path / "b.json"
    assert main(["demo", "--people", "800", "--no-serve", "--bulletin-json", str(out)]) == 0
    children = Case.objects.filter(is_child=True).select_related("intake")
    in_review = [case for case in children if case.state == State.IN_REVIEW]
    assert children.exists() and in_review  # the demo has children registered twice, too
    protection, vetter = _signed_in("child-protection"), _signed_in("vetting")
    for case in in_review:
        serial = case.intake.serial
        assert vetter.get(f"/cases/{serial}/").status_code == 404
        assert protection.get(f"/cases/{serial}/").status_code == 200
        for candidate in case.candidates.filter(status=CandidateStatus.OPEN):
            protection.post(
                f"/cases/{serial}/candidates/{candidate.pk}/",
                {"decision": "clear", "reason": "checked with the family"},
            )
    for case in children.filter(handed_over_at__isnull=True):
        protection.post(f"/cases/{case.intake.serial}/handover/", {"agency": "UNICEF Aleppo"})
    left = Case.objects.filter(is_child=True)
    assert not left.filter(state=State.IN_REVIEW).exists(), f"{len(in_review)} were in review"
    assert not left.filter(handed_over_at__isnull=True).exists()
