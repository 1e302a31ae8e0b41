"""Staff pages for the case's life: intake, review queue, decisions, cards, dashboard.

Thin views: they authorise through the policy's helpers (``require``, the selectors'
``*_get_for_user``, which also audit), write through the services (which ask the policy
again), and show any SulhError next to the field it names.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext, gettext_lazy, gettext_noop, ngettext
from django.views.decorators.http import require_POST

from sulh.accounts.models import Station
from sulh.accounts.policy import Action, allows, require
from sulh.accounts.selectors import request_user as _user
from sulh.cards import selectors as card_selectors
from sulh.cards import services as card_services
from sulh.cards.models import Card
from sulh.cards.selectors import card_get_for_user
from sulh.cases import review as case_review
from sulh.cases import selectors as case_selectors
from sulh.cases import services as case_services
from sulh.cases.intake import intake_register
from sulh.cases.models import Case, State
from sulh.cases.search import intake_precheck, person_search
from sulh.core.errors import NotFound, RateLimited, SulhError, ValidationFailed
from sulh.core.validation import parse
from sulh.ledger.disclosure import EARLIER, LATER, figures_exact
from sulh.ledger.publication import bulletins_published, live_records
from sulh.ledger.render import bars, bulletin_html
from sulh.matching.record import PersonRecord
from sulh.programs.services import (
    program_definition_at,
    program_get_definition,
    programs_all,
)
from sulh.registry.schemas import IntakeIn
from sulh.web.forms import (
    FAMILY_FIELDS,
    ITEM_FIELDS,
    RELATIONS,
    SERIAL_STATES,
    day_first_date,
    error_messages,
    form_rows,
    intake_form,
    western_digits,
)
from sulh.web.labels import program_text
from sulh.web.templatetags.sulh_dates import day_first
from sulh.web.templatetags.sulh_labels import code_label, joined, replace_reason

_text = program_text  # a program's bilingual text in the page's language


def _open_programs() -> list[dict[str, Any]]:
    now = timezone.now()
    rows = []
    for program in programs_all():
        definition = program_get_definition(code=program.code)
        if definition.opens_at <= now <= definition.deadline:
            rows.append({"code": program.code, "title": _text(definition.title)})
    return rows


# --- Intake -----------------------------------------------------------------------


PLEDGE_UNANSWERED = gettext_noop(
    "The pledge is not ticked as signed. Tick it if the person signed; if they refused to "
    "sign, tick the box below: the case will then be proposed for denial."
)


@login_required
def intake_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require(user, Action.REGISTER)
    programs = _open_programs()
    code = request.POST.get("program") or request.GET.get("program") or ""
    if not code and programs:
        code = programs[0]["code"]
    context: dict[str, Any] = {"programs": programs, "program": code, "rows": range(3)}
    if code:
        try:
            definition = program_get_definition(code=code)
        except SulhError:
            definition = None
        if definition is not None:
            context.update(
                definition=definition,
                pledge_ar=definition.pledge.text.ar,
                pledge_en=definition.pledge.text.en,
                categories=definition.eligible_categories,
                affiliations=[(a.id, _text(a.name)) for a in definition.affiliations],
                destinations=[(d.id, _text(d.name)) for d in definition.destinations],
            )
    post = request.POST if request.method == "POST" else QueryDict()
    context.update(
        values=post,
        relations=list(RELATIONS.items()),
        serial_states=list(SERIAL_STATES.items()),
        # one key per form shown: a double submit or a retry after a lost answer registers
        # once (and a form shown again, with its errors or in the other language, keeps it)
        idempotency_key=post.get("idempotency_key") or uuid.uuid4().hex,
    )
    language = post.get("language", "")
    if language in dict(settings.LANGUAGES):
        translation.activate(language)
        return _intake_form(request, context, post, language=language)
    if request.method == "POST":
        form = intake_form(post, program=code, station=user.station.code if user.station else "")
        if not post.get("pledge_signed") and not post.get("pledge_refused"):
            # an unticked box is more often a slip than a refusal, and a case without the
            # pledge is proposed for denial: the clerk says which it is (the API is unchanged)
            errors = {"pledge_signed": [gettext(PLEDGE_UNANSWERED)]}
            context.update(errors=errors, general_errors=[], error_count=1, pledge_asked=True)
            return _intake_form(request, context, post, errors=errors, status=422)
        try:
            result = intake_register(data=parse(IntakeIn, form.payload), clerk=user)
        except SulhError as exc:
            errors, general = error_messages(exc, form)
            context.update(
                errors=errors, general_errors=general, error_count=len(errors) + len(general)
            )
            return _intake_form(request, context, post, errors=errors, status=exc.status)
        if request.headers.get("X-Sulh-Form") == "fetch":
            # the page's script sent it (and keeps a sealed draft until this answer): it
            # goes to the receipt itself, so the receipt is read once, not twice
            receipt_url = reverse("web:receipt", kwargs={"serial": result.case.intake.serial})
            return JsonResponse({"receipt": receipt_url})
        return redirect("web:receipt", serial=result.case.intake.serial)
    return _intake_form(request, context, post)


def _intake_form(
    request: HttpRequest,
    context: dict[str, Any],
    post: QueryDict,
    *,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
    language: str = "",
) -> HttpResponse:
    """The form with every row as typed. ``language``: the header's language button,
    pressed on the intake form, posts the form here (its ``form`` attribute, no script):
    the form comes back as typed, in the other language, and the language is remembered as
    Django's own switch remembers it."""
    context.update(
        # the header's language button posts this form (without the page's script too):
        # the form comes back as typed, in the other language, never saved
        language_form="intake" if context.get("programs") else "",
        family_rows=form_rows(post, "family", FAMILY_FIELDS, errors),
        item_rows=form_rows(post, "item", ITEM_FIELDS, errors),
    )
    response = render(request, "web/intake_new.html", context, status=status)
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


