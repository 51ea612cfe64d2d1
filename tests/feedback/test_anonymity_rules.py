"""The promises of anonymous feedback, checked where they are kept: the database tables, the
results page and its export, the permissions, and one answer per person under concurrency."""

import re
import threading
import uuid
from io import BytesIO

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, connections, models
from django.urls import reverse
from openpyxl import load_workbook
from simple_history.models import registered_models

from feedback import selectors, services
from feedback.models import Answer, Question, QuestionKind, Receipt, Response, Suggestion, Survey
from salesops.models import Role, Team

from ..factories import MembershipFactory, TeamFactory, TeamMembershipFactory

TOO_FEW_5 = "Fewer than 5 responses"
REMAINDER = "Withheld so that a smaller group cannot be worked out by subtraction"
ANONYMOUS_MODELS = (Response, Answer, Suggestion)


# --- helpers ------------------------------------------------------------------------------


def pulse(world, *, score: int = 5, comment: int = 5, title: str = "") -> Survey:
    """The collaboration pulse for the whole organisation, with the given thresholds."""
    survey = services.survey_create_from_template(
        actor=world.user(Role.LEADER), org=world.org, key="collaboration_pulse", title=title
    )
    return services.survey_update(
        actor=world.user(Role.LEADER),
        survey=survey,
        score_threshold=score,
        comment_threshold=comment,
    )


def people(org, team: Team | None, n: int, role: str = Role.MEMBER) -> list:
    users = []
    for _ in range(n):
        membership = MembershipFactory(org=org, role=role)
        if team is not None:
            TeamMembershipFactory(team=team, membership=membership)
        users.append(membership.user)
    return users


def answers_for(survey: Survey, score: int = 4, text: str = "") -> dict[int, object]:
    values: dict[int, object] = {}
    for question in survey.questions.all():
        values[question.pk] = text if question.kind == QuestionKind.TEXT else score
    return values


def answer(survey: Survey, round_, users, score: int = 4, text: str = "") -> None:
    for user in users:
        services.response_submit(
            actor=user, round_=round_, answers=answers_for(survey, score=score, text=text)
        )


def open_round(survey: Survey):
    return services.round_open(actor=None, survey=survey, announce=False)


def results_url(survey: Survey, **query) -> str:
    url = reverse("feedback:survey_results", kwargs={"org_slug": survey.org.slug, "pk": survey.pk})
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


def export_url(survey: Survey) -> str:
    return reverse("feedback:survey_export", kwargs={"org_slug": survey.org.slug, "pk": survey.pk})


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def withheld_texts(html: str) -> list[str]:
    """The text of every cell marked data-testid="withheld"."""
    cells = re.findall(r'data-testid="withheld"[^>]*>(.*?)</(?:td|p)>', html, flags=re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]


# --- (1) nothing in the response tables leads back to a person ----------------------------

FORBIDDEN_NAME = re.compile(
    r"user|author|session|agent|created|updated|timestamp|remote_addr|owner|(^|_)ip(_|$)"
)


@pytest.mark.parametrize("model", ANONYMOUS_MODELS, ids=lambda m: m.__name__)
def test_no_field_can_hold_a_person_a_machine_or_a_moment(db, model):
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    for field in model._meta.get_fields():
        assert not isinstance(field, models.GenericIPAddressField), field
        assert not isinstance(field, models.DateTimeField | models.TimeField), field
        if field.is_relation:
            assert field.related_model is not user_model, field
        assert not FORBIDDEN_NAME.search(field.name), field.name
    concrete = [f for f in model._meta.get_fields() if getattr(f, "concrete", False)]
    assert {f.column for f in concrete}, model


@pytest.mark.parametrize("model", ANONYMOUS_MODELS, ids=lambda m: m.__name__)
def test_no_database_column_can_hold_a_person_a_machine_or_a_moment(db, model):
    table = model._meta.db_table
    with connection.cursor() as cursor:
        description = connection.introspection.get_table_description(cursor, table)
        relations = connection.introspection.get_relations(cursor, table)
    user_table = apps.get_model(settings.AUTH_USER_MODEL)._meta.db_table
    assert description
    for column in description:
        assert not FORBIDDEN_NAME.search(column.name), f"{table}.{column.name}"
        kind = connection.introspection.get_field_type(column.type_code, column)
        assert kind not in ("DateTimeField", "TimeField", "GenericIPAddressField"), (
            f"{table}.{column.name} is a {kind}"
        )
    for column, (_target_column, target_table) in relations.items():
        assert target_table != user_table, f"{table}.{column} points at the users"
    # What the model promises is what the database has: no column beyond the model's fields.
    model_columns = {f.column for f in model._meta.concrete_fields}
    assert {column.name for column in description} == model_columns


