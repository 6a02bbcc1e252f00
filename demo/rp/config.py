"""The demo online service's registration, as a real service would keep it in
its own configuration. Demo values only: `seed_demo` registers the same ones."""

from django.conf import settings

NAME = "Mon espace CAF (démo)"
CLIENT_ID = "relais-demo-caf"
CLIENT_SECRET = "demo-caf-secret-not-for-production-7Qm2vX9kLp4R"  # noqa: S105
DEMARCHES = ["social", "famille", "logement"]
SCOPE = "openid profile email birth"
# The service's own words for FranceConnect's codes, as a real service keeps them.
DEMARCHE_LABELS = {
    "social": "Social - Santé",
    "famille": "Famille - Scolarité",
    "logement": "Logement",
}
GENDER_LABELS = {"female": "Femme", "male": "Homme"}


def site_url() -> str:
    return settings.SITE_URL.rstrip("/")


def issuer() -> str:
    return (settings.OIDC_ISSUER or settings.SITE_URL).rstrip("/")


def redirect_uri() -> str:
    return f"{site_url()}/demo-service/callback"


def post_logout_redirect_uri() -> str:
    return f"{site_url()}/demo-service/"


def backchannel_logout_uri() -> str:
    return f"{site_url()}/demo-service/backchannel-logout"
