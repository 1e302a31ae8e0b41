"""Alerts: something an operator should look at now (a bulk read, a sweep of checks).

An alert is an audit entry whose action starts with ``alert.`` (so ``sulh audit show``
lists it with the rest of the trail, chained and sealed) and a WARNING on the
``sulh.alerts`` logger, which a deployment routes to whoever watches the site. Neither
holds personal data: the account is named by its id, the details are counts.
"""

from __future__ import annotations

import logging
from typing import Any

from sulh.audit.models import AuditEntry
from sulh.audit.services import audit_record

logger = logging.getLogger("sulh.alerts")

ALERT_PREFIX = "alert."


def alert_raise(*, actor: Any, kind: str, details: dict[str, int | str]) -> AuditEntry:
    """Record the alert ``kind`` (e.g. ``bulk_case_reads``) about ``actor``'s account."""
    account = str(getattr(actor, "pk", "") or "")
    entry = audit_record(
        actor=actor,
        action=f"{ALERT_PREFIX}{kind}",
        obj_type="account",
        obj_id=account,
        details=dict(details),
    )
    logger.warning(
        "alert %s: account %s, %s (audit entry %d)",
        kind,
        account or "-",
        ", ".join(f"{key}={value}" for key, value in sorted(details.items())),
        entry.seq,
    )
    return entry
