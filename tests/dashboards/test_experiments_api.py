"""API v1 for experiments: creating one with its variants, results in batches (all rows or none,
a repeated batch with external ids changes nothing), the analysis exactly as `results_for` works
it out, the policy, ids that never cross organisations, and bad input answering 400 in the one
error shape."""

import math
from decimal import Decimal

import pytest
from django.core.cache import cache

from dashboards import stats
from dashboards.experiments import (
    ResultRow,
    experiment_create,
    experiment_set_status,
    observations_add,
    results_for,
)
from dashboards.models import Experiment, ExperimentStatus, Observation, Variant
from salesops.models import Role

from ..apiclient import api, error_of, post
from ..factories import KpiFactory

LIST = "/api/v1/experiments/"


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


def detail_url(experiment: Experiment) -> str:
    return f"{LIST}{experiment.pk}/"


def results_url(experiment: Experiment) -> str:
    return f"{LIST}{experiment.pk}/results/"


def body(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "Bundle offer",
        "hypothesis": "Offering a bundle lifts conversion.",
        "variants": ["Control", "Bundle"],
        "metric": "conversion",
        "baseline": "20",
        "minimum_effect": "5",
    }
    data.update(changes)
    return data


def make(world, metric: str = "conversion", variants=("Control", "Bundle")) -> Experiment:
    return experiment_create(
        actor=world.user(Role.ADMIN),
        org=world.org,
        variants=list(variants),
        title="Pitch",
        hypothesis="H",
        owner=world.user(Role.MANAGER),
        metric=metric,
        baseline=Decimal(20) if metric == "conversion" else Decimal(500),
        minimum_effect=Decimal(5) if metric == "conversion" else Decimal(200),
        alpha=Decimal("0.05"),
        power=Decimal("0.8"),
    )


@pytest.fixture
def experiment(world) -> Experiment:
    return make(world)


# --- creating ----------------------------------------------------------------------------------


def test_create_with_variants(world):
    kpi = KpiFactory(org=world.org)
    response = post(
        api(world, Role.MANAGER),
        LIST,
        body(team=world.team.pk, kpi=kpi.pk, alpha="0.01", power="0.9"),
    )
    assert response.status_code == 201, response.content
    data = response.json()
    experiment = Experiment.objects.get()
    assert data["id"] == experiment.pk
    assert experiment.org == world.org
    assert experiment.owner == world.user(Role.MANAGER)  # the caller when left out
    assert experiment.created_by == world.user(Role.MANAGER)
    assert (experiment.team, experiment.kpi) == (world.team, kpi)
    assert data["status"] == "draft"
    assert data["metric"] == "conversion"
    assert data["planned_per_variant"] == stats.sample_size_proportions(
        baseline=0.2, minimum_effect=0.05, alpha=0.01, power=0.9
    )
    assert [(v["name"], v["position"], v["is_control"]) for v in data["variants"]] == [
        ("Control", 0, True),
        ("Bundle", 1, False),
    ]
    assert data["variants"][1]["analysis"] is None
    assert data["variants"][1]["verdict"] == "Not enough results yet to compare."


def test_a_rep_may_read_but_not_create(world, experiment):
    response = post(api(world, Role.REP), LIST, body())
    error_of(response, 403)
    assert Experiment.objects.count() == 1
    client = api(world, Role.REP)
    assert client.get(LIST).status_code == 200
    assert client.get(detail_url(experiment)).status_code == 200


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"variants": ["Only one"]}, "variants"),
        ({"variants": ["Same", "same"]}, "variants"),
        ({"variants": [f"V{i}" for i in range(7)]}, "variants"),
        ({"variants": ["A", "x" * 81]}, "variants"),
        ({"variants": "Control"}, "variants"),
        ({"title": ""}, "title"),
        ({"metric": "median"}, "metric"),
        ({"baseline": "0"}, "baseline"),
        ({"baseline": "100"}, "baseline"),
        ({"minimum_effect": "90"}, "minimum_effect"),
        ({"alpha": "0.5"}, "alpha"),
        ({"power": "1.5"}, "power"),
        ({"baseline": "abc"}, "baseline"),
    ],
)
def test_create_with_bad_input_answers_400_and_saves_nothing(world, changes, field):
    response = post(api(world, Role.ADMIN), LIST, body(**changes))
    error = error_of(response, 400)
    assert error["code"] == "validation_error"
    assert field in error["fields"], error
    assert not Experiment.objects.exists()
    assert not Variant.objects.exists()


def test_create_refuses_ids_of_another_organisation(world):
    foreign_kpi = KpiFactory(org=world.other_org)
    response = post(
        api(world, Role.ADMIN),
        LIST,
        body(kpi=foreign_kpi.pk, team=world.other_team.pk, owner=world.outsider.user.pk),
    )
    error = error_of(response, 400)
    assert {"kpi", "team", "owner"} <= set(error["fields"])
    assert not Experiment.objects.exists()


