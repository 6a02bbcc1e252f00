"""Who reaches what: every named URL × every persona, expected outcomes in one
table (issue 9).

The URL list comes from the URLconf: a new named URL without a row here fails
`test_every_named_url_has_a_row`. The admin's generated URLs share one row
("admin:*"), checked on the admin index. Objects in URLs belong to structure A
and usager X; each persona's client is built as after a real login.

Outcomes: LOGIN (sent to the aidant login), OTP (sent to the second factor),
ADMIN_LOGIN, USAGER_LOGIN (sent to the usager space's login), DENIED (403/404),
OK (2xx, or a redirect elsewhere), BAD (400/401/405: a protocol endpoint
answering a request without its parameters).

Private links (the habilitation request's, e-mailed invitation, enrolment and
password-reset links) are real ones built in `world`: whoever holds the link
passes, as designed; `test_private_links_need_their_token` checks that a forged
token, or the clean URL without opening the link, gets nobody past the guard.
"""

import re
import time
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import Client
from django.test.client import ClientHandler
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp import DEVICE_ID_SESSION_KEY

from aidants.models import CarteTOTP, HabilitationStatus
from aidants.services.enrolment import issue_enrolment_link
from aidants.services.invitations import invite_aidant
from mandats.services import create_mandat, revoke_mandat
from mandats.usager_session import SESSION_KEY as USAGER_SESSION_KEY
from onboarding.access import request_link_token
from onboarding.models import RequestStatus
from tests.conftest import _member
from tests.factories import (
    AidantFactory,
    HabilitationRequestFactory,
    MandatFactory,
    StructureFactory,
    totp_device_for,
)

LOGIN, OTP, ADMIN_LOGIN, USAGER_LOGIN = "login", "otp", "admin_login", "usager_login"
DENIED, OK, BAD = "denied", "ok", "bad"

PERSONAS = [
    "anonymous",
    "password_only",
    "aidant_a",
    "referent_a",
    "aidant_b",
    "referent_b",
    "suspended_referent",
    "expired_referent",
    "inactive",
    "staff",
    "usager_x",
    "usager_y",
]
# A suspended or expired référent is refused (403, or logged out): either will do.
REFUSED = frozenset({DENIED, LOGIN})


def row(default, **cells):
    table = dict.fromkeys(PERSONAS, default)
    table.update(cells)
    return table


# Not an aidant (or not verified) → login/OTP; every aidant of a structure may.
_NOT_AIDANT = {
    "anonymous": LOGIN,
    "password_only": OTP,
    "inactive": LOGIN,
    "usager_x": LOGIN,
    "usager_y": LOGIN,
}
ANY_AIDANT = row(
    OK,
    **_NOT_AIDANT,
    suspended_referent=REFUSED,
    expired_referent=REFUSED,
    staff=DENIED,
)
# An object of structure A: B's people get a 404.
AIDANT_A_OBJECT = {**ANY_AIDANT, "aidant_b": DENIED, "referent_b": DENIED}
# Any verified account (account pages, own journal).
ANY_VERIFIED = row(OK, **_NOT_AIDANT)
# The référent space of the current structure.
REFERENT_PAGE = row(
    DENIED,
    **_NOT_AIDANT,
    referent_a=OK,
    referent_b=OK,
    suspended_referent=REFUSED,
    expired_referent=REFUSED,
)
# A member or card of structure A: only A's référent.
REFERENT_A_OBJECT = {**REFERENT_PAGE, "referent_b": DENIED}
PUBLIC = row(OK)
PROTOCOL = row(BAD)
# A wizard step or form reached without its state or data: the page answers
# (an error page in French) instead of acting; the guard is what is checked.
ANSWERED = frozenset({OK, BAD, DENIED})
USAGER_X_OBJECT = row(USAGER_LOGIN, usager_x=OK, usager_y=DENIED)


def _answered(base: dict) -> dict:
    return {p: ANSWERED if v == OK else v for p, v in base.items()}


# No account signed in (with a password): the passkey ceremonies answer 403.
_NO_ACCOUNT = dict.fromkeys(["anonymous", "inactive", "usager_x", "usager_y"], DENIED)
# The staff space (onboarding): verified staff only.
STAFF_PAGE = row(DENIED, **_NOT_AIDANT, staff=OK)
REQUEST_LINK = {"request_uuid": "draft_request", "token": "draft_request_token"}
SUBMITTED = {"request_uuid": "submitted_request"}


