"""Output schemas of the HTTP API (inputs are the services' own schemas)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    code: str
    message: str
    field: str | None


class ErrorOut(BaseModel):
    error: ErrorBody


class LocalizedOut(BaseModel):
    ar: str
    en: str


class ProgramOut(BaseModel):
    code: str
    version: str
    kind: str
    title: LocalizedOut
    opens_at: dt.datetime
    deadline: dt.datetime
    open_now: bool


class ProposalOut(BaseModel):
    outcome: str
    rule_id: str
    destinations: list[str]
    explanation: LocalizedOut | None


class CaseOut(BaseModel):
    serial: str
    program: str
    station: str
    state: str
    proposal: ProposalOut | None
    outcome: str
    destination: str
    replayed: bool = Field(
        default=False, description="true when this submission was received before"
    )


class CaseEventOut(BaseModel):
    event: str
    from_state: str
    to_state: str
    actor: str | None
    at: dt.datetime
    reason: str
    outcome: str


class DecisionIn(BaseModel):
    outcome: Literal["amnesty", "departure", "referral", "denial"]
    reason: str = Field(default="", max_length=2000)
    destination: str = Field(default="", max_length=60)


class ReasonIn(BaseModel):
    reason: str = Field(default="", max_length=2000)


class DecisionOut(BaseModel):
    id: int
    case: str
    outcome: str
    destination: str
    status: str
    follows_proposal: bool
    rule_id: str
    decided_by: str
    second_officer: str | None


class SecondOfficerRequestOut(BaseModel):
    """A step that waits for a second, different officer: a revocation of eligibility or a
    card's reinstatement."""

    id: int
    subject: str = Field(description="the case's serial or the card's id")
    status: str = Field(description="awaiting_second, confirmed or rejected")
    requested_by: str
    second_officer: str | None


class ResolveIn(BaseModel):
    decision: Literal["link", "clear"]
    reason: str = Field(max_length=2000)
    # a duplicate linked: which registration carries on (empty: the earlier one)
    survivor: Literal["", "this", "other"] = ""


class CandidateOut(BaseModel):
    id: int
    kind: str
    other_case: str | None
    list_entry: str | None
    restricted: Literal["", "child", "out_of_scope"] = Field(
        default="",
        description="set when the other record is a case you may not see: a child's, or one"
        " outside your programs or stations; its serial and the evidence are then withheld",
    )
    score: float
    evidence: list[dict[str, object]]
    status: str


class CardOut(BaseModel):
    card_id: str
    case: str
    state: str
    valid_until: dt.datetime
    status_index: int
    text: str = Field(description="the QR text, SULH1:...")


class CardStateIn(BaseModel):
    state: Literal["valid", "revoked", "suspended"]
    reason: str = Field(max_length=2000)


class CardExtensionIn(BaseModel):
    valid_until: dt.datetime
    reason: str = Field(min_length=1, max_length=2000)


class CardExtensionOut(BaseModel):
    program: str
    issued_before: dt.datetime
    valid_until: dt.datetime


class ExportIn(BaseModel):
    program: str = Field(min_length=1, max_length=80)
    purpose: str = Field(max_length=300)


class ExportOut(BaseModel):
    id: int
    program: str
    requested_by: str
    approved_by: str | None
    written: bool


class CorridorTallyIn(BaseModel):
    point: str = Field(min_length=1, max_length=32)
    day: dt.date
    count: int


class FiguresOut(BaseModel):
    registered: int
    amnesty_granted: int
    departure: int
    referred: int
    denied: int
    pending: int


class BulletinOut(BaseModel):
    program: str
    as_of: dt.datetime
    figures: FiguresOut
    by_station: dict[str, FiguresOut]


class StepUpIn(BaseModel):
    code: str = Field(min_length=1, max_length=12, description="the six digits of the TOTP app")


class StepUpOut(BaseModel):
    token: str = Field(description="send it in the X-Sulh-Step-Up header; shown once")
    header: str
    expires_at: dt.datetime
