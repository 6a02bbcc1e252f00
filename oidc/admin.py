"""Online services in the Django admin. The secret is generated here, shown once
on a page that no cache keeps (never in a message, which travels in a cookie),
and only its SHA-256 is kept."""

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from aidants.demarches import Demarche
from config.admin_site import ReadOnlyAdmin
from oidc import services
from oidc.models import Client, LogoutDelivery
from oidc.validators import validate_redirect_uri


class UriListField(forms.CharField):
    """One absolute https URI per line (http on loopback only), stored as a
    JSON list."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def to_python(self, value):
        lines = [line.strip() for line in (value or "").splitlines()]
        return [line for line in lines if line]

    def validate(self, value):
        super().validate(value)
        for uri in value:
            validate_redirect_uri(uri)


class ClientForm(forms.ModelForm):
    redirect_uris = UriListField(label=_("URI de redirection"))
    post_logout_redirect_uris = UriListField(
        label=_("URI de retour après déconnexion"), required=False
    )
    backchannel_logout_uri = forms.URLField(
        label=_("URI de déconnexion par canal arrière"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=Client._meta.get_field("backchannel_logout_uri").help_text,
    )
    allowed_demarches = forms.MultipleChoiceField(
        label=_("Démarches servies"),
        choices=Demarche.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Client
        fields = [
            "name",
            "redirect_uris",
            "post_logout_redirect_uris",
            "backchannel_logout_uri",
            "allowed_demarches",
            "profile",
            "id_token_signed_response_alg",
            "token_endpoint_auth_method",
            "jwks",
            "active",
        ]

    def clean_backchannel_logout_uri(self):
        uri = self.cleaned_data.get("backchannel_logout_uri") or ""
        try:
            return services.check_backchannel_logout_uri(uri)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self):
        data = super().clean()
        method = data.get("token_endpoint_auth_method")
        jwks = data.get("jwks") or {}
        if method == "private_key_jwt" and not (
            isinstance(jwks, dict) and jwks.get("keys")
        ):
            self.add_error(
                "jwks", _("private_key_jwt demande les clés publiques du service.")
            )
        return data


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    form = ClientForm
    list_display = ["name", "client_id", "active", "id_token_signed_response_alg"]
    list_filter = ["active"]
    search_fields = ["name", "client_id"]
    readonly_fields = ["client_id", "created_at"]
    actions = ["reset_secret"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # Kept on the instance for `response_add` only, never stored.
        obj.new_secret = services.register_client(client=obj, by=request.user)

    def response_add(self, request, obj, post_url_continue=None):
        return _secrets_page(request, [(obj, obj.new_secret)])

    @admin.action(description=_("Générer un nouveau secret"))
    def reset_secret(self, request, queryset):
        shown = [
            (client, services.reset_client_secret(client=client, by=request.user))
            for client in queryset
        ]
        return _secrets_page(request, shown)


def _secrets_page(request, shown):
    """The new secrets, once, on a page no cache keeps (not in a message)."""
    response = TemplateResponse(
        request,
        "admin/oidc/client/secret.html",
        {
            "title": _("Secret du service"),
            "shown": shown,
            "opts": Client._meta,
            "site_header": admin.site.site_header,
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@admin.register(LogoutDelivery)
class LogoutDeliveryAdmin(ReadOnlyAdmin):
    """Read-only view of the back-channel logout queue (the worker writes it)."""

    list_display = ["created_at", "client", "reason", "status", "attempts"]
    list_filter = ["status", "reason"]
    readonly_fields = [f.name for f in LogoutDelivery._meta.fields]
