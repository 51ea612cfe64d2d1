"""RACI matrix pages: the list, creating (empty or from a template), editing, exports, settings."""

import csv
import io

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from openpyxl import load_workbook

from raci.blueprints import BLUEPRINTS, BY_KEY
from raci.models import (
    MatrixStatus,
    ParticipantKind,
    RaciActivity,
    RaciAssignment,
    RaciMatrix,
    RaciParticipant,
    RaciPolicy,
)
from salesops.models import Role, TeamKind

from ..factories import (
    GoalFactory,
    MembershipFactory,
    RaciActivityFactory,
    RaciAssignmentFactory,
    RaciMatrixFactory,
    RaciParticipantFactory,
    TeamFactory,
    TeamMembershipFactory,
)

NON_EDITORS = [Role.LEADER, Role.REP, Role.MEMBER]
EDITORS = [Role.ADMIN, Role.MANAGER]


def url(name: str, **kwargs: object) -> str:
    return reverse(f"raci:{name}", kwargs={"org_slug": "acme", **kwargs})


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def create_data(**overrides: object) -> dict[str, object]:
    data = {"title": "", "description": "", "goal": "", "blueprint": ""}
    data.update(overrides)
    return data


@pytest.fixture
def teams(world):
    """One active team of each kind a template uses, some with a lead and some without.

    world.team ("East Sales", kind sales) is led by the manager.
    """
    marketing = TeamFactory(org=world.org, name="Growth Marketing", kind=TeamKind.MARKETING)
    TeamMembershipFactory(team=marketing, membership=world.members[Role.MEMBER])  # no lead
    service = TeamFactory(org=world.org, name="Customer Care", kind=TeamKind.CUSTOMER_SERVICE)
    care_lead = MembershipFactory(org=world.org, role=Role.REP, user__display_name="Cora Care")
    TeamMembershipFactory(team=service, membership=care_lead, is_lead=True)
    product = TeamFactory(org=world.org, name="Product", kind=TeamKind.PRODUCT)
    TeamMembershipFactory(team=product, membership=world.members[Role.LEADER], is_lead=True)
    # No leadership team: a template's leadership column is left out.
    return {
        TeamKind.SALES: world.team,
        TeamKind.MARKETING: marketing,
        TeamKind.CUSTOMER_SERVICE: service,
        TeamKind.PRODUCT: product,
    }


def cells_by_name(matrix: RaciMatrix) -> dict[tuple[str, str], str]:
    """{(activity name, participant name): letters} for the whole matrix."""
    return {
        (assignment.activity.name, assignment.participant.name): assignment.letters
        for assignment in RaciAssignment.objects.filter(activity__matrix=matrix).select_related(
            "activity", "participant__membership__user", "participant__team"
        )
    }


# --- list -----------------------------------------------------------------------------------


@pytest.fixture
def draft_and_published(world):
    draft = RaciMatrixFactory(org=world.org, title="Draft renewal plan")
    published = RaciMatrixFactory(
        org=world.org, title="Published hand-off", status=MatrixStatus.PUBLISHED
    )
    RaciMatrixFactory(org=world.other_org, title="Rival hand-off", status=MatrixStatus.PUBLISHED)
    return draft, published


@pytest.mark.parametrize("role", EDITORS)
def test_editors_see_drafts_and_published_matrices_in_the_list(
    world, clients, draft_and_published, role
):
    response = clients[role].get(url("matrix_list"))

    assert response.status_code == 200
    assert [m.title for m in response.context["matrices"]] == [
        "Draft renewal plan",
        "Published hand-off",
    ]
    assert "Rival hand-off" not in response.content.decode()


@pytest.mark.parametrize("role", NON_EDITORS)
def test_everyone_else_sees_only_published_matrices_in_the_list(
    world, clients, draft_and_published, role
):
    response = clients[role].get(url("matrix_list"))

    content = response.content.decode()
    assert response.status_code == 200
    assert [m.title for m in response.context["matrices"]] == ["Published hand-off"]
    assert "Draft renewal plan" not in content
    assert "Rival hand-off" not in content
    assert url("matrix_create") not in content


