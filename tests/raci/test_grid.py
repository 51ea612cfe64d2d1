"""The RACI grid: cells set in place by htmx, activities and participants edited, live checks."""

import re
from dataclasses import dataclass

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from raci.models import (
    ParticipantKind,
    RaciActivity,
    RaciAssignment,
    RaciMatrix,
    RaciParticipant,
)
from salesops.models import Role, TeamKind

from ..factories import (
    MembershipFactory,
    RaciActivityFactory,
    RaciAssignmentFactory,
    RaciMatrixFactory,
    RaciParticipantFactory,
    TeamFactory,
    TeamMembershipFactory,
)

HTMX = {"HTTP_HX_REQUEST": "true"}
NAVBAR = '<nav class="navbar'
NON_EDITORS = [Role.LEADER, Role.REP, Role.MEMBER]


def url(name: str, **kwargs: object) -> str:
    return reverse(f"raci:{name}", kwargs={"org_slug": "acme", **kwargs})


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def cells(matrix: RaciMatrix) -> dict[tuple[int, int], str]:
    return {
        (a, p): letters
        for a, p, letters in RaciAssignment.objects.filter(activity__matrix=matrix).values_list(
            "activity_id", "participant_id", "letters"
        )
    }


def panel(content: str) -> str:
    """The validation panel of a page or fragment."""
    match = re.search(r'<section[^>]*id="raci-validation".*?</section>', content, re.S)
    assert match, "no validation panel"
    return match[0]


def row(content: str, activity: RaciActivity) -> str:
    match = re.search(rf'<tr data-activity="{activity.pk}">.*?</tr>', content, re.S)
    assert match, f"no row for {activity.name}"
    return match[0]


def selected(content: str, activity_pk: int, participant_pk: int) -> str:
    """The value selected in one cell's <select>."""
    match = re.search(
        rf'data-testid="cell-{activity_pk}-{participant_pk}">(.*?)</select>', content, re.S
    )
    assert match, "no such cell"
    chosen = re.findall(r'<option value="([^"]*)" selected>', match[1])
    assert len(chosen) == 1, chosen
    return chosen[0]


@dataclass
class Board:
    matrix: RaciMatrix
    first: RaciActivity
    second: RaciActivity
    person: RaciParticipant  # the rep
    team: RaciParticipant  # East Sales

    def cell_data(self, letters: str, **overrides: object) -> dict[str, object]:
        data = {"activity": self.first.pk, "participant": self.person.pk, "letters": letters}
        data.update(overrides)
        return data


@pytest.fixture
def board(world) -> Board:
    matrix = RaciMatrixFactory(org=world.org, title="Lead hand-off")
    first = RaciActivityFactory(
        matrix=matrix, name="Agree the MQL standard", phase="Generate", position=1
    )
    second = RaciActivityFactory(matrix=matrix, name="First call", phase="Follow up", position=2)
    person = RaciParticipantFactory(matrix=matrix, membership=world.members[Role.REP], position=1)
    team = RaciParticipantFactory(
        matrix=matrix, kind=ParticipantKind.TEAM, membership=None, team=world.team, position=2
    )
    return Board(matrix, first, second, person, team)


# --- cells ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("R", "R"),
        ("A", "A"),
        ("C", "C"),
        ("I", "I"),
        ("A/R", "A/R"),
        ("ar", "A/R"),
        ("r/a", "A/R"),
        (" a , r ", "A/R"),
        ("c", "C"),
    ],
)
def test_cell_saves_a_valid_letter(world, clients, board, typed, stored):
    response = clients[Role.MANAGER].post(
        url("cell_set", pk=board.matrix.pk), board.cell_data(typed), **HTMX
    )

    assert response.status_code == 200
    assert cells(board.matrix) == {(board.first.pk, board.person.pk): stored}
    assert selected(response.content.decode(), board.first.pk, board.person.pk) == stored


def test_cell_changes_an_existing_letter_in_place(world, clients, board):
    RaciAssignmentFactory(activity=board.first, participant=board.person, letters="R")

    response = clients[Role.ADMIN].post(
        url("cell_set", pk=board.matrix.pk), board.cell_data("C"), **HTMX
    )

    assert response.status_code == 200
    assert cells(board.matrix) == {(board.first.pk, board.person.pk): "C"}
    assert RaciAssignment.objects.count() == 1


