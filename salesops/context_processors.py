from typing import Any

from django.http import HttpRequest

from . import selectors
from .permissions import allowed_actions


def navigation(request: HttpRequest) -> dict[str, Any]:
    """What the base layout needs: the current org, the org switcher, and what the role may do."""
    membership = getattr(request, "membership", None)
    context: dict[str, Any] = {"org": getattr(request, "org", None), "membership": membership}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["my_memberships"] = selectors.memberships_of(user=user)
    context["perms_for_nav"] = allowed_actions(membership) if membership else set()
    return context
