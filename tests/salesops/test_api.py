"""API v1: bearer tokens, organisation scoping, permissions and the one error shape."""

import json

import pytest
from django.core.cache import cache
from django.test import Client

from salesops.models import Role, Team, TeamKind
from salesops.services import accounts

from ..factories import MembershipFactory, TeamFactory


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    """API throttles count in the cache; start each test from zero so order never matters."""
    cache.clear()
    yield
    cache.clear()


def token_for(world, role: str, org=None) -> str:
    user = world.outsider.user if role == "outsider" else world.user(role)
    _token, secret = accounts.api_token_create(
        user=user, org=org or (world.other_org if role == "outsider" else world.org), name="test"
    )
    return secret


def api(secret: str | None) -> Client:
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    return Client(headers=headers)


def post_json(client: Client, path: str, data: object) -> object:
    return client.post(path, json.dumps(data), content_type="application/json")


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert isinstance(body["error"]["code"], str)
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]


def results(response) -> list[dict]:
    assert response.status_code == 200
    return response.json()["results"]


# --- authentication ----------------------------------------------------------------------


def test_me_describes_the_token_owner_in_its_org(world):
    response = api(token_for(world, Role.MANAGER)).get("/api/v1/me/")

    assert response.status_code == 200
    body = response.json()
    assert body["user"]["email"] == world.user(Role.MANAGER).email
    assert body["organization"]["slug"] == "acme"
    assert body["role"] == Role.MANAGER
    assert body["teams"] == [{"id": world.team.pk, "name": "East Sales", "is_lead": True}]


def test_token_for_another_org_describes_that_org(world):
    rep = world.user(Role.REP)
    MembershipFactory(org=world.other_org, user=rep, role=Role.LEADER)

    body = api(token_for(world, Role.REP, org=world.other_org)).get("/api/v1/me/").json()

    assert body["organization"]["slug"] == "rival"
    assert body["role"] == Role.LEADER
    assert body["teams"] == []


@pytest.mark.parametrize("path", ["/api/v1/me/", "/api/v1/teams/", "/api/v1/members/"])
def test_no_token_is_401_with_the_error_shape(world, path):
    response = Client().get(path)

    assert_error(response, 401, "not_authenticated")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer sop_not-a-real-token",
        "Bearer two words",
        "Token sop_whatever",
        "Basic Zm9vOmJhcg==",
    ],
)
def test_bad_authorization_headers_are_401(world, header):
    response = Client(headers={"Authorization": header}).get("/api/v1/me/")

    assert_error(response, 401)


def test_revoked_token_is_401(world):
    token, secret = accounts.api_token_create(
        user=world.user(Role.ADMIN), org=world.org, name="old"
    )
    accounts.api_token_revoke(user=world.user(Role.ADMIN), token=token)

    response = api(secret).get("/api/v1/me/")

    error = assert_error(response, 401, "authentication_failed")
    assert error["message"] == "This token is not valid or was revoked."


def test_deactivated_members_token_is_401(world, clients):
    secret = token_for(world, Role.REP)
    assert api(secret).get("/api/v1/me/").status_code == 200

    clients[Role.ADMIN].post(f"/o/acme/members/{world.members[Role.REP].pk}/deactivate/")

    response = api(secret).get("/api/v1/teams/")
    error = assert_error(response, 401, "authentication_failed")
    assert error["message"] == "This token's owner is no longer a member."


def test_disabled_users_token_is_401(world):
    secret = token_for(world, Role.REP)
    user = world.user(Role.REP)
    user.is_active = False
    user.save()

    assert_error(api(secret).get("/api/v1/me/"), 401)


def test_session_login_does_not_open_the_api(world, clients):
    assert_error(clients[Role.ADMIN].get("/api/v1/me/"), 401)


