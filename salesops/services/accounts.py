"""Writes for a person's own account: profile, language, API tokens."""

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import ApiToken, Membership, Organization, User
from .tenancy import hash_token

TOKEN_PREFIX = "sop_"  # noqa: S105 - a public marker, not a secret
MAX_ACTIVE_TOKENS_PER_ORG = 20


@transaction.atomic
def user_update_profile(*, user: User, display_name: str, preferred_language: str) -> User:
    user.display_name = display_name.strip()
    user.preferred_language = preferred_language
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def api_token_create(*, user: User, org: Organization, name: str) -> tuple[ApiToken, str]:
    """Create a token for one organisation; the secret is returned once and never stored."""
    if not Membership.objects.for_org(org).active().filter(user=user).exists():
        raise ValidationError(_("Only active members can create API tokens."))
    active = ApiToken.objects.for_org(org).filter(user=user, revoked_at__isnull=True)
    if active.count() >= MAX_ACTIVE_TOKENS_PER_ORG:
        raise ValidationError(_("You have too many active tokens. Revoke one you no longer use."))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        org=org,
        user=user,
        name=name.strip(),
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        token_hash=hash_token(secret),
    )
    token.full_clean()
    token.save()
    return token, secret


@transaction.atomic
def api_token_revoke(*, user: User, token: ApiToken) -> ApiToken:
    if token.user_id != user.pk:
        raise ValidationError(_("You can revoke only your own tokens."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(*, secret: str) -> ApiToken | None:
    token = (
        ApiToken.objects.select_related("org", "user")
        .filter(token_hash=hash_token(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    # Write the last-used time at most once a minute per token.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