def test_list_is_the_organisations_and_filters_by_status(world, experiment):
    running = make(world)
    experiment_set_status(
        actor=world.user(Role.ADMIN),
        experiment=running,
        status="running",
        today=running.created_at.date(),
    )
    foreign = experiment_create(
        actor=world.outsider.user,
        org=world.other_org,
        variants=["A", "B"],
        title="Theirs",
        hypothesis="H",
        owner=world.outsider.user,
        metric="mean",
        baseline=Decimal(5),
        minimum_effect=Decimal(1),
        alpha=Decimal("0.05"),
        power=Decimal("0.8"),
    )
    client = api(world, Role.MEMBER)
    ids = [row["id"] for row in client.get(LIST).json()["results"]]
    assert sorted(ids) == sorted([experiment.pk, running.pk])
    assert foreign.pk not in ids
    only = client.get(LIST, {"status": "running"}).json()["results"]
    assert [row["id"] for row in only] == [running.pk]
    error_of(client.get(LIST, {"status": "nonsense"}), 400)


# --- results ----------------------------------------------------------------------------------


def test_results_batch_is_idempotent_by_external_id(world, experiment):
    client = api(world, Role.MANAGER)
    rows = {
        "rows": [
            {"variant": "Control", "trials": 100, "successes": 20, "external_id": "d1-a"},
            {"variant": "bundle", "trials": 100, "successes": 30, "external_id": "d1-b"},
        ]
    }
    first = post(client, results_url(experiment), rows)
    assert first.status_code == 201, first.content
    assert (first.json()["added"], first.json()["skipped"]) == (2, 0)
    variants = {v["name"]: v for v in first.json()["experiment"]["variants"]}
    assert (variants["Bundle"]["trials"], variants["Bundle"]["successes"]) == (100, 30)

    again = post(client, results_url(experiment), rows)
    assert again.status_code == 200, again.content
    assert (again.json()["added"], again.json()["skipped"]) == (0, 2)
    assert Observation.objects.count() == 2

    # A new row among the old ones is the only one added; a row without an id always is.
    rows["rows"].append({"variant": "Control", "trials": 10, "successes": 1, "external_id": "d2"})
    rows["rows"].append({"variant": "Control", "trials": 10, "successes": 1})
    third = post(client, results_url(experiment), rows)
    assert (third.json()["added"], third.json()["skipped"]) == (2, 2)
    assert Observation.objects.count() == 4


def test_results_of_a_mean(world):
    experiment = make(world, metric="mean", variants=("Standard", "Premium"))
    rows = [{"variant": "Standard", "value": v} for v in ("100", "110", "90.5")]
    rows += [{"variant": "Premium", "value": v} for v in ("150", "170")]
    response = post(api(world, Role.LEADER), results_url(experiment), {"rows": rows})
    assert response.status_code == 201, response.content
    premium = response.json()["experiment"]["variants"][1]
    assert premium["n"] == 2 and premium["mean"] == pytest.approx(160)
    assert premium["analysis"]["df"] is not None


@pytest.mark.parametrize(
    "rows",
    [
        [
            {"variant": "Control", "trials": 10, "successes": 2},
            {"variant": "Nobody", "trials": 5, "successes": 1},
        ],
        [
            {"variant": "Control", "trials": 10, "successes": 2},
            {"variant": "Bundle", "trials": 5, "successes": 6},
        ],
        [{"variant": "Control", "trials": 10, "successes": 2}, {"variant": "Bundle", "value": "3"}],
        [{"variant": "Control", "trials": 10}],
        [{"variant": "Control", "trials": 0, "successes": 0}],
        [{"variant": "Control", "trials": 10, "successes": 2, "value": "1"}],
        [{"variant": "Control"}],
        [{"variant": "Control", "trials": 10, "successes": 2, "external_id": "x" * 121}],
        [],
        "not a list",
    ],
)
def test_bad_results_answer_400_and_save_nothing(world, experiment, rows):
    response = post(api(world, Role.ADMIN), results_url(experiment), {"rows": rows})
    error = error_of(response, 400)
    assert error["code"] == "validation_error"
    assert error["fields"]
    assert not Observation.objects.exists()


def test_a_mean_takes_values_not_counts(world):
    experiment = make(world, metric="mean")
    rows = [{"variant": "Control", "trials": 10, "successes": 2}]
    error = error_of(post(api(world, Role.ADMIN), results_url(experiment), {"rows": rows}), 400)
    assert "rows" in error["fields"]
    assert not Observation.objects.exists()


def test_a_missing_body_is_400(world, experiment):
    error = error_of(post(api(world, Role.ADMIN), results_url(experiment), {}), 400)
    assert "rows" in error["fields"]


