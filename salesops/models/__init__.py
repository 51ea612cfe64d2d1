from .accounts import User
from .notifications import Notification, TeamWebhook, WebhookDelivery
from .outbox import OutboxMessage
from .tenancy import Invitation, Membership, Organization, Role, Team, TeamKind, TeamMembership
from .tokens import ApiToken

__all__ = [
    "ApiToken",
    "Invitation",
    "Membership",
    "Notification",
    "Organization",
    "OutboxMessage",
    "Role",
    "Team",
    "TeamKind",
    "TeamMembership",
    "TeamWebhook",
    "User",
    "WebhookDelivery",
]
