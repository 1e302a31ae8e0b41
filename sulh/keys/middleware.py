"""Every request of an abandoned site is answered 503 "site abandoned", before any view
runs: a worker started before ``sulh site abandon`` serves nothing more, and forgets what it
had opened (the keyring it loaded, and every cache of opened records that packages above
registered with ``forget_on_abandon``)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from sulh.keys.keyring import keyring_abandoned, keyring_forget

_forgetters: list[Callable[[], None]] = []


def forget_on_abandon(forget: Callable[[], None]) -> None:
    """Register ``forget`` (e.g. the matching caches' ``caches_clear``) to run in a worker
    as soon as it sees the site was abandoned."""
    if forget not in _forgetters:
        _forgetters.append(forget)


def forget_everything_opened() -> None:
    keyring_forget()
    for forget in _forgetters:
        forget()


class AbandonedSiteMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if keyring_abandoned():
            forget_everything_opened()
            return HttpResponse(
                "site abandoned: its keys were destroyed\n",
                status=503,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
