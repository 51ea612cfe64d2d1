"""Values entered on a goal's page: who may record them, replacing a period, ratios, deleting."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from goals.models import Goal, GoalLevel, Kpi, Measurement
from goals.services import kpis as kpi_services
from goals.services import measurements as measurement_services
from salesops.models import Role

from ..factories import GoalFactory, MeasurementFactory, TeamFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name: str, **kwargs: object) -> str:
    return reverse(f"goals:{name}", kwargs={"org_slug": "acme", **kwargs})


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def builtin(world) -> dict[str, Kpi]:
    kpi_services.kpis_ensure_builtin(org=world.org)
    return {kpi.key: kpi for kpi in Kpi.objects.for_org(world.org).exclude(key="")}


def make_goal(world, **fields: object) -> Goal:
    manager = world.user(Role.MANAGER)
    defaults = {"org": world.org, "team": world.team, "owner": manager, "created_by": manager}
    defaults.update(fields)
    return GoalFactory(**defaults)


def day_in_goal(goal: Goal, offset: int = 0) -> date:
    return goal.start_date + timedelta(days=offset)


def entry(kpi: Kpi, day: date, value: object, period_kind: str = "month") -> dict[str, object]:
    return {"kpi": kpi.pk, "day": day.isoformat(), "value": str(value), "period_kind": period_kind}


@pytest.fixture
def team_goal(world, builtin) -> Goal:
    return make_goal(world, kpi=builtin["deals_won"])


@pytest.fixture
def rep_goal(world, builtin) -> Goal:
    return make_goal(
        world, kpi=builtin["deals_won"], level=GoalLevel.INDIVIDUAL, owner=world.user(Role.REP)
    )


# --- adding -----------------------------------------------------------------------------------


def test_manager_records_a_value_for_the_team_goal(world, clients, team_goal):
    day = day_in_goal(team_goal, 3)

    response = clients[Role.MANAGER].post(
        url("measurement_add", pk=team_goal.pk), entry(team_goal.kpi, day, "12.5")
    )

    assert response.status_code == 302
    assert "Measurement saved." in messages_of(response)
    measurement = Measurement.objects.get()
    assert measurement.kpi == team_goal.kpi
    assert (measurement.team, measurement.owner) == (world.team, None)
    assert measurement.period_start == day.replace(day=1)
    assert measurement.value == Decimal("12.5")
    assert (measurement.source, measurement.created_by) == ("manual", world.user(Role.MANAGER))


def test_recording_the_same_period_again_replaces_the_value(world, clients, team_goal):
    client = clients[Role.MANAGER]

    client.post(
        url("measurement_add", pk=team_goal.pk), entry(team_goal.kpi, day_in_goal(team_goal), 10)
    )
    client.post(
        url("measurement_add", pk=team_goal.pk), entry(team_goal.kpi, day_in_goal(team_goal, 9), 14)
    )

    measurement = Measurement.objects.get()
    assert measurement.value == 14
    assert measurement.period_start == team_goal.start_date.replace(day=1)


def test_another_period_adds_a_second_value(world, clients, team_goal):
    client = clients[Role.MANAGER]

    client.post(
        url("measurement_add", pk=team_goal.pk), entry(team_goal.kpi, day_in_goal(team_goal), 10)
    )
    client.post(
        url("measurement_add", pk=team_goal.pk),
        entry(team_goal.kpi, day_in_goal(team_goal, 40), 14),
    )

    assert sorted(Measurement.objects.values_list("value", flat=True)) == [10, 14]


def test_weekly_values_start_on_monday(world, clients, team_goal):
    wednesday = date(2025, 1, 8)

    clients[Role.MANAGER].post(
        url("measurement_add", pk=team_goal.pk), entry(team_goal.kpi, wednesday, 3, "week")
    )

    measurement = Measurement.objects.get()
    assert (measurement.period_kind, measurement.period_start) == ("week", date(2025, 1, 6))


def test_rep_records_a_value_on_their_own_individual_goal(world, clients, rep_goal):
    rep = world.user(Role.REP)

    response = clients[Role.REP].post(
        url("measurement_add", pk=rep_goal.pk), entry(rep_goal.kpi, day_in_goal(rep_goal), 4)
    )

    assert response.status_code == 302
    measurement = Measurement.objects.get()
    assert (measurement.team, measurement.owner, measurement.created_by) == (None, rep, rep)


def test_rep_may_not_record_on_the_team_goal(world, clients, team_goal):
    response = clients[Role.REP].post(
        url("measurement_add", pk=team_goal.pk), entry(team_goal.kpi, day_in_goal(team_goal), 4)
    )

    assert response.status_code == 403
    assert not Measurement.objects.exists()


def test_rep_may_not_record_on_a_colleagues_individual_goal(world, clients, builtin):
    colleague_goal = make_goal(
        world,
        kpi=builtin["deals_won"],
        level=GoalLevel.INDIVIDUAL,
        owner=world.user(Role.MANAGER),
    )

    response = clients[Role.REP].post(
        url("measurement_add", pk=colleague_goal.pk),
        entry(colleague_goal.kpi, day_in_goal(colleague_goal), 4),
    )

    assert response.status_code == 403
    assert not Measurement.objects.exists()


def test_manager_may_not_record_on_another_teams_goal(world, clients, builtin):
    west = TeamFactory(org=world.org, name="West Sales")
    goal = make_goal(world, kpi=builtin["deals_won"], team=west, owner=world.user(Role.LEADER))

    response = clients[Role.MANAGER].post(
        url("measurement_add", pk=goal.pk), entry(goal.kpi, day_in_goal(goal), 4)
    )

    assert response.status_code == 404  # another team's goal is not even visible
    assert not Measurement.objects.exists()


def test_ratio_kpi_value_is_refused_with_a_message(world, clients, builtin):
    goal = make_goal(world, kpi=builtin["conversion_rate"], baseline=10, target=12)

    response = clients[Role.MANAGER].post(
        url("measurement_add", pk=goal.pk), entry(builtin["conversion_rate"], day_in_goal(goal), 12)
    )

    assert response.status_code == 302
    assert any(m.startswith("KPI:") for m in messages_of(response))
    assert not Measurement.objects.exists()


def test_ratio_goal_takes_values_of_its_numerator_and_denominator(world, clients, builtin):
    goal = make_goal(world, kpi=builtin["conversion_rate"], baseline=10, target=12)
    client = clients[Role.MANAGER]

    client.post(
        url("measurement_add", pk=goal.pk), entry(builtin["deals_won"], day_in_goal(goal), 12)
    )
    client.post(
        url("measurement_add", pk=goal.pk), entry(builtin["new_leads"], day_in_goal(goal), 100)
    )

    assert set(Measurement.objects.values_list("kpi__key", "value")) == {
        ("deals_won", 12),
        ("new_leads", 100),
    }


def test_a_kpi_outside_the_goal_is_refused(world, clients, team_goal, builtin):
    response = clients[Role.MANAGER].post(
        url("measurement_add", pk=team_goal.pk),
        entry(builtin["revenue"], day_in_goal(team_goal), 5),
    )

    assert any(m.startswith("KPI:") for m in messages_of(response))
    assert not Measurement.objects.exists()


@pytest.mark.parametrize("value", ["", "many", "1e999"])
def test_a_value_that_is_not_a_number_is_refused(world, clients, team_goal, value):
    response = clients[Role.MANAGER].post(
        url("measurement_add", pk=team_goal.pk), entry(team_goal.kpi, day_in_goal(team_goal), value)
    )

    assert any(m.startswith("Value:") for m in messages_of(response))
    assert not Measurement.objects.exists()


def test_measurement_record_refuses_a_ratio_kpi(world, builtin):
    with pytest.raises(ValidationError) as error:
        measurement_services.measurement_record(
            actor=world.user(Role.ADMIN),
            org=world.org,
            kpi=builtin["conversion_rate"],
            day=date(2025, 1, 1),
            value=Decimal(5),
            team=world.team,
        )

    assert "is a ratio" in error.value.message_dict["kpi"][0]
    assert not Measurement.objects.exists()


def test_measurement_record_refuses_foreign_or_missing_scopes(world, builtin):
    record = {
        "actor": world.user(Role.ADMIN),
        "org": world.org,
        "kpi": builtin["deals_won"],
        "day": date(2025, 1, 1),
        "value": Decimal(5),
    }

    with pytest.raises(ValidationError) as error:
        measurement_services.measurement_record(**record)
    assert "team" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        measurement_services.measurement_record(**record, team=world.other_team)
    assert "team" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        measurement_services.measurement_record(**record, owner=world.outsider.user)
    assert "owner" in error.value.message_dict

    assert not Measurement.objects.exists()


# --- deleting ------------------------------------------------------------------------------------


def test_manager_deletes_a_measurement_of_the_goal(world, clients, team_goal):
    measurement = MeasurementFactory(
        org=world.org, kpi=team_goal.kpi, team=world.team, period_start=team_goal.start_date
    )

    response = clients[Role.MANAGER].post(
        url("measurement_delete", pk=team_goal.pk, measurement_pk=measurement.pk)
    )

    assert response.status_code == 302
    assert "Measurement deleted." in messages_of(response)
    assert not Measurement.objects.exists()


def test_rep_may_not_delete_a_team_measurement(world, clients, team_goal):
    measurement = MeasurementFactory(
        org=world.org, kpi=team_goal.kpi, team=world.team, period_start=team_goal.start_date
    )

    response = clients[Role.REP].post(
        url("measurement_delete", pk=team_goal.pk, measurement_pk=measurement.pk)
    )

    assert response.status_code == 403
    assert Measurement.objects.filter(pk=measurement.pk).exists()


def test_a_measurement_outside_the_goal_cannot_be_deleted_through_it(world, clients, team_goal):
    other_team = MeasurementFactory(
        org=world.org,
        kpi=team_goal.kpi,
        team=TeamFactory(org=world.org),
        period_start=team_goal.start_date,
    )
    foreign = MeasurementFactory(org=world.other_org, team=world.other_team)

    for measurement in (other_team, foreign):
        response = clients[Role.MANAGER].post(
            url("measurement_delete", pk=team_goal.pk, measurement_pk=measurement.pk)
        )
        assert response.status_code == 404

    assert Measurement.objects.count() == 2


def test_delete_accepts_only_post(world, clients, team_goal):
    measurement = MeasurementFactory(
        org=world.org, kpi=team_goal.kpi, team=world.team, period_start=team_goal.start_date
    )

    response = clients[Role.MANAGER].get(
        url("measurement_delete", pk=team_goal.pk, measurement_pk=measurement.pk)
    )

    assert response.status_code == 405
    assert Measurement.objects.exists()


# --- the list on the goal page -------------------------------------------------------------------


@pytest.fixture
def daily_values(world, team_goal) -> list[Measurement]:
    return [
        MeasurementFactory(
            org=world.org,
            kpi=team_goal.kpi,
            team=world.team,
            period_kind="day",
            period_start=day_in_goal(team_goal, offset),
            value=offset,
        )
        for offset in range(15)
    ]


def test_goal_page_lists_measurements_twelve_at_a_time(world, clients, team_goal, daily_values):
    first = clients[Role.MANAGER].get(url("goal_detail", pk=team_goal.pk))
    second = clients[Role.MANAGER].get(url("goal_detail", pk=team_goal.pk), {"page": 2})

    assert first.context["measurements"].paginator.count == 15
    newest_first = [m.period_start for m in first.context["measurements"].object_list]
    assert newest_first == [day_in_goal(team_goal, offset) for offset in range(14, 2, -1)]
    assert [m.value for m in second.context["measurements"].object_list] == [2, 1, 0]


def test_goal_page_lists_only_the_goals_measurements(world, clients, team_goal, daily_values):
    MeasurementFactory(org=world.org, kpi=team_goal.kpi, team=TeamFactory(org=world.org))
    MeasurementFactory(
        org=world.org,
        kpi=team_goal.kpi,
        team=world.team,
        period_start=team_goal.start_date - timedelta(days=40),
    )

    response = clients[Role.MANAGER].get(url("goal_detail", pk=team_goal.pk))

    assert response.context["measurements"].paginator.count == 15


def test_measurement_page_change_by_htmx_gets_only_the_list(
    world, clients, team_goal, daily_values
):
    response = clients[Role.MANAGER].get(url("goal_detail", pk=team_goal.pk), {"page": 2}, **HTMX)

    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="measurements"' in content
    assert '<nav class="navbar' not in content
    assert "Weekly check-ins" not in content


def test_goal_page_offers_the_entry_form_only_to_those_who_may_record(
    world, clients, team_goal, rep_goal
):
    assert clients[Role.MANAGER].get(url("goal_detail", pk=team_goal.pk)).context["can_measure"]
    assert not clients[Role.REP].get(url("goal_detail", pk=team_goal.pk)).context["can_measure"]
    assert clients[Role.REP].get(url("goal_detail", pk=rep_goal.pk)).context["can_measure"]


def test_entry_form_offers_the_goals_own_kpi(world, clients, team_goal):
    form = (
        clients[Role.MANAGER].get(url("goal_detail", pk=team_goal.pk)).context["measurement_form"]
    )

    assert form.fields["kpi"].initial == team_goal.kpi_id
    assert list(form.fields["kpi"].queryset) == [team_goal.kpi]
