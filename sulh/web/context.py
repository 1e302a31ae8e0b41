"""Template context: what the signed-in user may do, asked of the policy, so that pages
show a link or a form by ``{% if may.register %}``, never by comparing roles."""

from __future__ import annotations

from django.http import HttpRequest

from sulh.accounts.policy import Action, allows


def policy(request: HttpRequest) -> dict[str, dict[str, bool]]:
    user = getattr(request, "user", None)
    if user is None:
        return {"may": {}}
    return {"may": {action.name.lower(): allows(user, action) for action in Action}}
