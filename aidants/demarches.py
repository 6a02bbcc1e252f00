"""The catalogue of démarches (FranceConnect `rep_scope` codes).

It lives in the lowest app so that structures (here), mandates and online services
can all refer to it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Demarche(models.TextChoices):
    PAPIERS = "papiers", _("Papiers - Citoyenneté - Élections")
    FAMILLE = "famille", _("Famille - Scolarité")
    SOCIAL = "social", _("Social - Santé")
    TRAVAIL = "travail", _("Travail - Formation")
    LOGEMENT = "logement", _("Logement")
    TRANSPORTS = "transports", _("Transports - Mobilité")
    ARGENT = "argent", _("Argent - Impôts - Consommation")
    JUSTICE = "justice", _("Justice")
    ETRANGER = "etranger", _("Étranger - Europe")
    LOISIRS = "loisirs", _("Loisirs - Sport - Culture")


# The codes in catalogue order, read once (`Demarche.values` builds a new list of
# every choice at each use).
CODES: tuple[str, ...] = tuple(Demarche.values)


DESCRIPTIONS = {
    Demarche.PAPIERS: _(
        "Carte d'identité, passeport, permis de conduire, inscription sur les listes "
        "électorales, état civil."
    ),
    Demarche.FAMILLE: _(
        "Naissance, mariage, PACS, allocations familiales, inscriptions scolaires, "
        "bourses."
    ),
    Demarche.SOCIAL: _(
        "CAF, CPAM, RSA, prime d'activité, complémentaire santé solidaire, handicap "
        "(MDPH)."
    ),
    Demarche.TRAVAIL: _(
        "France Travail, formation, compte personnel de formation, retraite."
    ),
    Demarche.LOGEMENT: _("Aides au logement, logement social, déménagement, énergie."),
    Demarche.TRANSPORTS: _(
        "Carte grise, amendes, transports en commun, tarifs solidaires."
    ),
    Demarche.ARGENT: _(
        "Impôts, déclaration de revenus, banque, surendettement, consommation."
    ),
    Demarche.JUSTICE: _("Casier judiciaire, aide juridictionnelle, plaintes."),
    Demarche.ETRANGER: _(
        "Titre de séjour, naturalisation, démarches à l'étranger ou en Europe."
    ),
    Demarche.LOISIRS: _("Pass sport, pass culture, chasse, pêche, associations."),
}


def describe(code: str) -> str:
    return str(DESCRIPTIONS[Demarche(code)])


def options(choices, selected) -> list[dict]:
    """One row per (code, label) choice for a démarche checkbox list: code,
    label, description, checked (`selected`: the codes ticked)."""
    ticked = set(selected or [])
    return [
        {
            "code": code,
            "label": label,
            "description": describe(code),
            "checked": code in ticked,
        }
        for code, label in choices
    ]
