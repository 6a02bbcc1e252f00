from django.urls import path

from demo.rp import views

app_name = "demo_rp"

urlpatterns = [
    path("", views.home, name="home"),
    path("connexion", views.login, name="login"),
    path("callback", views.callback, name="callback"),
    path("deconnexion", views.logout, name="logout"),
    path("backchannel-logout", views.backchannel_logout, name="backchannel-logout"),
]
