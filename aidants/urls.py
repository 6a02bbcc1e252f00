from django.urls import path

from aidants.views import account as account_views
from aidants.views import auth as auth_views
from aidants.views import enrolment as enrolment_views
from aidants.views import home, referent_devices
from aidants.views import invitation as invitation_views
from aidants.views import journal as journal_views
from aidants.views import passkeys as passkey_views
from aidants.views import password as password_views
from aidants.views import referent as referent_views

app_name = "aidants"

urlpatterns = [
    path("", home.home, name="home"),
    # Login, OTP and the aidant's account (aidants/views/auth.py, account.py).
    path("connexion/", auth_views.login_view, name="login"),
    path("connexion/code/", auth_views.otp_view, name="otp"),
    path("connexion/confirmer/", auth_views.step_up_view, name="step-up"),
    path("deconnexion/", auth_views.logout_view, name="logout"),
    path(
        "connexion/mot-de-passe-oublie/",
        password_views.password_reset,
        name="password-reset",
    ),
    path(
        "connexion/mot-de-passe/<uidb64>/<token>/",
        password_views.password_reset_confirm,
        name="password-reset-confirm",
    ),
    path("compte/", account_views.account, name="account"),
    path("compte/application/", account_views.totp_enrol, name="totp-enrol"),
    path("compte/codes-de-secours/", account_views.backup_codes, name="backup-codes"),
    path("compte/cles-d-acces/", passkey_views.passkeys_page, name="passkeys"),
    path(
        "compte/structure/",
        account_views.switch_structure_view,
        name="switch-structure",
    ),
    # Référent space and invitations (aidants/views/referent.py, invitation.py).
    path("referent/", referent_views.home, name="referent-home"),
    path("referent/inviter/", referent_views.invite, name="referent-invite"),
    path("referent/demarches/", referent_views.demarches, name="referent-demarches"),
    path(
        "referent/cles-d-acces/",
        referent_devices.passkey_policy,
        name="referent-passkey-policy",
    ),
    path(
        "referent/aidants/<uuid:habilitation_uuid>/",
        referent_views.aidant_detail,
        name="referent-aidant",
    ),
    # One confirm-then-act view for every habilitation change (kind: the service).
    *(
        path(
            f"referent/aidants/<uuid:habilitation_uuid>/{slug}/",
            referent_views.habilitation_change,
            {"kind": kind},
            name=name,
        )
        for slug, kind, name in (
            ("demander", "request", "referent-habilitation-request"),
            ("suspendre", "suspend", "referent-habilitation-suspend"),
            ("revoquer", "revoke", "referent-habilitation-revoke"),
            ("reactiver", "reactivate", "referent-habilitation-reactivate"),
            ("date-de-fin", "end_date", "referent-habilitation-end-date"),
            ("co-referent", "designate", "referent-designate"),
        )
    ),
    path(
        "referent/aidants/<uuid:habilitation_uuid>/carte/",
        referent_devices.card_register,
        name="referent-card-register",
    ),
    path(
        "referent/aidants/<uuid:habilitation_uuid>/carte-du-stock/",
        referent_devices.card_pick,
        name="referent-card-pick",
    ),
    path(
        "referent/cartes/<uuid:card_uuid>/dissocier/",
        referent_devices.card_unlink,
        name="referent-card-unlink",
    ),
    path(
        "referent/aidants/<uuid:habilitation_uuid>/lien-activation/",
        referent_devices.factor_reset,
        {"kind": "enrolment_link"},
        name="referent-enrolment-link",
    ),
    path(
        "referent/aidants/<uuid:habilitation_uuid>/application-perdue/",
        referent_devices.factor_reset,
        {"kind": "app_lost"},
        name="referent-app-lost",
    ),
    # E-mailed links: the token URL only swaps the token for a session value.
    path("invitation/", invitation_views.accept, name="invitation"),
    path("invitation/<str:token>/", invitation_views.open_link, name="invitation-open"),
    path("activation/", enrolment_views.enrol, name="enrolment"),
    path("activation/<str:token>/", enrolment_views.open_link, name="enrolment-open"),
    # Journal (aidants/views/journal.py): the structure's, and the aidant's own.
    path("referent/journal/", journal_views.journal, name="journal"),
    path(
        "referent/journal/export/", journal_views.journal_export, name="journal-export"
    ),
    path("journal/", journal_views.my_journal, name="my-journal"),
    path("journal/export/", journal_views.my_journal_export, name="my-journal-export"),
]
