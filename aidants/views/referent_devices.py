"""Référent space, second factors: physical cards (register, give from the
stock, unlink), enrolment links, lost apps, the structure's passkey policy.
Objects are loaded through querysets scoped to the current structure."""

from functools import partial

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from aidants import access
from aidants.decorators import referent_required
from aidants.exceptions import AidantsError, NotAllowed
from aidants.forms.referent import (
    ConfirmForm,
    RegisterCardForm,
    StockCardForm,
    UnlinkCardForm,
)
from aidants.models import (
    Habilitation,
    HabilitationStatus,
)
from aidants.services.card_stock import link_stock_card
from aidants.services.cards import InvalidSeed, register_card, unlink_card
from aidants.services.enrolment import issue_enrolment_link, remove_lost_apps
from aidants.services.passkeys import set_passkey_requirement
from aidants.services.refusals import record_refusal
from aidants.views.referent import GET_POST, _habilitation, confirm_then_act


@sensitive_post_parameters("seed")
@referent_required
@GET_POST
def card_register(request, habilitation_uuid):
    hab = _habilitation(request, habilitation_uuid)
    if not access.can_attach_device(request.user, hab.aidant, hab.structure):
        record_refusal(
            request=request, reason="device_not_allowed", aidant=str(hab.aidant.uuid)
        )
        raise PermissionDenied(
            _(
                "Une carte ne peut être associée qu'à un aidant dont l'habilitation "
                "est active dans votre structure."
            )
        )
    form = RegisterCardForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            card = register_card(
                structure=hab.structure,
                by=request.user,
                aidant=hab.aidant,
                **form.cleaned_data,
            )
        except InvalidSeed as exc:
            form.add_error("seed", str(exc))
        except AidantsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("La carte %(serial)s est associée à %(name)s.")
                % {"serial": card.serial, "name": hab.aidant.get_full_name()},
            )
            return redirect("aidants:referent-aidant", habilitation_uuid=hab.uuid)
    return render(
        request, "aidants/referent/card_register.html", {"hab": hab, "form": form}
    )


# The référent resets a member's second factor (aidants.access.
# can_issue_enrolment_link): kind -> service, refusal reason and message, then the
# confirmation page's title, question and done message (%(name)s, %(email)s).
FACTOR_RESETS: dict[str, tuple] = {
    "enrolment_link": (
        issue_enrolment_link,
        "enrolment_link_not_allowed",
        gettext_lazy(
            "Un lien ne peut être envoyé qu'à un aidant habilité de votre structure."
        ),
        gettext_lazy("Renvoyer un lien d'activation du second facteur"),
        gettext_lazy(
            "Envoyer à %(email)s un lien, valable une fois, pour configurer une "
            "nouvelle application d'authentification ?"
        ),
        gettext_lazy(
            "Un lien d'activation du second facteur a été envoyé à %(email)s."
        ),
    ),
    "app_lost": (
        remove_lost_apps,
        "device_not_allowed",
        gettext_lazy("Seul un aidant habilité de votre structure peut être concerné."),
        gettext_lazy("Signaler l'application comme perdue"),
        gettext_lazy(
            "Retirer l'application d'authentification de %(name)s, fermer toutes "
            "ses sessions et lui envoyer un lien pour en configurer une nouvelle ?"
        ),
        gettext_lazy(
            "L'application de %(name)s est retirée et ses sessions sont "
            "fermées ; un lien d'activation lui a été envoyé."
        ),
    ),
}


@referent_required
@GET_POST
def factor_reset(request, habilitation_uuid, kind: str):
    service, reason, refusal, title, question, done = FACTOR_RESETS[kind]
    hab = _habilitation(request, habilitation_uuid)
    aidant = hab.aidant
    if not access.can_issue_enrolment_link(request.user, aidant, hab.structure):
        record_refusal(request=request, reason=reason, aidant=str(aidant.uuid))
        raise PermissionDenied(refusal)
    names = {"name": aidant.get_full_name(), "email": aidant.email}
    return confirm_then_act(
        request,
        hab,
        form_class=ConfirmForm,
        act=partial(service, aidant=aidant, by=request.user, structure=hab.structure),
        title=title,
        question=str(question) % names,
        done=str(done) % names,
    )


@referent_required
@GET_POST
def card_unlink(request, card_uuid):
    cards = access.managed_cards(request.user, request.user.current_structure)
    card = (
        cards.filter(unlinked_at__isnull=True, uuid=card_uuid)
        .select_related("aidant")
        .first()
    )
    if card is None:
        record_refusal(request=request, reason="not_a_card", card=str(card_uuid))
        raise Http404
    hab = Habilitation.objects.filter(
        aidant_id=card.aidant_id, structure_id=card.structure_id
    ).first()
    form = UnlinkCardForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            unlink_card(card=card, by=request.user, reason=form.cleaned_data["reason"])
        except AidantsError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("La carte %(serial)s est dissociée.") % {"serial": card.serial},
            )
        if hab is None:
            return redirect("aidants:referent-home")
        return redirect("aidants:referent-aidant", habilitation_uuid=hab.uuid)
    return render(
        request,
        "aidants/referent/card_unlink.html",
        {"card": card, "hab": hab, "form": form},
    )


@referent_required
@GET_POST
def card_pick(request, habilitation_uuid):
    hab = _habilitation(request, habilitation_uuid)
    if hab.status == HabilitationStatus.REVOKED:
        raise PermissionDenied(_("Cet aidant n'est plus membre de la structure."))
    cards = access.stock_cards_of(request.user, hab.structure).order_by("serial")
    form = StockCardForm(request.POST or None, cards=cards)
    if request.method == "POST" and form.is_valid():
        card = form.cleaned_data["card"]
        try:
            linked = link_stock_card(
                card=card,
                aidant=hab.aidant,
                by=request.user,
                otp_token=form.cleaned_data["otp_token"],
            )
        except AidantsError as exc:
            form.add_error(None, str(exc))
        else:
            if linked:
                messages.success(
                    request,
                    _("La carte %(serial)s est associée à %(name)s.")
                    % {"serial": card.serial, "name": hab.aidant.get_full_name()},
                )
                return redirect("aidants:referent-aidant", habilitation_uuid=hab.uuid)
            form.add_error("otp_token", _("Code incorrect. Réessayez dans un instant."))
    return render(
        request, "aidants/referent/card_pick.html", {"hab": hab, "form": form}
    )


@referent_required
@require_POST
def passkey_policy(request):
    structure = request.user.current_structure
    required = request.POST.get("require_passkey") == "1"
    try:
        set_passkey_requirement(structure=structure, required=required, by=request.user)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc
    if required:
        messages.success(
            request,
            _("Les aidants de la structure devront se connecter avec une clé d'accès."),
        )
    else:
        messages.success(request, _("La clé d'accès n'est plus exigée."))
    return redirect("aidants:referent-home")
