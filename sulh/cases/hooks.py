"""What the case state machine tells the packages above it (registered at start-up).

- ``case_transitioned``: every recorded transition, inside its transaction. Required: the
  transparency log (``sulh.ledger``) must see every event that counts in public figures.
- ``eligibility_revoked``: a case's eligibility was revoked, inside that transaction
  (``sulh.cards`` revokes the case's cards).
- ``closed_as_duplicate``: a case was closed as a duplicate of another registration of the
  same person, inside that transaction (``sulh.cards`` revokes the duplicate's cards).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sulh.core.hooks import Hook

if TYPE_CHECKING:
    from sulh.accounts.models import User
    from sulh.cases.models import Case, CaseEvent


@dataclass(frozen=True)
class DuplicateClosed:
    """``duplicate`` was closed as another registration of ``survivor``'s person."""

    duplicate: Case
    survivor: Case
    actor: User
    reason: str


case_transitioned: Hook[CaseEvent] = Hook("cases.case_transitioned", required=True)
eligibility_revoked: Hook[Case] = Hook("cases.eligibility_revoked")
closed_as_duplicate: Hook[DuplicateClosed] = Hook("cases.closed_as_duplicate")
