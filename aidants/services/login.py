"""The aidant login: password (first factor), OTP (second factor), logout and the
choice of the current structure. Every outcome is journaled.

Passwords and OTP codes never reach the journal or the logs; a failed login
with an unknown email is journaled with a keyed hash of the email only.
"""

import enum
import math
from dataclasses import dataclass

import django_otp
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django_otp import devices_for_user
from django_otp.models import Device

import audit
from aidants import access, session_events
from aidants import session as aidant_session
from aidants.exceptions import NotAllowed
from aidants.models import Aidant, BackupCodeDevice, Structure, TOTPDevice, device_kind
from aidants.services import login_delay, passkeys
from aidants.services.otp import BACKUP_CODE_DIGITS


class LoginOutcome(enum.Enum):
    OK = "ok"
    BAD_CREDENTIALS = "bad_credentials"
    LOCKED_OUT = "locked_out"
    NO_DEVICE = "no_device"
    DELAYED = "delayed"


class OtpOutcome(enum.Enum):
    OK = "ok"
    INVALID = "invalid"
    THROTTLED = "throttled"
    NO_DEVICE = "no_device"
    REFUSED = "refused"
    PASSKEY_REQUIRED = "passkey_required"


@dataclass(frozen=True)
class OtpResult:
    outcome: OtpOutcome
    wait_seconds: int = 0


def email_digest(email: str) -> str:
    """Keyed hash of an email, to journal failures without the address itself."""
    normalized = (email or "").strip().lower()
    return salted_hmac("relais.login.email", normalized).hexdigest()


def _known_aidant(email: str) -> Aidant | None:
    return Aidant.objects.filter(email__iexact=(email or "").strip()).first()


def _journal_failure(action, *, request, email: str, reason: str) -> None:
    aidant = _known_aidant(email)
    details = {"reason": reason}
    if aidant is None:
        details["email_hmac"] = email_digest(email)
    audit.record(
        action,
        actor=aidant,
        structure=aidant.current_structure if aidant else None,
        details=details,
        request=request,
    )


@dataclass(frozen=True)
class LoginResult:
    """`tries_left`: failures before django-axes locks this e-mail at this
    address (shown on the page); `wait_seconds`: the account's delay."""

    outcome: LoginOutcome
    tries_left: int = 0
    wait_seconds: int = 0


def _tries_left(request, email: str) -> int:
    failures = AxesProxyHandler.get_failures(request, {"email": email})
    return max(0, settings.AXES_FAILURE_LIMIT - failures)


def _refuse_right_password(request, user: Aidant, email: str, key: str) -> LoginResult:
    # The right password of an account that may not log in: the same answer
    # and the same counters as a wrong one (axes through its own signal).
    user_login_failed.send(
        sender=__name__, credentials={"email": email}, request=request
    )
    login_delay.record_failure(key)
    _journal_refusal(request, user, reason="no_active_habilitation")
    if getattr(request, "axes_locked_out", False):
        return LoginResult(LoginOutcome.LOCKED_OUT)
    return LoginResult(
        LoginOutcome.BAD_CREDENTIALS, tries_left=_tries_left(request, email)
    )


