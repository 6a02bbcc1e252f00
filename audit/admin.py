"""Staff see the journal, its checkpoints and the signing keys, read-only."""

from django.contrib import admin

from audit.journal import HASHED_FIELDS
from audit.models import JournalCheckpoint, JournalEntry, ServiceKey
from config.admin_site import ReadOnlyAdmin


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    # The hashed fields, but the client and the details (shown on the entry).
    list_display = tuple(f for f in HASHED_FIELDS if f not in ("client_id", "details"))
    list_filter = ("action", "actor_type", "demarche")
    search_fields = (
        "=actor_id",
        "=structure_id",
        "=usager_id",
        "=mandat_id",
        "=client_id",
        "entry_hash",
    )
    date_hierarchy = "created_at"
    ordering = ("-seq",)
    list_per_page = 50
    show_full_result_count = False


@admin.register(JournalCheckpoint)
class JournalCheckpointAdmin(ReadOnlyAdmin):
    list_display = ("seq", "created_at", "kid", "entry_hash")
    ordering = ("-seq",)


@admin.register(ServiceKey)
class ServiceKeyAdmin(ReadOnlyAdmin):
    list_display = ("kid", "purpose", "alg", "active", "created_at", "retired_at")
    list_filter = ("purpose", "alg", "active")
    # Never display the private key, not even sealed.
    fields = (
        "kid",
        "purpose",
        "alg",
        "active",
        "created_at",
        "retired_at",
        "public_jwk",
    )
    readonly_fields = fields

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting a retired key unpublishes it: what it signed stops verifying.
        # The current key is never deleted here (rotate first).
        if obj is not None and obj.active:
            return False
        return admin.ModelAdmin.has_delete_permission(self, request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # would not check `active` per key
        return actions
