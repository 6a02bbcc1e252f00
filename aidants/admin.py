"""Django admin for the Relais team (staff, with OTP: see config/urls.py).

Habilitation decisions go through the services (journaled), never through a
plain field edit. OTP seeds are never displayed.
"""

from typing import ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice as PlainTOTPDevice

from aidants import access
from aidants.exceptions import AidantsError
from aidants.models import (
    Aidant,
    BackupCodeDevice,
    CarteTOTP,
    Habilitation,
    Structure,
    TOTPDevice,
)
from aidants.services.enrolment import issue_enrolment_link
from aidants.services.habilitations import activate_habilitation, refuse_habilitation
from config.admin_site import ReadOnlyAdmin


@admin.register(Structure)
class StructureAdmin(admin.ModelAdmin):
    list_display = ("name", "siret", "type", "commune", "active", "created_at")
    list_filter = ("type", "active")
    search_fields = ("name", "siret", "commune")
    # Changed by the référents through a journaled service only.
    readonly_fields = ("uuid", "allowed_demarches", "created_at")


class AidantCreationForm(AdminUserCreationForm):
    class Meta:
        model = Aidant
        fields = ("email", "first_name", "last_name")


class AidantChangeForm(UserChangeForm):
    class Meta:
        model = Aidant
        fields = "__all__"


class HabilitationInline(admin.TabularInline):
    model = Habilitation
    fk_name = "aidant"
    fields = ("structure", "status", "is_referent", "valid_until", "decided_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Aidant)
class AidantAdmin(UserAdmin):
    form = AidantChangeForm
    add_form = AidantCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Identité"),
            {"fields": ("first_name", "last_name", "profession", "phone")},
        ),
        (_("Structure"), {"fields": ("current_structure",)}),
        (
            _("Droits"),
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "first_name",
                    "last_name",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")
    list_display = ("email", "first_name", "last_name", "current_structure", "is_staff")
    list_filter = ("is_staff", "is_superuser", "is_active")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)
    raw_id_fields = ("current_structure",)
    inlines = (HabilitationInline,)
    actions = ("send_enrolment_link",)

    def get_inlines(self, request, obj):
        # Memberships are created by invitations, not on the add page.
        return self.inlines if obj is not None else ()

    @admin.action(description=_("Envoyer un lien d'activation du second facteur"))
    def send_enrolment_link(self, request, queryset):
        # An account without a usable factor gets one only through this link,
        # e-mailed to its holder (never a password alone: docs/security.md).
        for aidant in queryset:
            try:
                issue_enrolment_link(aidant=aidant, by=request.user)
            except AidantsError as error:
                self.message_user(request, f"{aidant} : {error}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("Lien d'activation envoyé à %(email)s.")
                    % {"email": aidant.email},
                    messages.SUCCESS,
                )


class RefusalForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif du refus"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        initial=_("Refusée par l'équipe Relais"),
    )


@admin.register(Habilitation)
class HabilitationAdmin(ReadOnlyAdmin):
    list_display = (
        "aidant",
        "structure",
        "status",
        "is_referent",
        "valid_until",
        "requested_at",
        "decided_at",
    )
    list_filter = ("status", "is_referent")
    search_fields = ("aidant__email", "aidant__last_name", "structure__name")
    list_select_related = ("aidant", "structure")
    ordering = ("-requested_at", "structure__name")
    actions = ("approve", "refuse")

    def has_decide_permission(self, request):
        return access.can_activate_habilitation(request.user)

    @admin.action(description=_("Approuver"), permissions=["decide"])
    def approve(self, request, queryset):
        self._decide(request, queryset, activate_habilitation, _("approuvée"))

    @admin.action(description=_("Refuser"), permissions=["decide"])
    def refuse(self, request, queryset):
        form = RefusalForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            self._decide(request, queryset, refuse_habilitation, _("refusée"), reason)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Refuser des habilitations"),
            "opts": self.model._meta,
            "form": form,
            "habilitations": queryset.select_related("aidant", "structure"),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/aidants/habilitation/refuse.html", context
        )

    def _decide(self, request, queryset, service, done, reason=None):
        extra = {} if reason is None else {"reason": reason}
        for habilitation in queryset.select_related("aidant", "structure"):
            try:
                service(habilitation=habilitation, by=request.user, **extra)
            except AidantsError as error:
                self.message_user(
                    request, f"{habilitation.aidant} : {error}", messages.ERROR
                )
            else:
                self.message_user(
                    request,
                    gettext("Habilitation de %(aidant)s %(done)s.")
                    % {"aidant": habilitation.aidant, "done": done},
                    messages.SUCCESS,
                )


@admin.register(CarteTOTP)
class CarteTOTPAdmin(ReadOnlyAdmin):
    # The seed lives in the linked device and is never displayed.
    list_display = (
        "serial",
        "structure",
        "aidant",
        "registered_by",
        "registered_at",
        "unlinked_at",
        "unlink_reason",
    )
    list_filter = ("unlink_reason",)
    search_fields = ("serial", "aidant__email", "structure__name")
    fields = list_display
    readonly_fields = list_display


class SafeDeviceAdmin(ReadOnlyAdmin):
    """Lists OTP devices without their key, QR code or provisioning URI."""

    list_display: tuple[str, ...] = (
        "user",
        "name",
        "confirmed",
        "created_at",
        "last_used_at",
    )
    list_filter = ("confirmed",)
    search_fields = ("user__email", "user__last_name", "name")
    list_select_related = ("user",)
    fields: ClassVar[tuple[str, ...]] = (
        "user",
        "name",
        "confirmed",
        "created_at",
        "last_used_at",
    )
    readonly_fields: ClassVar[tuple[str, ...]] = fields


if admin.site.is_registered(PlainTOTPDevice):
    # django-otp's own admin shows the seed and its QR code; its table stays
    # empty anyway (seeds live sealed in aidants.TOTPDevice).
    admin.site.unregister(PlainTOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(SafeDeviceAdmin):
    fields = (*SafeDeviceAdmin.fields, "throttling_failure_count")
    readonly_fields = fields


@admin.register(BackupCodeDevice)
class BackupCodeDeviceAdmin(SafeDeviceAdmin):
    # Only the number of codes left; the codes themselves are stored hashed.
    list_display = ("user", "name", "confirmed", "codes_left")
    fields = ("user", "name", "confirmed", "codes_left")
    readonly_fields = fields

    @admin.display(description=_("codes restants"))
    def codes_left(self, obj):
        return obj.codes.count()
