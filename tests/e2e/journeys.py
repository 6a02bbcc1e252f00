"""Steps shared by several journeys (setup through services, browser steps)."""

from datetime import date

from django.utils import timezone

from demo.rp import config as demo_service
from demo.sandbox import demo_identity
from mandats.models import Mandat
from mandats.services import create_mandat
from oidc import keys, services
from oidc.models import Client
from tests.e2e.conftest import next_totp_code
from tests.factories import PASSWORD, TOTP_SECRET_B32, UsagerFactory


def register_demo_service() -> Client:
    """The demo online service, registered as `seed_demo` does, at the live URL."""
    keys.ensure_keys()
    client = Client(
        client_id=demo_service.CLIENT_ID,
        name=demo_service.NAME,
        redirect_uris=[demo_service.redirect_uri()],
        post_logout_redirect_uris=[demo_service.post_logout_redirect_uri()],
        backchannel_logout_uri=demo_service.backchannel_logout_uri(),
        allowed_demarches=demo_service.DEMARCHES,
        active=True,
    )
    services.register_client(client=client, secret=demo_service.CLIENT_SECRET)
    return client


def sandbox_usager_mandat(
    aidant, *, issuer: str, sub: str = "demo-angela-dubois", demarches=("social",)
) -> Mandat:
    """A signed mandate (as the wizard makes it) for a usager whom the
    FranceConnect sandbox knows as `sub`."""
    identity = demo_identity(sub)
    usager = UsagerFactory(
        fc_sub=sub,
        fc_issuer=issuer,
        given_name=identity["given_name"],
        family_name=identity["family_name"],
        birthdate=date.fromisoformat(identity["birthdate"]),
        gender=identity["gender"],
        birthplace=identity["birthplace"],
        birthcountry=identity["birthcountry"],
        email=identity["email"],
    )
    now = timezone.now().isoformat()
    return create_mandat(
        aidant=aidant,
        structure=aidant.current_structure,
        usager=usager,
        demarches=list(demarches),
        duration_days=365,
        consent={"confirmed_by_usager_at": now, "confirmed_by_aidant_at": now},
    )


def open_demo_service_as(ui, aidant) -> None:
    """From the demo service's home to Relais' "Pour qui agissez-vous ?" page,
    logging the aidant in on the way when the Relais session is not verified."""
    ui.goto("/demo-service/", "demo-service-home")
    ui.submit("Se connecter avec Relais", "demo-relais-login")
    if ui.path() == "/connexion/":
        ui.fill("Adresse électronique", aidant.email)
        ui.fill("Mot de passe", PASSWORD)
        ui.submit("Se connecter", "otp")
        ui.otp(next_totp_code(aidant.email, TOTP_SECRET_B32), "oidc-select-usager")
    assert "Pour qui agissez-vous ?" in ui.text()
