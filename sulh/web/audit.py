"""Account events the audit trail records (the accounts package cannot reach the audit
package itself: they sit side by side in the layers)."""

from __future__ import annotations

from sulh.accounts.hooks import SecondFactorChange
from sulh.audit.services import audit_record


def on_second_factor_changed(change: SecondFactorChange) -> None:
    """An enrolment code issued or used: who, for which account, which code row; never the
    code."""
    audit_record(
        actor=change.actor,
        action=f"second_factor.{change.kind}",
        obj_type="user",
        obj_id=change.user.username,
        details={"enrolment_code": change.code_id},
    )