# url name → (method, kwargs object names, expected outcome per persona)
TABLE = {
    "healthz": ("get", {}, PUBLIC),
    # Public; on PostgreSQL its probe (another connection) waits for the journal
    # head that the test's own open transaction holds, and says 503: the same
    # for every persona either way.
    "readyz": ("get", {}, row(frozenset({OK, "status 503"}))),
    "admin:*": (
        "get",
        {},
        row(ADMIN_LOGIN, staff=OK),
    ),
    # aidants
    "aidants:home": ("get", {}, row(OK, password_only=OTP)),
    "aidants:login": ("get", {}, row(OK, password_only=OTP)),
    "aidants:otp": (
        "get",
        {},
        row(OK, anonymous=LOGIN, inactive=LOGIN, usager_x=LOGIN, usager_y=LOGIN),
    ),
    "aidants:logout": ("post", {}, PUBLIC),
    "aidants:account": ("get", {}, ANY_VERIFIED),
    "aidants:totp-enrol": ("get", {}, ANY_VERIFIED),
    "aidants:backup-codes": ("get", {}, ANY_VERIFIED),
    "aidants:switch-structure": ("post", {}, row(ANSWERED, **_NOT_AIDANT)),
    "aidants:referent-home": ("get", {}, REFERENT_PAGE),
    "aidants:referent-invite": ("get", {}, REFERENT_PAGE),
    "aidants:referent-demarches": ("get", {}, REFERENT_PAGE),
    "aidants:referent-aidant": (
        "get",
        {"habilitation_uuid": "habilitation_a"},
        REFERENT_A_OBJECT,
    ),
    "aidants:referent-habilitation-request": (
        "get",
        {"habilitation_uuid": "habilitation_a"},
        REFERENT_A_OBJECT,
    ),
    "aidants:referent-habilitation-suspend": (
        "get",
        {"habilitation_uuid": "habilitation_a"},
        REFERENT_A_OBJECT,
    ),
    "aidants:referent-habilitation-revoke": (
        "get",
        {"habilitation_uuid": "habilitation_a"},
        REFERENT_A_OBJECT,
    ),
    "aidants:referent-designate": (
        "get",
        {"habilitation_uuid": "habilitation_a"},
        REFERENT_A_OBJECT,
    ),
    "aidants:referent-card-register": (
        "get",
        {"habilitation_uuid": "habilitation_a"},
        REFERENT_A_OBJECT,
    ),
    "aidants:referent-card-unlink": (
        "get",
        {"card_uuid": "card_a"},
        REFERENT_A_OBJECT,
    ),
    "aidants:referent-habilitation-reactivate": (
        "get",
        {"habilitation_uuid": "habilitation_a"},
        REFERENT_A_OBJECT,
    ),
    "aidants:referent-habilitation-end-date": (
        "get",
        {"habilitation_uuid": "habilitation_a"},
        REFERENT_A_OBJECT,
    ),
    "aidants:referent-card-pick": (
        "get",
        {"habilitation_uuid": "habilitation_a"},
        REFERENT_A_OBJECT,
    ),
    "aidants:referent-enrolment-link": (
        "get",
        {"habilitation_uuid": "habilitation_a"},
        REFERENT_A_OBJECT,
    ),
    "aidants:referent-app-lost": (
        "get",
        {"habilitation_uuid": "habilitation_a"},
        REFERENT_A_OBJECT,
    ),
    # POST without data: the structure's policy set to "not required".
    "aidants:referent-passkey-policy": ("post", {}, _answered(REFERENT_PAGE)),
    # Password reset: the form is public; a real reset link (aidant A's) is
    # swapped for the set-password page, whoever opens it.
    "aidants:password-reset": ("get", {}, PUBLIC),
    "aidants:password-reset-confirm": (
        "get",
        {"uidb64": "reset_uidb64", "token": "reset_token"},
        PUBLIC,
    ),
    # Step-up re-proves the second factor of a verified session.
    "aidants:step-up": (
        "get",
        {},
        row(
            OK,
            anonymous=OTP,
            password_only=OTP,
            inactive=OTP,
            usager_x=OTP,
            usager_y=OTP,
        ),
    ),
    "aidants:passkeys": ("get", {}, ANY_VERIFIED),
    # E-mailed links: the token URL swaps the token for a session value (a real
    # link, opened by anybody: the link is the credential); the clean URL
    # answers only in a browser that opened a link (OPENED_BY), else 404.
    "aidants:invitation-open": ("get", {"token": "invitation_token"}, PUBLIC),
    "aidants:invitation": ("get", {}, PUBLIC),
    "aidants:enrolment-open": ("get", {"token": "enrolment_token"}, PUBLIC),
    "aidants:enrolment": ("get", {}, PUBLIC),
    "aidants:journal": ("get", {}, REFERENT_PAGE),
    "aidants:journal-export": ("get", {}, REFERENT_PAGE),
    # One's own journal needs an active habilitation.
    "aidants:my-journal": ("get", {}, ANY_AIDANT),
    "aidants:my-journal-export": ("get", {}, ANY_AIDANT),
    # mandats: aidant pages
    "mandats:new": ("get", {}, ANY_AIDANT),
    "mandats:new-callback": ("get", {}, _answered(ANY_AIDANT)),
    "mandats:new-recap": ("get", {}, _answered(ANY_AIDANT)),
    "mandats:new-done": ("get", {"uuid": "mandat_a"}, AIDANT_A_OBJECT),
    "mandats:mandat-renew": ("get", {"uuid": "mandat_a"}, AIDANT_A_OBJECT),
    "mandats:usager-list": ("get", {}, ANY_AIDANT),
    "mandats:usager-detail": ("get", {"uuid": "usager_x"}, AIDANT_A_OBJECT),
    "mandats:expiring": ("get", {}, ANY_AIDANT),
    "mandats:mandat-detail": ("get", {"uuid": "mandat_a"}, AIDANT_A_OBJECT),
    "mandats:mandat-revoke": ("get", {"uuid": "mandat_a"}, AIDANT_A_OBJECT),
    "mandats:autorisation-revoke": (
        "get",
        {"uuid": "autorisation_a"},
        AIDANT_A_OBJECT,
    ),
    "mandats:attestation": ("get", {"uuid": "mandat_a"}, AIDANT_A_OBJECT),
    "mandats:attestation-pdf": ("get", {"uuid": "mandat_a"}, AIDANT_A_OBJECT),
    "mandats:revocation-attestation": (
        "get",
        {"uuid": "revoked_mandat_a"},
        AIDANT_A_OBJECT,
    ),
    "mandats:revocation-attestation-pdf": (
        "get",
        {"uuid": "revoked_mandat_a"},
        AIDANT_A_OBJECT,
    ),
    # mandats: public verification and the usager space
    "mandats:verify": ("get", {"public_id": "public_id_a"}, PUBLIC),
    "mandats:verify-jwks": ("get", {}, PUBLIC),
    "mandats:usager-space": ("get", {}, PUBLIC),
    "mandats:usager-login": ("post", {}, PUBLIC),
    # Without FranceConnect's parameters: a French error page, for everyone.
    "mandats:usager-callback": ("get", {}, PROTOCOL),
    # Logging out of the usager space sends back to its (login) page.
    "mandats:usager-logout": ("post", {}, row(USAGER_LOGIN)),
    "mandats:usager-mandat-revoke": ("get", {"uuid": "mandat_a"}, USAGER_X_OBJECT),
    "mandats:usager-autorisation-revoke": (
        "get",
        {"uuid": "autorisation_a"},
        USAGER_X_OBJECT,
    ),
    "mandats:usager-attestation": ("get", {"uuid": "mandat_a"}, USAGER_X_OBJECT),
    "mandats:usager-attestation-pdf": ("get", {"uuid": "mandat_a"}, USAGER_X_OBJECT),
    "mandats:usager-revocation-attestation": (
        "get",
        {"uuid": "revoked_mandat_a"},
        USAGER_X_OBJECT,
    ),
    "mandats:usager-revocation-attestation-pdf": (
        "get",
        {"uuid": "revoked_mandat_a"},
        USAGER_X_OBJECT,
    ),
    # oidc
    "oidc:discovery": ("get", {}, PUBLIC),
    "oidc:status": ("get", {}, PUBLIC),
    "oidc:jwks": ("get", {}, PUBLIC),
    "oidc:authorize": ("get", {}, PROTOCOL),
    "oidc:token": ("post", {}, PROTOCOL),
    "oidc:userinfo": ("get", {}, PROTOCOL),
    "oidc:revocation": ("post", {}, PROTOCOL),
    # RP-initiated logout without parameters: a plain "logged out" page.
    "oidc:end-session": ("get", {}, PUBLIC),
    # demo service
    "demo_rp:home": ("get", {}, PUBLIC),
    # The demo service calls Relais over HTTP (SITE_URL), which no server
    # answers in tests: a French error page.
    "demo_rp:login": ("post", {}, row(frozenset({OK, BAD, "status 502"}))),
    "demo_rp:callback": ("get", {}, PROTOCOL),
    "demo_rp:logout": ("post", {}, PUBLIC),
    # Without a logout token.
    "demo_rp:backchannel-logout": ("post", {}, PROTOCOL),
    # django-otp-webauthn's JSON endpoints (aidants/passkey_urls.py), posted
    # without a ceremony. Registration needs a second factor proved moments ago
    # (none here): refused to all. A passkey is a second factor, never a
    # passwordless login: authentication needs a password-authenticated account.
    "otp_webauthn:credential-registration-begin": ("post", {}, row(DENIED)),
    "otp_webauthn:credential-registration-complete": ("post", {}, row(DENIED)),
    "otp_webauthn:credential-authentication-begin": (
        "post",
        {},
        row(OK, **_NO_ACCOUNT),
    ),
    "otp_webauthn:credential-authentication-complete": (
        "post",
        {},
        row(BAD, **_NO_ACCOUNT),
    ),
    "otp_webauthn:js-i18n-catalog": ("get", {}, PUBLIC),
    # onboarding: the public habilitation request, behind its private link
    # (uuid + HMAC token: the link is the credential, whoever holds it).
    "onboarding:terms": ("get", {}, PUBLIC),
    "onboarding:request-new": ("get", {}, PUBLIC),
    "onboarding:request-detail": ("get", REQUEST_LINK, PUBLIC),
    "onboarding:request-edit": ("get", REQUEST_LINK, PUBLIC),
    "onboarding:request-person-add": ("get", REQUEST_LINK, PUBLIC),
    "onboarding:request-person-remove": (
        "get",
        {**REQUEST_LINK, "person_uuid": "requested_person"},
        PUBLIC,
    ),
    "onboarding:request-submit": ("get", REQUEST_LINK, PUBLIC),
    # Without a body: "write your message", back to the request.
    "onboarding:request-message": ("post", REQUEST_LINK, PUBLIC),
    # onboarding: the staff space
    "onboarding:staff-home": ("get", {}, STAFF_PAGE),
    "onboarding:staff-requests": ("get", {}, STAFF_PAGE),
    "onboarding:staff-request": ("get", SUBMITTED, STAFF_PAGE),
    "onboarding:staff-request-changes": ("get", SUBMITTED, STAFF_PAGE),
    "onboarding:staff-request-refuse": ("get", SUBMITTED, STAFF_PAGE),
    "onboarding:staff-request-accept": ("get", SUBMITTED, STAFF_PAGE),
    "onboarding:staff-habilitations": ("get", {}, STAFF_PAGE),
    "onboarding:staff-habilitation-activate": (
        "get",
        {"habilitation_uuid": "habilitation_a"},
        STAFF_PAGE,
    ),
    "onboarding:staff-end-dates": ("get", {}, STAFF_PAGE),
    "onboarding:staff-cards": ("get", {}, STAFF_PAGE),
    "onboarding:staff-cards-import": ("get", {}, STAFF_PAGE),
    "onboarding:staff-cards-assign": ("get", {}, STAFF_PAGE),
}
# The clean URL of an e-mailed link is reached after opening the link itself.
OPENED_BY = {
    "aidants:invitation": ("aidants:invitation-open", "invitation_token"),
    "aidants:enrolment": ("aidants:enrolment-open", "enrolment_token"),
}


