"""Password reset by e-mail ("Mot de passe oublié ?"). Django's
PasswordResetConfirmView swaps the link's token for a session value and
redirects to a clean URL before any form is shown."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from aidants.forms.auth import PasswordResetRequestForm
from aidants.forms.referent import InvitationPasswordForm
from aidants.services.passwords import request_password_reset, reset_password


@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def password_reset(request):
    form = PasswordResetRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        request_password_reset(email=form.cleaned_data["email"], request=request)
        # One answer whether the address exists or not.
        messages.info(
            request,
            _(
                "Si cette adresse correspond à un compte Relais, un courriel vient "
                "d'y être envoyé avec un lien pour choisir un nouveau mot de passe. "
                "Pensez à vérifier vos courriels indésirables."
            ),
        )
        return redirect("aidants:login")
    return render(request, "aidants/auth/password_reset.html", {"form": form})


class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    form_class = InvitationPasswordForm
    template_name = "aidants/auth/password_reset_confirm.html"
    success_url = reverse_lazy("aidants:login")

    def form_valid(self, form):
        reset_password(
            aidant=self.user,
            password=form.cleaned_data["password1"],
            request=self.request,
        )
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        messages.success(
            self.request,
            _(
                "Votre mot de passe est changé. Connectez-vous avec lui et votre "
                "second facteur habituel."
            ),
        )
        return redirect(self.success_url)


password_reset_confirm = sensitive_post_parameters("password1", "password2")(
    PasswordResetConfirm.as_view()
)
