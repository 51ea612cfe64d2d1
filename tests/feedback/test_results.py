"""The results page: rounds, distributions, means and eNPS, changes between rounds, the heatmap,
languages, the export link and follow-up actions, and its query count."""

import re
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from feedback import selectors, services
from feedback.models import Question, QuestionKind, Survey
from salesops.models import Role, Team

from ..conftest import client_for
from ..factories import MembershipFactory, TeamFactory, TeamMembershipFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


# --- helpers ------------------------------------------------------------------------------


def make_survey(world, key: str = "collaboration_pulse", score: int = 5) -> Survey:
    survey = services.survey_create_from_template(
        actor=world.user(Role.LEADER), org=world.org, key=key
    )
    return services.survey_update(
        actor=world.user(Role.LEADER), survey=survey, score_threshold=score, comment_threshold=score
    )


def people(org, team: Team, n: int) -> list:
    users = []
    for _ in range(n):
        membership = MembershipFactory(org=org, role=Role.MEMBER)
        TeamMembershipFactory(team=team, membership=membership)
        users.append(membership.user)
    return users


def questions(survey: Survey) -> list[Question]:
    return list(survey.questions.order_by("position", "pk"))


def submit(survey: Survey, round_, user, **by_kind) -> None:
    """Answer every question: `scale=4`, `enps=9`, `single=0`, `multiple=[0, 2]`, `text="…"`."""
    defaults = {"scale": 4, "enps": 8, "single": 0, "multiple": [0], "text": ""}
    defaults.update(by_kind)
    answers = {q.pk: defaults[q.kind] for q in questions(survey)}
    services.response_submit(actor=user, round_=round_, answers=answers)


def open_round(survey: Survey):
    return services.round_open(actor=None, survey=survey, announce=False)


def next_round(survey: Survey, current):
    services.round_close(actor=None, round_=current)
    return open_round(survey)


def url(survey: Survey, round_number: int | str | None = None) -> str:
    address = reverse(
        "feedback:survey_results", kwargs={"org_slug": survey.org.slug, "pk": survey.pk}
    )
    return address if round_number is None else f"{address}?round={round_number}"


def html_of(client, address: str, **extra) -> str:
    response = client.get(address, **extra)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def by_testid(html: str, name: str) -> list[str]:
    found = re.findall(rf'data-testid="{name}"[^>]*>(.*?)</(?:td|div|span)>', html, flags=re.S)
    return [re.sub(r"<[^>]+>", "", text).strip() for text in found]


def section_of(html: str, question: Question) -> str:
    """The card of one question on the page."""
    start = html.index(question.text)
    end = html.find('data-testid="question"', start)
    return html[start : end if end != -1 else len(html)]


@pytest.fixture
def east(world) -> Team:
    return world.team


# --- the page -----------------------------------------------------------------------------


def test_the_page_in_english(world, clients, east):
    survey = make_survey(world)
    round_ = open_round(survey)
    for user in people(world.org, east, 5):
        submit(survey, round_, user, scale=4)
    html = html_of(clients[Role.LEADER], url(survey))
    assert 'lang="en"' in html
    assert 'data-testid="results"' in html and 'data-testid="heatmap"' in html
    assert "Everyone" in html and "East Sales" in html
    for question in questions(survey):
        assert question.text in html
    assert by_testid(html, "respondents") == ["5"]
    audience = round_.audience_size
    assert by_testid(html, "audience") == [str(audience)]
    assert by_testid(html, "response-rate") == [f"{round(5 / audience * 100)}%"]
    assert by_testid(html, "round-number") == ["1"]
    assert "4.00" in html and "100%" in html
    assert "Fewer than 5 responses" not in html


def test_the_page_in_chinese(world, east):
    leader = world.user(Role.LEADER)
    leader.preferred_language = "zh-hans"
    leader.save()
    survey = make_survey(world)
    round_ = open_round(survey)
    for user in people(world.org, east, 5):
        submit(survey, round_, user, scale=2)
    html = html_of(client_for(leader), url(survey))
    assert 'lang="zh-hans"' in html
    assert "所有人" in html and "Everyone" not in html
    assert "2.00" in html and 'data-testid="heatmap"' in html
    # Withheld groups say why in the reader's language too.
    west = TeamFactory(org=world.org, name="West Sales")
    round_two = next_round(survey, round_)
    for user in people(world.org, west, 2):
        submit(survey, round_two, user)
    html = html_of(client_for(leader), url(survey, 2))
    assert 'data-testid="withheld"' in html and "所有人" in html


