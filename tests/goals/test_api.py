"""API v1 for goals: KPIs, goals with metrics, the SMART check, bulk measurements, check-ins."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from goals.models import CheckIn, Goal, GoalLevel, GoalStatus, Kpi, Measurement
from goals.services import kpis as kpi_services
from salesops.models import Role

from ..apiclient import api, error_of, patch, post
from ..factories import CheckInFactory, GoalFactory, KpiFactory, MeasurementFactory, TeamFactory

SMART_KEYS = ["specific", "measurable", "achievable", "relevant", "time_bound"]


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def builtin(world) -> dict[str, Kpi]:
    kpi_services.kpis_ensure_builtin(org=world.org)
    return {kpi.key: kpi for kpi in Kpi.objects.for_org(world.org).exclude(key="")}


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["results"]}


def make_goal(world, **fields: object) -> Goal:
    manager = world.user(Role.MANAGER)
    defaults = {"org": world.org, "team": world.team, "owner": manager, "created_by": manager}
    defaults.update(fields)
    return GoalFactory(**defaults)


def goal_payload(world, kpi: Kpi, **overrides: object) -> dict[str, object]:
    start = timezone.localdate().replace(day=1)
    data = {
        "title": "Win 30 mid-market deals",
        "statement": "Close 30 mid-market deals in East China.",
        "scope_segment": "Mid-market",
        "kpi": kpi.pk,
        "baseline": "20",
        "target": "30",
        "start_date": start.isoformat(),
        "due_date": (start + timedelta(days=89)).isoformat(),
        "level": "team",
        "team": world.team.pk,
    }
    data.update(overrides)
    return data


# --- KPIs -------------------------------------------------------------------------------------


def test_kpi_list_shows_the_catalogue_of_the_tokens_org(world, builtin):
    KpiFactory(org=world.other_org, name="Their KPI")

    response = api(world, Role.REP).get("/api/v1/kpis/")

    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 13
    conversion = next(k for k in body["results"] if k["key"] == "conversion_rate")
    assert conversion["numerator"] == builtin["deals_won"].pk
    assert conversion["denominator"] == builtin["new_leads"].pk
    assert conversion["display_name"] == "Conversion rate"


def test_kpi_list_filters_by_aggregation(world, builtin):
    response = api(world, Role.REP).get("/api/v1/kpis/", {"aggregation": "ratio"})

    assert {k["key"] for k in response.json()["results"]} == {
        "conversion_rate",
        "average_transaction_value",
    }


def test_admin_creates_a_kpi_through_the_api(world):
    response = post(
        api(world, Role.ADMIN),
        "/api/v1/kpis/",
        {"name": "Demo calls", "unit": "count", "direction": "higher", "aggregation": "sum"},
    )

    assert response.status_code == 201
    assert Kpi.objects.get(pk=response.json()["id"]).org == world.org


@pytest.mark.parametrize("role", [Role.LEADER, Role.MANAGER, Role.REP])
def test_only_admins_create_kpis_through_the_api(world, role):
    response = post(
        api(world, role),
        "/api/v1/kpis/",
        {"name": "Demo calls", "unit": "count", "direction": "higher", "aggregation": "sum"},
    )

    assert error_of(response, 403)["code"] == "permission_denied"
    assert not Kpi.objects.filter(name="Demo calls").exists()


def test_built_in_kpi_unit_cannot_change_through_the_api(world, builtin):
    won = builtin["deals_won"]

    response = patch(api(world, Role.ADMIN), f"/api/v1/kpis/{won.pk}/", {"unit": "currency"})

    error_of(response, 400)
    won.refresh_from_db()
    assert won.unit == "count"


def test_kpi_of_another_org_is_not_found_through_the_api(world):
    foreign = KpiFactory(org=world.other_org)

    error_of(api(world, Role.ADMIN).get(f"/api/v1/kpis/{foreign.pk}/"), 404)


# --- goals ------------------------------------------------------------------------------------------


def test_goal_list_includes_metrics(world, builtin):
    won = builtin["deals_won"]
    goal = make_goal(world, kpi=won, target=100, status=GoalStatus.ACTIVE)
    MeasurementFactory(
        org=world.org, kpi=won, team=world.team, period_start=goal.start_date, value=40
    )

    response = api(world, Role.MANAGER).get("/api/v1/goals/")

    [item] = response.json()["results"]
    assert item["id"] == goal.pk
    assert item["metrics"]["actual"] == 40
    assert item["metrics"]["progress"] == pytest.approx(0.4)
    assert set(item["metrics"]) == {"actual", "progress", "expected", "forecast", "health"}


def test_goal_detail_includes_metrics(world, builtin):
    goal = make_goal(world, kpi=builtin["deals_won"])

    body = api(world, Role.MANAGER).get(f"/api/v1/goals/{goal.pk}/").json()

    assert body["id"] == goal.pk
    assert body["metrics"]["actual"] is None
    assert body["status"] == "draft"


@pytest.fixture
def goals(world, builtin) -> dict[str, Goal]:
    west = TeamFactory(org=world.org, name="West Sales")
    return {
        "company": make_goal(
            world,
            title="Company revenue",
            kpi=builtin["revenue"],
            level=GoalLevel.COMPANY,
            team=None,
            owner=world.user(Role.LEADER),
            status=GoalStatus.ACTIVE,
        ),
        "east": make_goal(world, title="East deals", kpi=builtin["deals_won"]),
        "west": make_goal(
            world,
            title="West leads",
            statement="Leads from trade fairs.",
            kpi=builtin["new_leads"],
            team=west,
            owner=world.user(Role.LEADER),
        ),
        "rep": make_goal(
            world,
            title="Rep deals",
            kpi=builtin["deals_won"],
            level=GoalLevel.INDIVIDUAL,
            owner=world.user(Role.REP),
            status=GoalStatus.ACTIVE,
        ),
    }


def test_goal_list_filters(world, goals, builtin):
    client = api(world, Role.LEADER)

    def listed(**params: object) -> set[str]:
        return {item["title"] for item in client.get("/api/v1/goals/", params).json()["results"]}

    assert len(listed()) == 4
    assert listed(team=world.team.pk) == {"East deals", "Rep deals"}
    assert listed(level="company") == {"Company revenue"}
    assert listed(status="active") == {"Company revenue", "Rep deals"}
    assert listed(kpi=builtin["new_leads"].pk) == {"West leads"}
    assert listed(owner=world.user(Role.REP).pk) == {"Rep deals"}
    assert listed(search="trade fair") == {"West leads"}


def test_goal_list_shows_a_rep_only_the_goals_they_may_see(world, goals):
    assert ids(api(world, Role.REP).get("/api/v1/goals/")) == {
        goals["company"].pk,
        goals["east"].pk,
        goals["rep"].pk,
    }
    error_of(api(world, Role.REP).get(f"/api/v1/goals/{goals['west'].pk}/"), 404)


def test_manager_creates_a_draft_goal_through_the_api(world, builtin):
    response = post(
        api(world, Role.MANAGER), "/api/v1/goals/", goal_payload(world, builtin["deals_won"])
    )

    assert response.status_code == 201
    body = response.json()
    goal = Goal.objects.get(pk=body["id"])
    assert (goal.org, goal.status, goal.owner) == (world.org, "draft", world.user(Role.MANAGER))
    assert body["status"] == "draft"


@pytest.mark.parametrize("role", [Role.REP, Role.MEMBER])
def test_reps_and_members_may_not_create_goals_through_the_api(world, builtin, role):
    response = post(api(world, role), "/api/v1/goals/", goal_payload(world, builtin["deals_won"]))

    error = error_of(response, 403)
    assert error["code"] == "permission_denied"
    assert not Goal.objects.exists()


def test_manager_may_not_create_a_company_goal_through_the_api(world, builtin):
    payload = goal_payload(world, builtin["revenue"], level="company", team=None)

    error_of(post(api(world, Role.MANAGER), "/api/v1/goals/", payload), 403)
    assert not Goal.objects.exists()


def test_invalid_goal_is_refused_with_the_fields_named(world, builtin):
    payload = goal_payload(world, builtin["deals_won"], target=None, team=world.other_team.pk)
    del payload["start_date"]

    error = error_of(post(api(world, Role.MANAGER), "/api/v1/goals/", payload), 400)

    assert error["code"] == "validation_error"
    assert {"target", "start_date", "team"} <= set(error["fields"])
    assert not Goal.objects.exists()


def test_goal_with_a_kpi_of_another_org_is_refused(world):
    foreign = KpiFactory(org=world.other_org)

    error = error_of(
        post(api(world, Role.MANAGER), "/api/v1/goals/", goal_payload(world, foreign)), 400
    )

    assert "kpi" in error["fields"]
    assert not Goal.objects.exists()


def test_team_goal_without_a_team_is_refused_by_the_service(world, builtin):
    payload = goal_payload(world, builtin["deals_won"], team=None)

    error = error_of(post(api(world, Role.MANAGER), "/api/v1/goals/", payload), 400)

    assert "team" in error["fields"]
    assert not Goal.objects.exists()


def test_changing_an_active_goals_target_needs_a_reason(world, builtin):
    goal = make_goal(world, kpi=builtin["deals_won"], status=GoalStatus.ACTIVE, target=120)
    client = api(world, Role.MANAGER)

    error = error_of(patch(client, f"/api/v1/goals/{goal.pk}/", {"target": "150"}), 400)
    assert "reason" in error["fields"]
    goal.refresh_from_db()
    assert goal.target == 120

    response = patch(client, f"/api/v1/goals/{goal.pk}/", {"target": "150", "reason": "New line"})

    assert response.status_code == 200
    goal.refresh_from_db()
    assert goal.target == 150
    assert goal.history.first().history_change_reason == "New line"


def test_activate_needs_a_reason_over_a_relevant_failure(world, builtin):
    goal = make_goal(world, kpi=builtin["deals_won"])  # a team goal without a parent
    client = api(world, Role.MANAGER)

    error = error_of(post(client, f"/api/v1/goals/{goal.pk}/activate/", {}), 400)
    assert "reason" in error["fields"]
    goal.refresh_from_db()
    assert goal.status == GoalStatus.DRAFT

    response = post(client, f"/api/v1/goals/{goal.pk}/activate/", {"reason": "Pilot"})

    assert response.status_code == 200
    assert response.json()["status"] == "active"
    assert response.json()["activation_reason"] == "Pilot"
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACTIVE


def test_activate_is_blocked_when_measurable_fails(world, builtin):
    goal = make_goal(world, kpi=builtin["renewal_rate"], baseline=80, target=150)

    error_of(
        post(api(world, Role.MANAGER), f"/api/v1/goals/{goal.pk}/activate/", {"reason": "x"}), 400
    )

    goal.refresh_from_db()
    assert goal.status == GoalStatus.DRAFT


def test_close_an_active_goal_and_not_twice(world, builtin):
    goal = make_goal(world, kpi=builtin["deals_won"], status=GoalStatus.ACTIVE)
    client = api(world, Role.MANAGER)

    response = post(client, f"/api/v1/goals/{goal.pk}/close/", {"status": "achieved"})

    assert response.status_code == 200
    assert response.json()["status"] == "achieved"
    error_of(post(client, f"/api/v1/goals/{goal.pk}/close/", {"status": "cancelled"}), 400)
    error = error_of(post(client, f"/api/v1/goals/{goal.pk}/close/", {"status": "paused"}), 400)
    assert "status" in error["fields"]
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACHIEVED


def test_a_rep_may_not_activate_or_close_the_team_goal(world, builtin):
    goal = make_goal(world, kpi=builtin["deals_won"], status=GoalStatus.ACTIVE)
    client = api(world, Role.REP)

    error_of(post(client, f"/api/v1/goals/{goal.pk}/close/", {"status": "achieved"}), 403)
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACTIVE


# --- the SMART check --------------------------------------------------------------------------------


def test_smart_check_returns_the_five_criteria(world, builtin):
    response = post(
        api(world, Role.MANAGER),
        "/api/v1/goals/smart-check/",
        goal_payload(world, builtin["deals_won"]),
    )

    assert response.status_code == 200
    body = response.json()
    assert [c["key"] for c in body["criteria"]] == SMART_KEYS
    assert all(c["level"] in ("pass", "warn", "fail") and c["message"] for c in body["criteria"])
    assert {"blocking", "needs_reason", "baseline_suggestion"} <= set(body)
    assert body["blocking"] is False
    assert body["needs_reason"] is True  # no parent goal: Relevant fails


def test_smart_check_of_an_empty_draft_blocks(world):
    body = post(api(world, Role.MANAGER), "/api/v1/goals/smart-check/", {}).json()

    levels = {c["key"]: c["level"] for c in body["criteria"]}
    assert levels["specific"] == "fail"
    assert levels["measurable"] == "fail"
    assert levels["time_bound"] == "fail"
    assert body["blocking"] is True


def test_smart_check_suggests_a_baseline_from_history(world, builtin):
    won = builtin["deals_won"]
    start = timezone.localdate().replace(day=1)
    for back in range(1, 4):
        month = (start - timedelta(days=28 * back)).replace(day=1)
        MeasurementFactory(org=world.org, kpi=won, team=world.team, period_start=month, value=10)

    body = post(
        api(world, Role.MANAGER), "/api/v1/goals/smart-check/", goal_payload(world, won)
    ).json()

    assert Decimal(body["baseline_suggestion"]) == 30


# --- measurements ----------------------------------------------------------------------------------


def bulk_rows(world, count: int = 3, prefix: str = "crm") -> list[dict[str, object]]:
    return [
        {
            "external_id": f"{prefix}-{index}",
            "kpi": "deals_won",
            "team": "East Sales",
            "date": f"2025-0{index + 1}-15",
            "value": str(10 + index),
        }
        for index in range(count)
    ]


BULK = "/api/v1/measurements/bulk/"


def test_bulk_upsert_creates_the_rows(world, builtin):
    response = post(api(world, Role.MANAGER), BULK, {"rows": bulk_rows(world)})

    assert response.status_code == 200
    assert response.json() == {"created": 3, "updated": 0, "unchanged": 3 - 3}
    assert set(
        Measurement.objects.values_list("external_id", "period_start", "value", "source")
    ) == {
        ("crm-0", date(2025, 1, 1), 10, "api"),
        ("crm-1", date(2025, 2, 1), 11, "api"),
        ("crm-2", date(2025, 3, 1), 12, "api"),
    }


def test_the_same_bulk_batch_twice_changes_nothing(world, builtin):
    client = api(world, Role.MANAGER)
    post(client, BULK, {"rows": bulk_rows(world)})
    before = list(Measurement.objects.order_by("pk").values_list("pk", "updated_at"))

    response = post(client, BULK, {"rows": bulk_rows(world)})

    assert response.json() == {"created": 0, "updated": 0, "unchanged": 3}
    assert list(Measurement.objects.order_by("pk").values_list("pk", "updated_at")) == before


def test_a_bulk_batch_with_a_changed_value_updates_that_row(world, builtin):
    client = api(world, Role.MANAGER)
    post(client, BULK, {"rows": bulk_rows(world)})
    rows = bulk_rows(world)
    rows[1]["value"] = "99"

    response = post(client, BULK, {"rows": rows})

    assert response.json() == {"created": 0, "updated": 1, "unchanged": 2}
    assert Measurement.objects.get(external_id="crm-1").value == 99
    assert Measurement.objects.count() == 3


@pytest.mark.parametrize(
    ("bad_row", "field"),
    [
        ({"kpi": "no_such_kpi"}, "kpi"),
        ({"team": "Mars Sales"}, "team"),
        ({"external_id": "crm-0"}, "external_id"),
        ({"kpi": "conversion_rate"}, "kpi"),
        ({"value": "lots"}, "value"),
        ({"team": "", "owner": ""}, "team"),
    ],
    ids=["unknown-kpi", "unknown-team", "duplicate-id", "ratio-kpi", "not-a-number", "no-scope"],
)
def test_a_bulk_batch_with_one_bad_row_writes_nothing(world, builtin, bad_row, field):
    rows = bulk_rows(world)
    rows[2].update(bad_row)

    error = error_of(post(api(world, Role.MANAGER), BULK, {"rows": rows}), 400)

    assert "rows" in error["fields"]
    flagged = error["fields"]["rows"]
    flagged = flagged[0] if isinstance(flagged, list) else flagged
    assert set(flagged) == {"2"}
    assert field in flagged["2"]
    assert not Measurement.objects.exists()


def test_a_bulk_batch_over_5000_rows_is_refused(world, builtin):
    rows = [
        {
            "external_id": f"r{i}",
            "kpi": "deals_won",
            "team": "East Sales",
            "date": "2025-01-01",
            "value": "1",
        }
        for i in range(5001)
    ]

    error = error_of(post(api(world, Role.MANAGER), BULK, {"rows": rows}), 400)

    assert "rows" in error["fields"]
    assert not Measurement.objects.exists()


def test_bulk_without_a_list_of_rows_is_refused(world, builtin):
    error = error_of(post(api(world, Role.MANAGER), BULK, {"rows": "all of them"}), 400)

    assert "rows" in error["fields"]


@pytest.mark.parametrize("role", [Role.REP, Role.MEMBER])
def test_reps_and_members_may_not_bulk_upsert(world, builtin, role):
    error_of(post(api(world, role), BULK, {"rows": bulk_rows(world)}), 403)

    assert not Measurement.objects.exists()


def test_rep_records_their_own_value_through_the_api(world, builtin):
    rep = world.user(Role.REP)

    response = post(
        api(world, Role.REP),
        "/api/v1/measurements/",
        {"kpi": builtin["deals_won"].pk, "owner": rep.pk, "date": "2025-01-20", "value": "3"},
    )

    assert response.status_code == 201
    measurement = Measurement.objects.get()
    assert (measurement.owner, measurement.team, measurement.period_start) == (
        rep,
        None,
        date(2025, 1, 1),
    )


def test_rep_may_not_record_for_the_team_through_the_api(world, builtin):
    response = post(
        api(world, Role.REP),
        "/api/v1/measurements/",
        {"kpi": builtin["deals_won"].pk, "team": world.team.pk, "date": "2025-01-20", "value": "3"},
    )

    error_of(response, 403)
    assert not Measurement.objects.exists()


def test_manager_may_not_record_for_another_team_through_the_api(world, builtin):
    west = TeamFactory(org=world.org, name="West Sales")

    response = post(
        api(world, Role.MANAGER),
        "/api/v1/measurements/",
        {"kpi": builtin["deals_won"].pk, "team": west.pk, "date": "2025-01-20", "value": "3"},
    )

    error_of(response, 403)
    assert not Measurement.objects.exists()


def test_measurement_list_shows_a_rep_their_teams_and_own_values(world, builtin):
    won = builtin["deals_won"]
    own = MeasurementFactory(org=world.org, kpi=won, team=None, owner=world.user(Role.REP))
    team = MeasurementFactory(org=world.org, kpi=won, team=world.team)
    MeasurementFactory(org=world.org, kpi=won, team=TeamFactory(org=world.org))

    assert ids(api(world, Role.REP).get("/api/v1/measurements/")) == {own.pk, team.pk}
    assert len(ids(api(world, Role.LEADER).get("/api/v1/measurements/"))) == 3


# --- other organisations ------------------------------------------------------------------------------


def test_a_token_of_another_org_never_sees_this_orgs_data(world, builtin):
    goal = make_goal(world, kpi=builtin["deals_won"], status=GoalStatus.ACTIVE)
    measurement = MeasurementFactory(org=world.org, kpi=builtin["deals_won"], team=world.team)
    checkin = CheckInFactory(goal=goal)
    own_goal = GoalFactory(
        org=world.other_org, team=world.other_team, owner=world.outsider.user, status="active"
    )
    client = api(world, "outsider")

    assert ids(client.get("/api/v1/goals/")) == {own_goal.pk}
    assert ids(client.get("/api/v1/goals/", {"team": world.team.pk})) == set()
    error_of(client.get(f"/api/v1/goals/{goal.pk}/"), 404)
    error_of(post(client, f"/api/v1/goals/{goal.pk}/close/", {"status": "cancelled"}), 404)
    assert measurement.pk not in ids(client.get("/api/v1/measurements/"))
    assert ids(client.get("/api/v1/measurements/", {"kpi": builtin["deals_won"].pk})) == set()
    assert checkin.pk not in ids(client.get("/api/v1/checkins/"))
    assert ids(client.get("/api/v1/checkins/", {"goal": goal.pk})) == set()
    assert all(k["key"] == "" for k in client.get("/api/v1/kpis/").json()["results"])
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACTIVE


def test_a_token_of_another_org_cannot_write_into_this_org(world, builtin):
    goal = make_goal(world, kpi=builtin["deals_won"], status=GoalStatus.ACTIVE)
    client = api(world, "outsider")

    error_of(post(client, "/api/v1/checkins/", {"goal": goal.pk, "confidence": 5}), 400)
    error_of(
        post(
            client,
            "/api/v1/measurements/",
            {
                "kpi": builtin["deals_won"].pk,
                "team": world.team.pk,
                "date": "2025-01-01",
                "value": "1",
            },
        ),
        400,
    )

    assert not CheckIn.objects.exists()
    assert not Measurement.objects.exists()


def test_bulk_names_resolve_only_within_the_tokens_org(world, builtin):
    kpi_services.kpis_ensure_builtin(org=world.other_org)
    rows = bulk_rows(world, 1)  # names East Sales, a team of acme

    error = error_of(post(api(world, "outsider"), BULK, {"rows": rows}), 400)

    assert "rows" in error["fields"]
    assert not Measurement.objects.exists()


# --- check-ins -----------------------------------------------------------------------------------------


def test_owner_checks_in_through_the_api(world, builtin):
    goal = make_goal(world, kpi=builtin["deals_won"], status=GoalStatus.ACTIVE)

    response = post(
        api(world, Role.MANAGER),
        "/api/v1/checkins/",
        {"goal": goal.pk, "confidence": 6, "note": "OK"},
    )

    assert response.status_code == 201
    body = response.json()
    checkin = CheckIn.objects.get()
    assert body["id"] == checkin.pk
    assert body["author"] == world.user(Role.MANAGER).pk
    assert date.fromisoformat(body["week_start"]).weekday() == 0
    assert (checkin.goal, checkin.confidence) == (goal, 6)


@pytest.mark.parametrize("role", [Role.REP, Role.LEADER, Role.ADMIN])
def test_only_the_owner_checks_in_through_the_api(world, builtin, role):
    goal = make_goal(world, kpi=builtin["deals_won"], status=GoalStatus.ACTIVE)

    error_of(post(api(world, role), "/api/v1/checkins/", {"goal": goal.pk, "confidence": 6}), 403)

    assert not CheckIn.objects.exists()


def test_checkin_confidence_over_10_is_refused_through_the_api(world, builtin):
    goal = make_goal(world, kpi=builtin["deals_won"], status=GoalStatus.ACTIVE)

    error = error_of(
        post(api(world, Role.MANAGER), "/api/v1/checkins/", {"goal": goal.pk, "confidence": 11}),
        400,
    )

    assert "confidence" in error["fields"]
    assert not CheckIn.objects.exists()


def test_checkin_on_a_draft_goal_is_refused_through_the_api(world, builtin):
    goal = make_goal(world, kpi=builtin["deals_won"])

    error_of(
        post(api(world, Role.MANAGER), "/api/v1/checkins/", {"goal": goal.pk, "confidence": 6}), 400
    )

    assert not CheckIn.objects.exists()


def test_checkin_list_shows_checkins_of_visible_goals(world, builtin):
    visible = CheckInFactory(goal=make_goal(world, kpi=builtin["deals_won"]))
    west = TeamFactory(org=world.org, name="West Sales")
    hidden = CheckInFactory(
        goal=make_goal(world, kpi=builtin["deals_won"], team=west, owner=world.user(Role.LEADER))
    )

    assert ids(api(world, Role.REP).get("/api/v1/checkins/")) == {visible.pk}
    assert ids(api(world, Role.LEADER).get("/api/v1/checkins/")) == {visible.pk, hidden.pk}