@pytest.mark.parametrize("model", [*ANONYMOUS_MODELS, Receipt], ids=lambda m: m.__name__)
def test_keys_are_random_uuids(db, model):
    pk = model._meta.pk
    assert isinstance(pk, models.UUIDField)
    keys = [pk.get_default() for _ in range(50)]
    assert all(isinstance(key, uuid.UUID) and key.version == 4 for key in keys)
    assert len(set(keys)) == 50
    assert keys != sorted(keys)  # not handed out in order


def test_stored_responses_carry_only_round_team_and_answers(world):
    survey = pulse(world, score=3, comment=3)
    round_ = open_round(survey)
    answer(survey, round_, people(world.org, world.team, 3), text="More budget")
    row_keys = set(Response.objects.values().first())
    assert row_keys == {"id", "round_id", "team_id"}
    assert set(Answer.objects.values().first()) == {
        "id",
        "response_id",
        "question_id",
        "number",
        "text",
    }
    # Response keys say nothing about the order in which people answered.
    assert all(key.version == 4 for key in Response.objects.values_list("pk", flat=True))


# --- (2) no history kept --------------------------------------------------------------------


@pytest.mark.parametrize("model", ANONYMOUS_MODELS, ids=lambda m: m.__name__)
def test_no_history_is_kept_on_anonymous_tables(model):
    assert model not in registered_models.values()
    assert model._meta.db_table not in registered_models
    assert not hasattr(model, "history")
    historical = {m.__name__ for m in apps.get_models()}
    assert f"Historical{model.__name__}" not in historical
    assert not any(getattr(m, "instance_type", None) is model for m in apps.get_models()), (
        f"a history model tracks {model.__name__}"
    )


# --- (3) the thresholds -------------------------------------------------------------------


@pytest.mark.parametrize(("respondents", "shown"), [(4, False), (5, True)])
def test_results_below_the_threshold_are_withheld_and_at_it_shown(
    world, clients, respondents, shown
):
    survey = pulse(world, score=5, comment=5)
    round_ = open_round(survey)
    answer(survey, round_, people(world.org, world.team, respondents), score=4)
    results = selectors.results_for(
        membership=world.members[Role.LEADER], survey=survey, round_=round_
    )
    everyone = results.questions[0].cells[selectors.ALL]
    assert everyone.shown is shown
    assert (everyone.mean == 4) is shown
    html = page(clients[Role.LEADER], results_url(survey))
    if shown:
        assert TOO_FEW_5 not in html
        assert "4.00" in html
    else:
        assert TOO_FEW_5 in withheld_texts(html)
        assert "4.00" not in html
        assert everyone.distribution == [] and everyone.mean is None


def test_the_comment_threshold_applies_on_its_own(world, clients):
    survey = pulse(world, score=3, comment=4)
    round_ = open_round(survey)
    answer(survey, round_, people(world.org, world.team, 3), score=2, text="Secret words")
    html = page(clients[Role.LEADER], results_url(survey))
    assert "2.00" in html  # results: 3 respondents reach the results threshold
    assert "Fewer than 4 responses" in withheld_texts(html)  # comments do not
    assert "Secret words" not in html


# --- (4) the remainder rule -----------------------------------------------------------------