@pytest.mark.parametrize("blank", ["", "  ", " / "])
def test_cell_is_cleared_with_nothing(world, clients, board, blank):
    RaciAssignmentFactory(activity=board.first, participant=board.person, letters="A/R")
    RaciAssignmentFactory(activity=board.second, participant=board.person, letters="R")

    response = clients[Role.MANAGER].post(
        url("cell_set", pk=board.matrix.pk), board.cell_data(blank), **HTMX
    )

    assert response.status_code == 200
    assert cells(board.matrix) == {(board.second.pk, board.person.pk): "R"}
    assert selected(response.content.decode(), board.first.pk, board.person.pk) == ""


def test_clearing_an_empty_cell_changes_nothing(world, clients, board):
    response = clients[Role.MANAGER].post(
        url("cell_set", pk=board.matrix.pk), board.cell_data(""), **HTMX
    )

    assert response.status_code == 200
    assert cells(board.matrix) == {}


@pytest.mark.parametrize("letters", ["X", "RC", "RAC", "AC", "A/R/I", "Q", "1", "<b>"])
def test_cell_refuses_invalid_letters_and_saves_nothing(world, clients, board, letters):
    RaciAssignmentFactory(activity=board.second, participant=board.person, letters="R")

    response = clients[Role.MANAGER].post(
        url("cell_set", pk=board.matrix.pk), board.cell_data(letters), **HTMX
    )

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == "Use R, A, C, I, or A and R together."
    assert cells(board.matrix) == {(board.second.pk, board.person.pk): "R"}


def test_cell_refuses_invalid_letters_over_an_existing_one(world, clients, board):
    RaciAssignmentFactory(activity=board.first, participant=board.person, letters="A")

    response = clients[Role.MANAGER].post(
        url("cell_set", pk=board.matrix.pk), board.cell_data("RC"), **HTMX
    )

    assert response.status_code == 400
    assert cells(board.matrix) == {(board.first.pk, board.person.pk): "A"}


def test_cell_refuses_invalid_letters_without_htmx_with_a_message(world, clients, board):
    response = clients[Role.MANAGER].post(url("cell_set", pk=board.matrix.pk), board.cell_data("X"))

    assert response.status_code == 302
    assert response["Location"] == url("matrix_detail", pk=board.matrix.pk)
    assert messages_of(response) == ["Use R, A, C, I, or A and R together."]
    assert cells(board.matrix) == {}


@pytest.fixture
def elsewhere(world):
    """An activity and a participant of another matrix of this org, and of another org."""
    sibling = RaciMatrixFactory(org=world.org, title="Other matrix")
    foreign = RaciMatrixFactory(org=world.other_org, title="Rival matrix")
    return {
        "sibling_activity": RaciActivityFactory(matrix=sibling).pk,
        "sibling_participant": RaciParticipantFactory(
            matrix=sibling, membership=world.members[Role.MEMBER]
        ).pk,
        "foreign_activity": RaciActivityFactory(matrix=foreign).pk,
        "foreign_participant": RaciParticipantFactory(matrix=foreign, membership=world.outsider).pk,
    }


@pytest.mark.parametrize(
    ("field", "key"),
    [
        ("activity", "sibling_activity"),
        ("activity", "foreign_activity"),
        ("participant", "sibling_participant"),
        ("participant", "foreign_participant"),
    ],
)
def test_cell_refuses_an_activity_or_participant_of_another_matrix(
    world, clients, board, elsewhere, field, key
):
    response = clients[Role.MANAGER].post(
        url("cell_set", pk=board.matrix.pk), board.cell_data("R", **{field: elsewhere[key]}), **HTMX
    )

    assert response.status_code == 404
    assert not RaciAssignment.objects.exists()