def check_password(*, request, email: str, password: str) -> LoginResult:
    """First factor. On success, logs the aidant in (not yet OTP-verified) and
    starts the 8-hour clock.

    Journals LOGIN_FAILED (wrong email or password, inactive account, or the
    account's delay not over: reason "account_delay"), LOCKED_OUT (django-axes
    refused or just locked the email + IP) or LOGIN_REFUSED (right password, no
    active habilitation: told to the page like a wrong password, and counted
    like one, so the page never confirms a password; or no usable second
    factor: told so, since only an e-mailed link can help). Raises nothing.
    """
    email = (email or "").strip().lower()
    key = email_digest(email)
    if not login_delay.is_trusted_device(request, key):
        wait = login_delay.remaining_wait(key)
        if wait:
            with transaction.atomic():
                _journal_failure(
                    audit.Action.LOGIN_FAILED,
                    request=request,
                    email=email,
                    reason="account_delay",
                )
            return LoginResult(LoginOutcome.DELAYED, wait_seconds=wait)
    # `email=` (the USERNAME_FIELD), not `username=`: django-axes reads the
    # credentials' AXES_USERNAME_FORM_FIELD, so the counters follow the email.
    user = authenticate(request, email=email, password=password)
    if getattr(request, "axes_locked_out", False):
        with transaction.atomic():
            _journal_failure(
                audit.Action.LOCKED_OUT, request=request, email=email, reason="axes"
            )
        return LoginResult(LoginOutcome.LOCKED_OUT)
    if user is None:
        login_delay.record_failure(key)
        with transaction.atomic():
            _journal_failure(
                audit.Action.LOGIN_FAILED,
                request=request,
                email=email,
                reason="bad_credentials",
            )
        return LoginResult(
            LoginOutcome.BAD_CREDENTIALS, tries_left=_tries_left(request, email)
        )
    if not access.can_log_in(user):
        return _refuse_right_password(request, user, email, key)
    if not access.has_usable_device(user):
        # A password alone never enrols a first second factor: that takes an
        # e-mailed enrolment link (aidants/services/enrolment.py). No session.
        _journal_refusal(request, user, reason="no_second_factor")
        return LoginResult(LoginOutcome.NO_DEVICE)
    login(request, user)
    aidant_session.start_clock(request.session)
    return LoginResult(LoginOutcome.OK)


def _accepts(device: Device, token: str) -> bool:
    # Route the code by its length: a 6-digit TOTP code never burns a backup
    # code's throttle, and a backup code never counts against the TOTP devices.
    if isinstance(device, TOTPDevice):
        return len(token) == device.digits
    if isinstance(device, BackupCodeDevice):
        return len(token) == BACKUP_CODE_DIGITS
    return False


def _wait_seconds(devices: list[Device]) -> int:
    now = timezone.now()
    waits = []
    for device in devices:
        allowed, info = device.verify_is_allowed()
        if not allowed and info and info.get("locked_until"):
            waits.append((info["locked_until"] - now).total_seconds())
    return max(1, math.ceil(min(waits))) if waits else 1


def normalize_token(token: str) -> str:
    return (token or "").replace(" ", "").replace("-", "").strip()


def verify_otp(*, request, token: str) -> OtpResult:
    """Second factor for the logged-in aidant: checks `token` against their
    confirmed devices with django-otp's own throttling (tolerance unchanged).

    On success, completes the login (see `finish_login`). Journals OTP_FAILED on
    a wrong or throttled code; LOGIN_REFUSED (and logs out) when the aidant lost
    every active habilitation meanwhile.
    """
    user = request.user
    checked = _device_for_code(request, user, token)
    if isinstance(checked, OtpResult):
        return checked
    if not finish_login(request=request, device=checked):
        return OtpResult(OtpOutcome.REFUSED)
    if access.passkey_required(user) and not passkeys.has_passkey(user):
        request.session[passkeys.ENROLMENT_ONLY_KEY] = True
    return OtpResult(OtpOutcome.OK)


def step_up_otp(*, request, token: str) -> OtpResult:
    """Prove the second factor again in a verified session (OIDC prompt=login /
    max_age): same devices and throttling as `verify_otp`; the session and its
    key are kept, only the proof's time changes. Journals LOGIN_SUCCEEDED
    (step_up) or OTP_FAILED."""
    user = request.user
    checked = _device_for_code(request, user, token)
    if isinstance(checked, OtpResult):
        return checked
    with transaction.atomic():
        audit.record(
            audit.Action.LOGIN_SUCCEEDED,
            actor=user,
            structure=user.current_structure,
            details={"device": device_kind(checked), "step_up": True},
            request=request,
        )
    aidant_session.record_second_factor(request.session)
    aidant_session.mark_active(request.session)
    return OtpResult(OtpOutcome.OK)


def _device_for_code(request, user: Aidant, token: str) -> Device | OtpResult:
    """The login's and the step-up's one code check: the device that accepts
    `token`, or the failed OtpResult (journaled when a code was refused)."""
    token = normalize_token(token)
    if not access.has_usable_device(user):
        return OtpResult(OtpOutcome.NO_DEVICE)
    if access.passkey_required(user) and passkeys.has_passkey(user):
        # The structure asks for a phishing-resistant factor: codes are refused.
        with transaction.atomic():
            _journal_otp_failure(request, user, "passkey_required")
        return OtpResult(OtpOutcome.PASSKEY_REQUIRED)
    return _check_token(request, user, token)


