"""Taking over an account from another structure, tried as the attacker would:
a référent of structure B invites an aidant of A (or a staff member), then tries
to reach the person's member page, to register a card with a seed of his own
choosing, and to log in as the victim with the victim's password and a code
from that card. Nothing is gained; every refusal is journaled."""

import base64

from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP

from aidants.models import CarteTOTP, Habilitation, HabilitationStatus, TOTPDevice
from aidants.services.habilitations import activate_habilitation
from aidants.services.invitations import invite_aidant
from audit import Action
from audit.models import JournalEntry
from tests.aidants.test_login import password_login
from tests.conftest import verified_client
from tests.factories import PASSWORD, HabilitationFactory, totp_now

ATTACKER_SEED = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43UOV3HO6DZPIYTEMZU"
INVITE = {"first_name": "X", "last_name": "Y", "profession": "Secrétaire"}


def code_from(seed_b32: str) -> str:
    key = base64.b32decode(seed_b32)
    return f"{TOTP(key).token():06d}"


def member_urls(hab) -> dict[str, str]:
    kwargs = {"habilitation_uuid": hab.uuid}
    return {
        name: reverse(f"aidants:{name}", kwargs=kwargs)
        for name in ("referent-aidant", "referent-card-register")
    }


def attack(client, attacker, victim, victim_hab, mailoutbox):
    """Invite the victim, then try to open their page and give them a card."""
    verified_client(client, attacker)
    response = client.post(
        reverse("aidants:referent-invite"), {**INVITE, "email": victim.email}
    )
    assert response.status_code == 302
    # The invitation is e-mailed to the victim only, and the page says nothing
    # about whether the account existed.
    assert [mail.to for mail in mailoutbox] == [[victim.email]]
    assert "votre second facteur habituels" in mailoutbox[0].body
    client.get(reverse("aidants:referent-home"))  # shows the "sent" message
    home = client.get(reverse("aidants:referent-home")).content.decode()
    assert victim.email not in home
    urls = member_urls(victim_hab)
    assert client.get(urls["referent-aidant"]).status_code == 404
    card = {"serial": "ATTACK-1", "seed": ATTACKER_SEED, "step": "30"}
    assert client.post(urls["referent-card-register"], card).status_code == 404
    assert not CarteTOTP.objects.exists()
    assert not TOTPDevice.objects.filter(user=victim).exclude(name="Application")
    refusals = JournalEntry.objects.filter(
        action=Action.ACCESS_DENIED, actor_id=str(attacker.uuid)
    )
    assert refusals.count() == 2
    assert {entry.details["reason"] for entry in refusals} == {"not_a_member"}


def log_in_as_victim(victim):
    """The victim's password is known; the second factor comes from the
    attacker's card seed."""
    thief = Client()
    assert password_login(thief, victim).status_code == 302
    response = thief.post(
        reverse("aidants:otp"), {"otp_token": code_from(ATTACKER_SEED)}
    )
    assert response.status_code == 200
    assert DEVICE_ID_SESSION_KEY not in thief.session
    entry = JournalEntry.objects.order_by("-seq").first()
    assert entry.action == Action.OTP_FAILED
    assert entry.actor_id == str(victim.uuid)
    return thief


