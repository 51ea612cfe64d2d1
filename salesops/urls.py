from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from actionplans import api as ap_api
from dashboards import api as dashboards_api
from feedback import api as feedback_api
from goals import api as goals_api
from raci import api as raci_api

from . import api
from .forms import EmailAuthenticationForm
from .views import account, core, members, org, teams

router = SimpleRouter()
router.register("teams", api.TeamViewSet, basename="api-team")
router.register("members", api.MemberViewSet, basename="api-member")
router.register("kpis", goals_api.KpiViewSet, basename="api-kpi")
router.register("goals", goals_api.GoalViewSet, basename="api-goal")
router.register("measurements", goals_api.MeasurementViewSet, basename="api-measurement")
router.register("checkins", goals_api.CheckInViewSet, basename="api-checkin")
router.register("raci/matrices", raci_api.MatrixViewSet, basename="api-raci-matrix")
router.register("raci/activities", raci_api.ActivityViewSet, basename="api-raci-activity")
router.register("disputes", raci_api.DisputeViewSet, basename="api-dispute")
router.register("plans", ap_api.PlanViewSet, basename="api-plan")
router.register("milestones", ap_api.MilestoneViewSet, basename="api-milestone")
router.register("resources", ap_api.ResourceViewSet, basename="api-resource")
router.register("risks", ap_api.RiskViewSet, basename="api-risk")
router.register("blockers", ap_api.BlockerViewSet, basename="api-blocker")
router.register("standups", ap_api.StandupViewSet, basename="api-standup")
router.register("surveys", feedback_api.SurveyViewSet, basename="api-survey")
router.register("suggestions", feedback_api.SuggestionViewSet, basename="api-suggestion")
router.register("experiments", dashboards_api.ExperimentViewSet, basename="api-experiment")
router.register("alert-rules", dashboards_api.AlertRuleViewSet, basename="api-alert-rule")
router.register("alerts", dashboards_api.AlertViewSet, basename="api-alert")
router.register("rollups", dashboards_api.RollupViewSet, basename="api-rollup")

api_patterns = [
    path("me/", api.MeView.as_view(), name="api-me"),
    path("goals/smart-check/", goals_api.SmartCheckView.as_view(), name="api-smart-check"),
    *router.urls,
]

# Everything here sits under /o/<org_slug>/; OrganizationMiddleware answers 404 to non-members.
org_patterns = [
    path("", org.org_home, name="org_home"),
    path("settings/", org.org_settings, name="org_settings"),
    path("webhooks/deliveries/", org.webhook_deliveries, name="webhook_deliveries"),
    path(
        "webhooks/deliveries/<int:pk>/retry/",
        org.webhook_delivery_retry,
        name="webhook_delivery_retry",
    ),
    path("teams/", teams.team_list, name="team_list"),
    path("teams/new/", teams.team_create, name="team_create"),
    path("teams/<int:pk>/", teams.team_detail, name="team_detail"),
    path("teams/<int:pk>/edit/", teams.team_edit, name="team_edit"),
    path("teams/<int:pk>/archive/", teams.team_archive, name="team_archive"),
    path("teams/<int:pk>/members/", teams.team_member_add, name="team_member_add"),
    path(
        "teams/<int:pk>/members/<int:link_pk>/remove/",
        teams.team_member_remove,
        name="team_member_remove",
    ),
    path(
        "teams/<int:pk>/members/<int:link_pk>/lead/",
        teams.team_member_lead,
        name="team_member_lead",
    ),
    path("teams/<int:pk>/webhooks/", teams.webhook_create, name="webhook_create"),
    path("teams/<int:pk>/webhooks/<int:webhook_pk>/", teams.webhook_edit, name="webhook_edit"),
    path(
        "teams/<int:pk>/webhooks/<int:webhook_pk>/delete/",
        teams.webhook_delete,
        name="webhook_delete",
    ),
    path("teams/<int:pk>/webhooks/<int:webhook_pk>/test/", teams.webhook_test, name="webhook_test"),
    path("members/", members.member_list, name="member_list"),
    path("members/invite/", members.member_invite, name="member_invite"),
    path(
        "members/invitations/<int:pk>/revoke/", members.invitation_revoke, name="invitation_revoke"
    ),
    path("members/<int:pk>/", members.member_detail, name="member_detail"),
    path("members/<int:pk>/role/", members.member_role, name="member_role"),
    path("members/<int:pk>/deactivate/", members.member_deactivate, name="member_deactivate"),
    path("profile/", account.profile, name="profile"),
    path("profile/password/", account.password_change, name="password_change"),
    path("profile/tokens/", account.api_tokens, name="api_tokens"),
    path("profile/tokens/<int:pk>/revoke/", account.api_token_revoke, name="api_token_revoke"),
    path("notifications/", account.notification_list, name="notification_list"),
    path("notifications/menu/", account.notification_menu, name="notification_menu"),
    path("notifications/read-all/", account.notification_read_all, name="notification_read_all"),
    path("notifications/<int:pk>/open/", account.notification_open, name="notification_open"),
]

auth_patterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("logout/everywhere/", core.logout_everywhere, name="logout_everywhere"),
    path("password-reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

urlpatterns = [
    path("", core.home, name="home"),
    path("orgs/", core.org_choose, name="org_choose"),
    path("language/", core.language_set, name="language_set"),
    path("healthz", core.healthz, name="healthz"),
    path("invitations/<str:token>/", core.invitation_accept, name="invitation_accept"),
    path("accounts/", include(auth_patterns)),
    path("o/<slug:org_slug>/", include(org_patterns)),
    path("o/<slug:org_slug>/", include("goals.urls")),
    path("o/<slug:org_slug>/", include("raci.urls")),
    path("o/<slug:org_slug>/", include("actionplans.urls")),
    path("o/<slug:org_slug>/", include("feedback.urls")),
    path("o/<slug:org_slug>/", include("dashboards.urls")),
    path("api/v1/", include(api_patterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

handler403 = "salesops.views.core.permission_denied"
handler404 = "salesops.views.core.page_not_found"
handler500 = "salesops.views.core.server_error"
