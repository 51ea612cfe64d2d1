from django.urls import path

from .views import actions, answering, results, suggestions, surveys

app_name = "feedback"

# Included under /o/<org_slug>/; OrganizationMiddleware resolves the organisation.
urlpatterns = [
    path("surveys/", surveys.survey_list, name="survey_list"),
    path("surveys/new/", surveys.survey_create, name="survey_create"),
    path("surveys/<int:pk>/", surveys.survey_detail, name="survey_detail"),
    path("surveys/<int:pk>/edit/", surveys.survey_edit, name="survey_edit"),
    path("surveys/<int:pk>/archive/", surveys.survey_archive, name="survey_archive"),
    path("surveys/<int:pk>/questions/", surveys.question_add, name="question_add"),
    path("surveys/<int:pk>/rounds/open/", surveys.round_open, name="round_open"),
    path("surveys/<int:pk>/results/", results.survey_results, name="survey_results"),
    path("surveys/<int:pk>/results.xlsx", results.survey_export, name="survey_export"),
    path("surveys/<int:pk>/actions/new/", actions.action_create, name="action_create"),
    path("questions/<int:pk>/edit/", surveys.question_edit, name="question_edit"),
    path("questions/<int:pk>/delete/", surveys.question_delete, name="question_delete"),
    path("questions/<int:pk>/move/", surveys.question_move, name="question_move"),
    path("rounds/<int:pk>/answer/", answering.round_answer, name="round_answer"),
    path("rounds/<int:pk>/close/", surveys.round_close, name="round_close"),
    path("you-said-we-did/", actions.action_list, name="action_list"),
    path("actions/<int:pk>/edit/", actions.action_edit, name="action_edit"),
    path("suggestions/", suggestions.suggestion_box, name="suggestion_box"),
    path(
        "suggestions/<uuid:pk>/action/",
        actions.suggestion_action,
        name="suggestion_action",
    ),
]
