from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def validate_siret(value: str) -> None:
    """A SIRET is 14 digits whose Luhn checksum is valid."""
    if not (isinstance(value, str) and len(value) == 14 and value.isdigit()):
        raise ValidationError(
            _("Le SIRET doit comporter exactement 14 chiffres."), code="siret_format"
        )
    if not luhn_valid(value):
        raise ValidationError(
            _("Ce SIRET n'est pas valide (clé de contrôle incorrecte)."),
            code="siret_checksum",
        )
