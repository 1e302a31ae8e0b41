"""Administration of accounts and stations (administrators only)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from sulh.accounts.models import Station, User


@admin.register(User)
class StaffAdmin(UserAdmin):
    list_display = ("username", "role", "station", "is_active", "last_login")
    list_filter = ("role", "station", "is_active")
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Sulh", {"fields": ("role", "station", "language")}),
    )


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "name_ar", "governorate")
    search_fields = ("code", "name_en", "name_ar")
