"""What the case state machine tells the packages above it (registered at start-up).

- ``case_transitioned``: every recorded transition, inside its transaction. Required: the
  transparency log (``sulh.ledger``) must see every event that counts in public figures.
- ``eligibility_revoked``: a case's eligibility was revoked, inside that transaction
  (``sulh.cards`` revokes the case's cards).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sulh.core.hooks import Hook

if TYPE_CHECKING:
    from sulh.cases.models import Case, CaseEvent

case_transitioned: Hook[CaseEvent] = Hook("cases.case_transitioned", required=True)
eligibility_revoked: Hook[Case] = Hook("cases.eligibility_revoked")
