"""Thin views around the authlib server (`oidc.server`) and the services."""

import uuid
from datetime import UTC, datetime
from urllib.parse import urlencode

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749.errors import OAuth2Error
from django.db import transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from aidants import session as aidant_session
from aidants.decorators import verified_aidant_required
from aidants.demarches import Demarche, describe
from aidants.passkeys import amr_for
from mandats.models import (
    Usager,
    live_autorisation,
    live_autorisations_of,
)
from mandats.selectors import live_usagers_page, parse_cursor
from mandats.services import authorize_use
from oidc import access, claims, services
from oidc.claims import issuer
from oidc.grants import requested_claims
from oidc.server import get_server

# OAuth parameters carried from one step of the aidant's pick to the next.
CARRIED = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "acr_values",
    "claims",
)
# `request` / `request_uri` are kept so that they are refused, not dropped.
REQUEST_PARAMS = (
    *CARRIED,
    "prompt",
    "max_age",
    "ui_locales",
    "login_hint",
    "request",
    "request_uri",
)
PAGE_SIZE = 20


def _carried(request) -> list[tuple[str, str]]:
    data = request.POST if request.method == "POST" else request.GET
    return [(name, data[name]) for name in CARRIED if name in data]


def _error_page(request, error: OAuth2Error, status: int = 400):
    return render(
        request,
        "oidc/error.html",
        {"error": error.error, "description": error.get_error_description()},
        status=status,
    )


def _authorize_error(request, error: OAuth2Error):
    if error.redirect_uri:
        return get_server().authorization_error_response(error)
    return _error_page(request, error)


def _auth_time(request) -> datetime:
    return datetime.fromtimestamp(aidant_session.auth_time(request.session), tz=UTC)


def _step_up(request):
    """OIDC Core §3.1.2.1 prompt=login / max_age, as a step-up: when the second
    factor is older than allowed, ask it again (or log in, when there is no
    session); never log out. Returns the redirect, or None when fresh enough."""
    prompt_login = "login" in (request.GET.get("prompt") or "").split()
    max_age = request.GET.get("max_age") or ""
    max_age = int(max_age) if max_age.isdigit() and len(max_age) < 10 else None
    if not prompt_login and max_age is None:
        return None
    user = request.user
    if user.is_authenticated and user.is_verified():
        if aidant_session.second_factor_is_fresh(
            request.session, prompt_login=prompt_login, max_age=max_age
        ):
            return None
        step = "aidants:step-up"
    else:
        step = "aidants:otp" if user.is_authenticated else "aidants:login"
    # Back to the same request without the parameter that forced the step.
    back = f"{reverse('oidc:authorize')}?{urlencode(_carried(request))}"
    return redirect(f"{reverse(step)}?{urlencode({'next': back})}")


