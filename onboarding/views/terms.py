from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from onboarding import access, terms
from onboarding.forms import AcceptTermsForm


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe else "/"


@require_http_methods(["GET", "POST"])
def terms_of_use(request):
    if not access.may_read_terms(request.user):
        return redirect("aidants:home")
    user = request.user
    can_accept = user.is_authenticated and user.is_verified()
    accepted = can_accept and terms.has_accepted(user)
    form = AcceptTermsForm(
        request.POST or None, initial={"version": terms.current_version()}
    )
    if request.method == "POST" and can_accept and form.is_valid():
        try:
            terms.accept_terms(aidant=user, version=form.cleaned_data["version"])
        except ValueError:
            messages.error(request, _("Une nouvelle version vient d'être publiée."))
            return redirect(request.get_full_path())
        request.session[terms.SESSION_KEY] = terms.current_version()
        return redirect(_next(request))
    context = {
        "form": form,
        "can_accept": can_accept and not accepted,
        "version": terms.current_version(),
        "text_template": terms.template_name(),
        "next": _next(request),
    }
    return render(request, "onboarding/terms.html", context)
