"""Staff pages: thin views that authorise through the selectors and render."""

from __future__ import annotations

from typing import Any

import segno
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
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
from sulh.bulletins.figures import program_figures
from sulh.cards.selectors import cards_with_reinstatements
from sulh.cases import selectors as case_selectors
from sulh.cases import services as case_services
from sulh.core.errors import NotFound
from sulh.matching import selectors as matching_selectors
from sulh.programs.services import program_get_definition, programs_all

PENDING_USER, PENDING_SECRET, PENDING_NEXT = "login_pending", "login_secret", "login_next"


class LockoutAuthenticationForm(AuthenticationForm):
    """Refuses a locked account before checking its password; counts failures."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": gettext_lazy("The username or password is not right."),
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        account = User.objects.filter(username=username).first()
        if account is not None and security.locked_until(account):
            raise ValidationError(
                gettext("Too many failed attempts: this account is locked for 15 minutes."),
                code="locked",
            )
        try:
            return super().clean()
        except ValidationError:
            if account is not None:
                security.record_failure(account)
            raise


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True
    form_class = LockoutAuthenticationForm

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        assert isinstance(user, User)
        if security.needs_second_factor(user):
            self.request.session[PENDING_USER] = user.pk
            self.request.session[PENDING_NEXT] = self.get_success_url()
            return redirect("web:login_code")
        security.record_success(user)
        return super().form_valid(form)


@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step for officers who decide, revoke or export: a TOTP code, with
    enrolment (a QR code for an authenticator app) the first time."""
    pending = request.session.get(PENDING_USER)
    user = User.objects.filter(pk=pending, is_active=True).first() if pending else None
    if user is None:
        return redirect("web:login")
    enrolling = not security.totp_enrolled(user)
    if enrolling and PENDING_SECRET not in request.session:
        request.session[PENDING_SECRET] = security.new_totp_secret()
    secret = request.session.get(PENDING_SECRET) if enrolling else None
    error = ""
    if request.method == "POST":
        if security.locked_until(user):
            error = gettext("Too many failed attempts: this account is locked for 15 minutes.")
        elif security.totp_check(user, request.POST.get("code", ""), secret=secret):
            following = request.session.get(PENDING_NEXT) or "/"
            for key in (PENDING_USER, PENDING_SECRET, PENDING_NEXT):
                request.session.pop(key, None)
            security.record_success(user)
            auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[SECOND_FACTOR_SESSION_KEY] = user.pk
            return redirect(following if url_has_allowed_host_and_scheme(following, None) else "/")
        else:
            security.record_failure(user)
            error = gettext("That code is not right. Enter the six digits your app shows now.")
    context: dict[str, Any] = {"enrolling": enrolling, "error": error}
    if secret:
        uri = security.totp_uri(secret, username=user.username)
        context["qr_svg"] = segno.make(uri, error="m").svg_inline(scale=4, border=2)
        context["secret"] = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render(request, "web/login_code.html", context, status=422 if error else 200)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    show_figures = allows(user, Action.SEE_FIGURES)
    now = timezone.now()
    programs: list[dict[str, Any]] = []
    for program in programs_all():
        definition = program_get_definition(code=program.code)
        programs.append(
            {
                "definition": definition,
                "deadline": definition.local_time(definition.deadline),
                "open": definition.opens_at <= now <= definition.deadline,
                "figures": program_figures(program_code=program.code)["figures"]
                if show_figures
                else None,
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


@login_required
def case_detail(request: HttpRequest, serial: str) -> HttpResponse:
    try:
        case = case_selectors.case_get_for_user(user=_user(request), serial=serial)
    except NotFound:
        raise Http404("no such case") from None
    user = _user(request)
    events = case.events.select_related("actor")
    context: dict[str, Any] = {
        "case": case,
        "person": case.intake.person,
        "events": events,
        "done": request.GET.get("done", "")[:300],
        "error": request.GET.get("error", "")[:300],
        "error_field": request.GET.get("field", "")[:60],
        "can_vet": allows(user, Action.RESOLVE_CANDIDATE),
        "can_decide": allows(user, Action.DECIDE),
        "can_appeal": allows(user, Action.RECORD_APPEAL) and case_services.case_appealable(case),
        "can_card": allows(user, Action.ISSUE_CARD),
        "cards": cards_with_reinstatements(case=case),
        "pending": case.decisions.filter(status="awaiting_second").select_related("decided_by"),
    }
    if allows(user, Action.SEE_CANDIDATES):
        candidates = matching_selectors.candidates_for_case(case_id=case.pk)
        context["candidates"] = case_selectors.candidates_shown(user=user, candidates=candidates)
    if context["can_decide"]:
        definition = program_get_definition(code=case.program.code)
        context["outcomes"] = ("amnesty", "departure", "referral", "denial")
        context["destinations"] = definition.destinations_for(case.intake.affiliation or None)
    return render(request, "web/case.html", context)
