from django.contrib import admin
from django.urls import include, path

from config import views

# admin.site is Relais' own site (config.apps.RelaisAdminConfig): staff need a
# verified OTP device to reach it.

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("compte/webauthn/", include("aidants.passkey_urls")),
    path("", include("aidants.urls")),
    path("", include("mandats.urls")),
    path("", include("oidc.urls")),
    path("", include("onboarding.urls")),
    path("demo-service/", include("demo_rp.urls")),
]
