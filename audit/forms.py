"""The journal filter form (référent and aidant pages, exports). Validates only."""

import uuid
from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm

from audit.actions import Action

EXPORT_FORMATS = (("csv", "CSV"), ("json", "JSON"))


class JournalFilterForm(DsfrBaseForm):
    """Filters on aidant, usager, action and a date range. `aidant_choices`
    (journal id, label) adds the aidant filter; without it there is none."""

    aidant = forms.ChoiceField(label=_("Aidant"), required=False)
    usager = forms.CharField(
        label=_("Identifiant de l'usager"),
        required=False,
        max_length=64,
        help_text=_("L'identifiant figurant sur le mandat (format UUID)."),
    )
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("Toutes les actions")), *Action.choices],
        error_messages={"invalid_choice": _("Cette action n'existe pas.")},
    )
    date_from = forms.DateField(
        label=_("Du"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Saisissez une date valide (jj/mm/aaaa).")},
    )
    date_to = forms.DateField(
        label=_("Au"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Saisissez une date valide (jj/mm/aaaa).")},
    )

    def __init__(
        self, *args, aidant_choices: list[tuple[str, str]] | None = None, **kw
    ):
        super().__init__(*args, **kw)
        if aidant_choices is None:
            del self.fields["aidant"]
        else:
            self.fields["aidant"].choices = [("", _("Tous les aidants"))] + list(
                aidant_choices
            )
            self.fields["aidant"].error_messages["invalid_choice"] = _(
                "Cet aidant n'appartient pas à la structure."
            )

    def clean_usager(self) -> str:
        value = self.cleaned_data["usager"].strip()
        if not value:
            return ""
        try:
            return str(uuid.UUID(value))
        except ValueError as exc:
            raise forms.ValidationError(
                _("Identifiant d'usager invalide."), code="invalid"
            ) from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(
                _("La date de début doit précéder la date de fin."), code="range"
            )
        return data

    def query(self) -> dict[str, Any]:
        """Keyword arguments for `JournalEntry.objects.filtered` (form is valid)."""
        data = self.cleaned_data
        tz = timezone.get_current_timezone()
        since = until = None
        if data.get("date_from"):
            since = datetime.combine(data["date_from"], time.min, tzinfo=tz)
        if data.get("date_to"):
            next_day = data["date_to"] + timedelta(days=1)
            until = datetime.combine(next_day, time.min, tzinfo=tz)
        return {
            "actor_id": data.get("aidant") or None,
            "usager_id": data.get("usager") or None,
            "action": data.get("action") or None,
            "since": since,
            "until": until,
        }

    def summary(self) -> dict[str, str]:
        """The non-empty filters as plain strings (journaled with an export)."""
        return {
            name: value.isoformat() if hasattr(value, "isoformat") else str(value)
            for name, value in self.cleaned_data.items()
            if value
        }
