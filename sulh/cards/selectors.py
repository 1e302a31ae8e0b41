"""Reads of cards, through one access helper: a card is seen through its case."""

from __future__ import annotations

from sulh.accounts.models import User
from sulh.accounts.policy import Action, require
from sulh.cards.models import Card, CardReinstatement
from sulh.cases.models import Case, DecisionStatus
from sulh.cases.selectors import cases_visible_to
from sulh.core.errors import NotFound


def cards_with_reinstatements(*, case: Case) -> list[tuple[Card, CardReinstatement | None]]:
    """The case's cards, newest first, each with the reinstatement awaiting a second officer
    (or None). For a case page the user already opened through ``case_get_for_user``."""
    awaiting = {
        asked.card_id: asked
        for asked in CardReinstatement.objects.filter(
            card__case=case, status=DecisionStatus.AWAITING_SECOND
        ).select_related("requested_by")
    }
    return [(card, awaiting.get(card.pk)) for card in case.cards.order_by("-issued_at")]


def card_get_for_user(*, user: User, card_id: str, action: Action | None = None) -> Card:
    """The card with ``card_id`` if its case is the user's to see (else NotFound), then
    PermissionDenied unless the user's role may take ``action`` on it."""
    card = (
        Card.objects.filter(card_id=card_id, case__in=cases_visible_to(user=user))
        .select_related("case__intake__person", "case__program", "station")
        .first()
    )
    if card is None:
        raise NotFound(f"no card {card_id!r} that you may see", field="card_id")
    if action is not None:
        require(user, action)
    return card
