"""What accounts tell the packages above them (registered at start-up).

- ``second_factor_changed``: an enrolment code was issued, or an account enrolled an
  authenticator with one, inside that transaction. Required: the audit trail (registered by
  ``sulh.web``) must see every change of who holds an account's second factor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from sulh.core.hooks import Hook

if TYPE_CHECKING:
    from sulh.accounts.models import User


@dataclass(frozen=True)
class SecondFactorChange:
    """``issued``: a code for ``user`` (by ``actor``, None from the command line);
    ``enrolled``: ``user`` enrolled an authenticator with a code. Never the code itself."""

    kind: Literal["code_issued", "enrolled"]
    user: User
    actor: User | None
    code_id: int


second_factor_changed: Hook[SecondFactorChange] = Hook(
    "accounts.second_factor_changed", required=True
)
