from django.urls import path

from onboarding.views import public, staff, terms

app_name = "onboarding"

LINK = "demande-habilitation/<uuid:request_uuid>/<str:token>/"

urlpatterns = [
    # Public habilitation request (onboarding/views/public.py).
    path("demande-habilitation/", public.request_new, name="request-new"),
    path(LINK, public.request_detail, name="request-detail"),
    path(f"{LINK}modifier/", public.edit_step, {"step": "edit"}, name="request-edit"),
    path(
        f"{LINK}personnes/ajouter/",
        public.edit_step,
        {"step": "person_add"},
        name="request-person-add",
    ),
    path(
        f"{LINK}personnes/<uuid:person_uuid>/retirer/",
        public.person_remove,
        name="request-person-remove",
    ),
    path(
        f"{LINK}deposer/",
        public.edit_step,
        {"step": "submit"},
        name="request-submit",
    ),
    path(f"{LINK}message/", public.request_message, name="request-message"),
    path("conditions-d-utilisation/", terms.terms_of_use, name="terms"),
    # Staff space (onboarding/views/staff.py).
    path("equipe/", staff.home, name="staff-home"),
    path("equipe/demandes/", staff.requests_list, name="staff-requests"),
    path(
        "equipe/demandes/<uuid:request_uuid>/",
        staff.request_detail,
        name="staff-request",
    ),
    path(
        "equipe/demandes/<uuid:request_uuid>/modifications/",
        staff.request_changes,
        name="staff-request-changes",
    ),
    path(
        "equipe/demandes/<uuid:request_uuid>/refuser/",
        staff.request_refuse,
        name="staff-request-refuse",
    ),
    path(
        "equipe/demandes/<uuid:request_uuid>/accepter/",
        staff.request_accept,
        name="staff-request-accept",
    ),
    path("equipe/habilitations/", staff.habilitations, name="staff-habilitations"),
    path(
        "equipe/habilitations/<uuid:habilitation_uuid>/activer/",
        staff.habilitation_activate,
        name="staff-habilitation-activate",
    ),
    path("equipe/echeances/", staff.end_dates, name="staff-end-dates"),
    path("equipe/cartes/", staff.cards, name="staff-cards"),
    path("equipe/cartes/importer/", staff.cards_import, name="staff-cards-import"),
    path("equipe/cartes/attribuer/", staff.cards_assign, name="staff-cards-assign"),
]
