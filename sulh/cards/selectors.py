"""Reads of cards, through one access helper: a card is seen through its case."""

from __future__ import annotations

from django.db.models import QuerySet

from sulh.accounts.models import User
from sulh.accounts.policy import Action, allows, require
from sulh.cards.models import Card, CardReinstatement, CardState
from sulh.cases.models import Case, DecisionStatus, Outcome, State
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


def card_in_force_state(*, case: Case) -> str:
    """ "valid" or "suspended" for the case's card in force; "revoked" when it has cards
    but none in force (its card was revoked, not replaced); "" when it has none."""
    states = set(case.cards.values_list("state", flat=True))
    for state in (CardState.VALID, CardState.SUSPENDED, CardState.REVOKED):
        if state in states:
            return str(state)
    return ""


ISSUABLE = (Outcome.AMNESTY, Outcome.DEPARTURE)


def cases_awaiting_card(*, user: User) -> QuerySet[Case]:
    """Decided amnesties and departures the user may see that hold no card yet, the
    longest waiting first (the card officer's list); none for a role that issues none."""
    if not allows(user, Action.ISSUE_CARD):
        return Case.objects.none()
    return (
        cases_visible_to(user=user)
        .filter(state=State.DECIDED, outcome__in=ISSUABLE, cards__isnull=True)
        .order_by("decided_at", "pk")
    )


def cards_to_print(*, user: User) -> QuerySet[Card]:
    """The valid cards of cases the user may see, the newest first; none for a role that
    prints none."""
    if not allows(user, Action.PRINT_CARD):
        return Card.objects.none()
    return (
        Card.objects.filter(state=CardState.VALID, case__in=cases_visible_to(user=user))
        .select_related("case__intake__person", "case__program", "station")
        .order_by("-issued_at", "-pk")
    )


def cards_get_for_user(*, user: User, card_ids: list[str], action: Action) -> list[Card]:
    """The cards with ``card_ids`` (in that order), each the user's to see, else NotFound
    naming none of them; then PermissionDenied unless the role may take ``action``."""
    require(user, action)
    found = {
        card.card_id: card
        for card in Card.objects.filter(
            card_id__in=card_ids, case__in=cases_visible_to(user=user)
        ).select_related("case__intake__person", "case__program", "station")
    }
    if not card_ids or any(card_id not in found for card_id in card_ids):
        raise NotFound("choose cards that you may see", field="card_ids")
    return [found[card_id] for card_id in dict.fromkeys(card_ids)]
