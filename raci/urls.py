from django.urls import path

from .views import activities, disputes, matrices

app_name = "raci"

# Included under /o/<org_slug>/; OrganizationMiddleware resolves the organisation.
urlpatterns = [
    path("raci/", matrices.matrix_list, name="matrix_list"),
    path("raci/mine/", matrices.my_responsibilities, name="my_responsibilities"),
    path("raci/settings/", matrices.raci_settings, name="raci_settings"),
    path("raci/new/", matrices.matrix_create, name="matrix_create"),
    path("disputes/", disputes.dispute_list, name="dispute_list"),
    path("disputes/new/", disputes.dispute_create, name="dispute_create"),
    path("disputes/<int:pk>/", disputes.dispute_detail, name="dispute_detail"),
    path("disputes/<int:pk>/statements/", disputes.dispute_statement, name="dispute_statement"),
    path("disputes/<int:pk>/decide/", disputes.dispute_decide, name="dispute_decide"),
    path("raci/<int:pk>/", matrices.matrix_detail, name="matrix_detail"),
    path("raci/<int:pk>/edit/", matrices.matrix_edit, name="matrix_edit"),
    path("raci/<int:pk>/cells/", matrices.cell_set, name="cell_set"),
    path("raci/<int:pk>/activities/", matrices.activity_add, name="activity_add"),
    path(
        "raci/<int:pk>/activities/<int:activity_pk>/update/",
        matrices.activity_update,
        name="activity_update",
    ),
    path("raci/<int:pk>/participants/", matrices.participant_add, name="participant_add"),
    path(
        "raci/<int:pk>/participants/<int:participant_pk>/remove/",
        matrices.participant_remove,
        name="participant_remove",
    ),
    path("raci/<int:pk>/publish/", matrices.matrix_publish, name="matrix_publish"),
    path("raci/<int:pk>/export.<str:fmt>", matrices.matrix_export, name="matrix_export"),
    path("raci/<int:pk>/print/", matrices.matrix_print, name="matrix_print"),
    path(
        "raci/<int:pk>/activities/<int:activity_pk>/",
        activities.activity_detail,
        name="activity_detail",
    ),
    path(
        "raci/<int:pk>/activities/<int:activity_pk>/state/",
        activities.activity_state,
        name="activity_state",
    ),
    path(
        "raci/<int:pk>/activities/<int:activity_pk>/comments/",
        activities.activity_comment,
        name="activity_comment",
    ),
]