def test_using_a_token_records_when_it_was_last_used(world):
    token, secret = accounts.api_token_create(user=world.user(Role.REP), org=world.org, name="CI")
    assert token.last_used_at is None

    api(secret).get("/api/v1/me/")

    token.refresh_from_db()
    assert token.last_used_at is not None


# --- teams -------------------------------------------------------------------------------


def test_teams_lists_only_this_orgs_active_teams(world):
    child = TeamFactory(org=world.org, name="East Child", parent=world.team)
    TeamFactory(org=world.org, name="Old", archived_at="2024-01-01T00:00:00Z")

    rows = results(api(token_for(world, Role.REP)).get("/api/v1/teams/"))

    assert [(row["name"], row["parent"]) for row in rows] == [
        ("East Child", world.team.pk),
        ("East Sales", None),
    ]
    east = next(row for row in rows if row["id"] == world.team.pk)
    assert east["member_count"] == 2
    assert east["is_archived"] is False
    assert child.pk in {row["id"] for row in rows}


def test_teams_can_include_archived(world):
    TeamFactory(org=world.org, name="Old", archived_at="2024-01-01T00:00:00Z")

    rows = results(api(token_for(world, Role.REP)).get("/api/v1/teams/", {"archived": "1"}))

    assert {row["name"] for row in rows} == {"East Sales", "Old"}


def test_token_of_one_org_never_sees_another_orgs_teams(world):
    acme = api(token_for(world, Role.ADMIN))
    rival = api(token_for(world, "outsider"))

    acme_names = {row["name"] for row in results(acme.get("/api/v1/teams/"))}
    rival_names = {row["name"] for row in results(rival.get("/api/v1/teams/"))}

    assert acme_names == {"East Sales"}
    assert rival_names == {"Rival Sales"}
    assert_error(acme.get(f"/api/v1/teams/{world.other_team.pk}/"), 404, "not_found")
    assert_error(rival.get(f"/api/v1/teams/{world.team.pk}/"), 404, "not_found")


def test_token_of_one_org_cannot_change_another_orgs_team(world):
    acme = api(token_for(world, Role.ADMIN))

    patch = acme.patch(
        f"/api/v1/teams/{world.other_team.pk}/",
        json.dumps({"name": "Taken"}),
        content_type="application/json",
    )
    archive = acme.post(f"/api/v1/teams/{world.other_team.pk}/archive/")

    assert_error(patch, 404)
    assert_error(archive, 404)
    world.other_team.refresh_from_db()
    assert world.other_team.name == "Rival Sales"
    assert world.other_team.archived_at is None


def test_admin_creates_a_team(world):
    response = post_json(
        api(token_for(world, Role.ADMIN)),
        "/api/v1/teams/",
        {
            "name": "  West  ",
            "kind": TeamKind.MARKETING,
            "parent": world.team.pk,
            "description": "New",
        },
    )

    assert response.status_code == 201
    body = response.json()
    team = Team.objects.get(pk=body["id"])
    assert (team.org, team.name, team.kind, team.parent) == (
        world.org,
        "West",
        TeamKind.MARKETING,
        world.team,
    )
    assert body["name"] == "West"
    assert body["member_count"] == 0
    assert body["is_archived"] is False


@pytest.mark.parametrize("role", [Role.LEADER, Role.MANAGER, Role.REP, Role.MEMBER])
def test_non_admin_cannot_create_a_team(world, role):
    response = post_json(
        api(token_for(world, role)), "/api/v1/teams/", {"name": "West", "kind": TeamKind.SALES}
    )

    assert_error(response, 403, "permission_denied")
    assert not Team.objects.filter(name="West").exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "", "kind": TeamKind.SALES}, "name"),
        ({"kind": TeamKind.SALES}, "name"),
        ({"name": "West", "kind": "wizards"}, "kind"),
        ({"name": "West", "kind": TeamKind.SALES, "parent": 10**9}, "parent"),
    ],
)
def test_invalid_team_input_is_400_with_field_errors(world, payload, field):
    before = Team.objects.count()

    response = post_json(api(token_for(world, Role.ADMIN)), "/api/v1/teams/", payload)

    error = assert_error(response, 400, "validation_error")
    assert field in error["fields"]
    assert Team.objects.count() == before


