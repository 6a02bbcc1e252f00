"""The aidant's request context, loaded once per request in one query: the
aidant, the second-factor device the session was verified with, the current
structure and whether the aidant holds an active habilitation there.

`AidantBackend.get_user` (Django's `auth.get_user` calls it, and keeps its own
checks: the backend listed in settings, the session hash) loads them joined;
`AidantContextMiddleware` (django-otp's OTPMiddleware, which it replaces) hands
the device so loaded to django-otp's own binding checks (the device belongs to
the user, is confirmed; otherwise the session forgets it). The views and
`aidants.access.has_active_habilitation` then read what the request holds
instead of asking the database again."""

from contextvars import ContextVar

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.db import router
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware

from aidants.access import active_habilitation_sql, remember_habilitation
from aidants.models import Aidant, TOTPDevice
from config.prepared import PreparedQuery

# The device id the session names, while `auth.get_user` runs for this request.
_SESSION_DEVICE: ContextVar[int | None] = ContextVar("_SESSION_DEVICE", default=None)
_TOTP_LABEL = TOTPDevice._meta.label_lower
# Sessions opened before this backend existed name Django's own.
_LEGACY_BACKEND = "django.contrib.auth.backends.ModelBackend"
BACKEND = "aidants.context.AidantBackend"


def _totp_pk(persistent_id: object) -> int | None:
    """The TOTPDevice pk of a django-otp persistent id, None for other devices."""
    if not isinstance(persistent_id, str):
        return None
    label, _, pk = persistent_id.rpartition("/")
    if label.rsplit(".", 2)[-2:] != _TOTP_LABEL.split(".") or not pk.isdigit():
        return None
    return int(pk)


def _context_query(device_pk, user_id, day):
    return (
        TOTPDevice.objects.select_related("user__current_structure")
        .annotate(
            relais_habilitation=active_habilitation_sql(
                "user_id", "user__current_structure_id", day=day
            )
        )
        .filter(pk=device_pk, user_id=user_id)[:1]
    )


# Compiled once per process (config/prepared.py): the one query of every page.
_CONTEXT_QUERY = PreparedQuery(
    _context_query, device_pk="int", user_id="int", day="date"
)


class AidantBackend(ModelBackend):
    """Django's ModelBackend; `get_user` loads the request's context joined."""

    def get_user(self, user_id):
        device_pk = _SESSION_DEVICE.get()
        if device_pk is not None:
            try:
                found = _CONTEXT_QUERY.run(
                    router.db_for_read(TOTPDevice),
                    device_pk=int(device_pk),
                    user_id=int(user_id),
                    day=timezone.localdate(),
                )
            except (TypeError, ValueError):  # not an integer user id
                found = []
            device = found[0] if found else None
            if device is not None:
                user = device.user
                remember_habilitation(
                    user, user.current_structure_id, device.relais_habilitation
                )
                user.relais_session_device = device
                return user if self.user_can_authenticate(user) else None
        user = (
            Aidant.objects.select_related("current_structure")
            .annotate(
                relais_habilitation=active_habilitation_sql("pk", "current_structure")
            )
            .filter(pk=user_id)
            .first()
        )
        if user is None:
            return None
        remember_habilitation(user, user.current_structure_id, user.relais_habilitation)
        return user if self.user_can_authenticate(user) else None


class AidantContextMiddleware(OTPMiddleware):
    """django-otp's middleware (same fields, same binding checks), fed with the
    device loaded with the user."""

    def _verify_user_sync(self, request, user):
        session = request.session
        if session.get(BACKEND_SESSION_KEY) == _LEGACY_BACKEND:
            # Same loading rules (a subclass): keep sessions opened before.
            session[BACKEND_SESSION_KEY] = BACKEND
        persistent_id = session.get(DEVICE_ID_SESSION_KEY)
        token = _SESSION_DEVICE.set(_totp_pk(persistent_id))
        try:
            # Evaluates the user: Django's auth.get_user, then AidantBackend.
            authenticated = user.is_authenticated
        finally:
            _SESSION_DEVICE.reset(token)
        self._init_user_fields(user)
        if authenticated:
            device = None
            if persistent_id:
                device = getattr(user, "relais_session_device", None)
                wanted = self._normalize_persistent_id(persistent_id)
                if device is None or device.persistent_id != wanted:
                    device = self._device_from_persistent_id(persistent_id)
            user.otp_device = self._finalize_device(request, user, device)
        return user
