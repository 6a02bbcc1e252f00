from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp.admin import OTPAdminSite


class RelaisAdminSite(OTPAdminSite):
    """The admin requires staff with a verified OTP device, and staff log in
    through Relais' own pages, so that their logins are throttled, locked out and
    journaled like everybody else's."""

    # The usual instance name ("admin:" URLs), not django-otp's "otpadmin".
    name = "admin"
    site_header = "Relais — administration"
    site_title = "Relais"

    def __init__(self, name: str = "admin"):
        super().__init__(name)

    def login(self, request, extra_context=None):
        user = request.user
        if user.is_authenticated and user.is_verified():
            # Verified but not staff: a plain refusal, not a login loop.
            raise PermissionDenied(
                _("L'administration est réservée à l'équipe Relais.")
            )
        next_url = request.GET.get("next") or reverse("admin:index")
        step = "aidants:otp" if user.is_authenticated else "aidants:login"
        return redirect(f"{reverse(step)}?{urlencode({'next': next_url})}")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Staff look, never edit: every change goes through a journaled service (or,
    for the journal, is refused by the database triggers anyway)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
