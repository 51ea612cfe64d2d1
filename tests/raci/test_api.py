"""The RACI API: matrices with their validation, cells, publishing, activity states."""

import pytest

from raci.models import MatrixStatus, RaciAssignment
from salesops.models import Role, TeamKind

from ..apiclient import api
from ..factories import TeamFactory


@pytest.fixture
def matrix_id(world):
    TeamFactory(org=world.org, name="Marketing", kind=TeamKind.MARKETING)
    response = api(world, Role.MANAGER).post(
        "/api/v1/raci/matrices/", {"blueprint": "lead_handoff"}, content_type="application/json"
    )
    assert response.status_code == 201
    return response.json()["id"]


def test_matrix_from_a_template_comes_with_its_validation(world, matrix_id):
    data = api(world, Role.ADMIN).get(f"/api/v1/raci/matrices/{matrix_id}/").json()
    assert [a["name"] for a in data["activities"]][0] == "Agree the MQL standard"
    codes = {issue["code"] for issue in data["validation"]["issues"]}
    assert "team_accountable" in codes  # marketing has no lead: its A sits on the team
    assert data["validation"]["is_publishable"] is False


def test_publishing_an_invalid_matrix_is_refused_with_the_reasons(world, matrix_id):
    response = api(world, Role.MANAGER).post(f"/api/v1/raci/matrices/{matrix_id}/publish/")
    assert response.status_code == 400
    assert "not a team" in str(response.json()["error"])
    data = api(world, Role.MANAGER).get(f"/api/v1/raci/matrices/{matrix_id}/").json()
    assert data["status"] == MatrixStatus.DRAFT


def test_cells_refuse_bad_letters_and_foreign_ids(world, matrix_id):
    client = api(world, Role.MANAGER)
    data = client.get(f"/api/v1/raci/matrices/{matrix_id}/").json()
    activity, participant = data["activities"][0]["id"], data["participants"][0]["id"]
    before = RaciAssignment.objects.count()
    bad = client.post(
        f"/api/v1/raci/matrices/{matrix_id}/cells/",
        {"activity": activity, "participant": participant, "letters": "X"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "validation_error"
    foreign = client.post(
        f"/api/v1/raci/matrices/{matrix_id}/cells/",
        {"activity": activity + 10_000, "participant": participant, "letters": "R"},
        content_type="application/json",
    )
    assert foreign.status_code == 404
    assert RaciAssignment.objects.count() == before


def test_fixing_the_matrix_through_the_api_lets_it_publish(world, matrix_id):
    client = api(world, Role.MANAGER)
    data = client.get(f"/api/v1/raci/matrices/{matrix_id}/").json()
    # The East Sales lead (the manager) already holds the sales A, so they are a column already.
    manager_column = next(
        p["id"] for p in data["participants"] if p["membership"] == world.members[Role.MANAGER].pk
    )
    again = client.post(
        f"/api/v1/raci/matrices/{matrix_id}/participants/",
        {"membership": world.members[Role.MANAGER].pk},
        content_type="application/json",
    )
    assert again.status_code == 400
    cells_url = f"/api/v1/raci/matrices/{matrix_id}/cells/"
    for issue in data["validation"]["issues"]:
        if issue["level"] != "error":
            continue
        if issue["code"] == "team_accountable":  # the team keeps the work, a person decides
            cell = {
                "activity": issue["activity_id"],
                "participant": issue["participant_id"],
                "letters": "R",
            }
            client.post(cells_url, cell, content_type="application/json")
        cell = {"activity": issue["activity_id"], "participant": manager_column, "letters": "A/R"}
        client.post(cells_url, cell, content_type="application/json")
    response = client.post(f"/api/v1/raci/matrices/{matrix_id}/publish/")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == MatrixStatus.PUBLISHED


@pytest.mark.parametrize("role", [Role.REP, Role.MEMBER, Role.LEADER])
def test_only_managers_and_admins_edit_matrices(world, matrix_id, role):
    client = api(world, role)
    assert (
        client.post(
            "/api/v1/raci/matrices/", {"title": "X"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert client.post(f"/api/v1/raci/matrices/{matrix_id}/publish/").status_code in (403, 404)


def test_readers_see_only_published_matrices(world, matrix_id):
    assert api(world, Role.REP).get("/api/v1/raci/matrices/").json()["results"] == []
    assert len(api(world, Role.ADMIN).get("/api/v1/raci/matrices/").json()["results"]) == 1


def test_activity_state_through_the_api(world, matrix_id):
    client = api(world, Role.MANAGER)
    activity = client.get(f"/api/v1/raci/matrices/{matrix_id}/").json()["activities"][0]["id"]
    response = client.post(
        f"/api/v1/raci/activities/{activity}/state/",
        {"state": "blocked", "note": "No MQL definition yet"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["state"] == "blocked"
    assert (
        client.post(
            f"/api/v1/raci/activities/{activity}/state/",
            {"state": "lost"},
            content_type="application/json",
        ).status_code
        == 400
    )