@pytest.mark.parametrize("role", NON_EDITORS)
def test_a_draft_matrix_is_not_found_for_non_editors(world, clients, draft_and_published, role):
    draft, published = draft_and_published

    assert clients[role].get(url("matrix_detail", pk=draft.pk)).status_code == 404
    assert clients[role].get(url("matrix_detail", pk=published.pk)).status_code == 200


def test_list_counts_activities_and_participants(world, clients):
    matrix = RaciMatrixFactory(org=world.org, title="Counted")
    for _ in range(3):
        RaciActivityFactory(matrix=matrix)
    RaciParticipantFactory(matrix=matrix, membership=world.members[Role.REP])

    response = clients[Role.MANAGER].get(url("matrix_list"))

    listed = list(response.context["matrices"])
    assert (listed[0].activity_count, listed[0].participant_count) == (3, 1)
    assert "3 activities · 1 participant" in " ".join(response.content.decode().split())


# --- create ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", EDITORS)
def test_editor_creates_an_empty_draft_matrix(world, clients, role):
    response = clients[role].post(
        url("matrix_create"),
        create_data(title="  Quarterly renewals  ", description="Who renews what."),
    )

    matrix = RaciMatrix.objects.get(org=world.org)
    assert response.status_code == 302
    assert response["Location"] == url("matrix_detail", pk=matrix.pk)
    assert matrix.title == "Quarterly renewals"
    assert matrix.description == "Who renews what."
    assert matrix.status == MatrixStatus.DRAFT
    assert matrix.published_at is None
    assert matrix.created_by == world.user(role)
    assert not matrix.activities.exists()
    assert not matrix.participants.exists()
    assert messages_of(response) == ["Matrix created as a draft."]


@pytest.mark.parametrize("title", ["", "   "])
def test_an_empty_matrix_needs_a_title(world, clients, title):
    response = clients[Role.MANAGER].post(url("matrix_create"), create_data(title=title))

    assert response.status_code == 400
    assert response.context["form"].errors["title"] == ["Give the matrix a title."]
    assert not RaciMatrix.objects.exists()


def test_an_unknown_template_is_refused(world, clients):
    response = clients[Role.MANAGER].post(
        url("matrix_create"), create_data(title="Made up", blueprint="no_such_template")
    )

    assert response.status_code == 400
    assert "blueprint" in response.context["form"].errors
    assert not RaciMatrix.objects.exists()


def test_create_form_offers_every_template(world, clients):
    response = clients[Role.MANAGER].get(url("matrix_create"))

    assert response.status_code == 200
    content = response.content.decode()
    for blueprint in BLUEPRINTS:
        assert f'value="{blueprint.key}"' in content


