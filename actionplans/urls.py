from django.urls import path

from .views import blockers, milestones, plans, risks, standups

app_name = "actionplans"

# Included under /o/<org_slug>/; OrganizationMiddleware resolves the organisation.
urlpatterns = [
    path("this-week/", milestones.this_week, name="this_week"),
    path("plans/", plans.plan_list, name="plan_list"),
    path("plans/new/", plans.plan_create, name="plan_create"),
    path("plans/<int:pk>/", plans.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/edit/", plans.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/milestones/new/", milestones.milestone_create, name="milestone_create"),
    path("plans/<int:pk>/resources/", plans.resource_add, name="resource_add"),
    path(
        "plans/<int:pk>/resources/<int:resource_pk>/",
        plans.resource_edit,
        name="resource_edit",
    ),
    path(
        "plans/<int:pk>/resources/<int:resource_pk>/delete/",
        plans.resource_delete,
        name="resource_delete",
    ),
    path("plans/<int:pk>/risks/new/", risks.risk_create, name="risk_create"),
    path("milestones/<int:pk>/", milestones.milestone_detail, name="milestone_detail"),
    path("milestones/<int:pk>/edit/", milestones.milestone_edit, name="milestone_edit"),
    path("milestones/<int:pk>/update/", milestones.milestone_update, name="milestone_update"),
    path("milestones/<int:pk>/move/", milestones.milestone_move, name="milestone_move"),
    path("milestones/<int:pk>/delete/", milestones.milestone_delete, name="milestone_delete"),
    path("risks/<int:pk>/", risks.risk_edit, name="risk_edit"),
    path("risks/<int:pk>/trigger/", risks.risk_trigger, name="risk_trigger"),
    path("risks/<int:pk>/plan-b/", risks.risk_activate_plan_b, name="risk_activate_plan_b"),
    path("risks/<int:pk>/close/", risks.risk_close, name="risk_close"),
    path("risks/<int:pk>/delete/", risks.risk_delete, name="risk_delete"),
    path(
        "risks/<int:pk>/contingency/",
        risks.contingency_add,
        name="contingency_add",
    ),
    path("blockers/", blockers.blocker_list, name="blocker_list"),
    path("blockers/<int:pk>/resolve/", blockers.blocker_resolve, name="blocker_resolve"),
    path("standups/", standups.standup_index, name="standup_index"),
    path("teams/<int:pk>/standup/", standups.team_standup, name="team_standup"),
    path("teams/<int:pk>/standup/post/", standups.standup_post, name="standup_post"),
    path("teams/<int:pk>/standup/settings/", standups.standup_settings, name="standup_settings"),
]
