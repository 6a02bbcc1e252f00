"""Staff see usagers, mandates and autorisations read-only: every change goes
through mandats.services (signed, journaled; a revocation is never undone)."""

from django.contrib import admin

from config.admin_site import ReadOnlyAdmin
from mandats.models import Autorisation, Mandat, Usager


@admin.register(Usager)
class UsagerAdmin(ReadOnlyAdmin):
    list_display = ("uuid", "family_name", "given_name", "birthdate", "created_at")
    search_fields = ("=uuid", "family_name", "given_name")
    ordering = ("-created_at",)
    show_full_result_count = False


class AutorisationInline(admin.TabularInline):
    model = Autorisation
    fields = ("demarche", "revoked_at", "revoked_by_type", "revocation_reason")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Mandat)
class MandatAdmin(ReadOnlyAdmin):
    list_display = (
        "uuid",
        "structure",
        "created_at",
        "expires_at",
        "duration_days",
        "revoked_at",
    )
    list_filter = ("duration_days",)
    search_fields = ("=uuid", "=public_id", "structure__name", "usager__family_name")
    list_select_related = ("structure",)
    date_hierarchy = "created_at"
    inlines = [AutorisationInline]
    show_full_result_count = False
    exclude = ("creation_key",)