def test_no_rounds_yet(world, clients):
    survey = make_survey(world)
    html = html_of(clients[Role.LEADER], url(survey))
    assert 'data-testid="no-rounds"' in html
    assert 'data-testid="export"' not in html
    export = reverse("feedback:survey_export", kwargs={"org_slug": world.org.slug, "pk": survey.pk})
    assert clients[Role.LEADER].get(export).status_code == 404


def test_a_round_without_responses(world, clients):
    survey = make_survey(world)
    open_round(survey)
    html = html_of(clients[Role.LEADER], url(survey))
    assert 'data-testid="no-responses"' in html
    assert "Nobody has answered round 1 yet." in html
    assert 'data-testid="question"' not in html


# --- rounds -------------------------------------------------------------------------------


@pytest.fixture
def three_rounds(world, east):
    """Round 1: five people answer 3; round 2: five others answer 4; round 3 is open and
    nobody has answered it yet."""
    survey = make_survey(world)
    first = open_round(survey)
    for user in people(world.org, east, 5):
        submit(survey, first, user, scale=3, enps=10)
    second = next_round(survey, first)
    for user in people(world.org, east, 5):
        submit(survey, second, user, scale=4, enps=10)
    third = next_round(survey, second)
    return survey, first, second, third


def test_the_default_round_is_the_latest_with_answers(world, clients, three_rounds):
    survey, _first, _second, _third = three_rounds
    html = html_of(clients[Role.LEADER], url(survey))
    assert by_testid(html, "round-number") == ["2"]
    assert "4.00" in html
    assert re.search(r'<option value="2" selected>', html)
    assert all(f'<option value="{n}"' in html for n in (1, 2, 3))


def test_the_latest_round_when_none_has_answers(world, clients):
    survey = make_survey(world)
    first = open_round(survey)
    next_round(survey, first)
    html = html_of(clients[Role.LEADER], url(survey))
    assert by_testid(html, "round-number") == ["2"]


def test_switching_rounds(world, clients, three_rounds):
    survey, _first, _second, _third = three_rounds
    client = clients[Role.LEADER]
    html = html_of(client, url(survey, 1))
    assert by_testid(html, "round-number") == ["1"]
    assert "3.00" in html and "4.00" not in html
    assert "This is the first round" in html
    html = html_of(client, url(survey, 3))
    assert "Nobody has answered round 3 yet." in html
    assert client.get(url(survey, 4)).status_code == 404
    assert client.get(url(survey, "abc")).status_code == 404


def test_switching_rounds_by_htmx_returns_the_results_only(world, clients, three_rounds):
    survey, _first, _second, _third = three_rounds
    html = html_of(clients[Role.LEADER], url(survey, 1), **HTMX)
    assert html.lstrip().startswith('<div id="results-body"')
    assert "<html" not in html and 'data-testid="round-select"' not in html
    assert by_testid(html, "round-number") == ["1"]


def test_changes_since_the_previous_round(world, clients, three_rounds, east):
    survey, first, second, _third = three_rounds
    scale = questions(survey)[0]
    results = selectors.results_for(
        membership=world.members[Role.LEADER], survey=survey, round_=second
    )
    cell = results.questions[0].cells[selectors.ALL]
    assert results.previous == first
    assert cell.mean == 4 and cell.delta == 1
    html = html_of(clients[Role.LEADER], url(survey, 2))
    assert by_testid(section_of(html, scale), "delta")[:2] == ["↑ 1.00", "↑ 1.00"]
    html = html_of(clients[Role.LEADER], url(survey, 1))
    assert set(by_testid(html, "delta")) == {"—"}

    # A fall shows as such; a group too small last time has no change to show.
    fourth_round = next_round(survey, _third)
    for user in people(world.org, east, 5):
        submit(survey, fourth_round, user, scale=2)
    html = html_of(clients[Role.LEADER], url(survey, 4))
    assert "Changes are against round 3." in html
    assert set(by_testid(section_of(html, scale), "delta")) == {"—"}  # round 3 had no answers
    fifth = next_round(survey, fourth_round)
    for user in people(world.org, east, 5):
        submit(survey, fifth, user, scale=1)
    html = html_of(clients[Role.LEADER], url(survey, 5))
    assert by_testid(section_of(html, scale), "delta")[:2] == ["↓ 1.00", "↓ 1.00"]


