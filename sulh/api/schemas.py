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


# --- Departures (issue 19) ------------------------------------------------------------------


class CarriedItemIn(BaseModel):
    kind: str = Field(max_length=16, description="weapon, ammunition or belongings")
    heavy: bool = False
    tag: str = Field(default="", max_length=60, description="a weapon's serial or tag")


TravellerItems = dict[str, list[CarriedItemIn]]
ITEMS_HELP = (
    'what each traveller carries, by "person" (the case\'s own person) or by the family '
    "member's id"
)


class DepartureOrderIn(BaseModel):
    family_members: list[int] = Field(
        default_factory=list, max_length=40, description="ids of the intake's family members"
    )
    destination: str = Field(default="", max_length=60, description="default: the decision's")
    items: TravellerItems = Field(default_factory=dict, description=ITEMS_HELP)


class DepartureOrderChangeIn(BaseModel):
    reason: str = Field(max_length=2000)
    family_members: list[int] | None = Field(default=None, max_length=40)
    destination: str | None = Field(default=None, max_length=60)
    items: TravellerItems | None = Field(default=None, description=ITEMS_HELP)


class TravellerOut(BaseModel):
    id: int = Field(description="the traveller's key, as boarding and arrival scans name it")
    family_member: int | None = Field(description="the family member's id; null: the person")
    is_child: bool
    status: str
    vehicle: int | None = Field(description="the number of the vehicle in its convoy")


class DepartureOrderOut(BaseModel):
    id: int
    case: str = Field(description="the case's serial")
    program: str
    state: str
    destination: str
    window_closes_at: dt.datetime
    convoy: int | None
    split: bool = Field(description="the order travels on more than one vehicle")
    unaccompanied_child: bool
    travellers: list[TravellerOut]


class ConvoyIn(BaseModel):
    program: str = Field(min_length=1, max_length=80)
    destination: str = Field(max_length=60)
    departs_from: dt.datetime
    departs_until: dt.datetime
    assembly_point: str = Field(max_length=120)
    crossing: str = Field(max_length=120)
    escorts: list[str] = Field(default_factory=list, max_length=20)


class VehicleIn(BaseModel):
    kind: str = Field(max_length=12, description="bus, ambulance, car or truck")
    plate: str = Field(max_length=20)
    seats: int
    driver: str = Field(default="", max_length=120, description="sealed; never shown back")
    spare: bool = False


class EscortIn(BaseModel):
    organisation: str = Field(max_length=120)


class VehicleOut(BaseModel):
    number: int
    kind: str
    plate: str
    seats: int
    spare: bool


class ConvoyOut(BaseModel):
    id: int
    program: str
    destination: str
    state: str
    departs_from: dt.datetime
    departs_until: dt.datetime
    assembly_point: str
    crossing: str
    departed_at: dt.datetime | None
    arrived_at: dt.datetime | None
    escorts: list[str]
    vehicles: list[VehicleOut]


class PlacementIn(BaseModel):
    order: int
    vehicle: int = Field(description="the vehicle's number in the convoy")
    split: dict[int, int] = Field(
        default_factory=dict,
        description="travellers (by key) who go on another vehicle of the convoy (its number)",
    )
    split_reason: str = Field(default="", max_length=2000)


class ScanIn(BaseModel):
    traveller: int = Field(description="the traveller's key")
    at: dt.datetime
    device_event_id: str = Field(
        max_length=64, description="unique per scan: a retry with the same id counts once"
    )


class BoardingIn(ScanIn):
    vehicle: int = Field(description="the vehicle's number in the convoy")
    items: list[CarriedItemIn] | None = Field(
        default=None, description="declared at the door; null: as on the order"
    )


class TravellerEventOut(BaseModel):
    traveller: int
    event: str
    vehicle: int = Field(description="the vehicle's number in the convoy")
    at: dt.datetime
    device_event_id: str | None
    replayed: bool = Field(description="true when this device event was received before")


class DepartIn(BaseModel):
    at: dt.datetime
    crossing: str = Field(default="", max_length=120, description="when it changed")


class ArriveIn(BaseModel):
    at: dt.datetime


class ProtectionCaseOut(BaseModel):
    """A protection case opened for a traveller not accounted for: keys and times only."""

    id: int
    convoy: int
    vehicle: int = Field(description="the vehicle's number in the convoy")
    traveller: int
    reason: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    closed_how: str


class IncidentIn(BaseModel):
    kind: str = Field(max_length=20, description="stopped, removed, returned, stranded, ...")
    at: dt.datetime
    vehicle: int | None = Field(default=None, description="the vehicle's number in the convoy")
    count: int = Field(default=0, description="persons removed or returned")
    travellers: list[int] = Field(default_factory=list, max_length=120)
    note: str = Field(default="", max_length=2000, description="sealed; never shown back")
    duration_minutes: int | None = None


class ConvoyEventOut(BaseModel):
    id: int
    convoy: int
    event: str
    vehicle: int | None
    count: int
    at: dt.datetime


class CountsOut(BaseModel):
    manifested: int
    waiting: int = Field(description="placed, neither boarded nor a no-show yet")
    boarded: int
    no_show: int
    departed: int = Field(description="boarded on a convoy that has left (0 before)")
    arrived: int
    removed: int
    returned: int
    unaccounted: int


class ReconciliationOut(BaseModel):
    convoy: int
    state: str
    vehicles: dict[int, CountsOut] = Field(description="by the vehicle's number")
    total: CountsOut
    not_accounted_for: list[int] = Field(description="travellers aboard with no fate, by key")


class ConvoyAlertOut(BaseModel):
    kind: str
    at: dt.datetime
    details: dict[str, int | str]
