"""Administration of accounts and stations (administrators only)."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from sulh.accounts import security
from sulh.accounts.models import Service, Station, User
from sulh.accounts.policy import Action, allows

# Set in the session by the sign-in's second step (a verified TOTP code) to the user's id.
SECOND_FACTOR_SESSION_KEY = "sulh_second_factor"


def _admin_permission(request: HttpRequest) -> bool:
    """Every admin request: an active staff account that holds the administrator role now
    (a demoted administrator loses the site at once) and signed in with a second factor."""
    user = request.user
    return bool(
        isinstance(user, User)
        and user.is_active
        and user.is_staff
        and allows(user, Action.ADMINISTER)
        and request.session.get(SECOND_FACTOR_SESSION_KEY) == user.pk
    )


admin.site.has_permission = _admin_permission  # type: ignore[method-assign]


class ServiceInline(admin.TabularInline):
    """The programs (and, where the program says so, the stations) an officer serves:
    they see those cases only (``sulh.accounts.policy``, PROGRAM_BOUND)."""

    model = Service
    extra = 0
    fields = ("program", "station")


@admin.register(User)
class StaffAdmin(UserAdmin):
    inlines = (ServiceInline,)
    list_display = ("username", "role", "station", "is_active", "last_login")
    list_filter = ("role", "station", "is_active")
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Sulh", {"fields": ("role", "station", "language")}),
    )
    actions = ("issue_enrolment_code",)

    @admin.action(description="Issue a one-time enrolment code (resets the authenticator)")
    def issue_enrolment_code(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """Shown once, here; the account enrols with it at its next sign-in."""
        actor = request.user if isinstance(request.user, User) else None
        for user in queryset.filter(is_active=True).order_by("username"):
            code = security.enrolment_code_issue(user=user, actor=actor)
            self.message_user(
                request,
                f"{user.username}: {code} (good once, for a day; give it in person)",
                messages.WARNING,
            )


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "name_ar", "governorate")
    search_fields = ("code", "name_en", "name_ar")
