from django.urls import path

from oidc import views

app_name = "oidc"

urlpatterns = [
    path(".well-known/openid-configuration", views.discovery, name="discovery"),
    path("oidc/jwks", views.jwks, name="jwks"),
    path("oidc/authorize", views.authorize, name="authorize"),
    path("oidc/token", views.token, name="token"),
    path("oidc/userinfo", views.userinfo, name="userinfo"),
    path("oidc/revoke", views.revocation, name="revocation"),
    path("oidc/end-session", views.end_session, name="end-session"),
    path("oidc/status", views.status, name="status"),
]