@pytest.mark.parametrize(
    "overrides",
    [{"activity": "abc"}, {"participant": ""}, {"activity": "-1"}, {"participant": "999999"}],
)
def test_cell_refuses_a_missing_or_malformed_id(world, clients, board, overrides):
    response = clients[Role.MANAGER].post(
        url("cell_set", pk=board.matrix.pk), board.cell_data("R", **overrides), **HTMX
    )

    assert response.status_code == 404
    assert not RaciAssignment.objects.exists()


def test_cell_answers_the_cell_and_the_validation_panel_out_of_band(world, clients, board):
    response = clients[Role.MANAGER].post(
        url("cell_set", pk=board.matrix.pk), board.cell_data("A"), **HTMX
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<form method="post"')
    assert f'data-testid="cell-{board.first.pk}-{board.person.pk}"' in content
    assert content.count("<select") == 1
    assert 'id="raci-validation"' in content
    assert 'hx-swap-oob="true"' in panel(content)
    assert NAVBAR not in content
    assert 'id="raci-board"' not in content


def test_cell_without_htmx_saves_and_redirects_to_the_matrix(world, clients, board):
    response = clients[Role.MANAGER].post(url("cell_set", pk=board.matrix.pk), board.cell_data("I"))

    assert response.status_code == 302
    assert response["Location"] == url("matrix_detail", pk=board.matrix.pk)
    assert cells(board.matrix) == {(board.first.pk, board.person.pk): "I"}


@pytest.mark.parametrize("role", NON_EDITORS)
def test_non_editors_may_not_set_a_cell(world, clients, board, role):
    board.matrix.status = "published"
    board.matrix.save()

    response = clients[role].post(url("cell_set", pk=board.matrix.pk), board.cell_data("A"), **HTMX)

    assert response.status_code == 403
    assert not RaciAssignment.objects.exists()


def test_cell_is_set_by_post_only(world, clients, board):
    response = clients[Role.MANAGER].get(url("cell_set", pk=board.matrix.pk), board.cell_data("A"))

    assert response.status_code == 405
    assert not RaciAssignment.objects.exists()


# --- live validation ------------------------------------------------------------------------


def test_an_activity_without_an_accountable_shows_its_error_in_its_row_and_the_panel(
    world, clients, board
):
    RaciAssignmentFactory(activity=board.first, participant=board.person, letters="A/R")
    RaciAssignmentFactory(activity=board.second, participant=board.team, letters="R")

    content = clients[Role.MANAGER].get(url("matrix_detail", pk=board.matrix.pk)).content.decode()

    message = "Nobody is Accountable for “First call”."
    assert message in row(content, board.second)
    assert "Nobody is Accountable" not in row(content, board.first)
    assert message in panel(content)
    assert 'data-code="no_accountable"' in panel(content)
    assert "1 error" in panel(content)


def test_a_team_accountable_shows_not_a_team(world, clients, board):
    RaciAssignmentFactory(activity=board.second, participant=board.person, letters="A/R")

    response = clients[Role.MANAGER].post(
        url("cell_set", pk=board.matrix.pk),
        board.cell_data("A/R", participant=board.team.pk),
        **HTMX,
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "not a team" in panel(content)
    assert "the team “East Sales” is Accountable for “Agree the MQL standard”" in panel(content)
    assert 'data-code="team_accountable"' in panel(content)
    page = clients[Role.MANAGER].get(url("matrix_detail", pk=board.matrix.pk)).content.decode()
    assert "not a team" in row(page, board.first)


def test_the_panel_says_no_problems_once_every_activity_is_fixed(world, clients, board):
    client = clients[Role.MANAGER]
    RaciAssignmentFactory(activity=board.second, participant=board.person, letters="A")
    RaciAssignmentFactory(activity=board.second, participant=board.team, letters="R")
    client.post(url("cell_set", pk=board.matrix.pk), board.cell_data("A"), **HTMX)

    response = client.post(
        url("cell_set", pk=board.matrix.pk), board.cell_data("R", participant=board.team.pk), **HTMX
    )

    assert "No problems" in panel(response.content.decode())
    assert "error" not in panel(response.content.decode())


# --- activities -----------------------------------------------------------------------------


def test_editor_adds_an_activity_at_the_end_and_gets_the_board(world, clients, board):
    response = clients[Role.MANAGER].post(
        url("activity_add", pk=board.matrix.pk),
        {"name": "  Send the proposal ", "phase": " Close "},
        **HTMX,
    )

    content = response.content.decode()
    added = RaciActivity.objects.get(name="Send the proposal")
    assert response.status_code == 200
    assert added.matrix == board.matrix
    assert added.phase == "Close"
    assert added.position == 3
    assert content.lstrip().startswith('<div id="raci-board">')
    assert NAVBAR not in content
    assert "Send the proposal" in row(content, added)


def test_adding_an_activity_without_htmx_redirects(world, clients, board):
    response = clients[Role.ADMIN].post(
        url("activity_add", pk=board.matrix.pk), {"name": "Send the proposal"}
    )

    assert response.status_code == 302
    assert response["Location"] == url("matrix_detail", pk=board.matrix.pk)
    assert board.matrix.activities.count() == 3


def test_the_first_activity_of_an_empty_matrix_can_be_added(world, clients):
    matrix = RaciMatrixFactory(org=world.org)

    clients[Role.MANAGER].post(url("activity_add", pk=matrix.pk), {"name": "Kick-off"}, **HTMX)

    assert list(matrix.activities.values_list("name", flat=True)) == ["Kick-off"]


@pytest.mark.parametrize("name", ["", "x" * 201])
def test_an_activity_needs_a_valid_name(world, clients, board, name):
    response = clients[Role.MANAGER].post(
        url("activity_add", pk=board.matrix.pk), {"name": name, "phase": "Close"}
    )

    assert response.status_code == 302
    assert messages_of(response) == ["Give the activity a name."]
    assert board.matrix.activities.count() == 2


def test_editor_renames_an_activity_and_its_phase(world, clients, board):
    response = clients[Role.MANAGER].post(
        url("activity_update", pk=board.matrix.pk, activity_pk=board.first.pk),
        {"name": "Agree the SQL standard", "phase": "Qualify"},
        **HTMX,
    )

    board.first.refresh_from_db()
    assert response.status_code == 200
    assert (board.first.name, board.first.phase) == ("Agree the SQL standard", "Qualify")
    assert "Agree the SQL standard" in response.content.decode()


def test_renaming_to_nothing_is_refused(world, clients, board):
    response = clients[Role.MANAGER].post(
        url("activity_update", pk=board.matrix.pk, activity_pk=board.first.pk),
        {"name": " ", "phase": "Qualify"},
    )

    board.first.refresh_from_db()
    assert messages_of(response) == ["Give the activity a name."]
    assert (board.first.name, board.first.phase) == ("Agree the MQL standard", "Generate")


def _order(matrix: RaciMatrix) -> list[str]:
    return list(matrix.activities.order_by("position", "pk").values_list("name", flat=True))


@pytest.mark.parametrize(
    ("moved", "direction", "expected"),
    [
        ("Third", "up", ["Agree the MQL standard", "Third", "First call"]),
        ("Agree the MQL standard", "down", ["First call", "Agree the MQL standard", "Third"]),
        ("Agree the MQL standard", "up", ["Agree the MQL standard", "First call", "Third"]),
        ("Third", "down", ["Agree the MQL standard", "First call", "Third"]),
    ],
)
def test_editor_moves_an_activity_up_and_down(world, clients, board, moved, direction, expected):
    RaciActivityFactory(matrix=board.matrix, name="Third", position=3)
    activity = RaciActivity.objects.get(matrix=board.matrix, name=moved)

    response = clients[Role.MANAGER].post(
        url("activity_update", pk=board.matrix.pk, activity_pk=activity.pk),
        {"direction": direction},
        **HTMX,
    )

    assert response.status_code == 200
    assert _order(board.matrix) == expected
    assert sorted(board.matrix.activities.values_list("position", flat=True)) == [1, 2, 3]


def test_an_unknown_direction_moves_nothing(world, clients, board):
    clients[Role.MANAGER].post(
        url("activity_update", pk=board.matrix.pk, activity_pk=board.first.pk),
        {"direction": "sideways"},
        **HTMX,
    )

    assert _order(board.matrix) == ["Agree the MQL standard", "First call"]


def test_moving_sorts_out_activities_that_share_a_position(world, clients, board):
    board.second.position = 1
    board.second.save()

    clients[Role.MANAGER].post(
        url("activity_update", pk=board.matrix.pk, activity_pk=board.second.pk),
        {"direction": "up"},
        **HTMX,
    )

    assert _order(board.matrix) == ["First call", "Agree the MQL standard"]


def test_editor_deletes_an_activity_with_its_letters(world, clients, board):
    RaciAssignmentFactory(activity=board.first, participant=board.person, letters="A")
    RaciAssignmentFactory(activity=board.second, participant=board.person, letters="R")

    response = clients[Role.MANAGER].post(
        url("activity_update", pk=board.matrix.pk, activity_pk=board.first.pk),
        {"delete": "1"},
        **HTMX,
    )

    assert response.status_code == 200
    assert _order(board.matrix) == ["First call"]
    assert cells(board.matrix) == {(board.second.pk, board.person.pk): "R"}
    assert "Agree the MQL standard" not in response.content.decode()


def test_an_activity_of_another_matrix_cannot_be_changed_through_this_one(
    world, clients, board, elsewhere
):
    for data in ({"name": "Hijacked"}, {"delete": "1"}, {"direction": "up"}):
        response = clients[Role.MANAGER].post(
            url("activity_update", pk=board.matrix.pk, activity_pk=elsewhere["sibling_activity"]),
            data,
            **HTMX,
        )
        assert response.status_code == 404
    sibling = RaciActivity.objects.get(pk=elsewhere["sibling_activity"])
    assert sibling.name != "Hijacked"


@pytest.mark.parametrize("role", NON_EDITORS)
def test_non_editors_may_not_change_activities(world, clients, board, role):
    board.matrix.status = "published"
    board.matrix.save()
    client = clients[role]
    activity_url = url("activity_update", pk=board.matrix.pk, activity_pk=board.first.pk)

    assert client.post(url("activity_add", pk=board.matrix.pk), {"name": "Mine"}).status_code == 403
    assert client.post(activity_url, {"name": "Mine"}).status_code == 403
    assert client.post(activity_url, {"delete": "1"}).status_code == 403
    assert client.post(activity_url, {"direction": "down"}).status_code == 403
    assert _order(board.matrix) == ["Agree the MQL standard", "First call"]


# --- participants ---------------------------------------------------------------------------


def test_editor_adds_a_person(world, clients, board):
    response = clients[Role.MANAGER].post(
        url("participant_add", pk=board.matrix.pk),
        {"membership": world.members[Role.MEMBER].pk, "team": ""},
        **HTMX,
    )

    added = board.matrix.participants.get(membership=world.members[Role.MEMBER])
    assert response.status_code == 200
    assert added.kind == ParticipantKind.PERSON
    assert added.team is None
    assert added.position == 3
    assert world.user(Role.MEMBER).display_name in response.content.decode()


def test_editor_adds_a_team(world, clients, board):
    marketing = TeamFactory(org=world.org, name="Growth Marketing", kind=TeamKind.MARKETING)

    response = clients[Role.MANAGER].post(
        url("participant_add", pk=board.matrix.pk), {"membership": "", "team": marketing.pk}, **HTMX
    )

    added = board.matrix.participants.get(team=marketing)
    assert response.status_code == 200
    assert added.kind == ParticipantKind.TEAM
    assert added.membership is None
    assert "Growth Marketing" in response.content.decode()


@pytest.fixture
def refusable(world):
    """People and teams that may not join the board's matrix."""
    inactive = MembershipFactory(org=world.org, role=Role.REP, is_active=False)
    archived = TeamFactory(org=world.org, name="Old team", archived_at=timezone.now())
    fresh = TeamFactory(org=world.org, name="Fresh team")
    return {
        "foreign person": {"membership": world.outsider.pk, "team": ""},
        "foreign team": {"membership": "", "team": world.other_team.pk},
        "inactive person": {"membership": inactive.pk, "team": ""},
        "archived team": {"membership": "", "team": archived.pk},
        "person already in": {"membership": world.members[Role.REP].pk, "team": ""},
        "team already in": {"membership": "", "team": world.team.pk},
        "both": {"membership": world.members[Role.MEMBER].pk, "team": fresh.pk},
        "neither": {"membership": "", "team": ""},
        "garbage": {"membership": "abc", "team": ""},
    }


@pytest.mark.parametrize(
    "case",
    [
        "foreign person",
        "foreign team",
        "inactive person",
        "archived team",
        "person already in",
        "team already in",
        "both",
        "neither",
        "garbage",
    ],
)
def test_adding_a_participant_refuses_who_may_not_join(world, clients, board, refusable, case):
    before = list(board.matrix.participants.values_list("pk", "kind", "membership_id", "team_id"))

    response = clients[Role.MANAGER].post(
        url("participant_add", pk=board.matrix.pk), refusable[case]
    )

    assert response.status_code == 302
    assert messages_of(response) == ["Choose a person or a team."]
    after = list(board.matrix.participants.values_list("pk", "kind", "membership_id", "team_id"))
    assert after == before
    assert not RaciParticipant.objects.exclude(pk__in=[p[0] for p in before]).filter(
        matrix=board.matrix
    )


def test_participant_form_offers_only_who_may_still_join(world, clients, board):
    marketing = TeamFactory(org=world.org, name="Growth Marketing")

    response = clients[Role.MANAGER].get(url("matrix_detail", pk=board.matrix.pk))

    form = response.context["participant_form"]
    assert set(form.fields["membership"].queryset) == {
        world.members[role] for role in (Role.ADMIN, Role.LEADER, Role.MANAGER, Role.MEMBER)
    }
    assert list(form.fields["team"].queryset) == [marketing]


def test_editor_removes_a_participant_with_their_letters(world, clients, board):
    RaciAssignmentFactory(activity=board.first, participant=board.person, letters="A")
    RaciAssignmentFactory(activity=board.first, participant=board.team, letters="R")

    response = clients[Role.MANAGER].post(
        url("participant_remove", pk=board.matrix.pk, participant_pk=board.person.pk), **HTMX
    )

    assert response.status_code == 200
    assert list(board.matrix.participants.all()) == [board.team]
    assert cells(board.matrix) == {(board.first.pk, board.team.pk): "R"}
    assert 'id="raci-board"' in response.content.decode()
    assert "Nobody is Accountable for “Agree the MQL standard”" in response.content.decode()


def test_a_participant_of_another_matrix_cannot_be_removed_through_this_one(
    world, clients, board, elsewhere
):
    for key in ("sibling_participant", "foreign_participant"):
        response = clients[Role.MANAGER].post(
            url("participant_remove", pk=board.matrix.pk, participant_pk=elsewhere[key])
        )
        assert response.status_code == 404
    assert (
        RaciParticipant.objects.filter(
            pk__in=[elsewhere["sibling_participant"], elsewhere["foreign_participant"]]
        ).count()
        == 2
    )


@pytest.mark.parametrize("role", NON_EDITORS)
def test_non_editors_may_not_change_participants(world, clients, board, role):
    board.matrix.status = "published"
    board.matrix.save()
    client = clients[role]

    response = client.post(
        url("participant_add", pk=board.matrix.pk),
        {"membership": world.members[Role.MEMBER].pk, "team": ""},
    )
    assert response.status_code == 403
    response = client.post(
        url("participant_remove", pk=board.matrix.pk, participant_pk=board.person.pk)
    )
    assert response.status_code == 403
    assert set(board.matrix.participants.all()) == {board.person, board.team}


# --- the page and its board fragment --------------------------------------------------------


def test_matrix_page_shows_the_grid_with_an_editable_cell_per_pair(world, clients, board):
    RaciAssignmentFactory(activity=board.first, participant=board.team, letters="A/R")

    response = clients[Role.MANAGER].get(url("matrix_detail", pk=board.matrix.pk))

    content = response.content.decode()
    assert response.status_code == 200
    assert NAVBAR in content
    assert content.count('class="form-select form-select-sm raci-cell"') == 4
    assert selected(content, board.first.pk, board.team.pk) == "A/R"
    assert selected(content, board.second.pk, board.person.pk) == ""
    assert "js/raci_grid.js" in content
    assert "Generate" in content and "Follow up" in content


def test_non_editors_see_letters_without_controls(world, clients, board):
    board.matrix.status = "published"
    board.matrix.save()
    RaciAssignmentFactory(activity=board.first, participant=board.team, letters="A/R")

    content = clients[Role.REP].get(url("matrix_detail", pk=board.matrix.pk)).content.decode()

    assert '<span class="raci-letters">A/R</span>' in content
    assert "<select" not in content
    assert url("matrix_publish", pk=board.matrix.pk) not in content
    assert url("cell_set", pk=board.matrix.pk) not in content


def test_htmx_gets_the_board_fragment_alone(world, clients, board):
    response = clients[Role.MANAGER].get(url("matrix_detail", pk=board.matrix.pk), **HTMX)

    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<div id="raci-board">')
    assert NAVBAR not in content
    assert "<html" not in content
    assert 'id="raci-validation"' in content
    assert "Agree the MQL standard" in content


# --- query counts ---------------------------------------------------------------------------

# Session, user, organisation, membership, the matrix, its activities, participants, cells,
# policy, overload counts, the participant form's two choice lists, and the history panel.
MATRIX_PAGE_MAX_QUERIES = 20
# The same reads after the cell's own select, update and history row.
CELL_ANSWER_MAX_QUERIES = 30


@pytest.fixture
def big_board(request, world):
    activities_count, participants_count = request.param
    matrix = RaciMatrixFactory(org=world.org, title="Big board")
    published = RaciMatrixFactory(org=world.org, title="Elsewhere", status="published")
    elsewhere = RaciActivityFactory(matrix=published)
    activities = [
        RaciActivityFactory(matrix=matrix, phase=f"Phase {index // 4}")
        for index in range(activities_count)
    ]
    people = [
        RaciParticipantFactory(matrix=matrix)
        for _ in range(participants_count - participants_count // 2)
    ]
    teams = []
    for index in range(participants_count // 2):
        team = TeamFactory(org=world.org, name=f"Team {index}")
        TeamMembershipFactory(team=team, is_lead=True)
        teams.append(RaciParticipantFactory(matrix=matrix, kind="team", membership=None, team=team))
    for person in people:
        RaciParticipantFactory(matrix=published, membership=person.membership)
        RaciAssignmentFactory(
            activity=elsewhere,
            participant=published.participants.get(membership=person.membership),
            letters="A",
        )
    participants = people + teams
    for a_index, activity in enumerate(activities):
        for p_index, participant in enumerate(participants):
            letters = "ARCI"[(a_index + p_index) % 4]
            if participant.kind == "team" and letters == "A":
                letters = "R"
            RaciAssignmentFactory(activity=activity, participant=participant, letters=letters)
    return matrix


@pytest.mark.parametrize("big_board", [(3, 8), (20, 8)], indirect=True)
@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN, Role.LEADER])
def test_matrix_page_query_count_does_not_grow_with_the_grid(
    world, clients, big_board, role, django_assert_max_num_queries
):
    big_board.status = "published"
    big_board.save()
    clients[role].get(url("matrix_detail", pk=big_board.pk))  # the policy row is created once

    with django_assert_max_num_queries(MATRIX_PAGE_MAX_QUERIES):
        response = clients[role].get(url("matrix_detail", pk=big_board.pk))

    assert response.status_code == 200
    assert len(response.context["rows"]) == big_board.activities.count()


@pytest.mark.parametrize("big_board", [(3, 8), (20, 8)], indirect=True)
def test_cell_answer_query_count_does_not_grow_with_the_grid(
    world, clients, big_board, django_assert_max_num_queries
):
    activity = big_board.activities.first()
    participant = big_board.participants.first()
    clients[Role.MANAGER].get(url("matrix_detail", pk=big_board.pk))  # creates the policy row

    with django_assert_max_num_queries(CELL_ANSWER_MAX_QUERIES):
        response = clients[Role.MANAGER].post(
            url("cell_set", pk=big_board.pk),
            {"activity": activity.pk, "participant": participant.pk, "letters": "C"},
            **HTMX,
        )

    assert response.status_code == 200
