"""E-mailed links that enrol a first (or replacement) second factor.

A password alone never enrols a factor: an account without a usable device gets
one only through such a link (or an invitation), sent to its own address. Only
the SHA-256 of the token is stored; the raw token is in the e-mail only.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from aidants import access
from aidants.exceptions import AidantsError, LinkGone, NotAllowed
from aidants.models import Aidant, EnrolmentLink, Structure, TOTPDevice
from aidants.services.factors import end_all_sessions, record_factor_change
from aidants.services.links import issue_link, link_url, mail_link, usable_link
from aidants.services.otp import confirm_totp_enrolment, kept_enrolment_device


def enrolment_url(raw_token: str) -> str:
    return link_url("aidants:enrolment-open", raw_token)


def issue_enrolment_link(
    *, aidant: Aidant, by: Aidant, structure: Structure | None = None
) -> EnrolmentLink:
    """Send `aidant` a single-use, expiring link to enrol a second factor, at
    their own address; it replaces their earlier unused links. A référent
    (for an active member of `structure`) or staff only.

    Journals ENROLMENT_LINK_ISSUED; raises NotAllowed, or AidantsError when the
    mail could not be sent (the link is recorded; issuing again replaces it).
    """
    if not access.can_issue_enrolment_link(by, aidant, structure):
        raise NotAllowed(_("Vous ne pouvez pas envoyer de lien à cette personne."))
    with transaction.atomic():
        link, raw_token = issue_link(
            EnrolmentLink,
            valid_hours=settings.ENROLMENT_LINK_VALID_HOURS,
            replaces=EnrolmentLink.objects.filter(aidant=aidant),
            aidant=aidant,
            structure=structure,
            issued_by=by,
        )
        audit.record(
            audit.Action.ENROLMENT_LINK_ISSUED,
            actor=by,
            structure=structure,
            details={"aidant": str(aidant.uuid), "link": str(link.uuid)},
        )
    # After the commit: no SMTP round trip under the journal lock.
    _send_link(link, raw_token)
    return link


def _send_link(link: EnrolmentLink, raw_token: str) -> None:
    context = {
        "aidant": link.aidant,
        "url": enrolment_url(raw_token),
        "expires_at": link.expires_at,
    }
    mail_link(
        "enrolment_link",
        to=link.aidant.email,
        subject=_("Relais : activez votre second facteur"),
        context=context,
        failure=_(
            "Le courriel n'a pas pu être envoyé. Réessayez plus tard : un "
            "nouveau lien remplacera celui-ci."
        ),
    )


def link_for_token(raw_token: str) -> EnrolmentLink:
    """The usable enrolment link behind a token. Raises LinkUnknown or
    LinkGone (expired, used, or its account deactivated)."""
    return usable_link(
        EnrolmentLink.objects.select_related("aidant").by_raw(raw_token),
        kind="enrolment",
    )


def link_by_uuid(link_uuid: str) -> EnrolmentLink:
    """The usable link this browser opened (its uuid is kept in the session in
    place of the token). Raises like `link_for_token`."""
    links = EnrolmentLink.objects.select_related("aidant").filter(uuid=link_uuid)
    return usable_link(links.first(), kind="enrolment")


def link_device(link: EnrolmentLink) -> TOTPDevice:
    """The app device enrolled through this link, kept until confirmed."""
    return kept_enrolment_device(link)


def complete_enrolment(
    *, link: EnrolmentLink, password_hash: str | None = None, otp_token: str
) -> bool:
    """Confirm the link's app device with `otp_token` (and set the password,
    already hashed, when the account has none), then mark the link used. It
    does not log in: the holder then logs in with password and the new code.

    Returns False (nothing changed) for a wrong code. Journals OTP_DEVICE_ADDED
    (every structure of the holder, who is e-mailed); raises LinkGone
    or AidantsError (a step is missing)."""
    with transaction.atomic():
        link = (
            # of=self: PostgreSQL cannot lock the nullable side of an outer join.
            EnrolmentLink.objects.select_for_update(of=("self",))
            .select_related("aidant", "device")
            .get(pk=link.pk)
        )
        if not link.is_usable():
            raise LinkGone(_("Ce lien d'activation n'est plus valable."))
        aidant = link.aidant
        if not aidant.has_usable_password() and not password_hash:
            raise AidantsError(_("Choisissez d'abord un mot de passe."))
        if link.device is None or link.device.user_id != aidant.pk:
            raise AidantsError(_("Configurez d'abord votre application."))
        if not confirm_totp_enrolment(device=link.device, token=otp_token):
            return False
        if password_hash and not aidant.has_usable_password():
            aidant.password = password_hash
            aidant.save(update_fields=["password"])
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
    return True


def remove_lost_apps(*, aidant: Aidant, by: Aidant, structure: Structure | None) -> int:
    """A référent (or staff) reports the holder's authenticator app lost: the app
    devices are deleted (cards have their own unlinking), every session of the
    holder ends, and an enrolment link is e-mailed to them. Returns how many
    devices went. Journals OTP_DEVICE_REMOVED (every structure of the holder)
    and ENROLMENT_LINK_ISSUED; raises NotAllowed or AidantsError (no app)."""
    if not access.can_issue_enrolment_link(by, aidant, structure):
        raise NotAllowed(_("Vous ne pouvez pas modifier les accès de cette personne."))
    with transaction.atomic():
        # of=self: the reverse card relation is a LEFT JOIN, and PostgreSQL
        # refuses FOR UPDATE on the nullable side of an outer join.
        apps = TOTPDevice.objects.select_for_update(of=("self",)).filter(
            user=aidant, carte__isnull=True
        )
        count = len(apps)
        if not count:
            raise AidantsError(_("Cette personne n'a pas d'application enregistrée."))
        TOTPDevice.objects.filter(pk__in=[device.pk for device in apps]).delete()
        end_all_sessions(aidant)
        record_factor_change(
            audit.Action.OTP_DEVICE_REMOVED,
            aidant=aidant,
            by=by,
            details={
                "device": "totp_app",
                "reason": "lost",
                "count": count,
                "sessions_ended": True,
            },
        )
    issue_enrolment_link(aidant=aidant, by=by, structure=structure)
    return count
