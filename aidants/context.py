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

import copy
import threading
from contextvars import ContextVar
from datetime import UTC, datetime

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.db import connections, router
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware

from aidants.access import active_habilitation_sql, remember_habilitation
from aidants.models import Aidant, TOTPDevice

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


class _PreparedContextQuery:
    """The device + aidant + structure + habilitation query, compiled once per
    process and database and then only run (profiling: compiling it cost
    several times what running it does, on every request). Its three values,
    the day of the habilitation rule included, are bound at each run; Django's
    own iterator builds the objects, with its converters."""

    _DEVICE, _USER = -917_000_001, -917_000_002
    _AT = datetime(1901, 2, 3, 12, tzinfo=UTC)

    def __init__(self) -> None:
        self._compiled: dict[str, tuple] = {}
        self._lock = threading.Lock()

    @staticmethod
    def queryset(device_pk, user_id, at=None):
        return (
            TOTPDevice.objects.select_related("user__current_structure")
            .annotate(
                relais_habilitation=active_habilitation_sql(
                    "user_id", "user__current_structure_id", at=at
                )
            )
            .filter(pk=device_pk, user_id=user_id)[:1]
        )

    def _compile(self, alias: str) -> tuple:
        queryset = self.queryset(self._DEVICE, self._USER, self._AT)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        day = connections[alias].ops.adapt_datefield_value(timezone.localdate(self._AT))
        names = {self._DEVICE: "device", self._USER: "user"}
        slots = [
            "day" if value == day else names.get(value) if type(value) is int else None
            for value in params
        ]
        if sorted(s for s in slots if s) != ["day", "device", "user"]:
            raise RuntimeError("unexpected shape of the aidant context query")
        return queryset, compiler, sql, params, slots

    def fetch(self, device_pk: int, user_id) -> TOTPDevice | None:
        alias = router.db_for_read(TOTPDevice)
        entry = self._compiled.get(alias)
        if entry is None:
            with self._lock:
                entry = self._compiled.setdefault(alias, self._compile(alias))
        queryset, compiler, sql, params, slots = entry
        connection = connections[alias]
        values = {
            "device": int(device_pk),
            "user": int(user_id),
            "day": connection.ops.adapt_datefield_value(timezone.localdate()),
        }
        bound = tuple(values[s] if s else v for s, v in zip(slots, params, strict=True))
        run = copy.copy(compiler)
        run.connection = connection  # this thread's
        run.as_sql = lambda *args, **kwargs: (sql, bound)
        query = copy.copy(queryset.query)
        query.get_compiler = lambda *args, **kwargs: run
        chained = queryset._chain()
        chained.query = query
        found = list(chained)
        return found[0] if found else None


_CONTEXT_QUERY = _PreparedContextQuery()


class AidantBackend(ModelBackend):
    """Django's ModelBackend; `get_user` loads the request's context joined."""

    def get_user(self, user_id):
        device_pk = _SESSION_DEVICE.get()
        if device_pk is not None:
            try:
                device = _CONTEXT_QUERY.fetch(device_pk, user_id)
            except (TypeError, ValueError):  # not an integer user id
                device = None
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
