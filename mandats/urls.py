from django.urls import path

from mandats.views import aidant, attestation, usager, verification, wizard

app_name = "mandats"

urlpatterns = [
    path("mandats/nouveau/", wizard.new, name="new"),
    path(
        "mandats/nouveau/franceconnect/retour",
        wizard.callback,
        name="new-callback",
    ),
    path("mandats/nouveau/confirmation", wizard.recap, name="new-recap"),
    path("mandats/nouveau/cree/<uuid:uuid>/", wizard.done, name="new-done"),
    path("mandats/<uuid:uuid>/renouveler/", wizard.renew, name="mandat-renew"),
    # Aidant pages (views/aidant.py, views/attestation.py).
    path("usagers/", aidant.usager_list, name="usager-list"),
    path("usagers/<uuid:uuid>/", aidant.usager_detail, name="usager-detail"),
    path("mandats/expirant-bientot/", aidant.expiring, name="expiring"),
    path("mandats/<uuid:uuid>/", aidant.mandat_detail, name="mandat-detail"),
    path("mandats/<uuid:uuid>/revoquer/", aidant.mandat_revoke, name="mandat-revoke"),
    path(
        "autorisations/<uuid:uuid>/revoquer/",
        aidant.autorisation_revoke,
        name="autorisation-revoke",
    ),
    path(
        "mandats/<uuid:uuid>/attestation/",
        attestation.mandat_attestation,
        name="attestation",
    ),
    path(
        "mandats/<uuid:uuid>/attestation.pdf",
        attestation.mandat_attestation_pdf,
        name="attestation-pdf",
    ),
    path(
        "mandats/<uuid:uuid>/attestation-revocation/",
        attestation.revocation_attestation,
        name="revocation-attestation",
    ),
    path(
        "mandats/<uuid:uuid>/attestation-revocation.pdf",
        attestation.revocation_attestation_pdf,
        name="revocation-attestation-pdf",
    ),
    # Public verification (no login).
    path("verifier/jwks", verification.jwks, name="verify-jwks"),
    path("verifier/<str:public_id>", verification.verify, name="verify"),
    # Usager space (views/usager.py).
    path("mon-espace/", usager.space, name="usager-space"),
    path("mon-espace/connexion", usager.login, name="usager-login"),
    path("mon-espace/franceconnect/retour", usager.callback, name="usager-callback"),
    path("mon-espace/deconnexion", usager.logout, name="usager-logout"),
    path(
        "mon-espace/mandats/<uuid:uuid>/revoquer/",
        usager.mandat_revoke,
        name="usager-mandat-revoke",
    ),
    path(
        "mon-espace/autorisations/<uuid:uuid>/revoquer/",
        usager.autorisation_revoke,
        name="usager-autorisation-revoke",
    ),
    path(
        "mon-espace/mandats/<uuid:uuid>/attestation/",
        usager.mandat_attestation,
        name="usager-attestation",
    ),
    path(
        "mon-espace/mandats/<uuid:uuid>/attestation.pdf",
        usager.mandat_attestation_pdf,
        name="usager-attestation-pdf",
    ),
    path(
        "mon-espace/mandats/<uuid:uuid>/attestation-revocation/",
        usager.revocation_attestation,
        name="usager-revocation-attestation",
    ),
    path(
        "mon-espace/mandats/<uuid:uuid>/attestation-revocation.pdf",
        usager.revocation_attestation_pdf,
        name="usager-revocation-attestation-pdf",
    ),
]
