from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    """Every kind of journal entry. Past tense, one value per domain action."""

    LOGIN_SUCCEEDED = "login_succeeded", _("Connexion réussie")
    LOGIN_FAILED = "login_failed", _("Échec de connexion")
    LOGIN_REFUSED = "login_refused", _("Connexion refusée (aucune habilitation)")
    OTP_FAILED = "otp_failed", _("Code à usage unique erroné")
    LOCKED_OUT = "locked_out", _("Compte verrouillé après échecs répétés")
    LOGGED_OUT = "logged_out", _("Déconnexion")
    STRUCTURE_SWITCHED = "structure_switched", _("Changement de structure")
    AIDANT_INVITED = "aidant_invited", _("Aidant invité")
    INVITATION_ACCEPTED = "invitation_accepted", _("Invitation acceptée")
    HABILITATION_REQUESTED = "habilitation_requested", _("Habilitation demandée")
    HABILITATION_ACTIVATED = "habilitation_activated", _("Habilitation activée")
    HABILITATION_REFUSED = "habilitation_refused", _("Habilitation refusée")
    HABILITATION_SUSPENDED = "habilitation_suspended", _("Habilitation suspendue")
    HABILITATION_REVOKED = "habilitation_revoked", _("Habilitation révoquée")
    REFERENT_DESIGNATED = "referent_designated", _("Référent désigné")
    INACTIVITY_WARNED = "inactivity_warned", _("Avertissement d'inactivité envoyé")
    OTP_DEVICE_ADDED = "otp_device_added", _("Dispositif OTP ajouté")
    OTP_DEVICE_REMOVED = "otp_device_removed", _("Dispositif OTP retiré")
    ENROLMENT_LINK_ISSUED = (
        "enrolment_link_issued",
        _("Lien d'activation du second facteur envoyé"),
    )
    PASSWORD_RESET_REQUESTED = (
        "password_reset_requested",
        _("Réinitialisation du mot de passe demandée"),
    )
    PASSWORD_RESET = "password_reset", _("Mot de passe réinitialisé")
    STRUCTURE_DEMARCHES_CHANGED = (
        "structure_demarches_changed",
        _("Démarches de la structure modifiées"),
    )
    USAGER_IDENTIFIED = "usager_identified", _("Usager identifié")
    MANDAT_CREATED = "mandat_created", _("Mandat créé")
    MANDAT_RENEWED = "mandat_renewed", _("Mandat renouvelé")
    MANDAT_REVOKED = "mandat_revoked", _("Mandat révoqué")
    AUTORISATION_REVOKED = "autorisation_revoked", _("Autorisation révoquée")
    MANDAT_USED = "mandat_used", _("Mandat utilisé")
    ACCESS_DENIED = "access_denied", _("Accès refusé")
    TOKEN_ISSUED = "token_issued", _("Jeton délivré")
    TOKEN_REVOKED = "token_revoked", _("Jeton révoqué")
    USERINFO_SERVED = "userinfo_served", _("Informations d'identité transmises")
    CODE_REPLAYED = "code_replayed", _("Réutilisation d'un code détectée")
    ATTESTATION_VERIFIED = "attestation_verified", _("Attestation vérifiée")
    EXPIRY_REMINDER_SENT = "expiry_reminder_sent", _("Rappel d'expiration envoyé")
    USAGER_LOGGED_IN = "usager_logged_in", _("Connexion de l'usager")
    JOURNAL_EXPORTED = "journal_exported", _("Journal exporté")
    JOURNAL_CHECKPOINTED = "journal_checkpointed", _("Point de contrôle signé")
    DATA_PURGED = "data_purged", _("Données personnelles purgées")
    SIGNING_KEY_ROTATED = "signing_key_rotated", _("Clé de signature renouvelée")
    HABILITATION_REQUEST_SUBMITTED = (
        "habilitation_request_submitted",
        _("Demande d'habilitation déposée"),
    )
    HABILITATION_REQUEST_CHANGES_ASKED = (
        "habilitation_request_changes_asked",
        _("Modifications demandées sur une demande d'habilitation"),
    )
    HABILITATION_REQUEST_ACCEPTED = (
        "habilitation_request_accepted",
        _("Demande d'habilitation acceptée"),
    )
    HABILITATION_REQUEST_REFUSED = (
        "habilitation_request_refused",
        _("Demande d'habilitation refusée"),
    )
    STRUCTURE_CREATED = "structure_created", _("Structure créée")
    HABILITATION_END_DATE_SET = (
        "habilitation_end_date_set",
        _("Date de fin d'habilitation modifiée"),
    )
    HABILITATION_REACTIVATED = "habilitation_reactivated", _("Habilitation réactivée")
    TERMS_ACCEPTED = "terms_accepted", _("Conditions d'utilisation acceptées")
    CARDS_IMPORTED = "cards_imported", _("Cartes OTP importées dans le stock")
    CARDS_ASSIGNED = "cards_assigned", _("Cartes OTP attribuées à une structure")
    CLIENT_REGISTERED = "client_registered", _("Service en ligne enregistré")
    CLIENT_SECRET_RESET = "client_secret_reset", _("Secret d'un service renouvelé")
    SERVICE_LOGOUT_DELIVERED = (
        "service_logout_delivered",
        _("Déconnexion transmise au service"),
    )
    SERVICE_LOGOUT_FAILED = (
        "service_logout_failed",
        _("Échec de transmission d'une déconnexion au service"),
    )
    STRUCTURE_PASSKEY_POLICY_CHANGED = (
        "structure_passkey_policy_changed",
        _("Exigence de clé d'accès modifiée"),
    )
    RATE_LIMITED = "rate_limited", _("Trop de demandes depuis une adresse")


class ActorType(models.TextChoices):
    AIDANT = "aidant", _("Aidant")
    USAGER = "usager", _("Usager")
    SYSTEM = "system", _("Système")
    STAFF = "staff", _("Équipe Relais")