def named_urls(patterns=None, namespace=""):
    """Every named URL of the URLconf, namespaced ("app:name")."""
    names = set()
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= named_urls(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(f"{namespace}{entry.name}")
    return names


def table_key(name: str) -> str:
    return "admin:*" if name.startswith("admin:") else name


def test_every_named_url_has_a_row():
    missing = sorted({table_key(n) for n in named_urls()} - set(TABLE))
    assert not missing, f"named URLs without an authorization row: {missing}"
    stale = sorted(set(TABLE) - {table_key(n) for n in named_urls()})
    assert not stale, f"rows for URLs that no longer exist: {stale}"


@pytest.fixture
def world(db, settings, franceconnect, monkeypatch):
    # Tests speak plain http to "testserver" (as tests/oidc/conftest.py does).
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    settings.DEMO_SERVICE_ENABLED = True
    a = StructureFactory(name="Structure A")
    b = StructureFactory(name="Structure B")
    people = {
        "aidant_a": _member(a, first_name="Alice"),
        "referent_a": _member(a, referent=True, first_name="Rachid"),
        "aidant_b": _member(b, first_name="Charlie"),
        "referent_b": _member(b, referent=True, first_name="Bob"),
        "suspended_referent": _member(
            a, referent=True, status=HabilitationStatus.SUSPENDED
        ),
        "expired_referent": _member(a, referent=True),
        "inactive": _member(a),
    }
    expired = people["expired_referent"].habilitations.get()
    expired.valid_until = timezone.localdate() - timezone.timedelta(days=1)
    expired.save()
    staff = AidantFactory(is_staff=True, is_superuser=True)
    totp_device_for(staff)
    people["staff"] = people["password_only"] = None
    people["staff"] = staff
    people["password_only"] = people["aidant_a"]
    now = timezone.now().isoformat()
    consent = {"confirmed_by_usager_at": now, "confirmed_by_aidant_at": now}
    mandat_a = create_mandat(
        aidant=people["aidant_a"],
        structure=a,
        usager=MandatFactory.usager.get_factory()(),
        demarches=["social", "papiers"],
        duration_days=365,
        consent=consent,
    )
    revoked = create_mandat(
        aidant=people["aidant_a"],
        structure=a,
        usager=mandat_a.usager,
        demarches=["argent"],
        duration_days=31,
        consent=consent,
    )
    revoke_mandat(mandat=revoked, by_type="aidant", by_id="a")
    mandat_b = MandatFactory(structure=b, created_by=people["aidant_b"])
    invitation, token = invite_aidant(
        structure=a,
        by=people["referent_a"],
        email="nouvelle@relais.test",
        first_name="Nina",
        last_name="Nouvelle",
    )
    # A real enrolment link for A's aidant, as e-mailed.
    mail.outbox.clear()
    issue_enrolment_link(
        aidant=people["aidant_a"], by=people["referent_a"], structure=a
    )
    (enrolment_token,) = re.findall(r"/activation/([^/\s]+)/", mail.outbox[-1].body)
    draft = HabilitationRequestFactory()
    submitted = HabilitationRequestFactory(
        status=RequestStatus.SUBMITTED, submitted_at=timezone.now()
    )
    invited = invitation.aidant
    objects = {
        "habilitation_a": people["aidant_a"].habilitations.get().uuid,
        "enrolment_token": enrolment_token,
        # The invited account never logs in here: its reset token stays valid.
        "reset_uidb64": urlsafe_base64_encode(force_bytes(invited.pk)),
        "reset_token": default_token_generator.make_token(invited),
        "draft_request": draft.uuid,
        "draft_request_token": request_link_token(draft),
        "requested_person": draft.people.get().uuid,
        "submitted_request": submitted.uuid,
        "card_a": CarteTOTP.objects.create(
            serial="CARTE-A", structure=a, aidant=people["aidant_a"]
        ).uuid,
        "invitation_token": token,
        "mandat_a": mandat_a.uuid,
        "revoked_mandat_a": revoked.uuid,
        "autorisation_a": mandat_a.autorisations.get(demarche="social").uuid,
        "usager_x": mandat_a.usager.uuid,
        "public_id_a": mandat_a.public_id,
    }
    usagers = {"usager_x": mandat_a.usager, "usager_y": mandat_b.usager}
    return people, usagers, objects


def client_for(persona: str, world, handler: ClientHandler | None = None) -> Client:
    people, usagers, _ = world
    client = Client()
    if handler is not None:
        # One handler per test: loading the middleware (WhiteNoise scans every
        # static file) once rather than once per persona.
        client.handler = handler
    if persona in usagers:
        session = client.session
        now = int(time.time())
        session[USAGER_SESSION_KEY] = {
            "usager": str(usagers[persona].uuid),
            "since": now,
            "seen": now,
        }
        session.save()
        return client
    user = people.get(persona)
    if user is None:
        return client
    client.force_login(user)
    if persona != "password_only":
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = user.totp_devices.first().persistent_id
        session.save()
    if persona == "inactive":
        user.is_active = False
        user.save()
    return client


def outcome(response) -> str:
    status = response.status_code
    if status in (301, 302, 303):
        # The path alone: "/connexion/mot-de-passe/..." is not the login page.
        location = urlsplit(response["Location"]).path
        for page, label in (
            (reverse("aidants:otp"), OTP),
            (reverse("aidants:login"), LOGIN),
            (reverse("admin:login"), ADMIN_LOGIN),
        ):
            if location == page:
                return label
        if location == reverse("mandats:usager-space"):
            return USAGER_LOGIN
        return OK
    if status in (403, 404):
        return DENIED
    if status in (400, 401, 405):
        return BAD
    if 200 <= status < 300:
        return OK
    return f"status {status}"


def _observe(name: str, persona: str, world, handler=None) -> str:
    method, kwargs, _ = TABLE[name]
    _, _, objects = world
    url_name = "admin:index" if name == "admin:*" else name
    url = reverse(url_name, kwargs={k: objects[v] for k, v in kwargs.items()})
    client = client_for(persona, world, handler)
    if name in OPENED_BY:
        link_name, token = OPENED_BY[name]
        client.get(reverse(link_name, kwargs={"token": objects[token]}))
    return outcome(getattr(client, method)(url))


def _matches(name: str, persona: str, got: str) -> bool:
    want = TABLE[name][2][persona]
    return got in (want if isinstance(want, frozenset) else {want})


@pytest.mark.parametrize("name", list(TABLE))
def test_authorization_matrix(name, world):
    """One URL, every persona (one world per URL: the suite stays fast)."""
    wrong = {}
    handler = ClientHandler(enforce_csrf_checks=False)
    for persona in PERSONAS:
        got = _observe(name, persona, world, handler)
        if not _matches(name, persona, got):
            wrong[persona] = f"expected {TABLE[name][2][persona]}, got {got}"
    assert not wrong, str(wrong)


# Rows reached through a private link: with a forged token, or without opening
# the e-mailed link first, nobody (staff included) gets past the guard.
FORGED = {
    **{
        name: {**kwargs, "token": "forged_token"}
        for name, (_, kwargs, _) in TABLE.items()
        if kwargs.get("token") == "draft_request_token"
    },
    "aidants:password-reset-confirm": {
        "uidb64": "reset_uidb64",
        "token": "forged_token",
    },
}


@pytest.mark.parametrize("name", [*FORGED, *OPENED_BY])
def test_private_links_need_their_token(name, world):
    method = TABLE[name][0]
    _, _, objects = world
    objects = {**objects, "forged_token": "0" * 64}
    kwargs = FORGED.get(name, {})
    url = reverse(name, kwargs={k: objects[v] for k, v in kwargs.items()})
    handler = ClientHandler(enforce_csrf_checks=False)
    got = {}
    for persona in PERSONAS:
        client = client_for(persona, world, handler)
        if name == "aidants:password-reset-confirm":
            # A valid link leads to the new-password form; a forged one to
            # Django's "this link is invalid" page (200, no form).
            response = client.get(url, follow=True)
            got[persona] = (
                "form" if "password1" in response.content.decode() else DENIED
            )
        else:
            got[persona] = outcome(getattr(client, method)(url))
    assert set(got.values()) == {DENIED}, got
