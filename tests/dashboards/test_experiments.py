"""Experiment pages: who may open them (in English and Chinese), designing an experiment, results
typed in or imported from a CSV (all rows or none), the verdict against the control, the design
fixed once running, and starting, finishing and reopening."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

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

from ..factories import KpiFactory
from ..languages import LANGUAGES, speak

EVERYONE = [Role.ADMIN, Role.LEADER, Role.MANAGER, Role.REP, Role.MEMBER]
MANAGERS = [Role.ADMIN, Role.LEADER, Role.MANAGER]
NOT_MANAGERS = [Role.REP, Role.MEMBER]


def url(name: str, **kwargs: object) -> str:
    return reverse(f"dashboards:{name}", kwargs={"org_slug": "acme", **kwargs})


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def make(
    world, *, metric: str = "conversion", variants=("Control", "Bundle"), **fields
) -> Experiment:
    values = {
        "title": "Bundle offer",
        "hypothesis": "Offering a bundle lifts conversion.",
        "owner": world.user(Role.MANAGER),
        "team": world.team,
        "metric": metric,
        "baseline": Decimal(20) if metric == "conversion" else Decimal(500),
        "minimum_effect": Decimal(5) if metric == "conversion" else Decimal(200),
        "alpha": Decimal("0.05"),
        "power": Decimal("0.8"),
    }
    values.update(fields)
    return experiment_create(
        actor=world.user(Role.ADMIN), org=world.org, variants=list(variants), **values
    )


@pytest.fixture
def experiment(world) -> Experiment:
    return make(world)


@pytest.fixture
def mean_experiment(world) -> Experiment:
    return make(world, metric="mean", title="Premium pitch", variants=("Standard", "Premium"))


def form_data(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "Call script B",
        "hypothesis": "The shorter script books more demos.",
        "variants": "Script A\nScript B\n",
        "owner": "",
        "team": "",
        "kpi": "",
        "metric": "conversion",
        "baseline": "20",
        "minimum_effect": "5",
        "alpha": "0.05",
        "power": "0.8",
    }
    data.update(changes)
    return data


def csv_file(text: str, name: str = "results.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


# --- who may open which page -------------------------------------------------------------

PAGES = {
    "experiment_list": (lambda e: {}, EVERYONE),
    "experiment_detail": (lambda e: {"pk": e.pk}, EVERYONE),
    "experiment_create": (lambda e: {}, MANAGERS),
    "experiment_edit": (lambda e: {"pk": e.pk}, MANAGERS),
}
ALLOWED = [(page, role) for page, (_kw, roles) in PAGES.items() for role in roles]
REFUSED = [
    (page, role) for page, (_kw, roles) in PAGES.items() for role in EVERYONE if role not in roles
]


@pytest.mark.parametrize(("page", "role"), ALLOWED)
def test_page_renders_for_its_roles_in_english_and_chinese(world, clients, experiment, page, role):
    kwargs = PAGES[page][0](experiment)
    for language in LANGUAGES:
        speak(world, role, language)
        response = clients[role].get(url(page, **kwargs))
        assert response.status_code == 200, (page, role, language)
        content = response.content.decode()
        assert f'<html lang="{language}">' in content
        assert 'data-testid="nav-experiments"' in content


@pytest.mark.parametrize(("page", "role"), REFUSED)
def test_page_refuses_other_roles(clients, experiment, page, role):
    response = clients[role].get(url(page, **PAGES[page][0](experiment)))
    assert response.status_code == 403


@pytest.mark.parametrize("page", PAGES)
def test_page_is_not_found_for_another_organisation(clients, experiment, page):
    response = clients["outsider"].get(url(page, **PAGES[page][0](experiment)))
    assert response.status_code == 404


@pytest.mark.parametrize("role", NOT_MANAGERS)
def test_actions_refuse_roles_that_do_not_manage(clients, experiment, role):
    client = clients[role]
    control = experiment.variants.first()
    assert client.post(url("experiment_create"), form_data()).status_code == 403
    assert client.post(url("experiment_edit", pk=experiment.pk), {}).status_code == 403
    status_url = url("experiment_status", pk=experiment.pk)
    assert client.post(status_url, {"status": "running"}).status_code == 403
    results = {f"trials_{control.pk}": "10", f"successes_{control.pk}": "2"}
    assert client.post(url("results_add", pk=experiment.pk), results).status_code == 403
    upload = {"file": csv_file("variant,trials,successes\nControl,10,2\n")}
    assert client.post(url("results_import", pk=experiment.pk), upload).status_code == 403
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.DRAFT
    assert not Observation.objects.exists()
    assert Experiment.objects.count() == 1


def test_detail_page_hides_the_manager_forms_from_a_rep(clients, experiment):
    page = clients[Role.REP].get(url("experiment_detail", pk=experiment.pk)).content.decode()
    assert 'data-testid="results-form"' not in page
    assert 'data-testid="import-form"' not in page
    assert 'data-testid="start-experiment"' not in page
    manager_page = clients[Role.MANAGER].get(url("experiment_detail", pk=experiment.pk))
    content = manager_page.content.decode()
    assert 'data-testid="results-form"' in content
    assert 'data-testid="import-form"' in content
    assert 'data-testid="start-experiment"' in content
    assert "variant,trials,successes,external_id" in content  # the expected columns


def test_another_organisations_experiment_is_not_found(world, clients):
    foreign = experiment_create(
        actor=world.outsider.user,
        org=world.other_org,
        variants=["A", "B"],
        title="Theirs",
        hypothesis="H",
        owner=world.outsider.user,
        metric="conversion",
        baseline=Decimal(10),
        minimum_effect=Decimal(5),
        alpha=Decimal("0.05"),
        power=Decimal("0.8"),
    )
    admin = clients[Role.ADMIN]
    assert admin.get(url("experiment_detail", pk=foreign.pk)).status_code == 404
    assert admin.get(url("experiment_edit", pk=foreign.pk)).status_code == 404
    response = admin.post(url("experiment_status", pk=foreign.pk), {"status": "running"})
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == ExperimentStatus.DRAFT


# --- the list ------------------------------------------------------------------------------


def test_list_filters_by_status(world, clients, experiment):
    running = make(world, title="Discount ladder")
    experiment_set_status(
        actor=world.user(Role.ADMIN), experiment=running, status="running", today=running_day()
    )
    everything = clients[Role.REP].get(url("experiment_list")).content.decode()
    assert "Bundle offer" in everything and "Discount ladder" in everything
    only_running = clients[Role.REP].get(url("experiment_list"), {"status": "running"})
    content = only_running.content.decode()
    assert "Discount ladder" in content and "Bundle offer" not in content
    partial = clients[Role.REP].get(
        url("experiment_list"), {"status": "draft"}, HTTP_HX_REQUEST="true"
    )
    assert partial.status_code == 200
    assert "<nav" not in partial.content.decode()
    assert "Bundle offer" in partial.content.decode()


def running_day():
    from datetime import date

    return date(2030, 3, 2)


# --- creating and editing ------------------------------------------------------------------


def test_create_saves_the_design_its_variants_and_the_planned_sample(world, clients):
    kpi = KpiFactory(org=world.org)
    response = clients[Role.MANAGER].post(
        url("experiment_create"),
        form_data(owner=world.user(Role.REP).pk, team=world.team.pk, kpi=kpi.pk),
    )
    assert response.status_code == 302, response.content.decode()
    experiment = Experiment.objects.get()
    assert response["Location"] == url("experiment_detail", pk=experiment.pk)
    assert experiment.org == world.org
    assert experiment.status == ExperimentStatus.DRAFT
    assert experiment.created_by == world.user(Role.MANAGER)
    assert (experiment.owner, experiment.team, experiment.kpi) == (
        world.user(Role.REP),
        world.team,
        kpi,
    )
    assert list(experiment.variants.values_list("name", "position")) == [
        ("Script A", 0),
        ("Script B", 1),
    ]
    assert experiment.planned_per_variant == stats.sample_size_proportions(
        baseline=0.2, minimum_effect=0.05, alpha=0.05, power=0.8
    )
    page = clients[Role.REP].get(url("experiment_detail", pk=experiment.pk)).content.decode()
    assert f'data-testid="planned-sample">{experiment.planned_per_variant} ' in page


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"baseline": "0"}, "baseline"),
        ({"baseline": "120"}, "baseline"),
        ({"minimum_effect": "-1"}, "minimum_effect"),
        ({"minimum_effect": "90"}, "minimum_effect"),  # 20% + 90 points is past 100%
        ({"alpha": "0.5"}, "alpha"),
        ({"power": "abc"}, "power"),
        ({"metric": "median"}, "metric"),
        ({"owner": "999999"}, "owner"),
    ],
)
def test_create_with_bad_input_answers_400_and_saves_nothing(world, clients, changes, field):
    data = form_data(**{"owner": world.user(Role.MANAGER).pk, **changes})
    response = clients[Role.MANAGER].post(url("experiment_create"), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors, response.context["form"].errors
    assert not Experiment.objects.exists()
    assert not Variant.objects.exists()


@pytest.mark.parametrize(
    "variants", ["Only one\n", "\n  \n", "Same\nsame\n", "A\nB\nC\nD\nE\nF\nG"]
)
def test_create_refuses_fewer_than_two_distinct_variants_or_more_than_six(world, clients, variants):
    data = form_data(owner=world.user(Role.MANAGER).pk, variants=variants)
    response = clients[Role.MANAGER].post(url("experiment_create"), data)
    assert response.status_code == 400
    assert response.context["form"].errors["variants"]
    assert not Experiment.objects.exists()


def test_fewer_than_two_variants_shows_the_services_message(world, clients):
    data = form_data(owner=world.user(Role.MANAGER).pk, variants="Only one")
    response = clients[Role.ADMIN].post(url("experiment_create"), data)
    assert response.status_code == 400
    assert "Give at least two variants, the control first." in response.content.decode()


def test_create_refuses_a_kpi_or_team_of_another_organisation(world, clients):
    foreign_kpi = KpiFactory(org=world.other_org)
    data = form_data(
        owner=world.user(Role.MANAGER).pk, kpi=foreign_kpi.pk, team=world.other_team.pk
    )
    response = clients[Role.ADMIN].post(url("experiment_create"), data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "kpi" in errors and "team" in errors
    assert not Experiment.objects.exists()


def test_draft_design_may_change_and_the_plan_follows(world, clients, experiment):
    data = form_data(owner=world.user(Role.MANAGER).pk, baseline="30", minimum_effect="10")
    del data["variants"]
    response = clients[Role.LEADER].post(url("experiment_edit", pk=experiment.pk), data)
    assert response.status_code == 302
    experiment.refresh_from_db()
    assert experiment.baseline == Decimal(30)
    assert experiment.planned_per_variant == stats.sample_size_proportions(
        baseline=0.3, minimum_effect=0.1, alpha=0.05, power=0.8
    )
    assert experiment.variants.count() == 2  # the edit form leaves variants alone


def test_design_is_fixed_once_running_but_the_words_may_change(world, clients, experiment):
    experiment_set_status(
        actor=world.user(Role.ADMIN), experiment=experiment, status="running", today=running_day()
    )
    page = clients[Role.MANAGER].get(url("experiment_edit", pk=experiment.pk)).content.decode()
    assert 'data-testid="design-fixed"' in page
    data = form_data(owner=world.user(Role.MANAGER).pk, baseline="25")
    del data["variants"]
    response = clients[Role.MANAGER].post(url("experiment_edit", pk=experiment.pk), data)
    assert response.status_code == 400
    assert response.context["form"].errors["baseline"] == [
        "The design is fixed once the experiment runs; start a new one instead."
    ]
    experiment.refresh_from_db()
    assert experiment.baseline == Decimal(20)
    assert experiment.title == "Bundle offer"

    data.update(baseline="20", title="Bundle offer (Q3)")
    response = clients[Role.MANAGER].post(url("experiment_edit", pk=experiment.pk), data)
    assert response.status_code == 302
    experiment.refresh_from_db()
    assert experiment.title == "Bundle offer (Q3)"
    assert experiment.baseline == Decimal(20)


# --- status ----------------------------------------------------------------------------------


def test_start_finish_and_reopen(world, clients, experiment):
    client = clients[Role.MANAGER]
    status_url = url("experiment_status", pk=experiment.pk)
    detail = url("experiment_detail", pk=experiment.pk)

    response = client.post(status_url, {"status": "running"})
    assert response.status_code == 302 and response["Location"] == detail
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.RUNNING and experiment.started_on is not None
    started = experiment.started_on
    assert 'data-testid="finish-experiment"' in client.get(detail).content.decode()

    client.post(status_url, {"status": "finished"})
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.FINISHED and experiment.finished_on is not None
    page = client.get(detail).content.decode()
    assert 'data-testid="reopen-experiment"' in page
    assert 'data-testid="results-form"' not in page  # finished: no more results

    client.post(status_url, {"status": "running"})
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.RUNNING
    assert experiment.started_on == started and experiment.finished_on is None


@pytest.mark.parametrize("status", ["finished", "draft", "nonsense", ""])
def test_impossible_status_change_is_refused_with_a_message(clients, experiment, status):
    response = clients[Role.ADMIN].post(
        url("experiment_status", pk=experiment.pk), {"status": status}
    )
    assert response.status_code == 302
    assert "This change of status is not possible." in messages_of(response)
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.DRAFT


def test_status_change_needs_a_post(clients, experiment):
    response = clients[Role.ADMIN].get(url("experiment_status", pk=experiment.pk))
    assert response.status_code == 405


# --- results typed in ------------------------------------------------------------------------


def test_results_typed_in_per_variant_are_added_and_shown(clients, experiment):
    control, bundle = experiment.variants.all()
    data = {
        f"trials_{control.pk}": "200",
        f"successes_{control.pk}": "40",
        f"trials_{bundle.pk}": "200",
        f"successes_{bundle.pk}": "60",
    }
    response = clients[Role.MANAGER].post(url("results_add", pk=experiment.pk), data)
    assert response.status_code == 302
    assert response["Location"].endswith("#results")
    assert "2 results added." in messages_of(response)
    assert Observation.objects.filter(variant=control).get().trials == 200
    page = clients[Role.REP].get(url("experiment_detail", pk=experiment.pk)).content.decode()
    assert "20.00%" in page and "30.00%" in page
    planned = experiment.planned_per_variant
    assert f"200 of {planned} ({min(100, round(200 / planned * 100))}%)" in page


def test_one_variant_may_be_left_empty(clients, experiment):
    control, bundle = experiment.variants.all()
    data = {f"trials_{bundle.pk}": "50", f"successes_{bundle.pk}": "0"}
    response = clients[Role.MANAGER].post(url("results_add", pk=experiment.pk), data)
    assert response.status_code == 302
    assert list(Observation.objects.values_list("variant_id", "trials")) == [(bundle.pk, 50)]


@pytest.mark.parametrize(
    "data",
    [
        {},  # nothing at all
        {"trials": "10", "successes": "11"},  # more successes than trials
        {"trials": "10"},  # successes missing
        {"successes": "3"},  # trials missing
        {"trials": "0", "successes": "0"},
        {"trials": "ten", "successes": "1"},
    ],
)
def test_bad_results_answer_400_and_save_nothing(clients, experiment, data):
    control, bundle = experiment.variants.all()
    post = {f"{name}_{bundle.pk}": value for name, value in data.items()}
    post.update({f"trials_{control.pk}": "100", f"successes_{control.pk}": "10"})
    if not data:
        post = {}
    response = clients[Role.MANAGER].post(url("results_add", pk=experiment.pk), post)
    assert response.status_code == 400
    assert response.context["results_form"].errors
    assert 'data-testid="results-form"' in response.content.decode()
    assert not Observation.objects.exists()


def test_mean_values_one_per_line(clients, mean_experiment):
    standard, premium = mean_experiment.variants.all()
    data = {f"values_{standard.pk}": "100\n 120.5 \n\n90", f"values_{premium.pk}": "150\n170"}
    response = clients[Role.ADMIN].post(url("results_add", pk=mean_experiment.pk), data)
    assert response.status_code == 302
    assert "5 results added." in messages_of(response)
    values = sorted(Observation.objects.filter(variant=standard).values_list("value", flat=True))
    assert values == [Decimal(90), Decimal("100"), Decimal("120.5")]
    page = clients[Role.REP].get(url("experiment_detail", pk=mean_experiment.pk)).content.decode()
    assert "103.50" in page  # the standard variant's mean
    assert "n</th>" in page


def test_mean_values_that_are_not_numbers_are_listed_and_nothing_is_saved(clients, mean_experiment):
    standard, premium = mean_experiment.variants.all()
    data = {f"values_{standard.pk}": "100\nabc\n3\nNaN", f"values_{premium.pk}": "150"}
    response = clients[Role.ADMIN].post(url("results_add", pk=mean_experiment.pk), data)
    assert response.status_code == 400
    errors = response.context["results_form"].errors[f"values_{standard.pk}"]
    assert errors == ["These lines are not numbers: 2, 4"]
    assert not Observation.objects.exists()


def test_a_finished_experiment_takes_no_results(world, clients, experiment):
    admin = world.user(Role.ADMIN)
    experiment_set_status(actor=admin, experiment=experiment, status="running", today=running_day())
    experiment_set_status(
        actor=admin, experiment=experiment, status="finished", today=running_day()
    )
    control = experiment.variants.first()
    data = {f"trials_{control.pk}": "10", f"successes_{control.pk}": "1"}
    response = clients[Role.ADMIN].post(url("results_add", pk=experiment.pk), data)
    assert response.status_code == 400
    assert "The experiment is finished; reopen it to add results." in response.content.decode()
    assert not Observation.objects.exists()


# --- CSV import ---------------------------------------------------------------------------------


def test_csv_import_adds_every_row_and_a_repeat_adds_nothing(clients, experiment):
    content = (
        "\ufeffVariant,Trials,Successes,External_ID\n"
        "Control,100,20,day-1\n"
        "bundle,100,30,day-1\n"
        "Control,50,10,day-2\n"
    )
    client = clients[Role.MANAGER]
    response = client.post(url("results_import", pk=experiment.pk), {"file": csv_file(content)})
    assert response.status_code == 302
    assert "3 results imported." in messages_of(response)
    assert Observation.objects.count() == 3
    totals = {r.variant.name: (r.trials, r.successes) for r in results_for(experiment=experiment)}
    assert totals == {"Control": (150, 30), "Bundle": (100, 30)}

    again = client.post(url("results_import", pk=experiment.pk), {"file": csv_file(content)})
    assert again.status_code == 302
    assert Observation.objects.count() == 3
    assert "0 results imported. 3 rows sent before were skipped." in messages_of(again)


def test_csv_import_of_a_mean_in_gb18030(clients, mean_experiment):
    content = "variant,value\nStandard,100\nStandard,110\nPremium,130.25\n"
    upload = SimpleUploadedFile("值.csv", content.encode("gb18030"), content_type="text/csv")
    response = clients[Role.MANAGER].post(
        url("results_import", pk=mean_experiment.pk), {"file": upload}
    )
    assert response.status_code == 302
    assert Observation.objects.count() == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "variant,trials,successes\nControl,10,2\nNobody,10,2\nBundle,10,20\n",
            "Row 2: no variant named “Nobody”.",
        ),
        (
            "variant,trials,successes\nControl,10,2\nBundle,10,20\n",
            "Row 2: successes must be between 0 and the trials (at least 1).",
        ),
        (
            "variant,trials,successes\nControl,10,2\nBundle,ten,2\n",
            "Line 3: the numbers cannot be read.",
        ),
        ("variant,value\nControl,10\n", "The first line must name the columns:"),
        ("\n\n", "The first line must name the columns:"),
        (
            "variant,trials,successes\nControl,10,2,extra,columns\nBundle,10,2\n",
            None,  # extra values beyond the header are ignored: this one imports
        ),
    ],
)
def test_bad_csv_lists_the_errors_and_saves_nothing(clients, experiment, content, message):
    response = clients[Role.MANAGER].post(
        url("results_import", pk=experiment.pk), {"file": csv_file(content)}
    )
    if message is None:
        assert response.status_code == 302
        assert Observation.objects.count() == 2
        return
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-testid="import-errors"' in page
    assert escape(message) in page
    assert not Observation.objects.exists()


def test_every_bad_row_is_listed(clients, experiment):
    content = "variant,trials,successes\nControl,10,2\nNobody,10,2\nBundle,10,20\n"
    response = clients[Role.MANAGER].post(
        url("results_import", pk=experiment.pk), {"file": csv_file(content)}
    )
    assert response.status_code == 400
    assert response.context["import_errors"] == [
        "Row 2: no variant named “Nobody”.",
        "Row 3: successes must be between 0 and the trials (at least 1).",
    ]


@pytest.mark.parametrize(
    "upload",
    [
        {"file": SimpleUploadedFile("results.xlsx", b"PK\x03\x04", content_type="text/plain")},
        {"file": SimpleUploadedFile("results.csv", b"", content_type="text/csv")},
        {},
        {"file": SimpleUploadedFile("results.csv", b"\xff\xfe\x00\x00\xff", content_type="x")},
    ],
)
def test_unusable_file_is_refused(clients, experiment, upload):
    response = clients[Role.MANAGER].post(url("results_import", pk=experiment.pk), upload)
    assert response.status_code == 400
    assert not Observation.objects.exists()


# --- the verdict --------------------------------------------------------------------------------


def test_verdict_against_the_control_is_shown(world, clients, experiment):
    control, bundle = experiment.variants.all()
    observations_add(
        actor=world.user(Role.ADMIN),
        experiment=experiment,
        rows=[ResultRow("Control", trials=1000, successes=200), ResultRow("Bundle", 1000, 300)],
    )
    results = results_for(experiment=experiment)
    verdict = results[1].verdict
    assert verdict.startswith("Bundle converts 10.0 points better than Control")
    page = clients[Role.REP].get(url("experiment_detail", pk=experiment.pk)).content.decode()
    assert escape(verdict) in page
    assert 'data-testid="comparison-row"' in page
    assert "10.00" in page  # the difference in points
    analysis = results[1].analysis
    assert f"{analysis.ci_low * 100:.2f} … {analysis.ci_high * 100:.2f}" in page


def test_without_results_the_page_says_there_is_not_enough_yet(clients, experiment):
    page = clients[Role.REP].get(url("experiment_detail", pk=experiment.pk)).content.decode()
    assert "Not enough results yet to compare." in page


def test_mean_verdict_is_shown(world, clients, mean_experiment):
    rows = [ResultRow("Standard", value=Decimal(v)) for v in (100, 110, 90, 105, 95)]
    rows += [ResultRow("Premium", value=Decimal(v)) for v in (101, 112, 92, 104, 96)]
    observations_add(actor=world.user(Role.ADMIN), experiment=mean_experiment, rows=rows)
    verdict = results_for(experiment=mean_experiment)[1].verdict
    # 200 was the smallest effect worth finding: five values each are already plenty.
    assert verdict.startswith("Not significant (p = 0.")
    page = clients[Role.REP].get(url("experiment_detail", pk=mean_experiment.pk)).content.decode()
    assert escape(verdict) in page


def test_history_is_shown_to_those_who_may_see_it(world, clients, experiment):
    experiment_set_status(
        actor=world.user(Role.ADMIN), experiment=experiment, status="running", today=running_day()
    )
    page = clients[Role.ADMIN].get(url("experiment_detail", pk=experiment.pk)).content.decode()
    assert "History" in page


def test_csv_values_that_are_not_finite_numbers_are_refused(clients, mean_experiment):
    content = "variant,value\nStandard,100\nPremium,NaN\nPremium,Infinity\nStandard,1e20\n"
    response = clients[Role.MANAGER].post(
        url("results_import", pk=mean_experiment.pk), {"file": csv_file(content)}
    )
    assert response.status_code == 400
    assert response.context["import_errors"] == [
        "Row 2: the value is not a number in range.",
        "Row 3: the value is not a number in range.",
        "Row 4: the value is not a number in range.",
    ]
    assert not Observation.objects.exists()