def test_a_team_that_would_reveal_the_rest_by_subtraction_is_withheld(world, clients):
    team_a = TeamFactory(org=world.org, name="Team A")
    team_b = TeamFactory(org=world.org, name="Team B")
    survey = pulse(world, score=5, comment=5)
    round_ = open_round(survey)
    answer(survey, round_, people(world.org, team_a, 5), score=5)
    answer(survey, round_, people(world.org, team_b, 2), score=1)

    results = selectors.results_for(
        membership=world.members[Role.LEADER], survey=survey, round_=round_
    )
    verdicts = {g.key: g.verdict for g in results.groups}
    assert verdicts[selectors.ALL].shown and verdicts[selectors.ALL].count == 7
    assert verdicts[f"team:{team_a.pk}"].shown is False
    assert verdicts[f"team:{team_a.pk}"].reason == "remainder"
    assert verdicts[f"team:{team_b.pk}"].reason == "too_few"
    cells = results.questions[0].cells
    assert cells[selectors.ALL].mean == pytest.approx((5 * 5 + 2 * 1) / 7)
    assert cells[f"team:{team_a.pk}"].mean is None

    html = page(clients[Role.LEADER], results_url(survey))
    reasons = withheld_texts(html)
    assert REMAINDER in reasons and TOO_FEW_5 in reasons
    assert "5.00" not in html  # team A's mean would give team B's away


# --- (5) one response per person and round ------------------------------------------------


def test_a_second_answer_is_refused(world):
    survey = pulse(world, score=3, comment=3)
    round_ = open_round(survey)
    (user,) = people(world.org, world.team, 1)
    answer(survey, round_, [user])
    with pytest.raises(ValidationError):
        answer(survey, round_, [user], score=1)
    assert Receipt.objects.count() == 1 and Response.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submits_make_one_response(transactional_db, world):
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent transactions (PostgreSQL)")
    survey = pulse(world, score=3, comment=3)
    round_ = open_round(survey)
    (user,) = people(world.org, world.team, 1)
    values = answers_for(survey)
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def submit() -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.append(services.response_submit(actor=user, round_=round_, answers=values))
        except Exception as error:  # collected for the assertion
            outcomes.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 2
    assert sum(isinstance(o, Receipt) for o in outcomes) == 1
    assert sum(isinstance(o, ValidationError) for o in outcomes) == 1
    assert Receipt.objects.filter(round=round_, user=user).count() == 1
    assert Response.objects.filter(round=round_).count() == 1
    assert Answer.objects.filter(response__round=round_).count() == len(
        [q for q in survey.questions.all() if q.kind != QuestionKind.TEXT]
    )


# --- (6) thresholds are locked by the first answer ----------------------------------------


def test_thresholds_can_change_until_the_first_answer(world):
    survey = pulse(world, score=5, comment=5)
    open_round(survey)
    services.survey_update(
        actor=world.user(Role.LEADER), survey=survey, score_threshold=4, comment_threshold=6
    )
    survey.refresh_from_db()
    assert (survey.score_threshold, survey.comment_threshold) == (4, 6)
    assert services.survey_is_locked(survey) is False


@pytest.mark.parametrize(
    "change", [{"score_threshold": 3}, {"comment_threshold": 10}, {"score_threshold": 6}]
)
def test_thresholds_are_locked_after_the_first_answer(world, change):
    survey = pulse(world, score=5, comment=5, title="Pulse")
    round_ = open_round(survey)
    answer(survey, round_, people(world.org, world.team, 1))
    assert services.survey_is_locked(survey)
    with pytest.raises(ValidationError) as caught:
        services.survey_update(
            actor=world.user(Role.LEADER), survey=survey, title="Renamed", **change
        )
    assert set(caught.value.message_dict) & {"score_threshold", "comment_threshold"}
    survey.refresh_from_db()
    assert (survey.score_threshold, survey.comment_threshold) == (5, 5)
    assert survey.title == "Pulse"


def test_unchanged_thresholds_do_not_block_other_edits_after_answers(world):
    survey = pulse(world, score=5, comment=5, title="Pulse")
    round_ = open_round(survey)
    answer(survey, round_, people(world.org, world.team, 1))
    services.survey_update(
        actor=world.user(Role.LEADER),
        survey=survey,
        title="Renamed",
        score_threshold=5,
        comment_threshold=5,
    )
    survey.refresh_from_db()
    assert survey.title == "Renamed"


# --- (7) who sees which results -----------------------------------------------------------


@pytest.fixture
def two_teams(world):
    """East Sales (the manager's and rep's team) and West Sales, six respondents each."""
    west = TeamFactory(org=world.org, name="West Sales")
    survey = pulse(world, score=5, comment=5)
    round_ = open_round(survey)
    answer(survey, round_, people(world.org, world.team, 6), score=2, text="East note")
    answer(survey, round_, people(world.org, west, 6), score=4, text="West note")
    return survey, round_, west


