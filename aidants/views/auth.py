"""Login (password, then OTP) and logout."""

import math
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from aidants import access
from aidants.forms.auth import LoginForm, LoginOtpForm
from aidants.services import login_delay
from aidants.services.login import (
    LoginOutcome,
    LoginResult,
    OtpOutcome,
    check_password,
    email_digest,
    logout_aidant,
    step_up_otp,
    verify_otp,
)
from aidants.services.passkeys import has_passkey
from config import ratelimit

NO_DEVICE_MESSAGE = gettext_lazy(
    "Votre compte n'a plus de second facteur utilisable (application, carte ou "
    "codes de secours) : vous ne pouvez pas vous connecter. Demandez au référent "
    "de votre structure, ou à l'équipe Relais, de vous envoyer un nouveau lien "
    "d'activation du second facteur par courriel."
)


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
        if result.outcome is LoginOutcome.NO_DEVICE:
            form.add_error(None, NO_DEVICE_MESSAGE)
        else:
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
                "Mot de passe oublié ? Suivez le lien « Mot de passe oublié » "
                "ci-dessous. Si votre compte est suspendu, adressez-vous au "
                "référent de votre structure."
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
    if not access.has_usable_device(user):
        # The last factor went away after the password step: no enrolment here.
        logout_aidant(request=request, reason="no_second_factor")
        messages.error(request, NO_DEVICE_MESSAGE)
        return redirect("aidants:login")
    form = LoginOtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = verify_otp(request=request, token=form.cleaned_data["otp_token"])
        if result.outcome is OtpOutcome.OK:
            response = redirect(next_url or "aidants:home")
            login_delay.remember_device(request, response, email_digest(user.email))
            return response
        if result.outcome is OtpOutcome.NO_DEVICE:
            logout_aidant(request=request, reason="no_second_factor")
            messages.error(request, NO_DEVICE_MESSAGE)
            return redirect("aidants:login")
        if result.outcome is OtpOutcome.REFUSED:
            messages.error(
                request,
                _(
                    "Vous n'avez plus d'habilitation active dans une structure : "
                    "vous ne pouvez pas vous connecter. Adressez-vous à votre "
                    "référent pour qu'il demande à l'équipe Relais de la rétablir."
                ),
            )
            return redirect("aidants:login")
        if result.outcome is OtpOutcome.PASSKEY_REQUIRED:
            form.add_error(
                None,
                _(
                    "Votre structure exige une clé d'accès (passkey) : un code à "
                    "usage unique ne suffit pas. Utilisez le bouton « Utiliser ma "
                    "clé d'accès » ci-dessous."
                ),
            )
        elif result.outcome is OtpOutcome.THROTTLED:
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
            form.add_error(
                "otp_token",
                _(
                    "Ce code est incorrect, a expiré ou a déjà servi. Attendez le "
                    "code suivant de votre application (il change toutes les 30 "
                    "secondes), puis saisissez-le."
                ),
            )
    context = {"form": form, "next": next_url, "has_passkey": has_passkey(user)}
    return render(request, "aidants/auth/otp.html", context)


@sensitive_post_parameters("otp_token")
@csrf_protect
@never_cache
def step_up_view(request):
    """OIDC prompt=login / max_age: the verified aidant proves the second
    factor again; the session is kept (no password, no logout)."""
    next_url = safe_next(request)
    user = request.user
    if not user.is_authenticated or not user.is_verified():
        return redirect(url_with_next("aidants:otp", next_url))
    form = LoginOtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = step_up_otp(request=request, token=form.cleaned_data["otp_token"])
        if result.outcome is OtpOutcome.OK:
            return redirect(next_url or "aidants:home")
        if result.outcome is OtpOutcome.THROTTLED:
            form.add_error(
                None, _("Trop de codes erronés. Attendez avant de réessayer.")
            )
        else:
            form.add_error("otp_token", _("Ce code est incorrect ou a expiré."))
    context = {"form": form, "next": next_url, "step_up": True}
    return render(request, "aidants/auth/otp.html", context)


@require_POST
@csrf_protect
def logout_view(request):
    logout_aidant(request=request)
    messages.success(request, _("Vous êtes déconnecté."))
    return redirect("aidants:home")
