"""A real SMTP server on loopback (aiosmtpd) for browser journeys: Relais sends
through Django's SMTP backend, the test reads what arrived and the browser
follows the links the messages carry."""

import re
import socket
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import pytest


@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook)
        message = message_from_bytes(envelope.content, policy=default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def wait_for(self, to: str, subject: str, timeout: float = 10.0) -> EmailMessage:
        """The first message to `to` whose subject contains `subject`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages:
                if to in message["X-Envelope-To"] and subject in message["Subject"]:
                    self.messages.remove(message)
                    return message
            time.sleep(0.05)
        seen = [(m["X-Envelope-To"], m["Subject"]) for m in self.messages]
        raise AssertionError(f"no mail to {to} about {subject!r}; got {seen}")

    def link(self, to: str, subject: str, base_url: str) -> str:
        """The Relais link in the text part of that message (also in its HTML)."""
        message = self.wait_for(to, subject)
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",))
        found = re.search(rf"{re.escape(base_url)}/\S+", text)
        assert found, text
        if html is not None:
            assert found.group(0) in html.get_content(), "HTML part lacks the link"
        return found.group(0)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(site, settings):
    """Relais' mails go through SMTP to a loopback aiosmtpd server."""
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield mailbox
    finally:
        controller.stop()