# --- figures ------------------------------------------------------------------------------


def test_enps_from_known_answers(world, clients, east):
    survey = make_survey(world, key="pain_points")
    round_ = open_round(survey)
    # 3 promoters, 1 passive, 1 detractor: (3 − 1) / 5 = +40.
    for user, score in zip(people(world.org, east, 5), [10, 9, 9, 8, 3], strict=True):
        submit(survey, round_, user, enps=score)
    results = selectors.results_for(
        membership=world.members[Role.LEADER], survey=survey, round_=round_
    )
    enps_result = next(r for r in results.questions if r.question.kind == QuestionKind.ENPS)
    cell = enps_result.cells[selectors.ALL]
    assert cell.enps == 40.0 and cell.mean is None
    assert [count for _label, count, _pct in cell.distribution] == [0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 1]
    html = html_of(clients[Role.LEADER], url(survey))
    section = section_of(html, enps_result.question)
    assert "eNPS" in section
    assert by_testid(section, "headline")[:2] == ["+40.0", "+40.0"]


def test_a_negative_enps_has_its_sign(world, clients, east):
    survey = make_survey(world, key="pain_points")
    round_ = open_round(survey)
    for user, score in zip(people(world.org, east, 5), [0, 5, 6, 7, 9], strict=True):
        submit(survey, round_, user, enps=score)
    enps_question = next(q for q in questions(survey) if q.kind == QuestionKind.ENPS)
    html = html_of(clients[Role.LEADER], url(survey))
    assert by_testid(section_of(html, enps_question), "headline")[0] == "-40.0"


def test_multiple_choice_percentages_are_of_respondents(world, clients, east):
    survey = make_survey(world, key="pain_points")
    round_ = open_round(survey)
    choices = [[0, 1], [0, 1], [0], [0, 3], [0]]
    for user, chosen in zip(people(world.org, east, 5), choices, strict=True):
        submit(survey, round_, user, multiple=chosen, single=2)
    results = selectors.results_for(
        membership=world.members[Role.LEADER], survey=survey, round_=round_
    )
    multiple = next(r for r in results.questions if r.question.kind == QuestionKind.MULTIPLE)
    single = next(r for r in results.questions if r.question.kind == QuestionKind.SINGLE)
    dist = multiple.cells[selectors.ALL].distribution
    assert [(count, pct) for _label, count, pct in dist] == [
        (5, 100.0),
        (2, 40.0),
        (0, 0.0),
        (1, 20.0),
        (0, 0.0),
        (0, 0.0),
    ]
    assert [label for label, _c, _p in dist] == multiple.question.options
    single_dist = single.cells[selectors.ALL].distribution
    assert [(count, pct) for _l, count, pct in single_dist][2] == (5, 100.0)

    html = html_of(clients[Role.LEADER], url(survey))
    section = section_of(html, multiple.question)
    assert "Share of respondents" in section
    assert "40%" in section and "20%" in section and "100%" in section
    for option in multiple.question.options:
        assert option in section
    assert 'data-testid="headline"' not in section  # no mean for choices


def test_heatmap_cells_by_band(world, clients, east):
    west = TeamFactory(org=world.org, name="West Sales")
    survey = make_survey(world)
    round_ = open_round(survey)
    for user in people(world.org, east, 5):
        submit(survey, round_, user, scale=5)
    for user in people(world.org, west, 5):
        submit(survey, round_, user, scale=1)
    html = html_of(clients[Role.LEADER], url(survey))
    heatmap = html[html.index('data-testid="heatmap"') :]
    heatmap = heatmap[: heatmap.index("</table>")]
    rows = {
        re.sub(r"<[^>]+>", "", label).strip(): re.findall(
            r'class="fb-heat (fb-heat-\d)" data-testid="heat-cell">([^<]*)<', cells
        )
        for label, cells in re.findall(r"<tr>\s*<th[^>]*>(.*?)</th>(.*?)</tr>", heatmap, re.S)
    }
    dimensions = 6  # the collaboration pulse: one scale question per dimension
    assert rows["Everyone"] == [("fb-heat-3", "3.00")] * dimensions
    assert rows["East Sales"] == [("fb-heat-5", "5.00")] * dimensions
    assert rows["West Sales"] == [("fb-heat-1", "1.00")] * dimensions


