"""What each role may do — written once, asked by views, APIs and templates.

`can(membership, action, obj)` answers; `require(...)` raises PermissionDenied (403)
and logs the refusal. A rule is a set of roles, or a function of the membership
and the object for rules that depend on the object (a team lead managing their team).
"""

import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied

from .models import Membership, Role, Team

security_log = logging.getLogger("salesops.security")

ALL_ROLES = frozenset(Role.values)
ADMIN = frozenset({Role.ADMIN})
ADMIN_LEADER = frozenset({Role.ADMIN, Role.LEADER})

Rule = frozenset[str] | Callable[[Membership, Any], bool]


def _leads_team(membership: Membership, team: Team | None) -> bool:
    if membership.role == Role.ADMIN:
        return True
    if team is None or membership.role not in (Role.LEADER, Role.MANAGER):
        return False
    return team.team_memberships.filter(membership=membership, is_lead=True).exists()


def _goal_team_member(membership: Membership, goal: Any) -> bool:
    from goals.selectors import team_ids_of

    return goal is not None and goal.team_id is not None and goal.team_id in team_ids_of(membership)


def _edits_goal(membership: Membership, goal: Any) -> bool:
    """Leaders and admins edit any goal; managers the goals of their teams (not company goals)."""
    if membership.role in (Role.ADMIN, Role.LEADER):
        return True
    if membership.role != Role.MANAGER or goal is None or goal.level == "company":
        return False
    return _goal_team_member(membership, goal)


def _records_for_goal(membership: Membership, goal: Any) -> bool:
    """Measurements: whoever edits the goal, and a rep for their own individual goals."""
    if _edits_goal(membership, goal):
        return True
    return goal is not None and goal.level == "individual" and goal.owner_id == membership.user_id


def _checks_in(membership: Membership, goal: Any) -> bool:
    """The goal's owner writes its weekly check-in."""
    return goal is not None and goal.owner_id == membership.user_id


def _comments_on_checkin(membership: Membership, goal: Any) -> bool:
    return _edits_goal(membership, goal) or _checks_in(membership, goal)


def _edits_plan(membership: Membership, plan: Any) -> bool:
    """Admins edit every plan; a plan's owner edits it; managers the plans of their teams."""
    if membership.role == Role.ADMIN:
        return True
    if plan is None:
        return False
    if plan.owner_id == membership.user_id:
        return True
    from goals.selectors import team_ids_of

    return (
        membership.role == Role.MANAGER
        and plan.team_id is not None
        and plan.team_id in team_ids_of(membership)
    )


def _activates_plan_b(membership: Membership, plan: Any) -> bool:
    """One click for the plan's owner (and sales ops)."""
    if membership.role == Role.ADMIN:
        return True
    return plan is not None and plan.owner_id == membership.user_id


def _updates_milestone(membership: Membership, milestone: Any) -> bool:
    """A milestone's owner updates it; so do those who edit its plan."""
    if milestone is None:
        return False
    return milestone.owner_id == membership.user_id or _edits_plan(membership, milestone.plan)


def _resolves_blocker(membership: Membership, blocker: Any) -> bool:
    """The person a blocker was routed to, the plan's editors, or the team's lead."""
    if blocker is None:
        return False
    if membership.role == Role.ADMIN or blocker.routed_to_id == membership.user_id:
        return True
    if blocker.milestone_id is not None:
        return _edits_plan(membership, blocker.milestone.plan)
    return _leads_team(membership, blocker.team)


def _in_team(membership: Membership, team: Team | None) -> bool:
    if team is None:
        return False
    from goals.selectors import team_ids_of

    return team.pk in team_ids_of(membership)


def _sees_survey_results(membership: Membership, survey: Any) -> bool:
    """Admins and leaders; managers for their own teams (under the same thresholds)."""
    from feedback.selectors import may_see_results

    return survey is not None and may_see_results(membership, survey)


def _answers_survey(membership: Membership, survey: Any) -> bool:
    from feedback.services import in_audience

    return survey is not None and in_audience(survey, membership.user)


def _sees_team_dashboard(membership: Membership, team: Team | None) -> bool:
    """Leaders and admins see every team's dashboard; managers the teams they belong to."""
    if membership.role in (Role.ADMIN, Role.LEADER):
        return True
    return membership.role == Role.MANAGER and _in_team(membership, team)


