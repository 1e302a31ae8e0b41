"""The HTTP API: thin endpoints that parse, authorise, call a service and render.

OpenAPI document at /api/openapi.json. Every error has one shape:
``{"error": {"code": ..., "message": ..., "field": ...}}``.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from sulh.accounts.models import User
from sulh.accounts.policy import Action, allows, require
from sulh.accounts.selectors import request_user as _user
from sulh.accounts.throttle import client_address, rate_limit_hit
from sulh.api import tokens
from sulh.api.auth import AUTH
from sulh.api.schemas import (
    ArriveIn,
    BoardingIn,
    CandidateOut,
    CardExtensionIn,
    CardExtensionOut,
    CardOut,
    CardStateIn,
    CarriedItemIn,
    CaseEventOut,
    CaseOut,
    ConvoyAlertOut,
    ConvoyEventOut,
    ConvoyIn,
    ConvoyOut,
    CorridorTallyIn,
    CountsOut,
    DecisionIn,
    DecisionOut,
    DepartIn,
    DepartureOrderChangeIn,
    DepartureOrderIn,
    DepartureOrderOut,
    ErrorOut,
    EscortIn,
    ExportIn,
    ExportOut,
    IncidentIn,
    PlacementIn,
    ProgramOut,
    ProtectionCaseOut,
    ReasonIn,
    ReconciliationOut,
    ResolveIn,
    ScanIn,
    SecondOfficerRequestOut,
    StepUpIn,
    StepUpOut,
    TravellerEventOut,
    TravellerOut,
    VehicleIn,
    VehicleOut,
)
from sulh.bulletins.figures import program_figures
from sulh.cards import services as card_services
from sulh.cards.models import Card
from sulh.cards.selectors import card_get_for_user
from sulh.cases import exports
from sulh.cases import review as case_review
from sulh.cases import selectors as case_selectors
from sulh.cases import services as case_services
from sulh.cases.intake import intake_register
from sulh.cases.models import Case, Decision, ExportRequest, SecondOfficerRequest
from sulh.cases.selectors import export_get_for_user
from sulh.core.errors import NotFound, RateLimited, SulhError, ValidationFailed
from sulh.core.validation import describe
from sulh.departures import movement
from sulh.departures import protection as departure_protection
from sulh.departures import selectors as departure_selectors
from sulh.departures import services as departure_services
from sulh.departures.models import (
    Convoy,
    ConvoyEvent,
    ConvoyState,
    DepartureOrder,
    ProtectionCase,
    TravellerEvent,
    Vehicle,
)
from sulh.ledger import services as ledger_services
from sulh.ledger.publication import attestation_record, bulletins_published
from sulh.programs.services import program_get, program_get_definition, programs_all
from sulh.registry.schemas import IntakeIn

api = NinjaAPI(
    title="Sulh API",
    version="1",
    description="Registration, screening, decisions and departures for amnesty, settlement and DDR "
    "programs.",
    auth=AUTH,
    urls_namespace="api",
)
ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}


def _error(
    request: HttpRequest, status: int, code: str, message: str, field: str | None
) -> HttpResponse:
    failure = SulhError(message, field=field, code=code)
    failure.status = status
    return _sulh_error(request, failure)


@api.exception_handler(SulhError)
def _sulh_error(request: HttpRequest, exc: SulhError) -> HttpResponse:
    """Every API error leaves in the one shape SulhError defines."""
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(RateLimited)
def _rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = _sulh_error(request, exc)
    if exc.retry_after is not None:
        response["Retry-After"] = str(exc.retry_after)
    return response


def _public_rate_limit(request: HttpRequest) -> None:
    """Public proofs and tree heads: at most SULH_RATE_PROOFS in SULH_RATE_PERIOD seconds
    per address, the three endpoints counted together (F15)."""
    try:
        rate_limit_hit(
            scope="proofs", client=client_address(request.META), limit=settings.SULH_RATE_PROOFS
        )
    except RateLimited as exc:
        raise RateLimited(
            f"too many tree head and proof requests from this address (at most "
            f"{settings.SULH_RATE_PROOFS} in {settings.SULH_RATE_PERIOD} seconds): try again "
            f"in {exc.retry_after} seconds",
            retry_after=exc.retry_after,
        ) from None


@api.exception_handler(NinjaValidationError)
def _schema_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    first = dict(exc.errors[0]) if exc.errors else {}
    loc = tuple(first.get("loc", ()))
    # ninja prefixes locations with ("body", "<parameter name>"); a clerk needs the field.
    first["loc"] = loc[2:] if loc[:1] == ("body",) else loc[1:]
    field, message = describe(first)
    return _error(request, 422, "invalid", message, field)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthenticated", "log in or present a valid token", None)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, "http_error", str(exc), None)


def _stepped_up(request: HttpRequest, action: Action) -> User:
    """The signed-in user, refused (401) when ``action`` needs a fresh second factor and the
    request carries no live step-up token of theirs (the policy's SECOND_FACTOR_ACTIONS)."""
    user = _user(request)
    tokens.step_up_check(
        user=user, presented=request.headers.get(tokens.STEP_UP_HEADER), action=action
    )
    return user


@api.post("/step-up", response={201: StepUpOut, **ERRORS}, tags=["accounts"])
def step_up(request: HttpRequest, payload: StepUpIn) -> Status[StepUpOut]:
    """A step-up token, valid five minutes, after a fresh TOTP code: officers send it with
    the actions that need a second factor (decide, confirm, revoke, cards, exports)."""
    granted = tokens.step_up_grant(user=_user(request), code=payload.code)
    return Status(
        201,
        StepUpOut(token=granted.raw, header=tokens.STEP_UP_HEADER, expires_at=granted.expires_at),
    )


def _case_out(case: Case, *, user: User, replayed: bool = False) -> CaseOut:
    """The case as ``user`` may see it: a role that may not see match candidates (a clerk,
    a station device) is not told that it is in review, nor what is proposed."""
    proposal = None
    screening_shown = allows(user, Action.SEE_CANDIDATES)
    if case.proposed_outcome and screening_shown:
        proposal = {
            "outcome": case.proposed_outcome,
            "rule_id": case.proposed_rule,
            "destinations": case.proposed_destinations,
            "explanation": case.proposal_explanation or None,
        }
    return CaseOut.model_validate(
        {
            "serial": case.intake.serial,
            "program": case.program.code,
            "station": case.station.code,
            "state": case_selectors.state_shown(user=user, state=case.state, case=case),
            "proposal": proposal,
            "outcome": case.outcome,
            "destination": case.destination,
            "replayed": replayed,
        }
    )


def _decision_out(decision: Decision) -> DecisionOut:
    return DecisionOut(
        id=decision.pk,
        case=decision.case.intake.serial,
        outcome=decision.outcome,
        destination=decision.destination,
        status=decision.status,
        follows_proposal=decision.follows_proposal,
        rule_id=decision.rule_id,
        decided_by=decision.decided_by.username,
        second_officer=decision.second_officer.username if decision.second_officer else None,
    )


@api.get("/programs", response={200: list[ProgramOut], **ERRORS}, tags=["programs"])
def programs_list(request: HttpRequest) -> list[ProgramOut]:
    return [_program_out(program.code) for program in programs_all()]


@api.get("/programs/{code}", response={200: ProgramOut, **ERRORS}, tags=["programs"])
def programs_detail(request: HttpRequest, code: str) -> ProgramOut:
    program_get(code=code)
    return _program_out(code)


def _program_out(code: str) -> ProgramOut:
    from django.utils import timezone

    definition = program_get_definition(code=code)
    now = timezone.now()
    return ProgramOut.model_validate(
        {
            "code": definition.id,
            "version": definition.version,
            "kind": definition.kind,
            "title": definition.title.model_dump(),
            "opens_at": definition.opens_at,
            "deadline": definition.deadline,
            "open_now": definition.opens_at <= now <= definition.deadline,
        }
    )


@api.post("/intakes", response={200: CaseOut, 201: CaseOut, **ERRORS}, tags=["intakes"])
def intakes_create(request: HttpRequest, payload: IntakeIn) -> Status[CaseOut]:
    require(_user(request), Action.REGISTER)
    result = intake_register(data=payload, clerk=_user(request))
    out = _case_out(result.case, user=_user(request), replayed=not result.created)
    if not result.visible:  # a replay of a case no longer the clerk's to open: a receipt only
        out = out.model_copy(
            update={"state": "", "proposal": None, "outcome": "", "destination": ""}
        )
    return Status(201 if result.created else 200, out)


@api.get("/cases/{serial}", response={200: CaseOut, **ERRORS}, tags=["cases"])
def cases_detail(request: HttpRequest, serial: str) -> CaseOut:
    user = _user(request)
    return _case_out(case_selectors.case_get_for_user(user=user, serial=serial), user=user)


@api.get("/cases/{serial}/events", response={200: list[CaseEventOut], **ERRORS}, tags=["cases"])
def cases_events(request: HttpRequest, serial: str) -> list[CaseEventOut]:
    user = _user(request)
    case = case_selectors.case_get_for_user(user=user, serial=serial)
    reasons = allows(user, Action.READ_REASONS)  # a clerk or a device sees the course only
    return [
        CaseEventOut(
            event=event.event,
            from_state=case_selectors.state_shown(user=user, state=event.from_state),
            to_state=case_selectors.state_shown(user=user, state=event.to_state),
            actor=event.actor.username if event.actor else None,
            at=event.at,
            reason=event.reason if reasons else "",
            outcome=event.outcome,
        )
        for event in case_selectors.events_shown(
            user=user, events=case.events.select_related("actor")
        )
    ]


@api.post("/cases/{serial}/decisions", response={201: DecisionOut, **ERRORS}, tags=["decisions"])
def decisions_create(request: HttpRequest, serial: str, payload: DecisionIn) -> Status[DecisionOut]:
    user = _stepped_up(request, Action.DECIDE)
    case = case_selectors.case_get_for_user(user=user, serial=serial, action=Action.DECIDE)
    decision = case_services.decision_record(
        case=case,
        user=user,
        outcome=payload.outcome,
        reason=payload.reason,
        destination=payload.destination,
    )
    return Status(201, _decision_out(decision))


@api.post(
    "/decisions/{decision_id}/confirm", response={200: DecisionOut, **ERRORS}, tags=["decisions"]
)
def decisions_confirm(request: HttpRequest, decision_id: int, payload: ReasonIn) -> DecisionOut:
    user = _stepped_up(request, Action.CONFIRM_ADVERSE_DECISION)
    decision = case_selectors.decision_get_for_user(
        user=user, decision_id=decision_id, action=Action.CONFIRM_ADVERSE_DECISION
    )
    return _decision_out(
        case_services.decision_confirm(decision=decision, user=user, reason=payload.reason)
    )


@api.post(
    "/decisions/{decision_id}/reject", response={200: DecisionOut, **ERRORS}, tags=["decisions"]
)
def decisions_reject(request: HttpRequest, decision_id: int, payload: ReasonIn) -> DecisionOut:
    user = _stepped_up(request, Action.CONFIRM_ADVERSE_DECISION)
    decision = case_selectors.decision_get_for_user(
        user=user, decision_id=decision_id, action=Action.CONFIRM_ADVERSE_DECISION
    )
    return _decision_out(
        case_services.decision_reject(decision=decision, user=user, reason=payload.reason)
    )


@api.post("/cases/{serial}/appeal", response={200: CaseOut, **ERRORS}, tags=["cases"])
def cases_appeal(request: HttpRequest, serial: str, payload: ReasonIn) -> CaseOut:
    case = case_selectors.case_get_for_user(
        user=_user(request), serial=serial, action=Action.RECORD_APPEAL
    )
    case_services.case_appeal(case=case, user=_user(request), reason=payload.reason)
    user = _user(request)
    return _case_out(case_selectors.case_get_for_user(user=user, serial=serial), user=user)


def _request_out(step: SecondOfficerRequest, *, subject: str) -> SecondOfficerRequestOut:
    return SecondOfficerRequestOut(
        id=step.pk,
        subject=subject,
        status=step.status,
        requested_by=step.requested_by.username,
        second_officer=step.second_officer.username if step.second_officer else None,
    )


@api.post(
    "/cases/{serial}/revoke-eligibility",
    response={201: SecondOfficerRequestOut, **ERRORS},
    tags=["cases"],
)
def cases_revoke(
    request: HttpRequest, serial: str, payload: ReasonIn
) -> Status[SecondOfficerRequestOut]:
    """Propose to revoke a decided case's eligibility; a second deciding officer confirms."""
    user = _stepped_up(request, Action.REVOKE_ELIGIBILITY)
    case = case_selectors.case_get_for_user(
        user=user, serial=serial, action=Action.REVOKE_ELIGIBILITY
    )
    revocation = case_services.case_revoke_eligibility(case=case, user=user, reason=payload.reason)
    return Status(201, _request_out(revocation, subject=serial))


@api.post(
    "/cases/{serial}/revoke-eligibility/{answer}",
    response={200: SecondOfficerRequestOut, **ERRORS},
    tags=["cases"],
)
def cases_revoke_answer(
    request: HttpRequest, serial: str, answer: str, payload: ReasonIn
) -> SecondOfficerRequestOut:
    """The second deciding officer: ``confirm`` (eligibility is revoked) or ``reject``."""
    user = _stepped_up(request, Action.CONFIRM_REVOCATION)
    case = case_selectors.case_get_for_user(
        user=user, serial=serial, action=Action.CONFIRM_REVOCATION
    )
    answers = {
        "confirm": case_services.revocation_confirm,
        "reject": case_services.revocation_reject,
    }
    if answer not in answers:
        raise NotFound("answer confirm or reject", field="answer")
    revocation = answers[answer](case=case, user=user, reason=payload.reason)
    return _request_out(revocation, subject=serial)


@api.get(
    "/cases/{serial}/candidates", response={200: list[CandidateOut], **ERRORS}, tags=["matching"]
)
def candidates_list(request: HttpRequest, serial: str) -> list[CandidateOut]:
    candidates = case_selectors.candidates_get_for_user(user=_user(request), serial=serial)
    return [_candidate_out(shown) for shown in candidates]


@api.post(
    "/candidates/{candidate_id}/resolve", response={200: CandidateOut, **ERRORS}, tags=["matching"]
)
def candidates_resolve(request: HttpRequest, candidate_id: int, payload: ResolveIn) -> CandidateOut:
    candidate = case_selectors.candidate_get_for_user(
        user=_user(request), candidate_id=candidate_id, action=Action.RESOLVE_CANDIDATE
    )
    resolved = case_review.candidate_resolve(
        candidate=candidate, user=_user(request), decision=payload.decision,
        reason=payload.reason, survivor=payload.survivor,
    )  # fmt: skip
    shown = case_selectors.candidates_shown(user=_user(request), candidates=[resolved])
    return _candidate_out(shown[0])


def _candidate_out(shown: case_selectors.CandidateShown) -> CandidateOut:
    candidate = shown.candidate
    return CandidateOut(
        id=candidate.pk,
        kind=candidate.kind,
        other_case=shown.other_serial,
        list_entry=candidate.list_entry.entry_id if candidate.list_entry else None,
        restricted=shown.restricted,
        score=candidate.score,
        evidence=shown.evidence,
        status=candidate.status,
    )


@api.post("/cases/{serial}/cards", response={201: CardOut, **ERRORS}, tags=["cards"])
def cards_issue(request: HttpRequest, serial: str, payload: ReasonIn) -> Status[CardOut]:
    user = _stepped_up(request, Action.ISSUE_CARD)
    case = case_selectors.case_get_for_user(user=user, serial=serial, action=Action.ISSUE_CARD)
    card = card_services.card_issue(case=case, user=user, reason=payload.reason)
    return Status(201, _card_out(card))


@api.post("/cards/{card_id}/state", response={200: CardOut, **ERRORS}, tags=["cards"])
def cards_state(request: HttpRequest, card_id: str, payload: CardStateIn) -> CardOut:
    user = _stepped_up(request, Action.CHANGE_CARD_STATE)
    card = card_get_for_user(user=user, card_id=card_id, action=Action.CHANGE_CARD_STATE)
    return _card_out(
        card_services.card_set_state(
            card=card, user=user, state=payload.state, reason=payload.reason
        )
    )


@api.post(
    "/cards/{card_id}/reinstatement",
    response={201: SecondOfficerRequestOut, **ERRORS},
    tags=["cards"],
)
def cards_reinstatement(
    request: HttpRequest, card_id: str, payload: ReasonIn
) -> Status[SecondOfficerRequestOut]:
    """Ask to make a revoked or suspended card valid again; a second card officer approves."""
    user = _stepped_up(request, Action.CHANGE_CARD_STATE)
    card = card_get_for_user(user=user, card_id=card_id, action=Action.CHANGE_CARD_STATE)
    asked = card_services.card_reinstatement_request(card=card, user=user, reason=payload.reason)
    return Status(201, _request_out(asked, subject=card_id))


@api.post(
    "/cards/{card_id}/reinstatement/{answer}",
    response={200: SecondOfficerRequestOut, **ERRORS},
    tags=["cards"],
)
def cards_reinstatement_answer(
    request: HttpRequest, card_id: str, answer: str, payload: ReasonIn
) -> SecondOfficerRequestOut:
    """The second card officer: ``approve`` (the card is valid again) or ``refuse``."""
    user = _stepped_up(request, Action.APPROVE_REINSTATEMENT)
    card = card_get_for_user(user=user, card_id=card_id, action=Action.APPROVE_REINSTATEMENT)
    answers = {
        "approve": card_services.card_reinstatement_approve,
        "refuse": card_services.card_reinstatement_refuse,
    }
    if answer not in answers:
        raise NotFound("answer approve or refuse", field="answer")
    asked = answers[answer](card=card, user=user, reason=payload.reason)
    return _request_out(asked, subject=card_id)


@api.post("/cards/{card_id}/renew", response={201: CardOut, **ERRORS}, tags=["cards"])
def cards_renew(request: HttpRequest, card_id: str, payload: ReasonIn) -> Status[CardOut]:
    """A new card with a fresh validity for the same case; the old one is revoked."""
    user = _stepped_up(request, Action.RENEW_CARD)
    card = card_get_for_user(user=user, card_id=card_id, action=Action.RENEW_CARD)
    card = card_services.card_renew(card=card, user=user, reason=payload.reason)
    return Status(201, _card_out(card))


@api.get("/cards/{card_id}/card.pdf", response={200: None, **ERRORS}, tags=["cards"])
def cards_pdf(request: HttpRequest, card_id: str) -> HttpResponse:
    """The printable card (card officers only; every print is audited)."""
    user = _stepped_up(request, Action.PRINT_CARD)
    card = card_get_for_user(user=user, card_id=card_id, action=Action.PRINT_CARD)
    pdf = card_services.card_print(card=card, user=user)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="card-{card.card_id}.pdf"'
    return response


@api.post(
    "/programs/{code}/card-extensions",
    response={201: CardExtensionOut, **ERRORS},
    tags=["cards"],
)
def cards_extend(
    request: HttpRequest, code: str, payload: CardExtensionIn
) -> Status[CardExtensionOut]:
    """Extend the validity of every card the program issued so far (program managers)."""
    user = _stepped_up(request, Action.EXTEND_CARDS)
    require(user, Action.EXTEND_CARDS)
    extension = card_services.cards_extend(
        program=program_get(code=code),
        user=user,
        valid_until=payload.valid_until,
        reason=payload.reason,
    )
    return Status(
        201,
        CardExtensionOut(
            program=code,
            issued_before=extension.issued_before,
            valid_until=extension.valid_until,
        ),
    )


@api.post(
    "/programs/{code}/corridor-tallies",
    response={201: dict[str, Any], **ERRORS},
    tags=["ledger"],
)
def corridor_tally(
    request: HttpRequest, code: str, payload: CorridorTallyIn
) -> Status[dict[str, Any]]:
    """Record a count that is not per person (crossings at a point on a day); it is logged."""
    require(_user(request), Action.RECORD_CORRIDOR_TALLY)
    ledger_services.corridor_tally_record(
        program_code=code,
        point=payload.point,
        day=payload.day,
        count=payload.count,
        user=_user(request),
    )
    # Recorded, and nothing more: the leaf's index would tell how many events were logged
    # since the last tally, before any publication.
    answer = {"point": payload.point, "day": payload.day.isoformat(), "count": payload.count}
    return Status(201, {"program": code, **answer})


def _export_out(request: ExportRequest) -> ExportOut:
    return ExportOut(
        id=request.pk,
        program=request.program.code,
        requested_by=request.requested_by.username,
        approved_by=request.approved_by.username if request.approved_by else None,
        written=request.written_at is not None,
    )


@api.post("/exports", response={201: ExportOut, **ERRORS}, tags=["exports"])
def exports_request(request: HttpRequest, payload: ExportIn) -> Status[ExportOut]:
    """Ask to export a program's personal data, saying why; a second officer approves."""
    user = _stepped_up(request, Action.REQUEST_EXPORT)
    require(user, Action.REQUEST_EXPORT)
    created = exports.export_request(
        user=user, program_code=payload.program, purpose=payload.purpose
    )
    return Status(
        201,
        _export_out(
            export_get_for_user(user=user, export_id=created.pk, action=Action.REQUEST_EXPORT)
        ),
    )


@api.post("/exports/{request_id}/approve", response={200: ExportOut, **ERRORS}, tags=["exports"])
def exports_approve(request: HttpRequest, request_id: int) -> ExportOut:
    user = _stepped_up(request, Action.APPROVE_EXPORT)
    export = export_get_for_user(user=user, export_id=request_id, action=Action.APPROVE_EXPORT)
    return _export_out(exports.export_approve(request=export, user=user))


@api.get("/exports/{request_id}/people.csv", response={200: None, **ERRORS}, tags=["exports"])
def exports_write(request: HttpRequest, request_id: int) -> HttpResponse:
    """The approved export, once, for the officer who asked."""
    user = _stepped_up(request, Action.WRITE_EXPORT)
    export = export_get_for_user(user=user, export_id=request_id, action=Action.WRITE_EXPORT)
    text = exports.export_write(request=export, user=user)
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="export-{request_id}.csv"'
    return response


@api.get("/ledger/tree-head", auth=None, response={200: dict[str, Any], **ERRORS}, tags=["ledger"])
def ledger_tree_head(request: HttpRequest) -> dict[str, Any]:
    """The latest signed tree head of the transparency log (public)."""
    _public_rate_limit(request)
    return ledger_services.tree_head_latest()


@api.get(
    "/ledger/proof/inclusion", auth=None, response={200: dict[str, Any], **ERRORS}, tags=["ledger"]
)
def ledger_inclusion(request: HttpRequest, index: int, size: int | None = None) -> dict[str, Any]:
    """An RFC 9162 inclusion proof for one leaf in a published tree head (public): ``size``
    is a published head's size (default: the latest)."""
    _public_rate_limit(request)
    return ledger_services.ledger_inclusion_proof(index=index, size=size)


@api.get(
    "/ledger/proof/consistency",
    auth=None,
    response={200: dict[str, Any], **ERRORS},
    tags=["ledger"],
)
def ledger_consistency(request: HttpRequest, old: int, size: int | None = None) -> dict[str, Any]:
    """An RFC 9162 consistency proof from an earlier size to a published tree head (public):
    ``size`` is a published head's size (default: the latest)."""
    _public_rate_limit(request)
    return ledger_services.ledger_consistency_proof(old=old, size=size)


@api.get("/cards/trust-list.json", auth=None, tags=["cards"])
def cards_trust_list(request: HttpRequest) -> dict[str, Any]:
    """The signed trust list verifiers load (public: it holds only public keys)."""
    return card_services.trust_list_document()


@api.get("/cards/status.json", auth=None, tags=["cards"])
def cards_status_list(request: HttpRequest) -> dict[str, Any]:
    """The signed status list (public: card indexes and states only)."""
    return card_services.status_list_document()


def _card_out(card: Card) -> CardOut:
    return CardOut(
        card_id=card.card_id,
        case=card.case.intake.serial,
        state=card.state,
        valid_until=card.valid_until,
        status_index=card.status_index,
        text=card.text,
    )


@api.get("/bulletins/{code}", response={200: dict[str, Any], **ERRORS}, tags=["bulletins"])
def bulletins_current(request: HttpRequest, code: str) -> dict[str, Any]:
    """Program managers: the exact figures now (``kind: exact``). Monitors: the latest
    published bulletin and its attestations (``kind: published``; ``bulletin: null``
    before the first)."""
    user = _user(request)
    require(user, Action.SEE_FIGURES)
    program_get(code=code)
    if allows(user, Action.SEE_EXACT_FIGURES):
        return {"kind": "exact", **program_figures(program_code=code)}
    published = bulletins_published(program=code)[:1]
    return {
        "kind": "published",
        "bulletin": published[0].in_order() if published else None,
        "attestations": [a.document for a in published[0].attestations.all()] if published else [],
    }


@api.post(
    "/bulletins/{code}/attestations",
    response={201: dict[str, Any], **ERRORS},
    tags=["bulletins"],
)
def bulletins_attest(request: HttpRequest, code: str) -> Status:
    """A monitor records its signed attestation (``sulh monitor attest``) of a bulletin."""
    user = _user(request)
    require(user, Action.RECORD_ATTESTATION)
    try:
        document = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed("the body is not JSON", field="attestation") from None
    if not isinstance(document, dict) or document.get("program") != code:
        raise ValidationFailed(f"an attestation of a bulletin of {code}", field="program")
    row = attestation_record(document=document, user=user)
    return Status(201, {"monitor": row.monitor.name, "tree_head": row.bulletin.head.size})


# --- Departures (issue 19): orders, convoys, the vehicle door and the road -------------------
#
# Travellers are named by key (and family members by their id), never by name; a vehicle by
# its number in the convoy. The driver's name and the notes staff write are sealed and never
# shown back.


def _order_out(order: DepartureOrder) -> DepartureOrderOut:
    travellers = order.travellers.select_related("vehicle").order_by("pk")
    numbers = {t.vehicle.number for t in travellers if t.vehicle is not None}
    return DepartureOrderOut(
        id=order.pk,
        case=order.case.intake.serial,
        program=order.program.code,
        state=order.state,
        destination=order.destination,
        window_closes_at=order.window_closes_at,
        convoy=order.convoy_id,
        split=len(numbers) > 1,
        unaccompanied_child=order.unaccompanied_child,
        travellers=[
            TravellerOut(
                id=t.pk,
                family_member=t.family_member_id,
                is_child=t.is_child,
                status=t.status,
                vehicle=t.vehicle.number if t.vehicle is not None else None,
            )
            for t in travellers
        ],
    )


def _items_in(items: dict[str, list[CarriedItemIn]] | None) -> dict[int | str, Any] | None:
    """Items keyed by "person" or a family member's id, as the services take them."""
    if items is None:
        return None
    keyed: dict[int | str, Any] = {}
    for key, declared in items.items():
        if key != departure_services.PERSON and not key.isdigit():
            raise ValidationFailed(
                'key the items by "person" or a family member\'s id', field=f"items[{key}]"
            )
        typed: int | str = key if key == departure_services.PERSON else int(key)
        keyed[typed] = [item.model_dump() for item in declared]
    return keyed


@api.post(
    "/cases/{serial}/departure-orders",
    response={201: DepartureOrderOut, **ERRORS},
    tags=["departures"],
)
def departure_orders_create(
    request: HttpRequest, serial: str, payload: DepartureOrderIn
) -> Status[DepartureOrderOut]:
    """A departure order from the case's departure decision: the person, the family members
    who travel with them, the destination (among those the program allows them), items."""
    user = _user(request)
    case = case_selectors.case_get_for_user(user=user, serial=serial, action=Action.PLAN_DEPARTURES)
    order = departure_services.order_create(
        case=case,
        user=user,
        family_member_ids=payload.family_members,
        destination=payload.destination,
        items=_items_in(payload.items),
    )
    return Status(201, _order_out(order))


def _order(request: HttpRequest, order_id: int) -> tuple[User, DepartureOrder]:
    """The signed-in user, asked the policy, and the order (404 unless they may see its
    case)."""
    user = _user(request)
    require(user, Action.PLAN_DEPARTURES)
    order = departure_selectors.order_get_for_user(
        user=user, order_id=order_id, action=Action.PLAN_DEPARTURES
    )
    return user, order


@api.get(
    "/departure-orders/{order_id}", response={200: DepartureOrderOut, **ERRORS}, tags=["departures"]
)
def departure_orders_detail(request: HttpRequest, order_id: int) -> DepartureOrderOut:
    _, order = _order(request, order_id)
    return _order_out(order)


@api.post(
    "/departure-orders/{order_id}/change",
    response={200: DepartureOrderOut, **ERRORS},
    tags=["departures"],
)
def departure_orders_change(
    request: HttpRequest, order_id: int, payload: DepartureOrderChangeIn
) -> DepartureOrderOut:
    """Change who travels, where to or what they carry, until boarding, saying why; a
    field left out (null) stays as it is."""
    user, order = _order(request, order_id)
    order = departure_services.order_change(
        order=order,
        user=user,
        reason=payload.reason,
        family_member_ids=payload.family_members,
        destination=payload.destination,
        items=_items_in(payload.items),
    )
    return _order_out(order)


@api.post(
    "/departure-orders/{order_id}/cancel",
    response={200: DepartureOrderOut, **ERRORS},
    tags=["departures"],
)
def departure_orders_cancel(
    request: HttpRequest, order_id: int, payload: ReasonIn
) -> DepartureOrderOut:
    user, order = _order(request, order_id)
    return _order_out(
        departure_services.order_cancel(order=order, user=user, reason=payload.reason)
    )


# what a convoy shows as it is stored: operational facts, none about a person
CONVOY_SHOWN = (
    "destination",
    "state",
    "departs_from",
    "departs_until",
    "assembly_point",
    "crossing",
    "departed_at",
    "arrived_at",
)


def _convoy_out(convoy: Convoy) -> ConvoyOut:
    return ConvoyOut(
        **{name: getattr(convoy, name) for name in CONVOY_SHOWN},
        id=convoy.pk,
        program=convoy.program.code,
        escorts=list(convoy.escorts.order_by("pk").values_list("organisation", flat=True)),
        vehicles=[_vehicle_out(v) for v in convoy.vehicles.order_by("number")],
    )


def _vehicle_out(vehicle: Vehicle) -> VehicleOut:
    """Its number, kind, plate, seats and spare flag: never the driver (sealed)."""
    return VehicleOut.model_validate(vehicle, from_attributes=True)


def _convoy(request: HttpRequest, convoy_id: int, action: Action) -> tuple[User, Convoy]:
    """The signed-in user, asked the policy for ``action``, and the convoy (404 when not
    of a program they serve)."""
    user = _user(request)
    require(user, action)
    convoy = departure_selectors.convoy_get_for_user(user=user, convoy_id=convoy_id, action=action)
    return user, convoy


def _fresh(convoy: Convoy) -> Convoy:
    return Convoy.objects.select_related("program").get(pk=convoy.pk)


@api.post("/convoys", response={201: ConvoyOut, **ERRORS}, tags=["departures"])
def convoys_create(request: HttpRequest, payload: ConvoyIn) -> Status[ConvoyOut]:
    """A convoy of a program to one of its destinations, leaving within the program's
    window (refused after it, field ``departs_until``)."""
    user = _user(request)
    require(user, Action.PLAN_DEPARTURES)
    convoy = departure_services.convoy_create(user=user, **payload.model_dump())
    return Status(201, _convoy_out(_fresh(convoy)))


@api.get("/convoys/{convoy_id}", response={200: ConvoyOut, **ERRORS}, tags=["departures"])
def convoys_detail(request: HttpRequest, convoy_id: int) -> ConvoyOut:
    _, convoy = _convoy(request, convoy_id, Action.SEE_CONVOY_COUNTS)
    return _convoy_out(_fresh(convoy))


@api.post(
    "/convoys/{convoy_id}/vehicles", response={201: VehicleOut, **ERRORS}, tags=["departures"]
)
def convoys_vehicles_add(
    request: HttpRequest, convoy_id: int, payload: VehicleIn
) -> Status[VehicleOut]:
    """The convoy's next vehicle (numbered in order); the driver's name is sealed."""
    user, convoy = _convoy(request, convoy_id, Action.PLAN_DEPARTURES)
    vehicle = departure_services.vehicle_add(convoy=convoy, user=user, **payload.model_dump())
    return Status(201, _vehicle_out(vehicle))


@api.post("/convoys/{convoy_id}/escorts", response={201: ConvoyOut, **ERRORS}, tags=["departures"])
def convoys_escorts_add(
    request: HttpRequest, convoy_id: int, payload: EscortIn
) -> Status[ConvoyOut]:
    user, convoy = _convoy(request, convoy_id, Action.PLAN_DEPARTURES)
    departure_services.escort_add(convoy=convoy, user=user, organisation=payload.organisation)
    return Status(201, _convoy_out(_fresh(convoy)))


@api.post(
    "/convoys/{convoy_id}/placements",
    response={200: DepartureOrderOut, **ERRORS},
    tags=["departures"],
)
def convoys_place(request: HttpRequest, convoy_id: int, payload: PlacementIn) -> DepartureOrderOut:
    """Put a whole order on one vehicle; ``split`` puts some travellers on another vehicle,
    only with a ``split_reason`` (and an alert says so)."""
    user, convoy = _convoy(request, convoy_id, Action.PLAN_DEPARTURES)
    order = departure_selectors.order_get_for_user(
        user=user, order_id=payload.order, action=Action.PLAN_DEPARTURES
    )
    vehicle = departure_selectors.vehicle_of(convoy, number=payload.vehicle)
    split = {
        traveller_id: departure_selectors.vehicle_of(
            convoy, number=number, field=f"split[{traveller_id}]"
        )
        for traveller_id, number in payload.split.items()
    }
    order = departure_services.order_place(
        order=order, vehicle=vehicle, user=user, split=split, split_reason=payload.split_reason
    )
    return _order_out(order)


def _scan_out(event: TravellerEvent, *, replayed: bool) -> TravellerEventOut:
    return TravellerEventOut(
        traveller=event.traveller_id,
        event=event.event,
        vehicle=Vehicle.objects.values_list("number", flat=True).get(pk=event.vehicle_id),
        at=event.at,
        device_event_id=event.device_event_id,
        replayed=replayed,
    )


def _scan(record: Any, device_event_id: str) -> Status[TravellerEventOut]:
    """Run a scan's service: 201 when recorded now, 200 when the device delivered this
    event before (a retry: counted once)."""
    seen = TravellerEvent.objects.filter(device_event_id=device_event_id.strip()).exists()
    event = record()
    return Status(200 if seen else 201, _scan_out(event, replayed=seen))


@api.post(
    "/convoys/{convoy_id}/boardings",
    response={200: TravellerEventOut, 201: TravellerEventOut, **ERRORS},
    tags=["departures"],
)
def convoys_boardings(
    request: HttpRequest, convoy_id: int, payload: BoardingIn
) -> Status[TravellerEventOut]:
    """A traveller boarded their vehicle (a station or phone device may send this with a
    ``boarding`` token, and retry it with the same ``device_event_id``)."""
    user, convoy = _convoy(request, convoy_id, Action.RECORD_BOARDING)
    traveller = departure_selectors.traveller_of(convoy, traveller_id=payload.traveller)
    vehicle = departure_selectors.vehicle_of(convoy, number=payload.vehicle)
    items = None if payload.items is None else [item.model_dump() for item in payload.items]
    return _scan(
        lambda: movement.boarding_record(
            traveller=traveller,
            vehicle=vehicle,
            user=user,
            at=payload.at,
            device_event_id=payload.device_event_id,
            items=items,
        ),
        payload.device_event_id,
    )


def _placed_scan(
    request: HttpRequest, convoy_id: int, payload: ScanIn, record: Any
) -> Status[TravellerEventOut]:
    """A no-show or an arrival (``record``) of a traveller placed on the convoy."""
    user, convoy = _convoy(request, convoy_id, Action.RECORD_BOARDING)
    traveller = departure_selectors.traveller_of(
        convoy, traveller_id=payload.traveller, placed=True
    )
    return _scan(
        lambda: record(
            traveller=traveller, user=user, at=payload.at, device_event_id=payload.device_event_id
        ),
        payload.device_event_id,
    )


@api.post(
    "/convoys/{convoy_id}/no-shows",
    response={200: TravellerEventOut, 201: TravellerEventOut, **ERRORS},
    tags=["departures"],
)
def convoys_no_shows(
    request: HttpRequest, convoy_id: int, payload: ScanIn
) -> Status[TravellerEventOut]:
    """A traveller did not come to their vehicle before it left."""
    return _placed_scan(request, convoy_id, payload, movement.no_show_record)


@api.post(
    "/convoys/{convoy_id}/arrivals",
    response={200: TravellerEventOut, 201: TravellerEventOut, **ERRORS},
    tags=["departures"],
)
def convoys_arrivals(
    request: HttpRequest, convoy_id: int, payload: ScanIn
) -> Status[TravellerEventOut]:
    """A traveller scanned on arrival; refused for someone who never boarded."""
    return _placed_scan(request, convoy_id, payload, movement.arrival_record)


def _convoy_event_out(event: ConvoyEvent) -> ConvoyEventOut:
    return ConvoyEventOut(
        id=event.pk,
        convoy=event.convoy_id,
        event=event.event,
        vehicle=event.vehicle.number if event.vehicle is not None else None,
        count=event.count,
        at=event.at,
    )


@api.post(
    "/convoys/{convoy_id}/departure", response={200: ConvoyEventOut, **ERRORS}, tags=["departures"]
)
def convoys_depart(request: HttpRequest, convoy_id: int, payload: DepartIn) -> ConvoyEventOut:
    """The convoy left: those placed who did not board are no-shows; refused after the
    program's window (field ``at``)."""
    user, convoy = _convoy(request, convoy_id, Action.RECORD_CONVOY_MOVEMENT)
    return _convoy_event_out(
        movement.convoy_depart(convoy=convoy, user=user, at=payload.at, crossing=payload.crossing)
    )


@api.post(
    "/convoys/{convoy_id}/incidents",
    response={201: ConvoyEventOut, **ERRORS},
    tags=["departures"],
)
def convoys_incidents(
    request: HttpRequest, convoy_id: int, payload: IncidentIn
) -> Status[ConvoyEventOut]:
    """Something happened on the road (stopped, removed, returned, stranded, vehicle_lost);
    refused on a convoy that has not left or has arrived (field ``convoy``)."""
    user, convoy = _convoy(request, convoy_id, Action.RECORD_CONVOY_MOVEMENT)
    vehicle = (
        None
        if payload.vehicle is None
        else departure_selectors.vehicle_of(convoy, number=payload.vehicle)
    )
    travellers = [
        departure_selectors.traveller_of(
            convoy, traveller_id=key, placed=True, field=f"travellers[{index}]"
        )
        for index, key in enumerate(payload.travellers)
    ]
    event = movement.incident_record(
        convoy=convoy,
        user=user,
        kind=payload.kind,
        at=payload.at,
        vehicle=vehicle,
        count=payload.count,
        travellers=travellers,
        note=payload.note,
        duration_minutes=payload.duration_minutes,
    )
    return Status(201, _convoy_event_out(event))


@api.post(
    "/convoys/{convoy_id}/arrival", response={200: ConvoyEventOut, **ERRORS}, tags=["departures"]
)
def convoys_arrive(request: HttpRequest, convoy_id: int, payload: ArriveIn) -> ConvoyEventOut:
    """The convoy reached its destination (arrival scans may go on after this)."""
    user, convoy = _convoy(request, convoy_id, Action.RECORD_CONVOY_MOVEMENT)
    return _convoy_event_out(movement.convoy_arrive(convoy=convoy, user=user, at=payload.at))


@api.post(
    "/convoys/{convoy_id}/arrivals-close",
    response={200: list[ProtectionCaseOut], **ERRORS},
    tags=["departures"],
)
def convoys_arrivals_close(
    request: HttpRequest, convoy_id: int, payload: ArriveIn
) -> list[ProtectionCaseOut]:
    """The receiving side finished scanning an arrived convoy: each traveller still aboard
    opens a protection case (returned); refused before arrival or twice (field ``convoy``)."""
    user, convoy = _convoy(request, convoy_id, Action.RECORD_CONVOY_MOVEMENT)
    opened = departure_protection.arrivals_close(convoy=convoy, user=user, at=payload.at)
    return [_protection_case_out(case) for case in opened]


@api.post(
    "/convoys/{convoy_id}/resume", response={200: ConvoyEventOut, **ERRORS}, tags=["departures"]
)
def convoys_resume(request: HttpRequest, convoy_id: int, payload: ArriveIn) -> ConvoyEventOut:
    """A stranded convoy moves again; refused on a convoy that is not stranded (``convoy``)."""
    user, convoy = _convoy(request, convoy_id, Action.RECORD_CONVOY_MOVEMENT)
    return _convoy_event_out(
        departure_protection.convoy_resume(convoy=convoy, user=user, at=payload.at)
    )


def _protection_case_out(case: ProtectionCase) -> ProtectionCaseOut:
    return ProtectionCaseOut(
        id=case.pk,
        convoy=case.convoy_id,
        vehicle=case.vehicle.number,
        traveller=case.traveller_id,
        reason=case.reason,
        opened_at=case.opened_at,
        closed_at=case.closed_at,
        closed_how=case.closed_how,
    )


@api.get(
    "/protection-cases", response={200: list[ProtectionCaseOut], **ERRORS}, tags=["departures"]
)
def protection_cases(request: HttpRequest, closed: bool = False) -> list[ProtectionCaseOut]:
    """The protection cases of the convoys the caller may see the counts of, newest first;
    open ones only unless ``closed=true``. Keys and times, never a name."""
    user = _user(request)
    require(user, Action.SEE_CONVOY_COUNTS)
    cases = departure_protection.protection_cases_for_user(user=user, open_only=not closed)
    return [_protection_case_out(case) for case in cases]


def _counts_out(counts: departure_selectors.Counts, *, departed: bool) -> CountsOut:
    return CountsOut(**counts.as_dict(), departed=counts.boarded if departed else 0)


@api.get(
    "/convoys/{convoy_id}/reconciliation",
    response={200: ReconciliationOut, **ERRORS},
    tags=["departures"],
)
def convoys_reconciliation(request: HttpRequest, convoy_id: int) -> ReconciliationOut:
    """Per vehicle and for the convoy: manifested = boarded + no_show + waiting, and
    boarded = arrived + removed + returned + unaccounted; counts and keys only."""
    _, convoy = _convoy(request, convoy_id, Action.SEE_CONVOY_COUNTS)
    reconciled = departure_selectors.convoy_reconcile(convoy=convoy)
    departed = reconciled.state != ConvoyState.PLANNED
    return ReconciliationOut(
        convoy=reconciled.convoy,
        state=reconciled.state,
        vehicles={
            number: _counts_out(counts, departed=departed)
            for number, counts in reconciled.vehicles.items()
        },
        total=_counts_out(reconciled.total, departed=departed),
        not_accounted_for=reconciled.not_accounted_for,
    )


@api.get(
    "/convoys/{convoy_id}/alerts",
    response={200: list[ConvoyAlertOut], **ERRORS},
    tags=["departures"],
)
def convoys_alerts(request: HttpRequest, convoy_id: int) -> list[ConvoyAlertOut]:
    """The alerts raised about the convoy: a family split, an unaccompanied child, each
    incident (keys and counts only)."""
    _, convoy = _convoy(request, convoy_id, Action.SEE_CONVOY_COUNTS)
    return [
        ConvoyAlertOut(kind=alert.kind, at=alert.at, details=alert.details)
        for alert in departure_selectors.convoy_alerts(convoy=convoy)
    ]


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness and database reachability, for load balancers and the demo."""
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return HttpResponse("database unreachable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


__all__ = ["NotFound", "api", "healthz"]