def test_parent_from_another_org_is_400(world):
    response = post_json(
        api(token_for(world, Role.ADMIN)),
        "/api/v1/teams/",
        {"name": "West", "kind": TeamKind.SALES, "parent": world.other_team.pk},
    )

    error = assert_error(response, 400, "validation_error")
    assert "parent" in error["fields"]
    assert not Team.objects.filter(name="West").exists()
    assert not world.other_team.children.exists()


def test_duplicate_active_team_name_is_400(world):
    response = post_json(
        api(token_for(world, Role.ADMIN)),
        "/api/v1/teams/",
        {"name": "East Sales", "kind": TeamKind.SALES},
    )

    assert_error(response, 400, "validation_error")
    assert Team.objects.filter(org=world.org, name="East Sales").count() == 1


def test_admin_renames_a_team(world):
    response = api(token_for(world, Role.ADMIN)).patch(
        f"/api/v1/teams/{world.team.pk}/",
        json.dumps({"name": "East Renamed"}),
        content_type="application/json",
    )

    assert response.status_code == 200
    assert response.json()["name"] == "East Renamed"
    world.team.refresh_from_db()
    assert world.team.name == "East Renamed"
    assert world.team.kind == TeamKind.SALES


def test_moving_a_team_under_its_own_sub_team_is_400(world):
    child = TeamFactory(org=world.org, name="East Child", parent=world.team)

    response = api(token_for(world, Role.ADMIN)).patch(
        f"/api/v1/teams/{world.team.pk}/",
        json.dumps({"parent": child.pk}),
        content_type="application/json",
    )

    error = assert_error(response, 400, "validation_error")
    assert "parent" in error["fields"]
    world.team.refresh_from_db()
    assert world.team.parent_id is None


def test_rep_cannot_rename_a_team(world):
    response = api(token_for(world, Role.REP)).patch(
        f"/api/v1/teams/{world.team.pk}/",
        json.dumps({"name": "Mine"}),
        content_type="application/json",
    )

    assert_error(response, 403, "permission_denied")
    world.team.refresh_from_db()
    assert world.team.name == "East Sales"


def test_teams_cannot_be_deleted_or_replaced(world):
    client = api(token_for(world, Role.ADMIN))

    delete = client.delete(f"/api/v1/teams/{world.team.pk}/")
    put = client.put(
        f"/api/v1/teams/{world.team.pk}/",
        json.dumps({"name": "X", "kind": TeamKind.SALES}),
        content_type="application/json",
    )

    assert (delete.status_code, put.status_code) == (405, 405)
    assert Team.objects.filter(pk=world.team.pk, name="East Sales").exists()


def test_admin_archives_a_team(world):
    response = api(token_for(world, Role.ADMIN)).post(f"/api/v1/teams/{world.team.pk}/archive/")

    assert response.status_code == 200
    assert response.json()["is_archived"] is True
    world.team.refresh_from_db()
    assert world.team.is_archived
    assert world.team.history.first().history_change_reason == "archived"


def test_archiving_a_team_with_active_sub_teams_is_400(world):
    TeamFactory(org=world.org, name="East Child", parent=world.team)

    response = api(token_for(world, Role.ADMIN)).post(f"/api/v1/teams/{world.team.pk}/archive/")

    error = assert_error(response, 400, "validation_error")
    assert error["fields"]["non_field_errors"] == [
        "Archive or move this team's active sub-teams first."
    ]
    world.team.refresh_from_db()
    assert world.team.archived_at is None


