"""Staff pages: thin views that authorise through the selectors and render."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from sulh.accounts.models import Role, User
from sulh.bulletins.figures import program_figures
from sulh.cases import selectors as case_selectors
from sulh.core.errors import NotFound
from sulh.programs.services import program_get_definition, programs_all

FIGURE_ROLES = (Role.PROGRAM_MANAGER, Role.MONITOR, Role.ADMINISTRATOR)


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    show_figures = user.has_role(*FIGURE_ROLES)
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
        or user.role == Role.CLERK,
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
    events = case.events.select_related("actor")
    return render(
        request, "web/case.html", {"case": case, "person": case.intake.person, "events": events}
    )
