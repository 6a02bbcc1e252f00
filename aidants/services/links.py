"""Single-use e-mailed links (invitations, enrolment links), issued and checked
in one place. Only the SHA-256 of a token is stored (`hash_token`); the raw
token goes in the e-mail only."""

import secrets
from datetime import timedelta
from typing import TypeVar

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from aidants.emails import send_email
from aidants.exceptions import AidantsError, LinkGone, LinkUnknown
from aidants.models.people import SingleUseLink, hash_token

Link = TypeVar("Link", bound=SingleUseLink)


def link_url(url_name: str, raw_token: str) -> str:
    """The absolute URL an e-mail carries: `url_name` with the raw token."""
    return f"{settings.SITE_URL}{reverse(url_name, kwargs={'token': raw_token})}"


def issue_link(
    model: type[Link],
    *,
    valid_hours: int,
    replaces: QuerySet | None = None,
    **fields,
) -> tuple[Link, str]:
    """Create a link of `model` with a fresh random token, valid `valid_hours`,
    inside the caller's transaction; the unused links in `replaces` are deleted
    first (only the last link works). Returns the link and its raw token."""
    if replaces is not None:
        replaces.filter(used_at__isnull=True).delete()
    raw_token = secrets.token_urlsafe(32)
    link = model(
        token_hash=hash_token(raw_token),
        expires_at=timezone.now() + timedelta(hours=valid_hours),
        **fields,
    )
    link.save(force_insert=True)
    return link, raw_token


# What each kind of link says when it cannot be opened: unknown, used, expired.
REFUSALS = {
    "invitation": (
        gettext_lazy("Ce lien d'invitation n'existe pas."),
        gettext_lazy("Ce lien d'invitation a déjà été utilisé."),
        gettext_lazy("Ce lien d'invitation a expiré."),
    ),
    "enrolment": (
        gettext_lazy("Ce lien d'activation n'existe pas."),
        gettext_lazy("Ce lien d'activation a déjà été utilisé."),
        gettext_lazy("Ce lien d'activation a expiré."),
    ),
}


def usable_link(link: Link | None, *, kind: str) -> Link:
    """`link` if it may still be opened; raises LinkUnknown (no such link) or
    LinkGone (used, or its `is_usable` is false), worded for `kind`."""
    unknown, used, expired = REFUSALS[kind]
    if link is None:
        raise LinkUnknown(str(unknown))
    if link.used_at is not None:
        raise LinkGone(str(used))
    if not link.is_usable():
        raise LinkGone(str(expired))
    return link


def mail_link(name: str, *, to: str, subject: str, context: dict, failure: str) -> None:
    """E-mail a link at once (aidants.emails, template `name`), after the
    commit that recorded it. Raises AidantsError(`failure`) when the mail could
    not be sent: the link stays recorded, and issuing again replaces it."""
    try:
        send_email(name, to=[to], subject=subject, context=context)
    except OSError as exc:  # smtplib.SMTPException is an OSError
        raise AidantsError(failure) from exc
