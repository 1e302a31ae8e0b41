"""Staff pages: thin views that authorise through the selectors and render."""

from __future__ import annotations

from typing import Any

import segno
from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_http_methods

from sulh.accounts import security
from sulh.accounts.admin import SECOND_FACTOR_SESSION_KEY
from sulh.accounts.models import User
from sulh.accounts.policy import Action, allows
from sulh.accounts.selectors import request_user as _user
from sulh.accounts.throttle import client_address, rate_limit_hit
from sulh.bulletins.figures import program_figures
from sulh.cards.selectors import card_in_force_state, cards_with_reinstatements
from sulh.cases import selectors as case_selectors
from sulh.cases import services as case_services
from sulh.cases.models import Case
from sulh.core.errors import NotFound, RateLimited
from sulh.matching import selectors as matching_selectors
from sulh.programs.definition import ProgramDefinition
from sulh.programs.services import program_get_definition, programs_all
from sulh.web.labels import program_text
from sulh.web.templatetags.sulh_labels import REPLACE_REASONS, code_label

PENDING_USER, PENDING_SECRET, PENDING_NEXT = "login_pending", "login_secret", "login_next"
PENDING_ENROLMENT = "login_enrolment"
PENDING_KEYS = (PENDING_USER, PENDING_SECRET, PENDING_NEXT, PENDING_ENROLMENT)
DEVICE_COOKIE = "sulh_device"


def _too_many(request: HttpRequest, wait: int | None) -> HttpResponse:
    """429 for a client address that sent too many requests or failed too often."""
    response = render(request, "web/too_many.html", {"wait": wait}, status=429)
    if wait is not None:
        response["Retry-After"] = str(wait)
    return response


def _remember_device(request: HttpRequest, response: HttpResponse, user: User) -> None:
    note = security.device_note(request.COOKIES.get(DEVICE_COOKIE, ""), user)
    response.set_cookie(
        DEVICE_COOKIE,
        note,
        max_age=security.DEVICE_DAYS * 86400,
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Lax",
    )


class ThrottledAuthenticationForm(AuthenticationForm):
    """One answer for an unknown name, a wrong password and an account that must wait:
    the same words, the same status and a password hash's time each."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": gettext_lazy(
            "The username or password is not right, or this account had too many failed "
            "attempts: wait a minute and try again."
        ),
    }

    def clean(self) -> dict[str, Any]:
        assert self.request is not None
        username = self.cleaned_data.get("username") or ""
        password = self.cleaned_data.get("password") or ""
        known = security.device_knows(self.request.COOKIES.get(DEVICE_COOKIE, ""), username)
        if not known and security.account_wait(username):
            make_password(password)  # as long as a password check takes
            raise self.get_invalid_login_error()
        try:
            return super().clean()
        except ValidationError:
            address = client_address(self.request.META)
            security.sign_in_failed(address=address, username=username)
            raise


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True
    form_class = ThrottledAuthenticationForm

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        address = client_address(request.META)
        try:
            rate_limit_hit(scope="sign-in", client=address, limit=settings.SULH_RATE_SIGN_IN)
        except RateLimited as limited:
            return _too_many(request, limited.retry_after)
        wait = security.address_wait(address)
        if wait:
            return _too_many(request, wait)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        assert isinstance(user, User)
        if security.needs_second_factor(user):
            for key in PENDING_KEYS:
                self.request.session.pop(key, None)
            self.request.session[PENDING_USER] = user.pk
            self.request.session[PENDING_NEXT] = self.get_success_url()
            return redirect("web:login_code")
        security.sign_in_succeeded(user)
        response = super().form_valid(form)
        _remember_device(self.request, response, user)
        return response


@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step for officers who decide, revoke or export: a TOTP code; an account
    without an authenticator first enters the enrolment code its administrator issued."""
    pending = request.session.get(PENDING_USER)
    user = User.objects.filter(pk=pending, is_active=True).first() if pending else None
    if user is None:
        return redirect("web:login")
    address = client_address(request.META)
    if request.method == "POST":
        try:
            rate_limit_hit(scope="second-step", client=address, limit=settings.SULH_RATE_SIGN_IN)
        except RateLimited as limited:
            return _too_many(request, limited.retry_after)
        wait = security.second_step_wait(address=address, user=user)
        if wait:
            return _too_many(request, wait)
    if security.totp_enrolled(user):
        return _code_step(request, user, address)
    if PENDING_ENROLMENT in request.session:
        return _scan_step(request, user, address)
    return _enrolment_code_step(request, user, address)


def _code_step(request: HttpRequest, user: User, address: str) -> HttpResponse:
    error = ""
    if request.method == "POST":
        if security.totp_check(user, request.POST.get("code", "")):
            return _signed_in(request, user)
        security.second_step_failed(address=address, user=user)
        error = gettext("That code is not right. Enter the six digits your app shows now.")
    context = {"step": "code", "error": error}
    return render(request, "web/login_code.html", context, status=422 if error else 200)


