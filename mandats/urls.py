from django.urls import path

from mandats.views import wizard

app_name = "mandats"

urlpatterns = [
    path("mandats/nouveau/", wizard.new, name="new"),
    path(
        "mandats/nouveau/franceconnect/retour",
        wizard.callback,
        name="new-callback",
    ),
    path("mandats/nouveau/confirmation", wizard.recap, name="new-recap"),
    path("mandats/nouveau/cree/<uuid:uuid>/", wizard.done, name="new-done"),
    path("mandats/<uuid:uuid>/renouveler/", wizard.renew, name="mandat-renew"),
]
