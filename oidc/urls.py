from django.urls import path

from oidc import public_views, views

app_name = "oidc"

urlpatterns = [
    path(".well-known/openid-configuration", public_views.discovery, name="discovery"),
    path("oidc/jwks", public_views.jwks, name="jwks"),
    path("oidc/authorize", views.authorize, name="authorize"),
    path("oidc/token", views.token, name="token"),
    path("oidc/userinfo", views.userinfo, name="userinfo"),
    path("oidc/revoke", views.revocation, name="revocation"),
    path("oidc/end-session", views.end_session, name="end-session"),
    path("oidc/status", public_views.status, name="status"),
]
