"""The public habilitation request: no account, a private link per request.

The link (uuid + HMAC token) is the credential: a wrong token is a 404 like an
unknown uuid, an expired link a 410, and the token never reaches the logs."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from onboarding import access, services
from onboarding.exceptions import OnboardingError
from onboarding.forms import MessageForm, PersonForm, RequestForm, SubmitForm
from onboarding.models import HabilitationRequest, RequestStatus

GET_POST = require_http_methods(["GET", "POST"])


def _gone(request, status: int):
    # Not logged with its path (which holds the token): Django's request logger
    # only reports errors (ops.logging) and the request log names the URL pattern.
    return render(request, "onboarding/public/invalid.html", status=status)


def _link_view(view):
    """Load the request behind the private link, or answer 404 / 410."""

    def wrapped(request, request_uuid, token, *args, **kwargs):
        hab_request = HabilitationRequest.objects.filter(uuid=request_uuid).first()
        if hab_request is None or not access.link_matches(hab_request, token):
            return _gone(request, 404)
        if access.link_expired(hab_request):
            return _gone(request, 410)
        return view(request, hab_request, token, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return never_cache(wrapped)


def _detail_url(hab_request, token) -> str:
    return reverse(
        "onboarding:request-detail",
        kwargs={"request_uuid": hab_request.uuid, "token": token},
    )


@GET_POST
def request_new(request):
    if not access.may_file_request(request.user):
        raise Http404
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        hab_request = services.create_request(**form.cleaned_data)
        messages.success(
            request,
            _(
                "Brouillon enregistré. Le lien de cette page vous a été envoyé par "
                "courriel : il permet de reprendre la demande."
            ),
        )
        return redirect(
            _detail_url(hab_request, access.request_link_token(hab_request))
        )
    return render(request, "onboarding/public/request_form.html", {"form": form})


@_link_view
def request_detail(request, hab_request, token):
    context = {
        "req": hab_request,
        "token": token,
        "people": hab_request.people.all(),
        "thread": hab_request.messages.all(),
        "can_edit": access.can_edit_request(hab_request),
        "can_write": access.can_write_message(hab_request),
        "message_form": MessageForm(),
        "statuses": RequestStatus,
    }
    return render(request, "onboarding/public/request_detail.html", context)


# The requester's editing pages: step -> form, its initial values, the service
# (called with the request and the cleaned data), the field its refusal goes
# on, the done message, the template.
EDIT_STEPS = {
    "edit": (
        RequestForm,
        lambda hab_request: {
            name: getattr(hab_request, name) for name in services.REQUEST_FIELDS
        },
        services.update_request,
        None,
        gettext_lazy("Demande mise à jour."),
        "onboarding/public/request_form.html",
    ),
    "person_add": (
        PersonForm,
        lambda hab_request: None,
        services.add_person,
        "email",
        gettext_lazy("Personne ajoutée à la demande."),
        "onboarding/public/person_form.html",
    ),
    "submit": (
        SubmitForm,
        lambda hab_request: None,
        services.submit_request,
        None,
        gettext_lazy("Demande déposée. Un accusé de réception vous a été envoyé."),
        "onboarding/public/request_submit.html",
    ),
}


@GET_POST
@_link_view
def edit_step(request, hab_request, token, step: str):
    """Written once: only while the request may be edited (onboarding.access), a
    valid POST calls the step's service (its OnboardingError shown on the form),
    then back to the request."""
    form_class, initial, act, field, done, template = EDIT_STEPS[step]
    if not access.can_edit_request(hab_request):
        return redirect(_detail_url(hab_request, token))
    form = form_class(request.POST or None, initial=initial(hab_request))
    if request.method == "POST" and form.is_valid():
        try:
            act(request=hab_request, **form.cleaned_data)
        except OnboardingError as exc:
            form.add_error(field, str(exc))
        else:
            messages.success(request, str(done))
            return redirect(_detail_url(hab_request, token))
    context = {"form": form, "req": hab_request, "token": token}
    return render(request, template, context)


@GET_POST
@_link_view
def person_remove(request, hab_request, token, person_uuid):
    person = get_object_or_404(hab_request.people, uuid=person_uuid)
    if not access.can_edit_request(hab_request):
        return redirect(_detail_url(hab_request, token))
    if request.method == "POST":
        services.remove_person(person=person)
        messages.success(request, _("Personne retirée de la demande."))
        return redirect(_detail_url(hab_request, token))
    context = {"person": person, "req": hab_request, "token": token}
    return render(request, "onboarding/public/person_remove.html", context)


@require_POST
@_link_view
def request_message(request, hab_request, token):
    form = MessageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Écrivez votre message."))
    else:
        try:
            services.write_requester_message(
                request=hab_request, body=form.cleaned_data["body"]
            )
        except OnboardingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Message envoyé à l'équipe Relais."))
    return redirect(_detail_url(hab_request, token))
