from django.urls import path  # noqa: F401 - views added below

app_name = "mandats"

urlpatterns: list = []
