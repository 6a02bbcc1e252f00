"""Online services in the Django admin. The secret is generated here, shown once
in a message, and only its SHA-256 is kept."""

from django import forms
from django.contrib import admin, messages
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from aidants.demarches import Demarche
from oidc import services
from oidc.models import Client, LogoutDelivery


class UriListField(forms.CharField):
    """One absolute http(s) URI per line, stored as a JSON list."""

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
        validator = URLValidator(schemes=["http", "https"])
        for uri in value:
            validator(uri)
            if "#" in uri:
                raise forms.ValidationError(_("Une URI ne contient pas de fragment."))


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
        secret = services.register_client(client=obj)
        messages.warning(
            request,
            _(
                "Service enregistré. client_id : %(client_id)s — secret : %(secret)s "
                "— Copiez ce secret maintenant : il ne sera plus jamais affiché."
            )
            % {"client_id": obj.client_id, "secret": secret},
        )

    @admin.action(description=_("Générer un nouveau secret"))
    def reset_secret(self, request, queryset):
        for client in queryset:
            secret = services.reset_client_secret(client=client)
            messages.warning(
                request,
                _("Nouveau secret de %(name)s : %(secret)s (affiché une seule fois).")
                % {"name": client.name, "secret": secret},
            )
        self.message_user(
            request,
            ngettext("%d secret renouvelé.", "%d secrets renouvelés.", queryset.count())
            % queryset.count(),
        )


@admin.register(LogoutDelivery)
class LogoutDeliveryAdmin(admin.ModelAdmin):
    """Read-only view of the back-channel logout queue (the worker writes it)."""

    list_display = ["created_at", "client", "reason", "status", "attempts"]
    list_filter = ["status", "reason"]
    readonly_fields = [f.name for f in LogoutDelivery._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