@login_required
def receipt(request: HttpRequest, serial: str) -> HttpResponse:
    """The printable intake and weapons receipt, with a station copy: what was received
    and signed, never anything of the screening. The clerk who registered a child may not
    open the child's case (only child protection may): they get a receipt that says the
    case went to child protection, with the serial and nothing of the child."""
    child = case_selectors.child_receipt_get_for_user(user=_user(request), serial=serial)
    if child is not None:
        definition = program_get_definition(code=child.program.code)
        context = {"case": child, "program_title": _text(definition.title)}
        return render(request, "web/receipt_child.html", context)
    case = _case(request, serial, purpose="print the intake receipt")
    intake = case.intake
    definition = program_get_definition(code=case.program.code)
    signed = program_definition_at(code=case.program.code, version=intake.pledge_version)
    items = list(intake.items.all())
    return render(
        request,
        "web/receipt.html",
        {
            "case": case,
            "person": intake.person,
            "items": [item for item in items if item.kind != "id_document"],
            "documents": [item for item in items if item.kind == "id_document"],
            "family": intake.family.all(),
            "program_title": _text(definition.title),
            "pledge_text": getattr(signed.pledge.text, intake.pledge_language or "ar"),
            "serial_code": mark_safe(  # noqa: S308 - segno's SVG of the serial alone
                segno.make(intake.serial, error="m").svg_inline(scale=3, border=2)
            ),
        },
    )


def _case(
    request: HttpRequest, serial: str, *, action: Action | None = None, purpose: str = ""
) -> Case:
    try:
        return case_selectors.case_get_for_user(
            user=_user(request), serial=serial, action=action, purpose=purpose
        )
    except NotFound:
        raise Http404("no such case") from None


# --- Review queue and decisions -----------------------------------------------------