@pytest.mark.parametrize("key", [blueprint.key for blueprint in BLUEPRINTS])
def test_matrix_from_each_template_gets_its_activities_phases_and_letters(
    world, clients, teams, key
):
    blueprint = BY_KEY[key]

    response = clients[Role.MANAGER].post(url("matrix_create"), create_data(blueprint=key))

    matrix = RaciMatrix.objects.get(org=world.org)
    assert response.status_code == 302
    assert response["Location"] == url("matrix_detail", pk=matrix.pk)
    assert matrix.title == str(blueprint.title)
    assert matrix.description == str(blueprint.description)
    assert matrix.status == MatrixStatus.DRAFT
    activities = list(matrix.activities.order_by("position", "pk"))
    assert [(a.phase, a.name) for a in activities] == [
        (str(row.phase), str(row.name)) for row in blueprint.rows
    ]
    # One team column per kind the organisation has; the leadership column is left out.
    team_columns = {p.team for p in matrix.participants.filter(kind=ParticipantKind.TEAM)}
    assert team_columns == {teams[kind] for kind in blueprint.columns if kind in teams}
    # Every letter lands where the template says: an A on the team's lead where it has one.
    leads = {
        TeamKind.SALES: world.members[Role.MANAGER],
        TeamKind.CUSTOMER_SERVICE: teams[TeamKind.CUSTOMER_SERVICE]
        .team_memberships.get(is_lead=True)
        .membership,
        TeamKind.PRODUCT: world.members[Role.LEADER],
    }
    expected: dict[tuple[str, str], str] = {}
    for row in blueprint.rows:
        for kind, letters in row.letters.items():
            if kind not in teams:
                continue
            team_name = teams[kind].name
            if "A" in letters and kind in leads:
                expected[(str(row.name), leads[kind].user.display_name)] = "A"
                if "R" in letters:
                    expected[(str(row.name), team_name)] = "R"
            else:
                expected[(str(row.name), team_name)] = letters
    assert cells_by_name(matrix) == expected
    person_columns = {p.membership for p in matrix.participants.filter(kind="person")}
    assert person_columns == {
        leads[kind]
        for row in blueprint.rows
        for kind, letters in row.letters.items()
        if "A" in letters and kind in leads
    }


def test_lead_handoff_puts_the_a_on_the_sales_lead_and_on_the_leaderless_marketing_team(
    world, clients, teams
):
    response = clients[Role.MANAGER].post(
        url("matrix_create"), create_data(blueprint="lead_handoff", title="Our hand-off")
    )

    matrix = RaciMatrix.objects.get(org=world.org)
    manager = world.user(Role.MANAGER).display_name
    cells = cells_by_name(matrix)
    assert response.status_code == 302
    assert matrix.title == "Our hand-off"
    # Marketing has no lead: its A/R stays on the team.
    assert cells[("Agree the MQL standard", "Growth Marketing")] == "A/R"
    assert cells[("Generate leads to the MQL standard", "Growth Marketing")] == "A/R"
    # Sales has a lead: the A goes to the manager, the team keeps the R.
    assert cells[("Pass qualified leads to sales within 24 hours", manager)] == "A"
    assert ("Pass qualified leads to sales within 24 hours", "East Sales") not in cells
    assert cells[("First contact and qualification call", manager)] == "A"
    assert cells[("First contact and qualification call", "East Sales")] == "R"
    assert cells[("Onboard the new customer", "Cora Care")] == "A"
    assert cells[("Onboard the new customer", "Customer Care")] == "R"
    assert RaciParticipant.objects.filter(matrix=matrix, kind="person").count() == 2


def test_template_skips_archived_teams_and_inactive_leads(world, clients, teams):
    from django.utils import timezone

    teams[TeamKind.PRODUCT].archived_at = timezone.now()
    teams[TeamKind.PRODUCT].save()
    world.members[Role.MANAGER].is_active = False
    world.members[Role.MANAGER].save()

    response = clients[Role.ADMIN].post(
        url("matrix_create"), create_data(blueprint="customer_follow_up")
    )

    matrix = RaciMatrix.objects.get(org=world.org)
    assert response.status_code == 302
    # The sales lead is inactive, so the A/R stays on the team.
    assert cells_by_name(matrix)[("Weekly follow-up of open opportunities", "East Sales")] == "A/R"
    assert not matrix.participants.filter(kind="person").exists()

    clients[Role.ADMIN].post(url("matrix_create"), create_data(blueprint="product_feedback"))
    feedback = RaciMatrix.objects.get(org=world.org, title="Product feedback loop")
    assert not feedback.participants.filter(team=teams[TeamKind.PRODUCT]).exists()


