from django.apps import apps
from django.contrib import admin
from django.urls import include, path

from ops import views as ops_views

# admin.site is Relais' own site (config.apps.RelaisAdminConfig): staff need a
# verified OTP device to reach it.

urlpatterns = [
    path("healthz", ops_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    # The OIDC endpoints first: three quarters of the requests of a delegated
    # flow, resolved before the other apps' patterns are tried (no pattern of
    # theirs starts with "oidc/" or ".well-known/").
    path("", include("oidc.urls")),
    path("admin/", admin.site.urls),
    path("compte/webauthn/", include("aidants.passkey_urls")),
    path("", include("aidants.urls")),
    path("", include("mandats.urls")),
    path("", include("onboarding.urls")),
]
# The demo online service, where the demo app is installed (never in production).
if apps.is_installed("demo"):
    urlpatterns.append(path("demo-service/", include("demo.rp.urls")))

# A database outage answers 503 with Retry-After (a French page, or OAuth JSON
# for online services) instead of 500.
handler500 = "ops.errors.server_error"
# A file part where Relais expects none: a clear 400 (ops/uploads.py).
handler400 = "ops.errors.bad_request"
