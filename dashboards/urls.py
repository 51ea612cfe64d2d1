from django.urls import path

from .views import experiments

app_name = "dashboards"

# Included under /o/<org_slug>/; OrganizationMiddleware resolves the organisation.
urlpatterns = [
    path("experiments/", experiments.experiment_list, name="experiment_list"),
    path("experiments/new/", experiments.experiment_create, name="experiment_create"),
    path("experiments/<int:pk>/", experiments.experiment_detail, name="experiment_detail"),
    path("experiments/<int:pk>/edit/", experiments.experiment_edit, name="experiment_edit"),
    path("experiments/<int:pk>/status/", experiments.experiment_status, name="experiment_status"),
    path("experiments/<int:pk>/results/", experiments.results_add, name="results_add"),
    path("experiments/<int:pk>/import/", experiments.results_import, name="results_import"),
]