def test_one_person_leading_two_teams_gets_one_column_from_a_template(world, clients, teams):
    """The manager leads sales and marketing: both teams' A go to the one person column."""
    TeamMembershipFactory(
        team=teams[TeamKind.MARKETING], membership=world.members[Role.MANAGER], is_lead=True
    )

    response = clients[Role.ADMIN].post(url("matrix_create"), create_data(blueprint="lead_handoff"))

    assert response.status_code == 302
    matrix = RaciMatrix.objects.get(org=world.org)
    manager = world.user(Role.MANAGER).display_name
    cells = cells_by_name(matrix)
    assert matrix.participants.filter(membership=world.members[Role.MANAGER]).count() == 1
    assert cells[("Agree the MQL standard", manager)] == "A"
    assert cells[("Agree the MQL standard", "Growth Marketing")] == "R"
    assert cells[("Pass qualified leads to sales within 24 hours", manager)] == "A"


def test_template_matrix_takes_the_chosen_goal_and_description(world, clients, teams):
    goal = GoalFactory(org=world.org, team=world.team, owner=world.user(Role.MANAGER))

    response = clients[Role.MANAGER].post(
        url("matrix_create"),
        create_data(blueprint="customer_follow_up", goal=goal.pk, description="Our own words."),
    )

    matrix = RaciMatrix.objects.get(org=world.org)
    assert response.status_code == 302
    assert matrix.goal == goal
    assert matrix.description == "Our own words."
    assert matrix.activities.count() == len(BY_KEY["customer_follow_up"].rows)


@pytest.mark.parametrize("blueprint", ["", "lead_handoff"])
def test_creating_with_a_goal_of_another_org_is_refused(world, clients, blueprint):
    foreign = GoalFactory(org=world.other_org, team=world.other_team, owner=world.outsider.user)

    response = clients[Role.MANAGER].post(
        url("matrix_create"), create_data(title="Sneaky", goal=foreign.pk, blueprint=blueprint)
    )

    assert response.status_code == 400
    assert "goal" in response.context["form"].errors
    assert not RaciMatrix.objects.exists()
    assert not RaciActivity.objects.exists()


@pytest.mark.parametrize("role", NON_EDITORS)
def test_non_editors_may_not_create_matrices(world, clients, role):
    assert clients[role].get(url("matrix_create")).status_code == 403

    response = clients[role].post(url("matrix_create"), create_data(title="Mine"))
    assert response.status_code == 403
    response = clients[role].post(url("matrix_create"), create_data(blueprint="lead_handoff"))
    assert response.status_code == 403
    assert not RaciMatrix.objects.exists()


# --- edit -----------------------------------------------------------------------------------


@pytest.fixture
def matrix(world):
    return RaciMatrixFactory(
        org=world.org, title="Lead hand-off", description="Before", created_by=world.user("admin")
    )


def test_manager_edits_title_description_and_goal(world, clients, matrix):
    goal = GoalFactory(org=world.org, team=world.team, owner=world.user(Role.MANAGER))

    response = clients[Role.MANAGER].post(
        url("matrix_edit", pk=matrix.pk),
        {"title": " Lead hand-off 2025 ", "description": "After", "goal": goal.pk},
    )

    matrix.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == url("matrix_detail", pk=matrix.pk)
    assert (matrix.title, matrix.description, matrix.goal) == ("Lead hand-off 2025", "After", goal)
    page = clients[Role.MANAGER].get(url("matrix_detail", pk=matrix.pk)).content.decode()
    assert goal.title in page


def test_editing_can_clear_the_goal(world, clients, matrix):
    matrix.goal = GoalFactory(org=world.org, team=world.team, owner=world.user(Role.MANAGER))
    matrix.save()

    response = clients[Role.ADMIN].post(
        url("matrix_edit", pk=matrix.pk), {"title": "Lead hand-off", "description": "", "goal": ""}
    )

    matrix.refresh_from_db()
    assert response.status_code == 302
    assert matrix.goal is None


def test_editing_to_a_goal_of_another_org_is_refused(world, clients, matrix):
    foreign = GoalFactory(org=world.other_org, team=world.other_team, owner=world.outsider.user)

    response = clients[Role.MANAGER].post(
        url("matrix_edit", pk=matrix.pk),
        {"title": "Renamed", "description": "After", "goal": foreign.pk},
    )

    matrix.refresh_from_db()
    assert response.status_code == 400
    assert "goal" in response.context["form"].errors
    assert (matrix.title, matrix.description, matrix.goal) == ("Lead hand-off", "Before", None)