def _check_token(request, user: Aidant, token: str) -> Device | OtpResult:
    """The device that accepts `token`, or the failed OtpResult (journaled)."""
    with transaction.atomic():
        # select_for_update: two concurrent requests cannot both use one code.
        candidates = [
            device
            for device in devices_for_user(user, confirmed=True, for_verify=True)
            if token.isdigit() and _accepts(device, token)
        ]
        allowed = [d for d in candidates if d.verify_is_allowed()[0]]
        if candidates and not allowed:
            wait = _wait_seconds(candidates)
            _journal_otp_failure(request, user, "throttled")
            return OtpResult(OtpOutcome.THROTTLED, wait_seconds=wait)
        device = next((d for d in allowed if d.verify_token(token)), None)
        if device is None:
            _journal_otp_failure(request, user, "invalid")
            return OtpResult(OtpOutcome.INVALID)
    return device


def _journal_refusal(request, user: Aidant, **details) -> None:
    """LOGIN_REFUSED, in its own transaction: the right credentials, but the
    account may not log in (no habilitation, no second factor)."""
    with transaction.atomic():
        audit.record(
            audit.Action.LOGIN_REFUSED,
            actor=user,
            structure=user.current_structure,
            details=details,
            request=request,
        )


def _journal_otp_failure(request, user: Aidant, reason: str) -> None:
    audit.record(
        audit.Action.OTP_FAILED,
        actor=user,
        structure=user.current_structure,
        details={"reason": reason},
        request=request,
    )


def finish_login(*, request, device: Device) -> bool:
    """Mark the session OTP-verified with `device`, pick a usable current
    structure, restart the idle clock. Journals LOGIN_SUCCEEDED.

    Returns False, journals LOGIN_REFUSED and logs out when the aidant may no
    longer log in (habilitation ended between the two steps).
    """
    user = request.user
    if not access.can_log_in(user):
        _journal_refusal(request, user, reason="no_active_habilitation", step="otp")
        logout(request)
        return False
    with transaction.atomic():
        usable = access.usable_structures(user)
        if user.current_structure not in usable:
            user.current_structure = usable[0] if usable else None
            user.save(update_fields=["current_structure"])
        login_delay.reset(email_digest(user.email))
        audit.record(
            audit.Action.LOGIN_SUCCEEDED,
            actor=user,
            structure=user.current_structure,
            details={"device": device_kind(device)},
            request=request,
        )
    # New session key on privilege change (second factor): no session fixation.
    request.session.cycle_key()
    django_otp.login(request, device)
    aidant_session.mark_active(request.session)
    aidant_session.record_second_factor(request.session)
    aidant_session.mark_full_login(request.session)
    return True


def logout_aidant(*, request, reason: str = "user") -> None:
    """End the session. Journals LOGGED_OUT (reason: user, session_max_age)."""
    user = request.user
    if user.is_authenticated:
        with transaction.atomic():
            audit.record(
                audit.Action.LOGGED_OUT,
                actor=user,
                structure=user.current_structure,
                details={"reason": reason},
                request=request,
            )
            if request.session.session_key:
                # The services this session logged into are told (back-channel).
                session_events.sessions_ended(
                    reason="aidant_logged_out",
                    aidant_id=user.pk,
                    session_key=request.session.session_key,
                )
    logout(request)


def switch_structure(*, aidant: Aidant, structure: Structure) -> Aidant:
    """Make `structure` the aidant's current one. Journals STRUCTURE_SWITCHED;
    raises NotAllowed unless it is one of `access.usable_structures(aidant)`."""
    if structure not in access.usable_structures(aidant):
        raise NotAllowed(_("Vous ne pouvez pas agir pour cette structure."))
    with transaction.atomic():
        previous = aidant.current_structure
        aidant.current_structure = structure
        aidant.save(update_fields=["current_structure"])
        audit.record(
            audit.Action.STRUCTURE_SWITCHED,
            actor=aidant,
            structure=structure,
            details={"from": previous.journal_id if previous else ""},
        )
    return aidant
