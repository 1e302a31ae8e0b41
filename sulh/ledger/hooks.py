"""Where case events enter the transparency log.

The cases service calls ``on_case_transition`` inside the transaction that
records a transition. The ledger package decides which transitions count.
"""

from __future__ import annotations

from typing import Any


def on_case_transition(transition: Any) -> None:
    """Append the public leaf for a counted case event (ledger wiring pending)."""
    return None
