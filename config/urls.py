from django.contrib import admin
from django.urls import include, path

from config import views
from config.admin_site import RelaisAdminSite

# Staff need a verified OTP device to reach the admin (see RelaisAdminSite).
admin.site.__class__ = RelaisAdminSite
admin.site.site_header = RelaisAdminSite.site_header
admin.site.site_title = RelaisAdminSite.site_title

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("compte/webauthn/", include("aidants.passkey_urls")),
    path("", include("aidants.urls")),
    path("", include("mandats.urls")),
    path("", include("oidc.urls")),
    path("demo-service/", include("demo_rp.urls")),
]
