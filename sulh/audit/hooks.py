"""How the ledger (a higher layer) checks the audit chain against published tree heads."""

from __future__ import annotations

from dataclasses import dataclass, field

from sulh.core.hooks import Hook


@dataclass
class AnchorCheck:
    """What the anchor checkers are asked, and what they found."""

    heads_file: str | None
    problems: list[str] = field(default_factory=list)
    anchors: int = 0


# The ledger registers here the check of the chain against published tree heads.
anchor_checks: Hook[AnchorCheck] = Hook("audit.anchor_checks")
