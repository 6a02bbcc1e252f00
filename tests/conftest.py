import pytest
from django_otp import DEVICE_ID_SESSION_KEY

from aidants.models import HabilitationStatus
from tests.audit.fixtures import (  # noqa: F401
    _journal_triggers_off_for_flush,
    _own_witness_and_kek,
    _test_key_encryption_key,
)
from tests.factories import (
    AidantFactory,
    HabilitationFactory,
    MandatFactory,
    StructureFactory,
    totp_device_for,
)

pytest_plugins = ["tests.fc_sandbox"]


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` run only when DATABASE_URL points to PostgreSQL;
    the fault suite (`fault`) only when RELAIS_FAULT_TESTS=1 too (.ci/run)."""
    import os

    if os.environ.get("RELAIS_FAULT_TESTS") != "1":
        skip_fault = pytest.mark.skip(reason="fault suite: RELAIS_FAULT_TESTS=1")
        for item in items:
            if "fault" in item.keywords:
                item.add_marker(skip_fault)
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return
    skip = pytest.mark.skip(reason="needs DATABASE_URL=postgres://...")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def pytest_make_parametrize_id(config, val, argname):
    """Stable ids for random UUID parameters: pytest-xdist workers must collect
    the same test ids, and `uuid4()` in a parametrize list differs per worker."""
    import uuid

    text = str(val) if isinstance(val, uuid.UUID | str) else None
    if text is None or len(text) != 36:
        return None
    try:
        uuid.UUID(text)
    except ValueError:
        return None
    return f"{argname}-uuid"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Each test runs inside one transaction that stays open for the whole test:
    on a busy machine it can idle longer than production's 5 s cut-off, so tests
    allow a minute (tests/ops/test_database_timeouts.py checks the setting)."""
    from django.conf import settings

    options = settings.DATABASES["default"].get("OPTIONS", {})
    if "options" in options:
        options["options"] = options["options"].replace(
            f"idle_in_transaction_session_timeout="
            f"{settings.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS}",
            "idle_in_transaction_session_timeout=60000",
        )


@pytest.fixture(autouse=True)
def _no_https_redirect(settings):
    # DEBUG is off in tests, so SECURE_SSL_REDIRECT would send every plain-http
    # test request to https://; the redirect itself is covered in test_settings.
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture(autouse=True)
def _rate_limits_off(settings):
    # The rate-limit counters live in a database cache table that a flush does
    # not empty: off by default, so that live-server journeys sharing 127.0.0.1
    # do not trip them; tests of the limits ask for the `rate_limits` fixture.
    settings.RATELIMIT_ENABLE = False


@pytest.fixture
def rate_limits(settings, db):
    """Rate limits on, with the configured rates."""
    settings.RATELIMIT_ENABLE = True
    return settings.RELAIS_RATE_LIMITS


@pytest.fixture(autouse=True)
def _fresh_signing_keys():
    # The process caches the current signing key (audit.keys); each test's
    # database has its own keys.
    from audit.keys import forget_signing_keys

    forget_signing_keys()
    yield
    forget_signing_keys()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # PBKDF2 costs ~0.5 s per hash on a busy CI core; the hasher is not under test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def structure(db):
    return StructureFactory(name="France Services de Montreuil")


@pytest.fixture
def other_structure(db):
    return StructureFactory(name="Mairie de Berck")


def _member(structure, *, referent=False, status=HabilitationStatus.ACTIVE, **kw):
    aidant = AidantFactory(current_structure=structure, **kw)
    HabilitationFactory(
        aidant=aidant, structure=structure, status=status, is_referent=referent
    )
    totp_device_for(aidant)
    return aidant


@pytest.fixture
def aidant(structure):
    return _member(structure, first_name="Alice")


@pytest.fixture
def referent(structure):
    return _member(structure, referent=True, first_name="Rachid")


@pytest.fixture
def other_structure_aidant(other_structure):
    return _member(other_structure, first_name="Charlie")


@pytest.fixture
def other_referent(other_structure):
    return _member(other_structure, referent=True, first_name="Bob")


@pytest.fixture
def staff(db):
    user = AidantFactory(is_staff=True, is_superuser=True, first_name="Sam")
    totp_device_for(user)
    return user


def verified_client(client, user):
    """Log `user` in with a verified OTP device, as after a real two-factor login."""
    client.force_login(user)
    device = user.totp_devices.first()
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def usager_with_mandat(aidant):
    """A usager with one live 12-month mandate in `structure`, created by
    `aidant`, for "social" and "papiers" (`usager_with_mandat.mandats.get()`)."""
    mandat = MandatFactory(
        structure=aidant.current_structure,
        created_by=aidant,
        demarches=["social", "papiers"],
        usager__given_name="Angela Claire Louise",
        usager__family_name="Dubois",
    )
    return mandat.usager


@pytest.fixture
def aidant_client(client, aidant):
    return verified_client(client, aidant)


@pytest.fixture
def referent_client(client, referent):
    return verified_client(client, referent)


@pytest.fixture
def staff_client(client, staff):
    return verified_client(client, staff)


@pytest.fixture
def assert_journaled(db):
    """Return a checker: the last journal entry has this action and these fields."""
    from audit.models import JournalEntry

    def check(action, **fields):
        entry = JournalEntry.objects.order_by("-seq").first()
        assert entry is not None, "nothing was journaled"
        assert entry.action == action, f"last entry is {entry.action}, not {action}"
        for name, value in fields.items():
            assert getattr(entry, name) == value, (name, getattr(entry, name), value)
        return entry

    return check