def test_a_finished_experiment_takes_no_results(world, experiment):
    admin = world.user(Role.ADMIN)
    day = experiment.created_at.date()
    experiment_set_status(actor=admin, experiment=experiment, status="running", today=day)
    experiment_set_status(actor=admin, experiment=experiment, status="finished", today=day)
    rows = [{"variant": "Control", "trials": 10, "successes": 2}]
    error = error_of(post(api(world, Role.ADMIN), results_url(experiment), {"rows": rows}), 400)
    assert "non_field_errors" in error["fields"]
    assert Experiment.objects.get().status == ExperimentStatus.FINISHED
    assert not Observation.objects.exists()


@pytest.mark.parametrize("role", [Role.REP, Role.MEMBER])
def test_only_managers_send_results(world, experiment, role):
    rows = [{"variant": "Control", "trials": 10, "successes": 2}]
    error_of(post(api(world, role), results_url(experiment), {"rows": rows}), 403)
    assert not Observation.objects.exists()


# --- the analysis -----------------------------------------------------------------------------


def _expected(experiment: Experiment) -> list[dict[str, object]]:
    rows = []
    for result in results_for(experiment=experiment):
        analysis = result.analysis
        rows.append(
            {
                "name": result.variant.name,
                "trials": result.trials,
                "successes": result.successes,
                "n": result.n,
                "verdict": result.verdict,
                "analysis": None
                if analysis is None
                else {
                    "difference": analysis.difference,
                    "ci_low": analysis.ci_low,
                    "ci_high": analysis.ci_high,
                    "p_value": analysis.p_value,
                    "significant": analysis.significant,
                    "statistic": analysis.statistic,
                    "df": analysis.df,
                    "more_needed_per_variant": analysis.more_needed_per_variant,
                },
            }
        )
    return rows


def test_retrieve_analysis_matches_results_for(world):
    experiment = make(world, variants=("Control", "Bundle", "Discount"))
    observations_add(
        actor=world.user(Role.ADMIN),
        experiment=experiment,
        rows=[
            ResultRow("Control", trials=1000, successes=200),
            ResultRow("Bundle", trials=1000, successes=260),
            ResultRow("Discount", trials=400, successes=84),
        ],
    )
    data = api(world, Role.REP).get(detail_url(experiment)).json()
    got = [
        {key: variant[key] for key in ("name", "trials", "successes", "n", "verdict", "analysis")}
        for variant in data["variants"]
    ]
    assert got == _expected(experiment)
    bundle, discount = data["variants"][1]["analysis"], data["variants"][2]["analysis"]
    assert bundle["significant"] is True and bundle["more_needed_per_variant"] is None
    assert discount["significant"] is False and discount["more_needed_per_variant"] > 0
    assert data["variants"][1]["rate"] == pytest.approx(0.26)
    assert data["variants"][1]["verdict"].startswith("Bundle converts 6.0 points better")


def test_retrieve_analysis_of_a_mean_matches_results_for(world):
    experiment = make(world, metric="mean", variants=("Standard", "Premium"))
    values = {"Standard": (100, 120, 90, 110), "Premium": (130, 150, 125, 160, 140)}
    observations_add(
        actor=world.user(Role.ADMIN),
        experiment=experiment,
        rows=[ResultRow(name, value=Decimal(v)) for name, vs in values.items() for v in vs],
    )
    data = api(world, Role.ADMIN).get(detail_url(experiment)).json()
    got = [
        {key: variant[key] for key in ("name", "trials", "successes", "n", "verdict", "analysis")}
        for variant in data["variants"]
    ]
    assert got == _expected(experiment)
    assert data["variants"][1]["sd"] == pytest.approx(
        math.sqrt(results_for(experiment=experiment)[1].variance)
    )


def test_an_infinite_statistic_is_sent_as_null(world):
    experiment = make(world, metric="mean", variants=("Standard", "Premium"))
    observations_add(
        actor=world.user(Role.ADMIN),
        experiment=experiment,
        rows=[ResultRow("Standard", value=Decimal(10))] * 2
        + [ResultRow("Premium", value=Decimal(12))] * 2,
    )
    response = api(world, Role.ADMIN).get(detail_url(experiment))
    assert response.status_code == 200
    analysis = response.json()["variants"][1]["analysis"]
    assert analysis["statistic"] is None
    assert analysis["significant"] is True and analysis["df"] is None


# --- other organisations ----------------------------------------------------------------------


def test_another_organisations_experiment_is_not_found(world, experiment):
    client = api(world, "outsider")
    assert error_of(client.get(detail_url(experiment)), 404)["code"] == "not_found"
    rows = [{"variant": "Control", "trials": 10, "successes": 2}]
    assert error_of(post(client, results_url(experiment), {"rows": rows}), 404)
    assert not Observation.objects.exists()
    assert client.get(LIST).json()["results"] == []
