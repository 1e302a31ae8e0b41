"""Cards from decided cases: issue, renew, revoke, suspend, reinstate; trust and status lists.

A case holds one card in force (valid or suspended): a new card replaces it, and the old
one is revoked in the status list. A revoked or suspended card is valid again only when a
second card officer approves its reinstatement (four eyes, as for adverse decisions).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from sulh.accounts.models import Station, User
from sulh.accounts.policy import Action, require
from sulh.audit.services import audit_record
from sulh.cards.format import CardClaims, Holder, encode_card, new_card_id
from sulh.cards.models import (
    Card,
    CardExtension,
    CardReinstatement,
    CardState,
    StatusIndexCounter,
    TrustListPublication,
)
from sulh.cards.pdf import PrintedCard, cards_pdf
from sulh.cards.photo import face_thumbnail, photo_bytes
from sulh.cards.status import CardStatus, StatusList
from sulh.cards.trust import ProgramPolicy, StationKey, trust_list_sign
from sulh.cases import services as case_services
from sulh.cases.hooks import DuplicateClosed
from sulh.cases.models import Case, DecisionStatus, Outcome, State
from sulh.core.errors import Conflict, SulhError, ValidationFailed
from sulh.keys.models import SigningKey
from sulh.keys.services import (
    SIGNING_KEY_DAYS,
    Signer,
    monitor_enrol,
    monitors_enrolled,
    public_key_of,
    publication_key,
    root_find,
    root_key,
    root_offline,
    root_offline_create,
    root_online_create,
    root_private_check,
    root_signer,
    signing_key_create,
    signing_key_current,
    station_keys,
    station_signer,
)
from sulh.keys.signing import LocalSigner, MessageSigner
from sulh.programs.models import Program
from sulh.programs.services import program_get_definition

STATUS_LIST_SIZE = 1 << 16
ISSUABLE_OUTCOMES = frozenset({Outcome.AMNESTY, Outcome.DEPARTURE})


def certify(
    *, root_pem: bytes, days: int = SIGNING_KEY_DAYS, monitors: list[object] | None = None
) -> dict[str, Any]:
    """The certification ceremony, with the offline root at hand: new keys for stations
    whose key ends within 30 days, a publication key, the accredited monitors to enrol
    (their public key documents), and a trust list signed by the root (stored, and served
    until the next ceremony)."""
    root_private = root_private_check(root_pem)
    with transaction.atomic():
        for public in monitors or []:
            monitor_enrol(public=public)
        for station in Station.objects.all():
            if signing_key_current("station", station_id=station.pk, margin_days=30) is None:
                signing_key_create(kind="station", station_id=station.pk, days=days)
        if signing_key_current("publication", margin_days=30) is None:
            signing_key_create(kind="publication", station_id=None, days=days)
        document = _trust_list(LocalSigner(root_private), days=days)
        TrustListPublication.objects.create(document=document)
    return document


def monitor_enrol_online(*, public: object) -> dict[str, Any]:
    """Enrol a monitor on a site whose root is online (development, the demo): the trust
    list, signed on each request, names it from now on. With an offline root, enrolment is
    part of the ceremony (``sulh card certify --enrol-monitor FILE``)."""
    if root_offline():
        raise Conflict(
            "the root is offline: enrol monitors at the ceremony, "
            "sulh card certify --root-key FILE --enrol-monitor PUB.json",
            field="root_key",
        )
    return monitor_enrol(public=public).public_document()


def root_init(*, out: Path | None) -> SigningKey:
    """``sulh card root-init``: the offline root written to ``out``, or with no ``out`` an
    online root for a development site (see ``sulh.keys.services``)."""
    if out is None:
        if root_find() is not None:
            raise Conflict("this site already has a root key", field="root_key")
        return root_online_create()
    return root_offline_create(out=out)


def _trust_list(root: MessageSigner, *, days: int = 30) -> dict[str, Any]:
    """Signed now; verifiers stop trusting it after ``days`` (30 for a list an online root
    signs on each request; the certification's key validity for one signed offline)."""
    keys = [
        StationKey(
            station=row.station.code if row.station else "",
            key=public_key_of(row),  # the stored public half: nothing unsealed, token or not
            not_before=row.not_before,
            not_after=row.not_after,
        )
        for row in station_keys()
    ]
    programs = dict(Program.objects.values_list("pk", "code"))
    extensions: dict[int, tuple[dt.datetime, dt.datetime]] = {}
    for row in CardExtension.objects.order_by("created_at"):
        extensions[row.program_id] = (row.issued_before, row.valid_until)  # the latest wins
    now = timezone.now()
    return trust_list_sign(
        root=root,
        keys=keys,
        issued_at=now,
        expires_at=now + dt.timedelta(days=days),
        programs=programs,
        extensions=extensions,
        publication_key=public_key_of(publication_key()),
        policies={pk: program_policy(code) for pk, code in programs.items()},
        monitors=monitors_enrolled(),
    )


def program_policy(code: str) -> ProgramPolicy:
    """What checkpoints apply to the program's cards, from its program file."""
    definition = program_get_definition(code=code)
    grants = definition.card.grants
    return ProgramPolicy(
        timezone=definition.timezone,
        status_max_age_hours=definition.card.status_max_age_hours,
        grants_ar=grants.ar if grants else "",
        grants_en=grants.en if grants else "",
    )


def _holder(case: Case) -> Holder:
    person = case.intake.person
    name_ar = " ".join(
        p for p in (person.given_name_ar, person.father_name_ar, person.family_name_ar) if p
    )
    name_lat = " ".join(
        p for p in (person.given_name_lat, person.father_name_lat, person.family_name_lat) if p
    )
    year = int(person.birth_date[:4]) if person.birth_date[:4].isdigit() else None
    # The face signed into the code ties the card to its bearer at an offline checkpoint.
    face = face_thumbnail(photo_bytes(person.photo)) if person.photo else b""
    return Holder(name_ar=name_ar, name_lat=name_lat, birth_year=year, photo=face)


def card_issue(*, case: Case, user: User, reason: str = "") -> Card:
    """Issue a card for a decided, non-adverse case (amnesty or departure). When the case
    holds a card in force already, the new card replaces it (a reason is required) and
    the old one is revoked."""
    require(user, Action.ISSUE_CARD)
    reason = (reason or "").strip()
    with transaction.atomic():
        case = (
            Case.objects.select_for_update()
            .select_related("intake__person", "program", "station")
            .get(pk=case.pk)
        )
        if (
            case.state not in {State.DECIDED, State.CARD_ISSUED}
            or case.outcome not in ISSUABLE_OUTCOMES
        ):
            raise Conflict(
                "a card is issued only for a decided amnesty or departure", field="state"
            )
        case_services.case_look_alikes_resolved_check(case=case)
        current = _card_in_force(case=case)
        _refuse_reinstatement_by_issue(case=case, current=current)
        if current is not None and not reason:
            raise ValidationFailed(
                f"this case holds card {current.card_id} already: give the reason to replace it "
                "(the old card is then revoked)",
                field="reason",
            )
        card = _issue_replacing(case=case, user=user, old=current)
        replaces = {"replaces": current.card_id} if current is not None else {}
        case_services.case_record_event(
            case=case, to_state=State.CARD_ISSUED, event="card_issued", actor=user, reason=reason,
            details={"card": card.card_id, **replaces},
        )  # fmt: skip
    return card


def cards_issue_for(*, cases: list[Case], user: User) -> tuple[list[Card], list[SulhError]]:
    """A card for each of ``cases`` (the card officer's batch), each issued as a single
    card is; the cases that cannot have one are left as they are, with what was wrong."""
    require(user, Action.ISSUE_CARD)
    issued: list[Card] = []
    refused: list[SulhError] = []
    for case in cases:
        try:
            issued.append(card_issue(case=case, user=user))
        except SulhError as exc:
            refused.append(exc)
    return issued, refused


def _refuse_reinstatement_by_issue(*, case: Case, current: Card | None) -> None:
    """A new card for a case whose card was revoked (not replaced) or is suspended would be
    a reinstatement by one officer: that takes a request and a second card officer."""
    if current is not None and current.state == CardState.SUSPENDED:
        raise Conflict(
            f"card {current.card_id} is suspended: ask for its reinstatement (a second card "
            "officer approves it) rather than issue another",
            field="state",
        )
    if current is None:
        last = Card.objects.filter(case=case).order_by("-issued_at", "-pk").first()
        if last is not None and last.superseded_by_id is None:
            raise Conflict(
                f"card {last.card_id} was revoked: a new card would reinstate it, which takes "
                "a request and a second card officer (a lost card is replaced while it is "
                "still in force)",
                field="state",
            )


def _card_in_force(*, case: Case, besides: Card | None = None) -> Card | None:
    """The case's valid or suspended card (locked), if it holds one."""
    cards = Card.objects.select_for_update().filter(case=case).exclude(state=CardState.REVOKED)
    if besides is not None:
        cards = cards.exclude(pk=besides.pk)
    return cards.first()


def _issue_replacing(*, case: Case, user: User, old: Card | None) -> Card:
    """A new card for the case; ``old`` (its card in force) is revoked and marked replaced."""
    if old is not None:
        old.state = CardState.REVOKED  # first: a case never holds two cards in force
        old.save(update_fields=["state"])
    new = _issue(case=case, user=user)
    if old is not None:
        old.superseded_by = new
        old.save(update_fields=["superseded_by"])
    return new


def _issue(*, case: Case, user: User) -> Card:
    definition = program_get_definition(code=case.program.code)
    now = timezone.now()
    signer = station_signer(station_id=case.station_id, station_code=case.station.code)
    # A card never outlives the key that signs it: a verifier trusts the key only so long.
    valid_until = min(now + dt.timedelta(days=definition.card.validity_days), signer.row.not_after)
    index = _next_status_index()
    if index >= STATUS_LIST_SIZE:
        raise Conflict("the status list is full: start a new one", field="status_index")
    card_id = new_card_id()
    while Card.objects.filter(card_id=card_id.hex()).exists():
        card_id = new_card_id()
    claims = CardClaims(
        card_id=card_id,
        program=case.program.pk,
        issued_at=now,
        valid_from=now,
        valid_until=valid_until,
        status_index=index,
        holder=_holder(case),
    )
    text = encode_card(claims, key=signer, kid=signer.kid)
    return Card.objects.create(
        card_id=claims.card_id.hex(),
        case=case,
        station=case.station,
        key=signer.row,
        issued_by=user,
        issued_at=now,
        valid_until=claims.valid_until,
        status_index=index,
        text=text,
    )


def card_renew(*, card: Card, user: User, reason: str) -> Card:
    """A new card for the same case with a fresh validity; the old one is revoked with it."""
    require(user, Action.RENEW_CARD)
    if not (reason or "").strip():
        raise ValidationFailed("a reason is required", field="reason")
    with transaction.atomic():
        old = Card.objects.select_for_update().get(pk=card.pk)
        if old.state == CardState.REVOKED or old.superseded_by_id is not None:
            raise Conflict("a revoked or replaced card cannot be renewed", field="card_id")
        if old.state == CardState.SUSPENDED:
            # A fresh card would lift the suspension: that is a reinstatement, with a
            # second officer, not one officer's renewal.
            raise Conflict(
                "a suspended card is not renewed: ask for its reinstatement (a second "
                "officer confirms it)",
                field="state",
            )
        case = (
            Case.objects.select_for_update()
            .select_related("intake__person", "program", "station")
            .get(pk=old.case_id)
        )
        if case.state != State.CARD_ISSUED:
            raise Conflict("the case no longer holds a card", field="state")
        new = _issue_replacing(case=case, user=user, old=old)
        case_services.case_record_event(
            case=case, to_state=case.state, event="card_renewed", actor=user,
            reason=reason.strip(), details={"card": new.card_id, "replaces": old.card_id},
        )  # fmt: skip
    return new


def cards_extend(
    *, program: Program, user: User, valid_until: dt.datetime, reason: str
) -> CardExtension:
    """Extend every card the program issued so far to ``valid_until``, without reprinting.

    The extension travels in the signed trust list; checkpoints that refresh it accept
    the cards until the new date.
    """
    require(user, Action.EXTEND_CARDS)
    if not (reason or "").strip():
        raise ValidationFailed("a reason is required", field="reason")
    now = timezone.now()
    if valid_until <= now:
        raise ValidationFailed("must be in the future", field="valid_until")
    if valid_until > now + dt.timedelta(days=3650):
        raise ValidationFailed("must be within ten years", field="valid_until")
    root = root_find()
    if root is not None and valid_until > root.not_after:
        raise ValidationFailed(
            f"must not outlive the root key that signs the extension (until "
            f"{root.not_after.date().isoformat()})",
            field="valid_until",
        )
    with transaction.atomic():
        extension = CardExtension.objects.create(
            program=program, issued_before=now, valid_until=valid_until, decided_by=user,
            reason=reason.strip(),
        )  # fmt: skip
        audit_record(
            actor=user,
            action="cards_extended",
            obj_type="program",
            obj_id=program.code,
            purpose=reason.strip(),
            details={"valid_until": valid_until.isoformat()},
        )
    return extension


def card_printed(*, card: Card) -> PrintedCard:
    """What the printed card shows (for the card officer's PDF)."""
    case = card.case
    definition = program_get_definition(code=case.program.code)
    holder = _holder(case)
    return PrintedCard(
        text=card.text,
        holder=holder,
        card_id=card.card_id,
        program_ar=definition.title.ar,
        program_en=definition.title.en,
        office_ar=card.station.name_ar,
        office_en=card.station.name_en,
        valid_from=card.issued_at.date(),
        valid_until=card.valid_until.date(),
        photo=photo_bytes(case.intake.person.photo),
        grants_ar=definition.card.grants.ar if definition.card.grants else "",
        grants_en=definition.card.grants.en if definition.card.grants else "",
    )


def card_print(*, card: Card, user: User) -> bytes:
    """The card as a PDF for the card officer to print; recorded in the audit trail."""
    return cards_print(cards=[card], user=user)


CARDS_PER_BATCH = 50


def cards_print(*, cards: list[Card], user: User) -> bytes:
    """Several valid cards in one PDF, a page each; every card's printing is recorded in
    the audit trail as a single printing is. Nothing is printed if one is not valid."""
    require(user, Action.PRINT_CARD)
    if not cards:
        raise ValidationFailed("choose the cards to print", field="card_ids")
    if len(cards) > CARDS_PER_BATCH:
        raise ValidationFailed(f"print at most {CARDS_PER_BATCH} cards at a time", field="card_ids")
    for card in cards:
        if card.state != CardState.VALID:
            raise Conflict(f"card {card.card_id} is {card.state}: print valid cards", field="state")
    printed = [card_printed(card=card) for card in cards]
    for card in cards:
        audit_record(actor=user, action="card_printed", obj_type="card", obj_id=card.card_id)
    return cards_pdf(printed)


def _next_status_index() -> int:
    counter, _ = StatusIndexCounter.objects.get_or_create(name="default")
    counter = StatusIndexCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def card_set_state(*, card: Card, user: User, state: str, reason: str) -> Card:
    """Revoke or suspend a card, with a reason; recorded on the case. Making a card valid
    again is a reinstatement, which takes a second officer (``card_reinstatement_request``)."""
    require(user, Action.CHANGE_CARD_STATE)
    if state not in CardState.values:
        raise ValidationFailed(f"must be one of {', '.join(CardState.values)}", field="state")
    if state == CardState.VALID:
        raise Conflict(
            "reinstating a card takes a second card officer: ask for the reinstatement, "
            "and another card officer approves it",
            field="state",
        )
    if not (reason or "").strip():
        raise ValidationFailed("a reason is required", field="reason")
    with transaction.atomic():
        card = Card.objects.select_for_update().select_related("case").get(pk=card.pk)
        if card.state == CardState.REVOKED:
            raise Conflict("the card is revoked already", field="state")
        card.state = state
        card.save(update_fields=["state"])
        event = {"revoked": "card_revoked", "suspended": "card_suspended"}[state]
        case = card.case
        case_services.case_record_event(
            case=case, to_state=case.state, event=event, actor=user, reason=reason.strip(),
            details={"card": card.card_id},
        )  # fmt: skip
    return card


def card_reinstatement_request(*, card: Card, user: User, reason: str) -> CardReinstatement:
    """A card officer asks to make a revoked or suspended card valid again, with a reason;
    the card stays as it is until a second card officer approves."""
    require(user, Action.CHANGE_CARD_STATE)
    if not (reason or "").strip():
        raise ValidationFailed("a reason is required", field="reason")
    with transaction.atomic():
        card = _reinstatable(card=card)
        if card.reinstatements.filter(status=DecisionStatus.AWAITING_SECOND).exists():
            raise Conflict(
                "a reinstatement of this card already awaits a second officer", field="card_id"
            )
        request = CardReinstatement.objects.create(
            card=card, reason=reason.strip(), requested_by=user, requested_at=timezone.now()
        )
        case_services.case_note(
            case=card.case, event="card_reinstatement_asked", actor=user, reason=reason.strip(),
            details={"card": card.card_id},
        )  # fmt: skip
    return request


def _reinstatable(*, card: Card) -> Card:
    """The card, locked, if it may become valid again: not valid already, not replaced,
    its case still holding a card and no other card in force."""
    card = Card.objects.select_for_update().select_related("case").get(pk=card.pk)
    if card.state == CardState.VALID:
        raise Conflict("the card is valid already", field="state")
    if card.superseded_by_id is not None:
        raise Conflict(
            "a replaced card is never reinstated: the case holds a newer card", field="card_id"
        )
    case = Case.objects.select_for_update().get(pk=card.case_id)
    if case.state != State.CARD_ISSUED:
        raise Conflict(
            f"the case is {case.get_state_display()}: its cards are not reinstated", field="state"
        )
    other = _card_in_force(case=case, besides=card)
    if other is not None:
        raise Conflict(f"the case holds card {other.card_id} in force", field="card_id")
    card.case = case
    return card


def card_reinstatement_approve(*, card: Card, user: User, reason: str = "") -> CardReinstatement:
    """A second card officer approves the reinstatement: the card is valid again."""
    return _reinstatement_answer(card=card, user=user, reason=reason, confirm=True)


def card_reinstatement_refuse(*, card: Card, user: User, reason: str) -> CardReinstatement:
    """A second card officer refuses the reinstatement: the card stays as it is."""
    return _reinstatement_answer(card=card, user=user, reason=reason, confirm=False)


def _reinstatement_answer(
    *, card: Card, user: User, reason: str, confirm: bool
) -> CardReinstatement:
    action = Action.APPROVE_REINSTATEMENT
    require(user, action)
    with transaction.atomic():
        card = Card.objects.select_for_update().select_related("case").get(pk=card.pk)
        request = (
            CardReinstatement.objects.select_for_update()
            .filter(card=card, status=DecisionStatus.AWAITING_SECOND)
            .first()
        )
        if request is None:
            raise Conflict("no reinstatement of this card awaits a second officer", field="card_id")
        case_services.second_officer_answer(
            step=request, user=user, action=action, first=request.requested_by_id,
            registered_by=None, reason=reason, confirm=confirm, what="reinstatement",
        )  # fmt: skip
        details = {"card": card.card_id, "request": request.pk}
        if confirm:
            card = _reinstatable(card=card)  # nothing changed since it was asked
            card.state = CardState.VALID
            card.save(update_fields=["state"])
        case_services.case_note(
            case=card.case, event="card_reinstated" if confirm else "card_reinstatement_refused",
            actor=user, reason=request.second_reason, details=details,
        )  # fmt: skip
    return request


def card_reinstatement_pending(*, card: Card) -> CardReinstatement | None:
    return card.reinstatements.filter(status=DecisionStatus.AWAITING_SECOND).first()


def on_eligibility_revoked(case: Case) -> None:
    """Registered on ``sulh.cases.hooks.eligibility_revoked`` at start-up."""
    cards_revoke_for_case(case=case)


def on_closed_as_duplicate(closed: DuplicateClosed) -> None:
    """Registered on ``sulh.cases.hooks.closed_as_duplicate`` at start-up: the duplicate's
    cards are revoked (the status list says so from its next signing) and the revocation
    is in its history; a reinstatement asked for them is voided. Only the survivor's card
    stands for the person."""
    duplicate = closed.duplicate
    CardReinstatement.objects.filter(
        card__case=duplicate, status=DecisionStatus.AWAITING_SECOND
    ).update(status=DecisionStatus.VOIDED)
    in_force = Card.objects.select_for_update().filter(case=duplicate)
    for card in in_force.exclude(state=CardState.REVOKED):
        card.state = CardState.REVOKED
        card.save(update_fields=["state"])
        case_services.case_note(
            case=duplicate, event="card_revoked", actor=closed.actor,
            reason=f"duplicate of {closed.survivor.serial}", details={"card": card.card_id},
        )  # fmt: skip


def cards_revoke_for_case(*, case: Case) -> int:
    """Eligibility revoked: every valid card of the case is revoked with it."""
    return (
        Card.objects.filter(case=case)
        .exclude(state=CardState.REVOKED)
        .update(state=CardState.REVOKED)
    )


def trust_list_document() -> dict[str, Any]:
    """The trust list verifiers load: signed now by an online (development) root, or the
    one signed at the last certification when the root is offline."""
    root = root_key()
    if root.private_pem or root.token_label:  # an online root signs the list as it is now
        return _trust_list(root_signer())
    latest = TrustListPublication.objects.order_by("-pk").first()
    if latest is None:
        raise Conflict(
            "no trust list yet: run the certification (sulh card certify)", field="root_key"
        )
    return latest.document


# A status list is signed when card states change, or when the one in hand is older than
# this; not on every anonymous request (each would be a signature by the token).
STATUS_REUSE = dt.timedelta(minutes=10)
_status_signed: dict[str, Any] = {}
_status_lock = threading.Lock()


def status_list_forget() -> None:
    """Sign the next status list afresh (tests: each starts with new keys and cards)."""
    with _status_lock:
        _status_signed.clear()


def status_list_document() -> dict[str, Any]:
    states = {CardState.REVOKED: CardStatus.REVOKED, CardState.SUSPENDED: CardStatus.SUSPENDED}
    marked = sorted(
        Card.objects.exclude(state=CardState.VALID).values_list("status_index", "state")
    )
    signer = Signer(publication_key())
    now = timezone.now()
    content = hashlib.sha256(repr((signer.kid, marked)).encode()).hexdigest()
    with _status_lock:
        held = _status_signed.get("document")
        if held and held[0] == content and now - held[1] < STATUS_REUSE:
            return dict(held[2])
        status = StatusList(size=STATUS_LIST_SIZE)
        for index, state in marked:
            status.set(index, states[CardState(state)])
        document = status.signed(root=signer, issued_at=now, uri="/api/cards/status.json")
        # sequence: the signing time in ms; valid for STATUS_LIST_HOURS
        _status_signed["document"] = (content, now, document)
    return dict(document)


def cards_erase_for_case(*, case_id: int) -> None:
    """Retention: the card texts (they carry the holder's names) are blanked."""
    Card.objects.filter(case_id=case_id).update(text="")
    CardReinstatement.objects.filter(card__case_id=case_id).update(reason="", second_reason="")
