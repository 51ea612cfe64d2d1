"""Shared fixtures: two organisations, one logged-in client per role, service guards."""

import os
from dataclasses import dataclass

import pytest
from django.test import Client

from salesops.models import Membership, Organization, Role, Team, User

from .factories import MembershipFactory, OrganizationFactory, TeamFactory, TeamMembershipFactory

ROLES = [role.value for role in Role]
REQUIRE_SERVICES = os.environ.get("SALESOPS_REQUIRE_SERVICES") == "1"


def need_service(available: bool, reason: str) -> None:
    """Skip a test whose service is absent, or fail it when CI says services are required."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"SALESOPS_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


@dataclass
class World:
    org: Organization
    other_org: Organization
    team: Team
    other_team: Team
    members: dict[str, Membership]
    outsider: Membership

    def user(self, role: str) -> User:
        return self.members[role].user


@pytest.fixture
def world(db) -> World:
    org = OrganizationFactory(slug="acme", name="Acme")
    other_org = OrganizationFactory(slug="rival", name="Rival")
    team = TeamFactory(org=org, name="East Sales")
    other_team = TeamFactory(org=other_org, name="Rival Sales")
    members = {role: MembershipFactory(org=org, role=role) for role in ROLES}
    TeamMembershipFactory(team=team, membership=members[Role.MANAGER], is_lead=True)
    TeamMembershipFactory(team=team, membership=members[Role.REP])
    outsider = MembershipFactory(org=other_org, role=Role.ADMIN)
    TeamMembershipFactory(team=other_team, membership=outsider, is_lead=True)
    return World(org, other_org, team, other_team, members, outsider)


@pytest.fixture
def org(world: World) -> Organization:
    return world.org


@pytest.fixture
def other_org(world: World) -> Organization:
    return world.other_org


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def clients(world: World) -> dict[str, Client]:
    """A logged-in client per role in `org`, plus "outsider" (an admin of `other_org`)."""
    result = {role: client_for(world.user(role)) for role in ROLES}
    result["outsider"] = client_for(world.outsider.user)
    return result