def _enrolment_code_step(request: HttpRequest, user: User, address: str) -> HttpResponse:
    if not security.enrolment_code_pending(user):
        return render(request, "web/login_code.html", {"step": "no_code"}, status=403)
    error = ""
    if request.method == "POST":
        found = security.enrolment_code_check(
            user=user, code=request.POST.get("enrolment_code", "")
        )
        if found is not None:
            request.session[PENDING_ENROLMENT] = found
            request.session[PENDING_SECRET] = security.new_totp_secret()
            return redirect("web:login_code")
        security.second_step_failed(address=address, user=user)
        error = gettext("That enrolment code is not right, or it was used or has expired.")
    context = {"step": "enrolment_code", "error": error}
    return render(request, "web/login_code.html", context, status=422 if error else 200)


def _scan_step(request: HttpRequest, user: User, address: str) -> HttpResponse:
    code_id = int(request.session[PENDING_ENROLMENT])
    secret = request.session.get(PENDING_SECRET) or security.new_totp_secret()
    request.session[PENDING_SECRET] = secret
    error = ""
    if request.method == "POST":
        code = request.POST.get("code", "")
        if security.totp_enrol_with_code(user=user, code_id=code_id, secret=secret, code=code):
            return _signed_in(request, user)
        security.second_step_failed(address=address, user=user)
        if not security.enrolment_code_pending(user):
            request.session.pop(PENDING_ENROLMENT, None)
            return redirect("web:login_code")
        error = gettext("That code is not right. Enter the six digits your app shows now.")
    uri = security.totp_uri(secret, username=user.username)
    context: dict[str, Any] = {
        "step": "scan",
        "error": error,
        "qr_svg": segno.make(uri, error="m").svg_inline(scale=4, border=2),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    }
    return render(request, "web/login_code.html", context, status=422 if error else 200)


def _signed_in(request: HttpRequest, user: User) -> HttpResponse:
    following = request.session.get(PENDING_NEXT) or "/"
    for key in PENDING_KEYS:
        request.session.pop(key, None)
    security.sign_in_succeeded(user)
    auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SECOND_FACTOR_SESSION_KEY] = user.pk
    response = redirect(following if url_has_allowed_host_and_scheme(following, None) else "/")
    _remember_device(request, response, user)
    return response


def _home_figures(code: str) -> dict[str, Any]:
    computed = program_figures(program_code=code)
    return {"figures": computed["everyone"], "children": computed["children"]["registered"]}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    # The exact figures are the managers'; a monitor reads the published ones (dashboard).
    show_figures = allows(user, Action.SEE_EXACT_FIGURES)
    now = timezone.now()
    programs: list[dict[str, Any]] = []
    for program in programs_all():
        definition = program_get_definition(code=program.code)
        programs.append(
            {
                "definition": definition,
                "deadline": definition.deadline,
                "open": definition.opens_at <= now <= definition.deadline,
                **(_home_figures(program.code) if show_figures else {}),
            }
        )
    context = {
        "programs": programs,
        "figures": show_figures,
        "can_look_up": case_selectors.cases_visible_to(user=user).exists()
        or allows(user, Action.REGISTER),
        "awaiting": case_selectors.decisions_awaiting_second(user=user)[:50],
    }
    return render(request, "web/home.html", context)


@login_required
def case_lookup(request: HttpRequest) -> HttpResponse:
    serial = request.GET.get("serial", "").strip().upper()[:40]
    return redirect("web:case", serial=serial) if serial else redirect("web:home")


def _duplicates(*, user: User, case: Any, events: list[Any]) -> dict[str, Any]:
    """A registration closed as a duplicate names the case that carries on (when the user
    may see it) and who closed it; a survivor lists the duplicates the user may see."""
    visible = case_selectors.cases_visible_to(user=user)
    if case.state != "duplicate":
        duplicates = case_services.cases_duplicates_of(case=case)
        return {"duplicates": list(visible.filter(pk__in=duplicates.values("pk")))}
    closed = next((e for e in reversed(events) if e.event == "closed_as_duplicate"), None)
    survivor = visible.filter(pk=int(case.duplicate_of)).first() if case.duplicate_of else None
    return {"survivor_case": survivor, "closed_event": closed}


def _photo_src(photo: str) -> str:
    """The stored photo (base64 JPEG, validated at intake) as an image address, or ''."""
    return f"data:image/jpeg;base64,{photo}" if photo else ""


