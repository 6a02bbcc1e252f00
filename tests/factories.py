from datetime import date, timedelta

import factory
from django.utils import timezone

from aidants.models import (
    Aidant,
    Habilitation,
    HabilitationStatus,
    Structure,
    TOTPDevice,
)

# A known base32 seed: tests compute real TOTP codes from it.
TOTP_SECRET_B32 = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PASSWORD = "mot-de-passe-de-test-solide"


def luhn_complete(prefix13: str) -> str:
    """Append the Luhn check digit to 13 digits (valid SIRET)."""
    for last in "0123456789":
        candidate = prefix13 + last
        total = 0
        for index, char in enumerate(reversed(candidate)):
            value = int(char) * (2 if index % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")


class StructureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Structure

    name = factory.Sequence(lambda n: f"France Services n°{n}")
    siret = factory.Sequence(lambda n: luhn_complete(f"{123456780000 + n:013d}"))
    type = "france_services"
    commune = "Montreuil-sur-Mer"


class AidantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Aidant
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"aidant{n}@relais.test")
    first_name = factory.Sequence(lambda n: f"Camille{n}")
    last_name = "Martin"
    profession = "Conseillère numérique"
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def terms_accepted(obj, create, extracted, **kwargs):
        """Personas have accepted the terms of use in force, unless
        `terms_accepted=False` (the first-login tests)."""
        if create and extracted is not False:
            from django.conf import settings

            from onboarding.models import TermsAcceptance

            TermsAcceptance.objects.create(
                aidant=obj, version=settings.TERMS_VERSION, accepted_at=timezone.now()
            )


class HabilitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Habilitation

    aidant = factory.SubFactory(AidantFactory)
    structure = factory.SubFactory(StructureFactory)
    status = HabilitationStatus.ACTIVE


def totp_device_for(aidant, secret_b32: str = TOTP_SECRET_B32) -> TOTPDevice:
    import base64

    key = base64.b32decode(secret_b32).hex()
    return TOTPDevice.objects.create(
        user=aidant, name="Application", key=key, confirmed=True, tolerance=1
    )


def totp_now(device: TOTPDevice, offset_steps: int = 0) -> str:
    """A real TOTP code for `device`, computed with django-otp's own algorithm."""
    import time

    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


class UsagerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "mandats.Usager"

    given_name = factory.Sequence(lambda n: f"Angela{n} Claire")
    family_name = "Dubois"
    birthdate = factory.Sequence(lambda n: date(1962, 8, 24) + timedelta(days=n))
    gender = "female"
    birthplace = "75107"
    birthcountry = "99100"
    email = factory.Sequence(lambda n: f"usager{n}@exemple.test")
    fc_sub = factory.Sequence(lambda n: f"fc-sub-{n:08d}")
    fc_issuer = "http://127.0.0.1:9400"


class MandatFactory(factory.django.DjangoModelFactory):
    """A mandate with one autorisation per démarche of `demarches` (default
    ["social"]; [] for none). Unsigned: mandats.services.create_mandat signs."""

    class Meta:
        model = "mandats.Mandat"
        skip_postgeneration_save = True

    usager = factory.SubFactory(UsagerFactory)
    structure = factory.SubFactory(StructureFactory)
    created_by = factory.SubFactory(AidantFactory)
    duration_days = 365
    created_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(
        lambda o: o.created_at + timedelta(days=o.duration_days)
    )

    @factory.post_generation
    def demarches(self, create, extracted, **kwargs):
        if not create:
            return
        for code in ["social"] if extracted is None else extracted:
            AutorisationFactory(mandat=self, demarche=code)


class AutorisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "mandats.Autorisation"

    mandat = factory.SubFactory(MandatFactory, demarches=[])
    usager = factory.SelfAttribute("mandat.usager")
    structure = factory.SelfAttribute("mandat.structure")
    demarche = "social"


class HabilitationRequestFactory(factory.django.DjangoModelFactory):
    """A habilitation request (draft by default) with one future référent."""

    class Meta:
        model = "onboarding.HabilitationRequest"
        skip_postgeneration_save = True

    link_salt = factory.Faker("hexify", text="^" * 64)
    structure_name = factory.Sequence(lambda n: f"CCAS de Lyon {n}")
    siret = factory.Sequence(lambda n: luhn_complete(f"{987654320000 + n:013d}"))
    structure_type = "ccas"
    address = "1 place de la Mairie"
    postcode = "69001"
    commune = "Lyon"
    manager_first_name = "Hélène"
    manager_last_name = "Martin"
    manager_email = factory.Sequence(lambda n: f"direction{n}@ccas.test")
    manager_role = "Directrice"
    referent = factory.RelatedFactory(
        "tests.factories.RequestedPersonFactory", factory_related_name="request"
    )


class RequestedPersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "onboarding.RequestedPerson"

    role = "referent"
    first_name = "Rémi"
    last_name = "Référent"
    email = factory.Sequence(lambda n: f"referent{n}@ccas.test")
    profession = "Responsable de l'accueil"
