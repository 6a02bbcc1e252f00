from django.urls import path

from aidants.views import home

app_name = "aidants"

urlpatterns = [
    path("", home.home, name="home"),
]