def test_a_manager_sees_only_their_own_teams(world, clients, two_teams):
    survey, round_, west = two_teams
    html = page(clients[Role.MANAGER], results_url(survey))
    assert "East Sales" in html
    assert "West Sales" not in html
    assert "Everyone" not in html
    assert "4.00" not in html and "West note" not in html  # nothing of West
    assert "2.00" in html  # East's own mean

    manager_view = selectors.results_for(
        membership=world.members[Role.MANAGER], survey=survey, round_=round_
    )
    assert [g.key for g in manager_view.groups] == [f"team:{world.team.pk}"]


def test_a_manager_is_held_to_the_same_thresholds(world, clients):
    west = TeamFactory(org=world.org, name="West Sales")
    survey = pulse(world, score=5, comment=5)
    round_ = open_round(survey)
    answer(survey, round_, people(world.org, world.team, 3), score=2, text="East note")
    answer(survey, round_, people(world.org, west, 6), score=4)
    html = page(clients[Role.MANAGER], results_url(survey))
    assert TOO_FEW_5 in withheld_texts(html)
    assert "2.00" not in html and "East note" not in html
    leader_view = selectors.results_for(
        membership=world.members[Role.LEADER], survey=survey, round_=round_
    )
    manager_view = selectors.results_for(
        membership=world.members[Role.MANAGER], survey=survey, round_=round_
    )
    east = f"team:{world.team.pk}"
    assert {g.key: g.verdict for g in leader_view.groups}[east] == manager_view.groups[0].verdict


def test_a_leader_sees_everyone_and_every_team(world, clients, two_teams):
    survey, _round, _west = two_teams
    html = page(clients[Role.LEADER], results_url(survey))
    for label in ("Everyone", "East Sales", "West Sales", "2.00", "4.00", "3.00"):
        assert label in html


@pytest.mark.parametrize("role", [Role.REP, Role.MEMBER])
def test_people_without_results_rights_get_403(world, clients, two_teams, role):
    survey, _round, _west = two_teams
    assert clients[role].get(results_url(survey)).status_code == 403
    assert clients[role].get(export_url(survey)).status_code == 403


def test_another_organisation_gets_404(world, clients, two_teams):
    survey, _round, _west = two_teams
    assert clients["outsider"].get(results_url(survey)).status_code == 404
    assert clients["outsider"].get(export_url(survey)).status_code == 404
    # Not even through their own organisation's address.
    foreign = reverse(
        "feedback:survey_results", kwargs={"org_slug": world.other_org.slug, "pk": survey.pk}
    )
    assert clients["outsider"].get(foreign).status_code == 404


def test_a_manager_outside_the_audience_gets_403(world, clients):
    west = TeamFactory(org=world.org, name="West Sales")
    survey = services.survey_create_from_template(
        actor=world.user(Role.LEADER),
        org=world.org,
        key="collaboration_pulse",
        audience_all=False,
        audience_teams=[west],
    )
    open_round(survey)
    assert clients[Role.MANAGER].get(results_url(survey)).status_code in (403, 404)


# --- (8) comments -----------------------------------------------------------------------------


def test_comments_are_hidden_below_the_comment_threshold(world, clients):
    survey = pulse(world, score=3, comment=5)
    round_ = open_round(survey)
    notes = [f"Note number {i}" for i in range(4)]
    for user, note in zip(people(world.org, world.team, 4), notes, strict=True):
        services.response_submit(
            actor=user, round_=round_, answers=answers_for(survey, score=3, text=note)
        )
    html = page(clients[Role.LEADER], results_url(survey))
    assert not any(note in html for note in notes)
    assert TOO_FEW_5 in withheld_texts(html)


def test_comments_are_shown_from_the_threshold_on_dated_only_by_round(world, clients):
    survey = pulse(world, score=3, comment=5)
    round_ = open_round(survey)
    notes = [f"Note number {i}" for i in range(6)]
    for user, note in zip(people(world.org, world.team, 6), notes, strict=True):
        services.response_submit(
            actor=user, round_=round_, answers=answers_for(survey, score=3, text=note)
        )
    html = page(clients[Role.LEADER], results_url(survey))
    assert all(note in html for note in notes)
    assert f"dated by round {round_.number}" in html
    # No date on the page but the round's own, and no time of day at all.
    main = html.split('id="main"', 1)[1]
    dates = set(re.findall(r"\d{4}-\d{2}-\d{2}", main))
    assert dates <= {round_.opens_on.isoformat(), round_.closes_on.isoformat()}
    assert not re.search(r"\b\d{1,2}:\d{2}\b", re.sub(r"<[^>]+>", " ", main))


