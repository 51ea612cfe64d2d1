from django.urls import path

from .views import goals, imports, kpis

app_name = "goals"

# Included under /o/<org_slug>/; OrganizationMiddleware resolves the organisation.
urlpatterns = [
    path("goals/", goals.goal_list, name="goal_list"),
    path("goals/mine/", goals.my_goals, name="my_goals"),
    path("goals/tree/", goals.goal_tree, name="goal_tree"),
    path("goals/new/", goals.goal_create, name="goal_create"),
    path("goals/smart-check/", goals.smart_check, name="smart_check"),
    path("goals/<int:pk>/", goals.goal_detail, name="goal_detail"),
    path("goals/<int:pk>/edit/", goals.goal_edit, name="goal_edit"),
    path("goals/<int:pk>/activate/", goals.goal_activate, name="goal_activate"),
    path("goals/<int:pk>/close/", goals.goal_close, name="goal_close"),
    path("goals/<int:pk>/measurements/", goals.measurement_add, name="measurement_add"),
    path(
        "goals/<int:pk>/measurements/<int:measurement_pk>/delete/",
        goals.measurement_delete,
        name="measurement_delete",
    ),
    path("goals/<int:pk>/checkins/", goals.checkin_save, name="checkin_save"),
    path(
        "goals/<int:pk>/checkins/<int:checkin_pk>/comments/",
        goals.checkin_comment,
        name="checkin_comment",
    ),
    path("goals/settings/", kpis.goal_policy_edit, name="goal_policy"),
    path("kpis/", kpis.kpi_list, name="kpi_list"),
    path("kpis/new/", kpis.kpi_create, name="kpi_create"),
    path("kpis/<int:pk>/", kpis.kpi_edit, name="kpi_edit"),
    path("kpis/<int:pk>/archive/", kpis.kpi_archive, name="kpi_archive"),
    path("imports/", imports.import_start, name="import_start"),
    path("imports/<int:pk>/", imports.import_detail, name="import_detail"),
    path("imports/<int:pk>/commit/", imports.import_commit, name="import_commit"),
    path("imports/<int:pk>/progress/", imports.import_progress, name="import_progress"),
]