def test_rep_cannot_archive_a_team(world):
    response = api(token_for(world, Role.REP)).post(f"/api/v1/teams/{world.team.pk}/archive/")

    assert_error(response, 403, "permission_denied")
    world.team.refresh_from_db()
    assert world.team.archived_at is None


# --- members -----------------------------------------------------------------------------


def test_members_lists_this_orgs_people_with_their_teams(world):
    rows = results(api(token_for(world, Role.REP)).get("/api/v1/members/"))

    assert {row["id"] for row in rows} == {m.pk for m in world.members.values()}
    manager = next(row for row in rows if row["id"] == world.members[Role.MANAGER].pk)
    assert manager["role"] == Role.MANAGER
    assert manager["user"]["email"] == world.user(Role.MANAGER).email
    assert manager["teams"] == [{"id": world.team.pk, "name": "East Sales", "is_lead": True}]


def test_token_of_one_org_never_sees_another_orgs_members(world):
    acme_rows = results(api(token_for(world, Role.ADMIN)).get("/api/v1/members/"))
    rival_rows = results(api(token_for(world, "outsider")).get("/api/v1/members/"))

    assert world.outsider.pk not in {row["id"] for row in acme_rows}
    assert {row["id"] for row in rival_rows} == {world.outsider.pk}
    assert_error(
        api(token_for(world, Role.ADMIN)).get(f"/api/v1/members/{world.outsider.pk}/"), 404
    )


def test_members_search_by_another_orgs_email_finds_nothing(world):
    rows = results(
        api(token_for(world, Role.ADMIN)).get(
            "/api/v1/members/", {"search": world.outsider.user.email}
        )
    )

    assert rows == []


def test_members_filter_by_role_team_and_state(world):
    client = api(token_for(world, Role.ADMIN))
    gone = MembershipFactory(org=world.org, role=Role.REP, is_active=False)

    by_role = results(client.get("/api/v1/members/", {"role": Role.REP}))
    by_team = results(client.get("/api/v1/members/", {"team": world.team.pk}))
    inactive = results(client.get("/api/v1/members/", {"is_active": "false"}))

    assert {row["id"] for row in by_role} == {world.members[Role.REP].pk, gone.pk}
    assert {row["id"] for row in by_team} == {
        world.members[Role.MANAGER].pk,
        world.members[Role.REP].pk,
    }
    assert [row["id"] for row in inactive] == [gone.pk]


def test_members_are_read_only(world):
    client = api(token_for(world, Role.ADMIN))
    rep = world.members[Role.REP]

    response = client.patch(
        f"/api/v1/members/{rep.pk}/", json.dumps({"role": "admin"}), content_type="application/json"
    )

    assert response.status_code == 405
    rep.refresh_from_db()
    assert rep.role == Role.REP


# --- errors and docs ---------------------------------------------------------------------


def test_unknown_api_path_is_a_json_404(world):
    response = api(token_for(world, Role.ADMIN)).get("/api/v1/nothing/")

    assert_error(response, 404, "not_found")


def test_unknown_api_path_without_token_is_a_json_404(db):
    assert_error(Client().get("/api/v1/nothing/"), 404, "not_found")


def test_schema_describes_the_three_resources(db):
    response = Client().get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    for path in ("/api/v1/me/", "/api/v1/teams/", "/api/v1/members/"):
        assert path in schema["paths"]
    assert "/api/v1/teams/{id}/archive/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"


def test_schema_default_format_lists_the_paths(db):
    response = Client().get("/api/schema/")

    assert response.status_code == 200
    content = response.content.decode()
    for path in ("/api/v1/me/", "/api/v1/teams/", "/api/v1/members/"):
        assert path in content


def test_api_docs_page_is_served(db):
    response = Client().get("/api/docs/")

    assert response.status_code == 200
    assert "<title>SalesOps API</title>" in response.content.decode()
    script = Client().get("/api/docs/", {"script": ""})
    assert script.status_code == 200
    assert "/api/schema/" in script.content.decode()