def test_the_heatmap_withholds_small_groups(world, clients, east):
    west = TeamFactory(org=world.org, name="West Sales")
    survey = make_survey(world)
    round_ = open_round(survey)
    for user in people(world.org, east, 6):
        submit(survey, round_, user, scale=4)
    for user in people(world.org, west, 2):
        submit(survey, round_, user, scale=1)
    html = html_of(clients[Role.LEADER], url(survey))
    heatmap = html[html.index('data-testid="heatmap"') :]
    heatmap = heatmap[: heatmap.index("</table>")]
    # West is too small; East would give West away by subtraction from Everyone.
    assert heatmap.count('data-testid="withheld"') == 2
    assert "Fewer than 5 responses" in heatmap
    assert "Withheld so that a smaller group cannot be worked out by subtraction" in heatmap
    assert "4.00" not in heatmap and "1.00" not in heatmap


# --- links ----------------------------------------------------------------------------------


def test_follow_up_links_for_those_who_manage_follow_ups(world, clients, east):
    survey = make_survey(world)
    round_ = open_round(survey)
    for user in people(world.org, east, 5):
        submit(survey, round_, user)
    html = html_of(clients[Role.LEADER], url(survey))
    action = reverse("feedback:action_create", kwargs={"org_slug": world.org.slug, "pk": survey.pk})
    scored = [q for q in questions(survey) if q.kind != QuestionKind.TEXT]
    for question in scored:
        assert f'href="{action}?question={question.pk}"' in html
    export = reverse("feedback:survey_export", kwargs={"org_slug": world.org.slug, "pk": survey.pk})
    assert f'href="{export}?round=1"' in html
    manager_html = html_of(clients[Role.MANAGER], url(survey))
    assert 'data-testid="follow-up"' not in manager_html
    assert 'data-testid="export"' in manager_html


def test_the_export_matches_the_page(world, clients, east):
    survey = make_survey(world, key="pain_points")
    round_ = open_round(survey)
    for user, score in zip(people(world.org, east, 5), [10, 9, 9, 8, 3], strict=True):
        submit(survey, round_, user, enps=score, multiple=[0, 1])
    export = reverse("feedback:survey_export", kwargs={"org_slug": world.org.slug, "pk": survey.pk})
    response = clients[Role.LEADER].get(export + "?round=1")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).active
    rows = [[v for v in row if v is not None] for row in sheet.iter_rows(values_only=True)]
    enps_question = next(q for q in questions(survey) if q.kind == QuestionKind.ENPS)
    start = next(i for i, row in enumerate(rows) if row and row[0] == enps_question.text)
    header, everyone = rows[start + 1], rows[start + 2]
    assert header[:4] == ["Group", "Respondents", "eNPS", "Change since the previous round"]
    assert everyone[:4] == ["Everyone", 5, 40.0, "—"]
    multiple = next(q for q in questions(survey) if q.kind == QuestionKind.MULTIPLE)
    start = next(i for i, row in enumerate(rows) if row and row[0] == multiple.text)
    assert rows[start + 2][:6] == ["Everyone", 5, 5, 100.0, 5, 100.0]


# --- queries --------------------------------------------------------------------------------


def test_the_query_count_does_not_grow_with_respondents(world, clients, east):
    west = TeamFactory(org=world.org, name="West Sales")
    survey = make_survey(world)
    first = open_round(survey)
    for user in people(world.org, east, 5):
        submit(survey, first, user, scale=3)
    second = next_round(survey, first)
    client = clients[Role.LEADER]
    html_of(client, url(survey))  # warm up sessions and caches

    def measure() -> int:
        with CaptureQueriesContext(connection) as queries:
            html_of(client, url(survey, 2))
        return len(queries)

    for user in people(world.org, east, 3) + people(world.org, west, 2):
        submit(survey, second, user, text="Fine")
    few = measure()
    for user in people(world.org, east, 10) + people(world.org, west, 10):
        submit(survey, second, user, text="Fine")
    many = measure()
    assert (
        selectors.results_for(
            membership=world.members[Role.LEADER], survey=survey, round_=second
        ).respondents
        == 25
    )
    assert many == few, (few, many)
