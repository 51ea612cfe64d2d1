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
