"""Login (password, then OTP) and logout."""

import math
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from aidants.forms.auth import LoginForm, OtpForm
from aidants.services import login_delay
from aidants.services.login import (
    LoginOutcome,
    LoginResult,
    OtpOutcome,
    check_password,
    email_digest,
    has_usable_device,
    logout_aidant,
    verify_otp,
)
from config import ratelimit


def safe_next(request) -> str:
    """The `next` URL if it stays on this site, else an empty string."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


def url_with_next(name: str, next_url: str) -> str:
    url = reverse(name)
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def locked_out(request, original_response=None, credentials=None):
    """django-axes lockout page (AXES_LOCKOUT_CALLABLE), in French."""
    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return render(
        request, "aidants/auth/locked_out.html", {"minutes": minutes}, status=429
    )


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a French 403 page (expired form, cookies blocked)."""
    message = _(
        "Le formulaire a expiré ou les cookies sont bloqués par votre navigateur. "
        "Rechargez la page et recommencez."
    )
    return render(request, "403.html", {"exception": message}, status=403)


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request):
    next_url = safe_next(request)
    if request.user.is_authenticated:
        if request.user.is_verified():
            return redirect(next_url or "aidants:home")
        return redirect(url_with_next("aidants:otp", next_url))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if ratelimit.hit(request, "login"):
            return ratelimit.too_many_requests(request)
        result = check_password(
            request=request,
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password"],
        )
        if result.outcome is LoginOutcome.OK:
            return redirect(url_with_next("aidants:otp", next_url))
        if result.outcome is LoginOutcome.LOCKED_OUT:
            return locked_out(request)
        form.add_error(None, _login_error(result))
    return render(request, "aidants/auth/login.html", {"form": form, "next": next_url})


def _login_error(result: LoginResult) -> str:
    # One message for a wrong password, an unknown e-mail, and the right
    # password of a suspended or deactivated account: nothing is confirmed.
    if result.outcome is LoginOutcome.DELAYED:
        seconds = result.wait_seconds
        return ngettext(
            "Trop d'échecs de connexion pour ce compte. Attendez %(seconds)s "
            "seconde avant de réessayer.",
            "Trop d'échecs de connexion pour ce compte. Attendez %(seconds)s "
            "secondes avant de réessayer.",
            seconds,
        ) % {"seconds": seconds}
    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    tries = ngettext(
        "Il vous reste %(tries)s essai avant le blocage de la connexion pendant "
        "%(minutes)s minutes.",
        "Il vous reste %(tries)s essais avant le blocage de la connexion pendant "
        "%(minutes)s minutes.",
        result.tries_left,
    ) % {"tries": result.tries_left, "minutes": minutes}
    return " ".join(
        [
            _("Adresse électronique ou mot de passe incorrect."),
            tries,
            _(
                "Si votre compte est suspendu ou si vous avez oublié votre mot de "
                "passe, adressez-vous au référent de votre structure."
            ),
        ]
    )


@sensitive_post_parameters("otp_token")
@csrf_protect
@never_cache
def otp_view(request):
    next_url = safe_next(request)
    user = request.user
    if not user.is_authenticated:
        return redirect(url_with_next("aidants:login", next_url))
    if user.is_verified():
        return redirect(next_url or "aidants:home")
    if not has_usable_device(user):
        return redirect(url_with_next("aidants:totp-enrol", next_url))
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = verify_otp(request=request, token=form.cleaned_data["otp_token"])
        if result.outcome is OtpOutcome.OK:
            response = redirect(next_url or "aidants:home")
            login_delay.remember_device(request, response, email_digest(user.email))
            return response
        if result.outcome is OtpOutcome.NO_DEVICE:
            return redirect(url_with_next("aidants:totp-enrol", next_url))
        if result.outcome is OtpOutcome.REFUSED:
            messages.error(
                request,
                _(
                    "Vous n'avez plus d'habilitation active dans une structure : "
                    "vous ne pouvez pas vous connecter."
                ),
            )
            return redirect("aidants:login")
        if result.outcome is OtpOutcome.THROTTLED:
            seconds = result.wait_seconds
            form.add_error(
                None,
                ngettext(
                    "Trop de codes erronés. Attendez %(seconds)s seconde avant "
                    "de réessayer.",
                    "Trop de codes erronés. Attendez %(seconds)s secondes avant "
                    "de réessayer.",
                    seconds,
                )
                % {"seconds": seconds},
            )
        else:
            form.add_error("otp_token", _("Ce code est incorrect ou a expiré."))
    return render(request, "aidants/auth/otp.html", {"form": form, "next": next_url})


@require_POST
@csrf_protect
def logout_view(request):
    logout_aidant(request=request)
    messages.success(request, _("Vous êtes déconnecté."))
    return redirect("aidants:home")