def test_editing_needs_a_title(world, clients, matrix):
    response = clients[Role.MANAGER].post(
        url("matrix_edit", pk=matrix.pk), {"title": "", "description": "After", "goal": ""}
    )

    matrix.refresh_from_db()
    assert response.status_code == 400
    assert "title" in response.context["form"].errors
    assert (matrix.title, matrix.description) == ("Lead hand-off", "Before")


@pytest.mark.parametrize("role", NON_EDITORS)
def test_non_editors_may_not_edit_a_matrix(world, clients, matrix, role):
    matrix.status = MatrixStatus.PUBLISHED
    matrix.save()

    assert clients[role].get(url("matrix_edit", pk=matrix.pk)).status_code == 403
    response = clients[role].post(
        url("matrix_edit", pk=matrix.pk), {"title": "Taken over", "description": "", "goal": ""}
    )

    matrix.refresh_from_db()
    assert response.status_code == 403
    assert matrix.title == "Lead hand-off"


@pytest.mark.parametrize(
    ("name", "method", "extra"),
    [
        ("matrix_detail", "get", {}),
        ("matrix_edit", "get", {}),
        ("matrix_edit", "post", {}),
        ("matrix_print", "get", {}),
        ("matrix_export", "get", {"fmt": "csv"}),
        ("matrix_export", "get", {"fmt": "xlsx"}),
        ("matrix_publish", "post", {}),
        ("cell_set", "post", {}),
        ("activity_add", "post", {}),
        ("participant_add", "post", {}),
    ],
)
def test_a_matrix_of_another_org_is_not_found(world, clients, name, method, extra):
    foreign = RaciMatrixFactory(
        org=world.other_org, title="Rival matrix", status=MatrixStatus.PUBLISHED
    )
    activity = RaciActivityFactory(matrix=foreign, name="Rival activity")

    response = getattr(clients[Role.ADMIN], method)(
        url(name, pk=foreign.pk, **extra),
        {"title": "Hijacked", "name": "Injected", "description": "", "goal": ""},
    )

    foreign.refresh_from_db()
    assert response.status_code == 404
    assert foreign.title == "Rival matrix"
    assert list(foreign.activities.all()) == [activity]
    assert foreign.status == MatrixStatus.PUBLISHED


def test_an_unknown_matrix_is_not_found(world, clients):
    assert clients[Role.ADMIN].get(url("matrix_detail", pk=999999)).status_code == 404


# --- exports and print ----------------------------------------------------------------------


@pytest.fixture
def filled(world):
    matrix = RaciMatrixFactory(org=world.org, title="Lead hand-off 线索")
    first = RaciActivityFactory(matrix=matrix, name="Agree the MQL standard", phase="Generate")
    second = RaciActivityFactory(matrix=matrix, name="跟进客户", phase="Follow up")
    person = RaciParticipantFactory(matrix=matrix, membership=world.members[Role.MANAGER])
    team = RaciParticipantFactory(matrix=matrix, kind="team", membership=None, team=world.team)
    RaciAssignmentFactory(activity=first, participant=person, letters="A/R")
    RaciAssignmentFactory(activity=first, participant=team, letters="C")
    RaciAssignmentFactory(activity=second, participant=person, letters="A")
    RaciAssignmentFactory(activity=second, participant=team, letters="R")
    return matrix