QUEUE_PAGE = 50
QUEUE_SORTS = {
    "date": gettext_lazy("oldest first"),
    "-date": gettext_lazy("newest first"),
    "score": gettext_lazy("highest score first"),
    "name": gettext_lazy("by name"),
}
# Child protection's own order, and its default: a hand-over past its 48 hours comes first.
OVERDUE_SORT = ("overdue", gettext_lazy("overdue hand-overs first"))


QUEUE_NAMED = "queue_named"


def _queue_names_take(request: HttpRequest, user: Any, case_ids: list[int]) -> bool:
    """Whether the queue may show these cases' names: each case named for the first time in
    the read window counts as a case read (the queue must not be a way round the bulk-read
    limit); past the limit the queue still lists the cases, without names. The cases
    already named are kept in the (sealed) session until the window ends."""
    now = int(timezone.now().timestamp())
    named = request.session.get(QUEUE_NAMED) or {}
    if named.get("until", 0) <= now:
        named = {"until": now + settings.SULH_CASE_READS_SECONDS, "ids": []}
    new = [pk for pk in case_ids if pk not in set(named["ids"])]
    if new:
        try:
            case_selectors.read_budget_take(user=user, reads=len(new))
        except RateLimited:
            return False
        named["ids"] = [*named["ids"], *new]
        request.session[QUEUE_NAMED] = named
    return True


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require(user, Action.SEE_REVIEW_QUEUE)
    visible = case_selectors.cases_visible_to(user=user).select_related(
        "intake", "program", "station"
    )
    chosen = {key: request.GET.get(key, "")[:80] for key in ("program", "station", "kind", "sort")}
    arabic = get_language() == "ar"
    sorts = list(QUEUE_SORTS.items())
    if allows(user, Action.RECORD_CHILD_HANDOVER):  # child protection: overdue first
        sorts.insert(0, OVERDUE_SORT)
    sort = chosen["sort"] if chosen["sort"] in dict(sorts) else sorts[0][0]
    rows = case_selectors.review_queue(
        user=user, program=chosen["program"], station=chosen["station"], kind=chosen["kind"],
        sort=sort, latin=get_language() != "ar",
    )  # fmt: skip
    page = Paginator(rows, QUEUE_PAGE).get_page(request.GET.get("page"))
    names_shown = _queue_names_take(request, user, [row.case.pk for row in page.object_list])
    keep = urlencode({k: v for k, v in chosen.items() if v})
    to_decide = visible.filter(state__in=[State.SCREENED, State.APPEALED]).order_by("created_at")
    awaiting = case_selectors.decisions_awaiting_second(user=user)
    return render(
        request,
        "web/queue.html",
        {
            "in_review": page,
            "names_shown": names_shown,
            "chosen": chosen,
            "keep": f"&{keep}" if keep else "",
            "programs": sorted(set(visible.order_by().values_list("program__code", flat=True))),
            "stations": sorted(
                set(
                    visible.order_by().values_list(
                        "station__code", "station__name_ar" if arabic else "station__name_en"
                    )
                )
            ),
            "kinds": [(k, code_label("match", k)) for k in ("duplicate", "list")],
            "sorts": sorts,
            "sort": sort,
            "to_decide": to_decide[:100],
            "to_decide_count": to_decide.count(),
            "awaiting": awaiting[:100],
            "awaiting_count": awaiting.count(),
            "children": case_services.children_awaiting_handover(user=user)[:100],
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def child_handover(request: HttpRequest, serial: str) -> HttpResponse:
    user = _user(request)

    def act() -> None:
        case_services.child_handover_record(
            case=_case(request, serial, action=Action.RECORD_CHILD_HANDOVER),
            user=user,
            agency=request.POST.get("agency", ""),
        )

    return _act(request, serial, act, gettext("Hand-over recorded."), {"agency": "agency"})


CASE_FLASH = "case_flash"


# Services' messages the case page says in its own language (the API says them as they are).
SERVICE_MESSAGES = (
    gettext_noop("a reason is required"),
    gettext_noop("choose the cards to print"),
    gettext_noop("choose cards that you may see"),
    gettext_noop("name the receiving agency (3 to 120 characters)"),
    case_services.LOOK_ALIKE_OPEN,
)
# What an error's field is called on the case page, to name it beside its box.
FIELD_LABELS = {
    "reason": gettext_lazy("Reason"),
    "agency": gettext_lazy("Receiving agency"),
    "destination": gettext_lazy("Destination"),
    "outcome": gettext_lazy("Outcome"),
    "confirm": gettext_lazy("Confirmation"),
}


def _back(
    request: HttpRequest,
    serial: str,
    message: str = "",
    error: SulhError | None = None,
    boxes: dict[str, str] | None = None,
) -> HttpResponse:
    """Back to the case page, with what happened kept in the (sealed) session, never in the
    address: an error can name a permitted destination, which follows from the person's
    affiliation, and an address ends up in the access log and the browser's history.

    ``boxes`` names the box each field's error is shown beside (by the box's id); an error
    about another field is shown at the top of the page. The message is said in the page's
    language when the catalogue has it (services raise the same words for the API)."""
    if error is not None:
        field = (error.field or "")[:60]
        flash = {
            "error": gettext(error.message)[:300],
            "field": field,
            "label": str(FIELD_LABELS.get(field, field)),
            "at": (boxes or {}).get(field, ""),
        }
    else:
        flash = {"done": message[:300]}
    request.session[CASE_FLASH] = {"serial": serial, **flash}
    return redirect("web:case", serial=serial)


def _act(
    request: HttpRequest,
    serial: str,
    action: Any,
    done: str,
    boxes: dict[str, str] | None = None,
) -> HttpResponse:
    try:
        action()
    except SulhError as exc:
        return _back(request, serial, error=exc, boxes=boxes)
    return _back(request, serial, message=done)


@login_required
@require_POST
def candidate_resolve(request: HttpRequest, serial: str, candidate_id: int) -> HttpResponse:
    user = _user(request)

    def act() -> None:
        candidate = case_selectors.candidate_get_for_user(
            user=user, candidate_id=candidate_id, action=Action.RESOLVE_CANDIDATE
        )
        case_review.candidate_resolve(
            candidate=candidate, user=user, decision=request.POST.get("decision", ""),
            reason=request.POST.get("reason", ""), survivor=request.POST.get("survivor", ""),
        )  # fmt: skip

    boxes = {"reason": f"reason-{candidate_id}"}
    return _act(request, serial, act, gettext("Candidate resolved."), boxes)


@login_required
@require_POST
def decide(request: HttpRequest, serial: str) -> HttpResponse:
    user = _user(request)

    def act() -> None:
        case = _case(request, serial, action=Action.DECIDE)
        case_services.decision_record(
            case=case, user=user, outcome=request.POST.get("outcome", ""),
            reason=request.POST.get("reason", ""), destination=request.POST.get("destination", ""),
        )  # fmt: skip

    boxes = {
        "reason": "decision-reason",
        "destination": "destination",
        "outcome": "outcome-choice",
    }
    return _act(request, serial, act, gettext("Decision recorded."), boxes)


@login_required
@require_POST
def second_officer(request: HttpRequest, serial: str, decision_id: int) -> HttpResponse:
    user = _user(request)

    def act() -> None:
        decision = case_selectors.decision_get_for_user(
            user=user, decision_id=decision_id, action=Action.CONFIRM_ADVERSE_DECISION
        )
        reason = request.POST.get("reason", "")
        if request.POST.get("answer") == "confirm":
            case_services.decision_confirm(decision=decision, user=user, reason=reason)
        else:
            case_services.decision_reject(decision=decision, user=user, reason=reason)

    boxes = {"reason": "second-reason"}  # a case awaits one decision at a time
    return _act(request, serial, act, gettext("Second officer's answer recorded."), boxes)


@login_required
@require_POST
def appeal(request: HttpRequest, serial: str) -> HttpResponse:
    user = _user(request)

    def act() -> None:
        case_services.case_appeal(
            case=_case(request, serial, action=Action.RECORD_APPEAL),
            user=user,
            reason=request.POST.get("reason", ""),
        )

    return _act(request, serial, act, gettext("Appeal recorded."), {"reason": "appeal-reason"})


# --- Cards ------------------------------------------------------------------------------


def _card(request: HttpRequest, card_id: str, *, action: Action) -> Card:
    try:
        return card_get_for_user(user=_user(request), card_id=card_id, action=action)
    except NotFound:
        raise Http404("no such card") from None


@login_required
@require_POST
def card_issue(request: HttpRequest, serial: str) -> HttpResponse:
    user = _user(request)

    def act() -> None:
        card_services.card_issue(
            case=_case(request, serial, action=Action.ISSUE_CARD),
            user=user,
            reason=request.POST.get("reason", ""),
        )

    return _act(request, serial, act, gettext("Card issued."))  # no box: shown on top


CARD_ACTIONS = frozenset({"renew", "suspended", "revoked", "valid", "approve", "refuse"})
# The actions that stop a card being accepted at checkpoints: taken only once confirmed.
CONFIRMED_CARD_ACTIONS = frozenset({"suspended", "revoked"})


@login_required
@require_POST
def card_action(request: HttpRequest, serial: str, card_id: str) -> HttpResponse:
    user = _user(request)
    action, reason = request.POST.get("action", ""), request.POST.get("reason", "")
    action = action if action in CARD_ACTIONS else ""
    if action == "renew":
        reason = replace_reason(request.POST.get("reason_choice", ""), reason)

    def act() -> None:
        if action in CONFIRMED_CARD_ACTIONS and request.POST.get("confirm") != "yes":
            raise ValidationFailed(
                gettext("tick the box to confirm: checkpoints will refuse the card"),
                field="confirm",
            )
        if action == "renew":
            card = _card(request, card_id, action=Action.RENEW_CARD)
            card_services.card_renew(card=card, user=user, reason=reason)
        elif action == "valid":  # a reinstatement: asked here, approved by a second officer
            card = _card(request, card_id, action=Action.CHANGE_CARD_STATE)
            card_services.card_reinstatement_request(card=card, user=user, reason=reason)
        elif action in {"approve", "refuse"}:
            card = _card(request, card_id, action=Action.APPROVE_REINSTATEMENT)
            answer = {
                "approve": card_services.card_reinstatement_approve,
                "refuse": card_services.card_reinstatement_refuse,
            }[action]
            answer(card=card, user=user, reason=reason)
        else:
            card = _card(request, card_id, action=Action.CHANGE_CARD_STATE)
            card_services.card_set_state(card=card, user=user, state=action, reason=reason)

    box = f"card-{action}-{card_id}"  # the card's id is hex: safe in an id
    boxes = {"reason": box, "confirm": f"{box}-confirm"}
    return _act(request, serial, act, gettext("Card updated."), boxes)


@login_required
def card_pdf(request: HttpRequest, card_id: str) -> HttpResponse:
    card = _card(request, card_id, action=Action.PRINT_CARD)
    pdf = card_services.card_print(card=card, user=_user(request))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="card-{card.card_id}.pdf"'
    return response


CARDS_FLASH = "cards_flash"
CARDS_PAGE = 50


@login_required
def cards(request: HttpRequest) -> HttpResponse:
    """The card officer's desk: decided cases awaiting a card (issue several at once) and
    the valid cards (print several in one PDF), each list counted and paged."""
    user = _user(request)
    require(user, Action.ISSUE_CARD)
    flash = request.session.pop(CARDS_FLASH, None) or {}
    awaiting = Paginator(card_selectors.cases_awaiting_card(user=user), CARDS_PAGE)
    valid = Paginator(card_selectors.cards_to_print(user=user), CARDS_PAGE)
    context = {
        "awaiting": awaiting.get_page(request.GET.get("page")),
        "valid": valid.get_page(request.GET.get("cards_page")),
        "done": flash.get("done", ""),
        "error": flash.get("error", ""),
        "chosen": set(flash.get("chosen", [])),
        "batch": card_services.CARDS_PER_BATCH,
    }
    return render(request, "web/cards.html", context)


def _cards_back(request: HttpRequest, **flash: Any) -> HttpResponse:
    request.session[CARDS_FLASH] = flash
    return redirect("web:cards")


@login_required
@require_POST
def cards_issue(request: HttpRequest) -> HttpResponse:
    """Issue a card for each chosen case; the new cards are then ticked for printing."""
    user = _user(request)
    serials = request.POST.getlist("serial")[:CARDS_PAGE]
    try:
        chosen = [_case(request, s, action=Action.ISSUE_CARD) for s in serials]
        if not chosen:
            raise ValidationFailed(gettext("choose the cases to issue cards for"), field="serial")
        issued, refused = card_services.cards_issue_for(cases=chosen, user=user)
    except SulhError as exc:
        return _cards_back(request, error=gettext(exc.message))
    done = ngettext("%(n)d card issued.", "%(n)d cards issued.", len(issued)) % {"n": len(issued)}
    error = joined((gettext(exc.message) for exc in refused), strong=True)
    return _cards_back(request, done=done, error=error, chosen=[c.card_id for c in issued])


@login_required
@require_POST
def cards_print(request: HttpRequest) -> HttpResponse:
    """The chosen valid cards in one PDF, each printing recorded as a single one is."""
    user = _user(request)
    require(user, Action.PRINT_CARD)
    try:
        chosen = card_selectors.cards_get_for_user(
            user=user, card_ids=request.POST.getlist("card_id"), action=Action.PRINT_CARD
        )
        pdf = card_services.cards_print(cards=chosen, user=user)
    except SulhError as exc:
        return _cards_back(request, error=gettext(exc.message))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="cards-{len(chosen)}.pdf"'
    return response


# --- Dashboard --------------------------------------------------------------------------


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Figures without names. Program managers see the exact figures (never published) and
    the backlog; monitors see what was published, under the disclosure method, and whether
    a monitor attested it."""
    user = _user(request)
    require(user, Action.SEE_FIGURES)
    exact = allows(user, Action.SEE_EXACT_FIGURES)
    records = live_records() if exact else []
    now = timezone.now()
    programs: list[dict[str, Any]] = []
    for program in programs_all():
        definition = program_get_definition(code=program.code)
        published = bulletins_published(program=program.code)[:1]
        latest = published[0] if published else None
        entry: dict[str, Any] = {
            "code": program.code,
            "title": _text(definition.title),
            "deadline": definition.deadline,
            "left_hours": max(0, int((definition.deadline - now) / dt.timedelta(hours=1))),
            "open": definition.opens_at <= now <= definition.deadline,
            "hidden": f"< {definition.bulletin.min_cell}",
            "exact": exact,
            "latest": latest,
            "attestations": list(latest.attestations.all()) if latest else [],
            "figures": None,
        }
        if exact:
            entry["figures"] = figures_exact(records, program=program.code)
            entry["backlog"] = sorted(
                Case.objects.filter(program=program)
                .values_list("state")
                .annotate(n=Count("id"))
                .values_list("state", "n")
            )
        elif latest is not None:
            entry["figures"] = latest.in_order()
        programs.append(entry)
    wanted = request.GET.get("program") or (programs[0]["code"] if programs else "")
    chosen = next((p for p in programs if p["code"] == wanted), None)
    charts = _charts(chosen["figures"], chosen["hidden"]) if chosen and chosen["figures"] else {}
    return render(
        request, "web/dashboard.html", {"programs": programs, "chosen": chosen, "charts": charts}
    )


def _day_row(day: str) -> str:
    """A by_day row's label: the day, day first, or the rows outside the program's window."""
    if day == EARLIER:
        return gettext("Before the opening")
    if day == LATER:
        return gettext("After the deadline")
    return day_first(day)


def _charts(bulletin: dict[str, Any], hidden: str) -> dict[str, str]:
    """The dashboard's charts in the page's language and direction; a cell the bulletin
    does not show reads "< N" as in the bulletin."""
    rtl = get_language() == "ar"
    station_names = dict(Station.objects.values_list("code", "name_ar" if rtl else "name_en"))
    outcomes = ("amnesty_granted", "departure", "referred", "denied", "pending")
    rows = {
        "outcomes": (
            gettext("Outcomes"),
            [(code_label("figure", k), bulletin["figures"].get(k)) for k in outcomes],
        ),
        "days": (
            gettext("Registrations per day"),
            [(_day_row(day), row.get("registered")) for day, row in bulletin["by_day"].items()],
        ),
        "stations": (
            gettext("Registrations per station"),
            [
                (station_names.get(s, s), row.get("registered"))
                for s, row in bulletin["by_station"].items()
            ],
        ),
    }
    # built from escaped labels and numbers
    return {
        name: mark_safe(bars(values, title=title, rtl=rtl, hidden=hidden))  # noqa: S308
        for name, (title, values) in rows.items()
    }


@login_required
def bulletin_preview(request: HttpRequest, code: str) -> HttpResponse:
    """The program's latest published bulletin, as the public reads it: a page with no
    script."""
    require(_user(request), Action.SEE_FIGURES)
    try:
        definition = program_get_definition(code=code)
    except SulhError:
        raise Http404("no such program") from None
    published = bulletins_published(program=code)[:1]
    if not published:
        raise Http404("no bulletin has been published yet")
    response = HttpResponse(
        bulletin_html(
            published[0].in_order(), title_en=definition.title.en, title_ar=definition.title.ar
        )
    )
    # the page carries its own style sheet and no script at all
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


# --- Search -----------------------------------------------------------------------------


def _query(data: Any) -> PersonRecord:
    return PersonRecord(
        record_id="query",
        given_name=data.get("given_name", "").strip()[:100],
        father_name=data.get("father_name", "").strip()[:100],
        family_name=data.get("family_name", "").strip()[:100],
        birth_date=day_first_date(data.get("birth_date", ""))[:10],
        national_id=western_digits(data.get("national_id", "").strip())[:20],
    )


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """Find people by name (either script), birth date or national number, with a purpose."""

    user = _user(request)
    require(user, Action.SEARCH)
    # A POST, never a GET: names, birth dates and national numbers in a query string
    # would land in the server's access log, a proxy's log and the browser's history.
    form = request.POST if request.method == "POST" else QueryDict()
    context: dict[str, Any] = {"values": form}
    if any(form.get(k) for k in ("given_name", "family_name", "national_id")):
        try:
            context["hits"] = person_search(
                user=user, query=_query(form), purpose=form.get("purpose", "")
            )
        except SulhError as exc:
            context["error"] = exc
            return render(request, "web/search.html", context, status=exc.status)
    return render(request, "web/search.html", context)


@login_required
@require_POST
def intake_check(request: HttpRequest) -> HttpResponse:
    """While the clerk types: how many registered people and list entries look alike."""

    user = _user(request)
    require(user, Action.REGISTER)
    post = request.POST
    data = {
        name: post.get(f"{name}_ar") or post.get(f"{name}_lat", "")
        for name in ("given_name", "father_name", "family_name")
    }
    data.update(birth_date=post.get("birth_date", ""), national_id=post.get("national_id", ""))
    try:
        counts = intake_precheck(user=user, query=_query(data))
    except RateLimited as exc:
        return JsonResponse({"error": exc.message, "field": exc.field}, status=exc.status)
    except SulhError:
        counts = {"duplicates": 0}
    return JsonResponse(counts)