def test_comments_are_in_random_order(world, monkeypatch):
    survey = pulse(world, score=3, comment=3)
    round_ = open_round(survey)
    for i, user in enumerate(people(world.org, world.team, 5)):
        services.response_submit(
            actor=user, round_=round_, answers=answers_for(survey, text=f"Note {i}")
        )
    shuffled: list[int] = []
    monkeypatch.setattr(selectors.random, "shuffle", lambda items: shuffled.append(len(items)))
    selectors.results_for(membership=world.members[Role.LEADER], survey=survey, round_=round_)
    assert shuffled == [5]


# --- (9) the export holds aggregates only -------------------------------------------------


def _cells(content: bytes) -> list[list[object]]:
    """Every row of every sheet, without its trailing empty cells."""
    workbook = load_workbook(BytesIO(content))
    rows = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows(values_only=True):
            values = list(row)
            while values and values[-1] is None:
                values.pop()
            rows.append(values)
    return rows


def test_the_export_has_aggregates_and_reasons_but_no_individual_answer(world, clients):
    team_a = TeamFactory(org=world.org, name="Team A")
    team_b = TeamFactory(org=world.org, name="Team B")
    TeamFactory(org=world.org, name="@SUM(1)")  # nobody answered in it
    survey = pulse(world, score=5, comment=5, title='=HYPERLINK("http://evil")')
    round_ = open_round(survey)
    scores = [1, 2, 3, 4, 5, 5]
    for user, score in zip(people(world.org, team_a, 6), scores, strict=True):
        services.response_submit(
            actor=user, round_=round_, answers=answers_for(survey, score=score, text=f"A{score}")
        )
    answer(survey, round_, people(world.org, team_b, 2), score=1, text="Only two of us")

    response = clients[Role.LEADER].get(export_url(survey))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "round" in response["Content-Disposition"] and ".xlsx" in response["Content-Disposition"]
    rows = _cells(response.content)
    values = [value for row in rows for value in row]
    text = " ".join(str(v) for v in values if v is not None)

    # No free text, and never a formula.
    for note in ("A1", "A5", "Only two of us"):
        assert note not in [str(v) for v in values]
    assert "Only two of us" not in text
    assert all(not (isinstance(v, str) and v.startswith("=")) for v in values)
    assert rows[0] == ['\'=HYPERLINK("http://evil")']

    # Per question one row per group, never one per respondent.
    first = Question.objects.filter(survey=survey).order_by("position", "pk").first()
    start = next(i for i, row in enumerate(rows) if row and row[0] == first.text)
    group_rows = rows[start + 2 : start + 2 + 5]  # after the question and its header
    labels = [row[0] for row in group_rows]
    assert labels == ["Everyone", "'@SUM(1)", "East Sales", "Team A", "Team B"]
    everyone, formula_team, east, team_a_row, team_b_row = group_rows
    assert formula_team[1:] == [TOO_FEW_5]
    assert rows[start + 2 + 5] == []  # and nothing more
    assert everyone[1] == 8 and everyone[2] == round((1 + 2 + 3 + 4 + 5 + 5 + 1 + 1) / 8, 2)
    assert east[1:] == [TOO_FEW_5]
    assert team_a_row[1:] == [REMAINDER]  # 8 − 6 = 2 would be worked out
    assert team_b_row[1:] == [TOO_FEW_5]
    # The distribution of "Everyone": counts and percents per scale value, summing to the group.
    counts = everyone[4::2]
    assert counts == [3, 1, 1, 1, 2] and sum(counts) == 8
    assert REMAINDER in text and TOO_FEW_5 in text


def test_a_managers_export_holds_only_their_teams(world, clients, two_teams):
    survey, _round, _west = two_teams
    response = clients[Role.MANAGER].get(export_url(survey))
    assert response.status_code == 200
    text = " ".join(str(v) for row in _cells(response.content) for v in row)
    assert "East Sales" in text
    assert "West Sales" not in text and "Everyone" not in text
    assert "East note" not in text and "West note" not in text
