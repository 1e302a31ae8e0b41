"""Site URLs: the API, the health check, the staff site."""

from django.contrib import admin
from django.urls import include, path

from sulh.api.api import api, healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("sulh.web.urls")),
]
