from django.urls import path

from .views import alerts, boards, experiments, reviews

app_name = "dashboards"

# Included under /o/<org_slug>/; OrganizationMiddleware resolves the organisation.
urlpatterns = [
    # dashboards
    path("dashboard/", boards.leadership, name="leadership"),
    path("dashboard/me/", boards.my_dashboard, name="my_dashboard"),
    path("dashboard/teams/<int:pk>/", boards.team_dashboard, name="team_dashboard"),
    path("dashboard/kpis/<int:pk>/", boards.kpi_insight, name="kpi_insight"),
    # deviation alerts
    path("alerts/", alerts.alert_list, name="alert_list"),
    path("alerts/<int:pk>/", alerts.alert_detail, name="alert_detail"),
    path("alerts/<int:pk>/acknowledge/", alerts.alert_acknowledge, name="alert_acknowledge"),
    path("alerts/<int:pk>/resolve/", alerts.alert_resolve, name="alert_resolve"),
    path("alerts/rules/", alerts.rule_list, name="rule_list"),
    path("alerts/rules/new/", alerts.rule_create, name="rule_create"),
    path("alerts/rules/<int:pk>/", alerts.rule_edit, name="rule_edit"),
    path("alerts/rules/<int:pk>/delete/", alerts.rule_delete, name="rule_delete"),
    # review meetings
    path("reviews/", reviews.review_list, name="review_list"),
    path("reviews/teams/<int:pk>/", reviews.review_pack, name="review_pack"),
    path("reviews/<int:pk>/items/", reviews.review_item_add, name="review_item_add"),
    path("reviews/items/<int:pk>/done/", reviews.review_item_done, name="review_item_done"),
    # strategy experiments
    path("experiments/", experiments.experiment_list, name="experiment_list"),
    path("experiments/new/", experiments.experiment_create, name="experiment_create"),
    path("experiments/<int:pk>/", experiments.experiment_detail, name="experiment_detail"),
    path("experiments/<int:pk>/edit/", experiments.experiment_edit, name="experiment_edit"),
    path("experiments/<int:pk>/status/", experiments.experiment_status, name="experiment_status"),
    path("experiments/<int:pk>/results/", experiments.results_add, name="results_add"),
    path("experiments/<int:pk>/import/", experiments.results_import, name="results_import"),
]
