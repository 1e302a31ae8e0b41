"""Every request of an abandoned site is answered 503 "site abandoned", before any view
runs: a worker started before ``sulh site abandon`` serves nothing more, and forgets what it
had opened (the keyring it loaded, and every cache of opened records that packages above
registered with ``keyring.forget_on_abandon``). A thread in each worker looks for the mark
every second, so a worker that receives no request forgets too."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from sulh.keys.keyring import abandon_watch_start, keyring_abandoned, keyring_forget


class AbandonedSiteMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        abandon_watch_start()  # and one that gets no request forgets within a second

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if keyring_abandoned():
            keyring_forget()
            return HttpResponse(
                "site abandoned: its keys were destroyed\n",
                status=503,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