def test_referent_of_b_gains_nothing_on_an_aidant_of_a(
    client, other_referent, aidant, structure, other_structure, mailoutbox
):
    victim_hab = Habilitation.objects.get(aidant=aidant, structure=structure)
    attack(client, other_referent, aidant, victim_hab, mailoutbox)
    assert not Habilitation.objects.filter(
        aidant=aidant, structure=other_structure
    ).exists()
    thief = log_in_as_victim(aidant)
    response = thief.get(reverse("mandats:usager-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("aidants:otp"))


def test_referent_of_b_gains_nothing_on_a_staff_member(
    client, other_referent, staff, other_structure, mailoutbox
):
    # Staff have no membership: the attacker tries a membership uuid of a
    # structure he does not manage.
    other_hab = HabilitationFactory()
    attack(client, other_referent, staff, other_hab, mailoutbox)
    assert not staff.habilitations.exists()
    thief = log_in_as_victim(staff)
    response = thief.get("/admin/")
    assert response.status_code == 302
    assert DEVICE_ID_SESSION_KEY not in thief.session


def test_the_invitation_of_an_existing_account_cannot_be_accepted_by_someone_else(
    client, other_referent, aidant, other_structure
):
    _, token = invite_aidant(
        structure=other_structure, by=other_referent, email=aidant.email, **INVITE
    )
    # The attacker holds the link (say, forwarded) and is signed in as himself.
    verified_client(client, other_referent)
    client.get(reverse("aidants:invitation-open", kwargs={"token": token}))
    page = client.get("/invitation/").content.decode()
    assert "autre compte" in page
    assert client.post("/invitation/").status_code == 200
    assert not Habilitation.objects.filter(
        aidant=aidant, structure=other_structure
    ).exists()
    entry = JournalEntry.objects.order_by("-seq").first()
    assert entry.action == Action.ACCESS_DENIED
    assert entry.details["reason"] == "invitation_for_another_account"


def accept_signed_in(client, victim, token):
    client.get(reverse("aidants:invitation-open", kwargs={"token": token}))
    password_login(client, victim)
    device = victim.totp_devices.get(name="Application")
    client.post(reverse("aidants:otp"), {"otp_token": totp_now(device)})
    assert client.post("/invitation/").status_code == 302
    client.logout()


def test_a_card_needs_an_active_habilitation_in_the_referents_structure(
    client, other_referent, aidant, other_structure, staff, mailoutbox
):
    _, token = invite_aidant(
        structure=other_structure, by=other_referent, email=aidant.email, **INVITE
    )
    accept_signed_in(Client(), aidant, token)
    hab = Habilitation.objects.get(aidant=aidant, structure=other_structure)
    assert hab.status == HabilitationStatus.REQUESTED
    verified_client(client, other_referent)
    url = member_urls(hab)["referent-card-register"]
    card = {"serial": "ATTACK-2", "seed": ATTACKER_SEED, "step": "30"}
    assert client.post(url, card).status_code == 403
    assert not CarteTOTP.objects.exists()
    entry = JournalEntry.objects.order_by("-seq").first()
    assert entry.action == Action.ACCESS_DENIED
    assert entry.details["reason"] == "device_not_allowed"


def test_a_card_is_never_attached_to_a_staff_account(
    client, other_referent, staff, other_structure
):
    # Even a staff member who joined the structure and is habilitated there.
    hab = HabilitationFactory(aidant=staff, structure=other_structure)
    verified_client(client, other_referent)
    urls = member_urls(hab)
    page = client.get(urls["referent-aidant"]).content.decode()
    assert "Associer une carte" not in page
    card = {"serial": "ATTACK-3", "seed": ATTACKER_SEED, "step": "30"}
    assert client.post(urls["referent-card-register"], card).status_code == 403
    assert not CarteTOTP.objects.exists()


def test_a_card_for_a_member_of_two_structures_is_journaled_in_both_and_emailed(
    client,
    other_referent,
    aidant,
    structure,
    other_structure,
    staff,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    _, token = invite_aidant(
        structure=other_structure, by=other_referent, email=aidant.email, **INVITE
    )
    accept_signed_in(Client(), aidant, token)
    hab = Habilitation.objects.get(aidant=aidant, structure=other_structure)
    activate_habilitation(habilitation=hab, by=staff)
    mailoutbox.clear()
    verified_client(client, other_referent)
    card = {"serial": "SN-B-1", "seed": ATTACKER_SEED, "step": "30"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(member_urls(hab)["referent-card-register"], card)
    assert response.status_code == 302
    added = JournalEntry.objects.filter(action=Action.OTP_DEVICE_ADDED).filter(
        details__serial="SN-B-1"
    )
    assert {entry.structure_id for entry in added} == {
        str(structure.uuid),
        str(other_structure.uuid),
    }
    assert [mail.to for mail in mailoutbox] == [[aidant.email]]
    assert "ajouté" in mailoutbox[0].subject


def test_the_holder_is_emailed_when_they_add_a_factor(
    aidant_client, aidant, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        aidant_client.post(reverse("aidants:backup-codes"))
    assert [mail.to for mail in mailoutbox] == [[aidant.email]]
    body = mailoutbox[0].body
    assert "codes de secours" in body and "prévenez" in body
    assert PASSWORD not in body