@csrf_exempt  # services may POST the request (OIDC Core §3.1.2.1); see _approve
@never_cache
@require_http_methods(["GET", "POST"])
def authorize(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and "relais_usager" not in request.POST:
        # A service's POSTed authorization request: continue as a GET.
        params = [(k, v) for k, v in request.POST.items() if k in REQUEST_PARAMS]
        url = f"{reverse('oidc:authorize')}?{urlencode(params)}"
        response = HttpResponseRedirect(url)
        response.status_code = 303
        return response
    server = get_server()
    try:
        grant = server.get_consent_grant(request, end_user=None)
    except OAuth2Error as error:
        return _authorize_error(request, error)
    if request.method == "GET" and (step := _step_up(request)) is not None:
        return step
    return _aidant_step(request, grant=grant)


@verified_aidant_required
def _aidant_step(request, *, grant):
    structure = request.user.current_structure
    open_here = set(structure.demarches())
    offered = [c for c in grant.offered_demarches() if c in open_here]
    if not offered:
        # rep_scope: none of the démarches asked for is open to this structure.
        message = _("Aucune démarche demandée n'est ouverte à votre structure.")
        return _refused(request, grant, message)
    if request.method == "POST":
        return _approve(request, grant=grant, offered=offered)
    picked = _picked(request.GET.get("relais_usager"), structure, offered)
    if picked is not None:
        usager, demarches = picked
        return _demarche_page(request, grant, usager, demarches)
    query = (request.GET.get("relais_q") or "")[:100].replace("\x00", "")
    page = live_usagers_page(
        structure,
        offered,
        query=query,
        after=parse_cursor(request.GET.get("relais_after")),
        before=parse_cursor(request.GET.get("relais_before")),
        size=PAGE_SIZE,
    )
    carried = _carried(request)
    base_query = urlencode(carried)
    pick = f"{reverse('oidc:authorize')}?{base_query}&relais_usager="
    return render(
        request,
        "oidc/select_usager.html",
        {
            "client": grant.client,
            "page": page,
            # Each row's texts and link, built here rather than per row in the
            # template (a URL reversal, a translation and a date format each).
            "rows": [_usager_row(usager, pick) for usager in page],
            "query": query,
            "carried": carried,
            "base_query": base_query,
            "demarches": [(code, Demarche(code).label) for code in offered],
        },
    )


def _usager_row(usager: Usager, pick: str) -> tuple[str, str, str, str]:
    """(name, birthdate dd/mm/yyyy, link, link label) of a row of the list."""
    name = f"{usager.given_name} {usager.family_name}"
    if usager.preferred_username:
        name = f"{name} ({usager.preferred_username})"
    return (
        name,
        usager.birthdate.strftime("%d/%m/%Y"),
        f"{pick}{usager.uuid}",
        _("Choisir %(name)s") % {"name": usager.given_name},
    )


def _picked(value, structure, offered) -> tuple[Usager, list[str]] | None:
    """The picked usager and their live démarches among `offered`, in one
    query; 404 when the usager holds none (same set as the list's)."""
    if not value:
        return None
    try:
        key = uuid.UUID(str(value))
    except ValueError:
        raise Http404 from None
    live = live_autorisations_of(
        structure=structure, usager_uuid=key, demarches=offered
    )
    if not live:
        raise Http404
    codes = {autorisation.demarche for autorisation in live}
    return live[0].usager, [code for code in offered if code in codes]


def _demarche_page(request, grant, usager, demarches, error=None):
    return render(
        request,
        "oidc/select_demarche.html",
        {
            "error": error,
            "client": grant.client,
            "usager": usager,
            "carried": _carried(request),
            "base_query": urlencode(_carried(request)),
            "demarches": [
                (code, Demarche(code).label, describe(code)) for code in demarches
            ],
        },
        status=400 if error else 200,
    )


@csrf_protect  # the aidant's approval is a form of ours
def _approve(request, *, grant, offered):
    value, demarche = (request.POST.get(f"relais_{k}") for k in ("usager", "demarche"))
    structure = request.user.current_structure
    # The usual case in one query; anything else as before.
    live = demarche in offered and live_autorisation(
        structure=structure, usager_uuid=value, demarche=demarche
    )
    picked = None if live else _picked(value, structure, offered)
    usager = live.usager if live else (picked[0] if picked else None)
    if picked is not None and not demarche:
        # Nothing is pre-selected: say so on the same page rather than a dead end.
        error = _("Choisissez la démarche pour laquelle vous vous connectez.")
        return _demarche_page(request, grant, picked[0], picked[1], error=error)
    if usager is None or demarche not in offered:
        return render(
            request,
            "oidc/error.html",
            {"message": _("Choisissez une personne et une démarche proposées.")},
            status=400,
        )
    client = grant.client
    with transaction.atomic():
        decision = authorize_use(
            aidant=request.user,
            usager=usager,
            demarche=demarche,
            structure=structure,
            session_verified=request.user.is_verified(),
            client_id=client.client_id,
            request=request,
            live=live or None,
        )
        if not decision.allowed:
            return _denied(request, grant, decision)
        grant.request.relais_context = services.AuthorizationContext(
            aidant=request.user,
            usager=usager,
            structure=structure,
            autorisation=decision.autorisation,
            demarche=demarche,
            session_key=request.session.session_key or "",
            auth_time=_auth_time(request),
            amr=amr_for(
                getattr(request.user, "otp_device", None),
                aidant_session.auth_methods(request.session),
            ),
            claims={
                "rep_scope": [demarche],
                "requested": requested_claims(grant.request.payload.data),
            },
        )
        return get_server().create_authorization_response(
            request, grant_user=request.user, grant=grant
        )


def _access_denied_uri(grant) -> str:
    params = [("error", "access_denied")]
    if grant.request.payload.state:
        params.append(("state", grant.request.payload.state))
    params.append(("iss", issuer()))  # RFC 9207
    return add_params_to_uri(grant.redirect_uri, params)


def _refused(request, grant, message: str):
    """The aidant reads why; the link goes back to the service with
    `access_denied` (and our iss)."""
    return render(
        request,
        "oidc/denied.html",
        {
            "client": grant.client,
            "message": message,
            "return_url": _access_denied_uri(grant),
        },
        status=403,
    )


def _denied(request, grant, decision):
    return _refused(request, grant, decision.message)


@csrf_exempt
@sensitive_post_parameters()
@never_cache
def token(request: HttpRequest) -> HttpResponse:
    # One transaction: the code row stays locked from lookup to consumption, so
    # a concurrent replay waits and then revokes what this request issued.
    with transaction.atomic():
        return get_server().create_token_response(request)


def _bearer(request) -> str | None:
    header = request.headers.get("Authorization") or ""
    kind, _, value = header.partition(" ")
    if kind.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def _unauthorized(error: str = "", description: str = "") -> HttpResponse:
    challenge = 'Bearer realm="Relais"'
    if error:
        challenge += f', error="{error}", error_description="{description}"'
    body = {"error": error or "invalid_token"}
    if description:
        body["error_description"] = description
    response = JsonResponse(body, status=401)
    response["WWW-Authenticate"] = challenge
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def userinfo(request: HttpRequest) -> HttpResponse:
    raw = _bearer(request)
    if raw is None:
        return _unauthorized()
    check = access.check_access_token(raw)
    if not check.ok:
        return _unauthorized(check.error, check.description)
    services.serve_userinfo(token=check.token, request=request)
    response = JsonResponse(claims.userinfo_claims(check.token))
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@sensitive_post_parameters()
@never_cache
def revocation(request: HttpRequest) -> HttpResponse:
    with transaction.atomic():
        return get_server().create_endpoint_response("revocation", request)


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def end_session(request: HttpRequest) -> HttpResponse:
    server = get_server()
    try:
        validated = server.validate_endpoint_request("end_session", request)
    except OAuth2Error as error:
        return _error_page(request, error)
    with transaction.atomic():
        response = server.create_endpoint_response("end_session", validated)
    if response is not None:
        return response
    return render(request, "oidc/logged_out.html", {"client": validated.client})