def _handles_alert(membership: Membership, alert: Any) -> bool:
    """Leaders and admins; managers for alerts about their teams; anyone the rule names."""
    if alert is None:
        return False
    if membership.role in (Role.ADMIN, Role.LEADER):
        return True
    if membership.role == Role.MANAGER and _in_team(membership, alert.team):
        return True
    from dashboards.selectors import is_alert_recipient

    return is_alert_recipient(membership, alert)


def _sees_team_review(membership: Membership, team: Team | None) -> bool:
    """A team's review pack: leaders, admins and the team's own members."""
    if membership.role in (Role.ADMIN, Role.LEADER):
        return True
    return _in_team(membership, team)


def _records_review(membership: Membership, team: Team | None) -> bool:
    """Decisions and actions are recorded by leaders, admins and the team's leads."""
    return membership.role == Role.LEADER or _leads_team(membership, team)


POLICY: dict[str, Rule] = {
    # organisation
    "org.view": ALL_ROLES,
    "org.settings.edit": ADMIN,
    # teams
    "team.view": ALL_ROLES,
    "team.create": ADMIN,
    "team.edit": ADMIN,
    "team.archive": ADMIN,
    "team.members.manage": _leads_team,
    "team.webhooks.manage": ADMIN,
    # people
    "member.view": ALL_ROLES,
    "member.invite": ADMIN,
    "member.role.change": ADMIN,
    "member.deactivate": ADMIN,
    "history.view": ADMIN_LEADER,
    # goals
    "kpi.manage": ADMIN,
    "goal.create": frozenset({Role.ADMIN, Role.LEADER, Role.MANAGER}),
    "goal.create_company": ADMIN_LEADER,
    "goal.edit": _edits_goal,
    "goal.measure": _records_for_goal,
    "goal.checkin": _checks_in,
    "goal.comment": _comments_on_checkin,
    "measurement.import": frozenset({Role.ADMIN, Role.LEADER, Role.MANAGER}),
    # RACI
    "raci.view": ALL_ROLES,
    "raci.edit": frozenset({Role.ADMIN, Role.MANAGER}),
    "raci.settings": ADMIN,
    # action plans
    "plan.view": ALL_ROLES,
    "plan.create": frozenset({Role.ADMIN, Role.LEADER, Role.MANAGER}),
    "plan.edit": _edits_plan,
    "plan.activate_plan_b": _activates_plan_b,
    "milestone.update": _updates_milestone,
    "blocker.resolve": _resolves_blocker,
    "standup.post": _in_team,
    "standup.settings": _leads_team,
    # anonymous feedback
    "survey.manage": ADMIN_LEADER,
    "survey.results": _sees_survey_results,
    "survey.answer": _answers_survey,
    "suggestion.submit": ALL_ROLES,
    "suggestion.read": ADMIN_LEADER,
    "followup.manage": ADMIN_LEADER,
    # monitoring
    "experiment.view": ALL_ROLES,
    "experiment.manage": frozenset({Role.ADMIN, Role.LEADER, Role.MANAGER}),
    "dashboard.org": ADMIN_LEADER,
    "dashboard.team": _sees_team_dashboard,
    "dashboard.own": ALL_ROLES,
    "kpi.breakdown": frozenset({Role.ADMIN, Role.LEADER, Role.MANAGER}),
    "alert.view": ALL_ROLES,
    "alert.handle": _handles_alert,
    "alert.rule.manage": ADMIN_LEADER,
    "review.view": _sees_team_review,
    "review.record": _records_review,
    # platform
    "webhook.deliveries.view": ADMIN,
    "apitoken.manage_own": ALL_ROLES,
}


def can(membership: Membership | None, action: str, obj: Any = None) -> bool:
    if action not in POLICY:
        raise KeyError(f"Unknown action {action!r}: add it to salesops.permissions.POLICY")
    if membership is None or not membership.is_active:
        return False
    rule = POLICY[action]
    if isinstance(rule, frozenset):
        return membership.role in rule
    return bool(rule(membership, obj))


def require(membership: Membership | None, action: str, obj: Any = None) -> None:
    if not can(membership, action, obj):
        security_log.warning(
            "permission denied: action=%s user=%s org=%s role=%s",
            action,
            getattr(membership, "user_id", None),
            getattr(membership, "org_id", None),
            getattr(membership, "role", None),
        )
        raise PermissionDenied(action)


def allowed_actions(membership: Membership | None, obj: Any = None) -> set[str]:
    """Actions without an object rule that this membership may take (for navigation)."""
    return {
        action
        for action, rule in POLICY.items()
        if isinstance(rule, frozenset) and can(membership, action, obj)
    }
