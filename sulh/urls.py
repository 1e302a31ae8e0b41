"""Site URLs: the API, the health check, the staff site."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import include, path
from django.utils.http import urlencode

from sulh.api.api import api, healthz


def _admin_login(request: HttpRequest, extra_context: object = None) -> HttpResponse:
    """Administrators sign in through the staff login, with its lockout and second factor."""
    return redirect("/login/?" + urlencode({"next": request.get_full_path()}))


admin.site.login = _admin_login  # type: ignore[method-assign]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("sulh.web.urls")),
]