@login_required
def case_detail(request: HttpRequest, serial: str) -> HttpResponse:
    try:
        case = case_selectors.case_get_for_user(user=_user(request), serial=serial)
    except NotFound:
        raise Http404("no such case") from None
    user = _user(request)
    events = case_selectors.events_shown(user=user, events=case.events.select_related("actor"))
    flash = request.session.pop("case_flash", None) or {}  # what the last action on it said
    if flash.get("serial") != serial:
        flash = {}
    context: dict[str, Any] = {
        "case": case,
        "state_label": code_label(
            "state", case_selectors.state_shown(user=user, state=case.state, case=case)
        ),
        "person": case.intake.person,
        # taken at intake and sealed like the name: shown with it, in the same counted read
        "photo_src": _photo_src(case.intake.person.photo),
        "events": events,
        "done": flash.get("done", ""),
        "error": flash.get("error", ""),
        "error_field": flash.get("field", ""),
        "error_label": flash.get("label", ""),
        "error_at": flash.get("at", ""),
        "can_read_reasons": allows(user, Action.READ_REASONS),
        # a later registration of the same person still in review: decide and card it first
        "look_alikes_open": allows(user, Action.SEE_CANDIDATES)
        and case_services.case_look_alikes_open(case=case),
        # the proposal follows from the screening: not for the desk (see state_shown)
        "can_see_screening": allows(user, Action.SEE_CANDIDATES),
        "can_vet": allows(user, Action.RESOLVE_CANDIDATE),
        "can_decide": allows(user, Action.DECIDE),
        "can_appeal": allows(user, Action.RECORD_APPEAL) and case_services.case_appealable(case),
        "can_card": allows(user, Action.ISSUE_CARD),
        "cards": cards_with_reinstatements(case=case),
        "card_in_force": card_in_force_state(case=case),
        "card_actions": (
            ("renew", gettext("Give a new card in its place")),
            ("suspended", gettext("Suspend")),
            ("valid", gettext("Ask to reinstate")),
            ("revoked", gettext("Revoke")),
        ),
        # why a card officer replaces a card, in the words a card officer uses
        "replace_reasons": [(code, str(words)) for code, words in REPLACE_REASONS.items()],
        "reinstatement_answers": (
            ("approve", gettext("Approve the reinstatement")),
            ("refuse", gettext("Refuse")),
        ),
        # an adverse proposal awaiting its second officer: not for the desk (see state_shown)
        "pending": case.decisions.filter(status="awaiting_second").select_related("decided_by")
        if allows(user, Action.SEE_CANDIDATES)
        else [],
    }
    context.update(_duplicates(user=user, case=case, events=events))
    if allows(user, Action.SEE_CANDIDATES):
        candidates = matching_selectors.candidates_for_case(case_id=case.pk)
        context["candidates"] = case_selectors.candidates_shown(user=user, candidates=candidates)
    definition = program_get_definition(code=case.program.code)
    if context["can_see_screening"]:  # what the decision rests on: not for the desk
        context["grounds"] = _grounds(case, definition)
        context["decisions"] = case.decisions.select_related(
            "decided_by", "second_officer"
        ).order_by("decided_at")
    if context["can_decide"]:
        context["outcomes"] = ("amnesty", "departure", "referral", "denial")
        names = {d.id: program_text(d.name) for d in definition.destinations}
        context["destinations"] = [
            (d, names.get(d, d))
            for d in definition.destinations_for(case.intake.affiliation or None)
        ]
    return render(request, "web/case.html", context)


def _grounds(case: Case, definition: ProgramDefinition) -> dict[str, Any]:
    """What a decision on ``case`` rests on, as the intake recorded it, with labels: the
    items handed in, the family, the pledge, category, affiliation, origin, age and the
    requested destination."""
    intake = case.intake
    affiliations = {a.id: program_text(a.name) for a in definition.affiliations}
    destinations = {d.id: program_text(d.name) for d in definition.destinations}
    items = list(intake.items.order_by("line"))
    return {
        "category": code_label("category", intake.category, program=definition),
        "affiliation": affiliations.get(intake.affiliation, intake.affiliation),
        "origin": code_label("origin", intake.origin),
        "age_band": intake.person.age_band,
        "age_disputed": intake.person.age_disputed,
        "sex": code_label("sex", intake.person.sex),
        "requested_destination": destinations.get(
            intake.requested_destination, intake.requested_destination
        ),
        "weapons": [i for i in items if i.kind == "weapon"],
        "documents": [
            {"type": code_label("document_type", i.document_type), "number": i.document_number}
            for i in items
            if i.kind == "id_document"
        ],
        "other_items": [
            {"kind": code_label("item_kind", i.kind), "item": i}
            for i in items
            if i.kind not in {"weapon", "id_document"}
        ],
        "family": [
            {"relation": code_label("relation", m.relation), "member": m}
            for m in intake.family.all()
        ],
        "pledge_version": intake.pledge_version,
        "pledge_current": intake.pledge_version == definition.pledge.version,
        "pledge_language": intake.pledge_language,
        "pledge_signed": intake.pledge_signed,
    }
