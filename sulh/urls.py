"""Site URLs: the API, the health check, the staff site and the verifier."""

from django.contrib import admin
from django.urls import path

from sulh.api.api import api, healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]
