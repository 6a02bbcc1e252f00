"""Choices and helpers shared by the usager, mandate and autorisation models."""

import base64
import secrets
from datetime import datetime

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

insee_code = RegexValidator(
    r"^[0-9][0-9AB][0-9]{3}$", _("Code INSEE à 5 caractères attendu.")
)
COUNTRY_FRANCE = "99100"
# The identity a usager record holds, as FranceConnect gives it: also the names
# of the OIDC claims the bridge serves from it (oidc.models.IDENTITY_CLAIMS).
IDENTITY_FIELDS = (
    "given_name",
    "family_name",
    "birthdate",
    "gender",
    "birthplace",
    "birthcountry",
    "email",
    "preferred_username",
)


class Gender(models.TextChoices):
    MALE = "male", _("masculin")
    FEMALE = "female", _("féminin")


class Duration(models.IntegerChoices):
    """The only mandate durations, in days."""

    ONE_DAY = 1, _("1 jour")
    ONE_MONTH = 31, _("1 mois")
    SIX_MONTHS = 182, _("6 mois")
    ONE_YEAR = 365, _("12 mois")


class RevokedBy(models.TextChoices):
    AIDANT = "aidant", _("aidant")
    USAGER = "usager", _("usager")
    REFERENT = "referent", _("référent")
    SYSTEM = "system", _("système")


class Status(models.TextChoices):
    LIVE = "live", _("en cours")
    EXPIRED = "expired", _("expiré")
    REVOKED = "revoked", _("révoqué")


def new_public_id() -> str:
    """Random id for the public verification URL (160 bits), base32 lowercase:
    no "-" or "_", so it reads aloud and never looks like a command-line option."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").lower()


def _now(at: datetime | None) -> datetime:
    return at or timezone.now()
