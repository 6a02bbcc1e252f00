"""E-mailed links (invitations, enrolment links): the token leaves the URL at
once. The first request, whatever its method, swaps the token for the link's
uuid in the session and redirects to a clean URL, so the token never appears in
a later request, a Referer, or an error log (a CSRF failure, a 404)."""

from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from aidants.services.invitations import (
    InvitationGone,
    InvitationInvalid,
    InvitationUnknown,
)


def token_swap_view(*, lookup, session_key: str, clean_url: str):
    """The view behind an e-mailed link's token URL (invitation, enrolment)."""

    @csrf_exempt  # Only swaps the token for a session value; never acts on a form.
    @never_cache
    def open_link(request, token):
        return swap_token(
            request,
            token=token,
            lookup=lookup,
            session_key=session_key,
            clean_url=clean_url,
        )

    return open_link


def swap_token(request, *, token: str, lookup, session_key: str, clean_url: str):
    try:
        link = lookup(token)
    except InvitationInvalid as exc:
        gone = isinstance(exc, InvitationGone)
        request.session[session_key] = {"error": str(exc), "gone": gone}
    else:
        request.session[session_key] = {"uuid": str(link.uuid)}
    # 303: whatever the method of the e-mailed link's request, the browser
    # continues with a GET of the clean URL.
    response = redirect(clean_url)
    response.status_code = 303
    return response


def opened_link(request, *, session_key: str, by_uuid):
    """The usable link opened in this browser; raises InvitationInvalid."""
    value = request.session.get(session_key) or {}
    if "uuid" in value:
        return by_uuid(value["uuid"])
    message = value.get("error") or _("Ouvrez le lien reçu par courriel.")
    raise (InvitationGone if value.get("gone") else InvitationUnknown)(message)


def invalid_page(request, exc: InvitationInvalid):
    status = 410 if isinstance(exc, InvitationGone) else 404
    return render(
        request, "aidants/invitation/invalid.html", {"message": str(exc)}, status=status
    )
