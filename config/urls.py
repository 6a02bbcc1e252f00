from django.contrib import admin
from django.urls import include, path
from django_otp.admin import OTPAdminSite

from config import views

# Staff need a verified OTP device to reach the admin.
admin.site.__class__ = OTPAdminSite
admin.site.site_header = "Relais — administration"
admin.site.site_title = "Relais"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("aidants.urls")),
    path("", include("mandats.urls")),
    path("", include("oidc.urls")),
    path("demo-service/", include("demo_rp.urls")),
]