def test_csv_export_has_a_bom_a_header_of_participants_and_the_letters(world, clients, filled):
    response = clients[Role.REP].get(url("matrix_export", pk=filled.pk, fmt="csv"))

    assert response.status_code == 404  # a draft is not the rep's to read

    response = clients[Role.MANAGER].get(url("matrix_export", pk=filled.pk, fmt="csv"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    manager = world.user(Role.MANAGER).display_name
    assert rows == [
        ["Phase", "Activity", manager, "East Sales"],
        ["Generate", "Agree the MQL standard", "A/R", "C"],
        ["Follow up", "跟进客户", "A", "R"],
    ]


def test_xlsx_export_opens_with_the_title_in_a1(world, clients, filled):
    response = clients[Role.MANAGER].get(url("matrix_export", pk=filled.pk, fmt="xlsx"))

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert ".xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    manager = world.user(Role.MANAGER).display_name
    assert sheet["A1"].value == "Lead hand-off 线索"
    assert values[1] == ["Phase", "Activity", manager, "East Sales"]
    assert values[2] == ["Generate", "Agree the MQL standard", "A/R", "C"]
    assert values[3] == ["Follow up", "跟进客户", "A", "R"]


def test_published_matrix_exports_for_everyone(world, clients, filled):
    filled.status = MatrixStatus.PUBLISHED
    filled.save()

    for role in (Role.REP, Role.MEMBER, Role.LEADER):
        assert clients[role].get(url("matrix_export", pk=filled.pk, fmt="csv")).status_code == 200
        assert clients[role].get(url("matrix_print", pk=filled.pk)).status_code == 200


@pytest.mark.parametrize("fmt", ["pdf", "json", "CSV"])
def test_an_unknown_export_format_is_not_found(world, clients, filled, fmt):
    assert clients[Role.MANAGER].get(url("matrix_export", pk=filled.pk, fmt=fmt)).status_code == 404


def test_print_view_shows_the_grid_without_the_app_chrome(world, clients, filled):
    response = clients[Role.MANAGER].get(url("matrix_print", pk=filled.pk))

    content = response.content.decode()
    assert response.status_code == 200
    assert "<h1" in content and "Lead hand-off 线索" in content
    assert "跟进客户" in content
    assert '<td class="text-center">A/R</td>' in content
    assert "Draft" in content
    assert '<nav class="navbar' not in content
    assert "<select" not in content


# --- settings -------------------------------------------------------------------------------


def settings_data(client, **overrides: object) -> dict[str, object]:
    """The settings form as shown, with some fields changed."""
    form = client.get(url("raci_settings")).context["form"]
    data = {name: "" if form[name].value() is None else form[name].value() for name in form.fields}
    data.update(overrides)
    return data


def test_admin_saves_the_raci_limits(world, clients):
    client = clients[Role.ADMIN]
    assert client.get(url("raci_settings")).status_code == 200

    response = client.post(
        url("raci_settings"), settings_data(client, accountable_limit="3", consulted_limit="4")
    )

    policy = RaciPolicy.objects.get(org=world.org)
    assert response.status_code == 302
    assert response["Location"] == url("raci_settings")
    assert messages_of(response) == ["RACI settings saved."]
    assert (policy.accountable_limit, policy.consulted_limit) == (3, 4)
    assert not RaciPolicy.objects.filter(org=world.other_org).exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"accountable_limit": "-1"},
        {"consulted_limit": "many"},
        {"accountable_limit": ""},
    ],
)
def test_raci_settings_refuse_a_bad_limit(world, clients, overrides):
    client = clients[Role.ADMIN]

    response = client.post(url("raci_settings"), settings_data(client, **overrides))

    policy = RaciPolicy.objects.get(org=world.org)
    assert response.status_code == 400
    assert (policy.accountable_limit, policy.consulted_limit) == (8, 5)


@pytest.mark.parametrize("role", [Role.LEADER, Role.MANAGER, Role.REP, Role.MEMBER])
def test_raci_settings_are_for_admins_only(world, clients, role):
    assert clients[role].get(url("raci_settings")).status_code == 403
    response = clients[role].post(
        url("raci_settings"),
        settings_data(clients[Role.ADMIN], accountable_limit="1", consulted_limit="1"),
    )

    assert response.status_code == 403
    assert not RaciPolicy.objects.filter(org=world.org, accountable_limit=1).exists()
