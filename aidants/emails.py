"""One way to send Relais' e-mails: a French text part and an HTML part, both
rendered from `templates/emails/<name>.txt` and `<name>.html`.

Any app may use it (mandate created, expiry reminders, recovery links...). The
backend is Django's (SMTP in production, see EMAIL_URL in config/settings.py).
"""

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.exceptions import TemplateDoesNotExist
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


def render_email(name: str, context: dict[str, Any]) -> tuple[str, str | None]:
    """The text and HTML bodies of template `name` (HTML is None when absent)."""
    context = {"site_url": settings.SITE_URL, **context}
    text = render_to_string(f"emails/{name}.txt", context)
    try:
        html = render_to_string(f"emails/{name}.html", context)
    except TemplateDoesNotExist:
        html = None
    return text, html


def send_email(
    name: str,
    *,
    to: Iterable[str],
    subject: str,
    context: dict[str, Any],
    fail_silently: bool = False,
) -> None:
    """Render template `name` and send it at once. Raises OSError (smtplib
    errors included) unless `fail_silently`; the error never names the body,
    which may hold a single-use link."""
    text, html = render_email(name, context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=None, to=list(to)
    )
    if html is not None:
        message.attach_alternative(html, "text/html")
    try:
        message.send()
    except OSError:
        if not fail_silently:
            raise
        logger.warning("e-mail %s could not be sent", name)


def send_email_on_commit(name: str, **kwargs: Any) -> None:
    """Send after the surrounding transaction commits (never for a rolled-back
    change, and never while the journal head is locked). A failed send is
    logged, not raised: the change it reports is already recorded."""
    kwargs.setdefault("fail_silently", True)
    transaction.on_commit(lambda: send_email(name, **kwargs))
