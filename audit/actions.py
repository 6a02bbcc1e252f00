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
    RATE_LIMITED = "rate_limited", _("Trop de demandes depuis une adresse")


class ActorType(models.TextChoices):
    AIDANT = "aidant", _("Aidant")
    USAGER = "usager", _("Usager")
    SYSTEM = "system", _("Système")
    STAFF = "staff", _("Équipe Relais")
