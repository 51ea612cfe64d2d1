"""Feedback pages: who may open them (in English and Chinese), creating and managing surveys,
answering anonymously end to end, locks, the suggestion box and "You said, we did"."""

from dataclasses import dataclass

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from feedback import services
from feedback.models import (
    Answer,
    FollowUpAction,
    Question,
    QuestionKind,
    Receipt,
    Response,
    Round,
    Suggestion,
    Survey,
    SurveyStatus,
)
from feedback.services import QuestionSpec
from salesops.models import Role

from ..factories import MembershipFactory, TeamFactory, TeamMembershipFactory
from ..languages import LANGUAGES, speak

EVERYONE = [Role.ADMIN, Role.LEADER, Role.MANAGER, Role.REP, Role.MEMBER]
MANAGERS = [Role.ADMIN, Role.LEADER]


def url(name: str, **kwargs: object) -> str:
    return reverse(f"feedback:{name}", kwargs={"org_slug": "acme", **kwargs})


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@dataclass
class Data:
    survey: Survey
    round: Round
    scale: Question
    enps: Question
    single: Question
    multiple: Question
    text: Question
    suggestion: Suggestion
    action: FollowUpAction


def full_answers(data: Data, **overrides: object) -> dict[str, object]:
    answers: dict[str, object] = {
        f"q{data.scale.pk}": "4",
        f"q{data.enps.pk}": "9",
        f"q{data.single.pk}": "1",
        f"q{data.multiple.pk}": ["0", "2"],
        f"q{data.text.pk}": "More joint planning, please.",
    }
    answers.update({f"q{getattr(data, key).pk}": value for key, value in overrides.items()})
    return answers


@pytest.fixture
def data(world) -> Data:
    """A survey of the whole organisation with one question of each kind and an open round;
    three people wrote in the suggestion box this month; one follow-up action."""
    org = world.org
    org.anonymity_threshold = 3
    org.comment_threshold = 3
    org.save(update_fields=["anonymity_threshold", "comment_threshold"])
    admin = world.user("admin")
    survey = services.survey_create(
        actor=admin,
        org=org,
        title="Collaboration check",
        questions=[
            QuestionSpec(QuestionKind.SCALE, "Hand-offs are clear.", "Ownership"),
            QuestionSpec(QuestionKind.ENPS, "Would you recommend this team?", "eNPS"),
            QuestionSpec(QuestionKind.SINGLE, "Where do deals stall?", "", ("Leads", "Pricing")),
            QuestionSpec(
                QuestionKind.MULTIPLE, "What slows you down?", "", ("Meetings", "Tools", "Data")
            ),
            QuestionSpec(QuestionKind.TEXT, "Anything else?"),
        ],
    )
    round_ = services.round_open(actor=admin, survey=survey)
    scale, enps, single, multiple, text = survey.questions.order_by("position")
    for role in (Role.ADMIN, Role.LEADER, Role.REP):
        services.suggestion_submit(actor=world.user(role), org=org, body=f"Idea from the {role}s")
    suggestion = Suggestion.objects.get(body="Idea from the reps")
    action = services.action_save(
        actor=admin,
        org=org,
        survey=survey,
        title="Weekly hand-off meeting",
        owner=world.user("leader"),
        due_date=round_.closes_on,
        question=scale,
    )
    return Data(survey, round_, scale, enps, single, multiple, text, suggestion, action)


# --- who may open which page -------------------------------------------------------------

PAGES = {
    "survey_list": (lambda d: {}, EVERYONE),
    "survey_create": (lambda d: {}, MANAGERS),
    "survey_detail": (lambda d: {"pk": d.survey.pk}, [Role.ADMIN, Role.LEADER, Role.MANAGER]),
    "survey_edit": (lambda d: {"pk": d.survey.pk}, MANAGERS),
    "question_add": (lambda d: {"pk": d.survey.pk}, MANAGERS),
    "question_edit": (lambda d: {"pk": d.scale.pk}, MANAGERS),
    "round_answer": (lambda d: {"pk": d.round.pk}, EVERYONE),
    "suggestion_box": (lambda d: {}, EVERYONE),
    "action_list": (lambda d: {}, EVERYONE),
    "action_create": (lambda d: {"pk": d.survey.pk}, MANAGERS),
    "action_edit": (lambda d: {"pk": d.action.pk}, MANAGERS),
    "suggestion_action": (lambda d: {"pk": d.suggestion.pk}, MANAGERS),
}
ALLOWED = [(page, role) for page, (_kw, roles) in PAGES.items() for role in roles]
REFUSED = [
    (page, role)
    for page, (_kw, roles) in PAGES.items()
    for role in EVERYONE
    if role not in roles and page != "survey_detail"  # others are sent to the answer page
]


@pytest.mark.parametrize(("page", "role"), ALLOWED)
def test_page_renders_for_its_roles_in_english_and_chinese(world, clients, data, page, role):
    kwargs = PAGES[page][0](data)
    for language in LANGUAGES:
        speak(world, role, language)
        response = clients[role].get(url(page, **kwargs))
        assert response.status_code == 200, (page, role, language)
        content = response.content.decode()
        assert f'<html lang="{language}">' in content
        assert 'data-testid="nav-feedback"' in content


@pytest.mark.parametrize(("page", "role"), REFUSED)
def test_page_refuses_other_roles(clients, data, page, role):
    response = clients[role].get(url(page, **PAGES[page][0](data)))
    assert response.status_code == 403


@pytest.mark.parametrize("page", PAGES)
def test_page_is_not_found_for_another_organisation(clients, data, page):
    response = clients["outsider"].get(url(page, **PAGES[page][0](data)))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("survey_archive", lambda d: {"pk": d.survey.pk}),
        ("round_open", lambda d: {"pk": d.survey.pk}),
        ("round_close", lambda d: {"pk": d.round.pk}),
        ("question_add", lambda d: {"pk": d.survey.pk}),
        ("question_delete", lambda d: {"pk": d.scale.pk}),
        ("question_move", lambda d: {"pk": d.scale.pk}),
    ],
)
@pytest.mark.parametrize("role", [Role.MANAGER, Role.REP, Role.MEMBER])
def test_only_admins_and_leaders_change_surveys(clients, data, name, kwargs, role):
    before = (data.survey.questions.count(), Round.objects.count())
    response = clients[role].post(
        url(name, **kwargs(data)), {"kind": "text", "text": "Sneaky?", "direction": "down"}
    )
    assert response.status_code == 403
    data.survey.refresh_from_db()
    data.round.refresh_from_db()
    assert data.survey.status == SurveyStatus.ACTIVE and data.round.closed_at is None
    assert (data.survey.questions.count(), Round.objects.count()) == before


def test_a_rep_cannot_create_a_survey(clients, world):
    response = clients["rep"].post(url("survey_create"), {"title": "Mine", "audience_all": "on"})
    assert response.status_code == 403
    assert not Survey.objects.exists()


def test_surveys_of_another_organisation_are_not_found(world, clients):
    foreign = services.survey_create(
        actor=world.outsider.user,
        org=world.other_org,
        title="Theirs",
        questions=[QuestionSpec(QuestionKind.SCALE, "Fine?")],
    )
    round_ = services.round_open(actor=world.outsider.user, survey=foreign, announce=False)
    admin = clients["admin"]
    assert admin.get(url("survey_detail", pk=foreign.pk)).status_code == 404
    assert admin.get(url("round_answer", pk=round_.pk)).status_code == 404
    assert admin.post(url("round_close", pk=round_.pk)).status_code == 404
    assert admin.post(url("question_delete", pk=foreign.questions.get().pk)).status_code == 404
    round_.refresh_from_db()
    assert round_.closed_at is None and foreign.questions.exists()


# --- the survey list ---------------------------------------------------------------------


def test_list_shows_what_waits_for_me_and_the_response_rate_to_managers(world, clients, data):
    rep_page = clients["rep"].get(url("survey_list")).content.decode()
    assert 'data-testid="answer-link"' in rep_page
    assert url("round_answer", pk=data.round.pk) in rep_page
    assert 'data-testid="survey-table"' not in rep_page  # reps have no results to see
    assert url("action_list") in rep_page

    services.response_submit(
        actor=world.user("rep"),
        round_=data.round,
        answers={data.scale.pk: 3, data.enps.pk: 8, data.single.pk: 0, data.multiple.pk: [1]},
    )
    rep_page = clients["rep"].get(url("survey_list")).content.decode()
    assert 'data-testid="answered-badge"' in rep_page
    assert "Answered — thank you" in rep_page

    admin_page = clients["admin"].get(url("survey_list")).content.decode()
    assert admin_page.count('data-testid="survey-row"') == 1
    assert "20% answered (1 of 5)" in admin_page
    assert url("survey_results", pk=data.survey.pk) in admin_page
    assert url("survey_detail", pk=data.survey.pk) in admin_page

    manager_page = clients["manager"].get(url("survey_list")).content.decode()
    assert url("survey_results", pk=data.survey.pk) in manager_page
    assert 'data-testid="response-rate"' not in manager_page


def test_for_you_lists_only_surveys_addressed_to_me(world, clients, data):
    west = TeamFactory(org=world.org, name="West Sales")
    TeamMembershipFactory(team=west, membership=MembershipFactory(org=world.org, role=Role.REP))
    only_west = services.survey_create(
        actor=world.user("admin"),
        org=world.org,
        title="West only",
        audience_all=False,
        audience_teams=[west],
        questions=[QuestionSpec(QuestionKind.SCALE, "Fine?")],
    )
    west_round = services.round_open(actor=world.user("admin"), survey=only_west, announce=False)
    page = clients["admin"].get(url("survey_list")).content.decode()
    assert url("round_answer", pk=data.round.pk) in page
    assert url("round_answer", pk=west_round.pk) not in page
    assert "West only" in page  # in the table of all surveys
    assert clients["admin"].get(url("round_answer", pk=west_round.pk)).status_code == 403
    assert clients["rep"].get(url("round_answer", pk=west_round.pk)).status_code == 404


# --- creating and managing ---------------------------------------------------------------


def test_create_a_survey_from_a_template(world, clients):
    response = clients["leader"].post(
        url("survey_create"), {"template": "collaboration_pulse", "title": "", "audience_all": "on"}
    )
    survey = Survey.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("survey_detail", pk=survey.pk)
    assert survey.title == "Collaboration pulse" and survey.status == SurveyStatus.DRAFT
    assert survey.questions.count() == 7
    assert survey.created_by == world.user("leader")


def test_create_a_blank_survey_for_chosen_teams(world, clients):
    response = clients["admin"].post(
        url("survey_create"),
        {"template": "", "title": "Team check", "audience_teams": world.team.pk},
    )
    survey = Survey.objects.get()
    assert response.status_code == 302
    assert not survey.audience_all and list(survey.audience_teams.all()) == [world.team]
    assert survey.score_threshold == world.org.anonymity_threshold


@pytest.mark.parametrize(
    ("post", "error"),
    [
        ({"template": "", "title": "", "audience_all": "on"}, "Give the survey a title."),
        (
            {"template": "", "title": "Nobody"},
            "Choose at least one team, or the whole organisation.",
        ),
        ({"template": "nope", "title": "X", "audience_all": "on"}, "Select a valid choice."),
    ],
)
def test_create_refuses_bad_input_and_saves_nothing(clients, world, post, error):
    response = clients["admin"].post(url("survey_create"), post)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Survey.objects.exists()


def test_detail_shows_questions_rounds_settings_actions_and_history(clients, data):
    page = clients["admin"].get(url("survey_detail", pk=data.survey.pk)).content.decode()
    assert page.count('data-testid="question-row"') == 5
    assert 'data-testid="edit-question"' in page
    assert 'data-testid="round-row"' in page and "0 of 5" in page
    assert 'data-testid="close-round"' in page
    assert 'data-testid="open-round"' not in page  # one is open already
    assert "Results of a group appear from 3 answers; comments from 3." in page
    assert 'data-testid="locked-badge"' not in page
    assert "Weekly hand-off meeting" in page
    assert 'data-confirm="' in page
    assert "History" in page


def test_a_manager_sees_the_survey_and_a_link_to_results_but_cannot_manage(clients, data):
    page = clients["manager"].get(url("survey_detail", pk=data.survey.pk)).content.decode()
    assert url("survey_results", pk=data.survey.pk) in page
    assert 'data-testid="edit-question"' not in page
    assert 'data-testid="close-round"' not in page
    assert 'data-testid="edit-survey"' not in page


def test_others_are_sent_to_the_answer_page_or_told_no_round_is_open(world, clients, data):
    response = clients["rep"].get(url("survey_detail", pk=data.survey.pk))
    assert response.status_code == 302
    assert response["Location"] == url("round_answer", pk=data.round.pk)
    services.round_close(actor=world.user("admin"), round_=data.round)
    response = clients["member"].get(url("survey_detail", pk=data.survey.pk))
    assert response["Location"] == url("survey_list")
    assert messages_of(response) == ["No round of this survey is open at the moment."]


def test_questions_are_added_edited_moved_and_removed(clients, data):
    admin = clients["admin"]
    response = admin.post(
        url("question_add", pk=data.survey.pk),
        {"kind": "single", "text": "Best channel?", "options": "Phone\n\nEmail\n"},
    )
    assert response.status_code == 302
    added = data.survey.questions.get(text="Best channel?")
    assert added.options == ["Phone", "Email"] and added.position == 5

    response = admin.post(
        url("question_edit", pk=data.scale.pk),
        {"kind": "scale", "text": "Hand-offs are quick.", "dimension": "Speed", "options": "x"},
    )
    assert response.status_code == 302
    data.scale.refresh_from_db()
    assert (data.scale.text, data.scale.dimension, data.scale.options) == (
        "Hand-offs are quick.",
        "Speed",
        [],
    )

    admin.post(url("question_move", pk=data.scale.pk), {"direction": "down"})
    assert list(data.survey.questions.order_by("position").values_list("pk", flat=True))[:2] == [
        data.enps.pk,
        data.scale.pk,
    ]

    response = admin.post(url("question_delete", pk=added.pk))
    assert response.status_code == 302 and not Question.objects.filter(pk=added.pk).exists()


def test_a_bad_question_shows_errors_and_saves_nothing(clients, data):
    response = clients["admin"].post(
        url("question_add", pk=data.survey.pk),
        {"kind": "multiple", "text": "Pick", "options": "Only one"},
    )
    assert response.status_code == 400
    assert "Give at least two options, one per line." in response.content.decode()
    assert data.survey.questions.count() == 5


def test_a_member_cannot_manage_questions(clients, data):
    response = clients["member"].post(
        url("question_edit", pk=data.scale.pk), {"kind": "text", "text": "Changed"}
    )
    assert response.status_code == 403
    data.scale.refresh_from_db()
    assert data.scale.text == "Hand-offs are clear."


def test_rounds_open_and_close_from_the_page(world, clients, data):
    admin = clients["admin"]
    response = admin.post(url("round_open", pk=data.survey.pk))
    assert messages_of(response) == ["A round is already open."]
    response = admin.post(url("round_close", pk=data.round.pk))
    assert response["Location"] == url("survey_detail", pk=data.survey.pk) + "#rounds"
    data.round.refresh_from_db()
    assert data.round.closed_at is not None
    admin.post(url("round_open", pk=data.survey.pk))
    second = data.survey.rounds.get(number=2)
    assert second.closed_at is None and second.audience_size == 5
    page = admin.get(url("survey_detail", pk=data.survey.pk)).content.decode()
    assert page.count('data-testid="round-row"') == 2


def test_a_survey_without_questions_cannot_open_a_round(world, clients):
    survey = services.survey_create(actor=world.user("admin"), org=world.org, title="Empty")
    response = clients["admin"].post(url("round_open", pk=survey.pk))
    assert messages_of(response) == ["Add at least one question first."]
    assert not survey.rounds.exists()


def test_archiving_closes_the_open_round(clients, data):
    response = clients["leader"].post(url("survey_archive", pk=data.survey.pk))
    assert response.status_code == 302
    data.survey.refresh_from_db()
    data.round.refresh_from_db()
    assert data.survey.status == SurveyStatus.ARCHIVED and data.round.closed_at is not None


def test_settings_are_saved(world, clients, data):
    response = clients["admin"].post(
        url("survey_edit", pk=data.survey.pk),
        {
            "title": "Collaboration check, v2",
            "description": "Monthly.",
            "audience_teams": [world.team.pk],
            "recurrence": "monthly",
            "days_open": 5,
            "score_threshold": 4,
            "comment_threshold": 5,
        },
    )
    assert response.status_code == 302
    data.survey.refresh_from_db()
    assert (data.survey.title, data.survey.recurrence, data.survey.days_open) == (
        "Collaboration check, v2",
        "monthly",
        5,
    )
    assert (data.survey.score_threshold, data.survey.comment_threshold) == (4, 5)
    assert not data.survey.audience_all and list(data.survey.audience_teams.all()) == [world.team]


def test_settings_refuse_a_comment_threshold_below_the_results_threshold(clients, data):
    response = clients["admin"].post(
        url("survey_edit", pk=data.survey.pk),
        {
            "title": "X",
            "audience_all": "on",
            "recurrence": "none",
            "days_open": 7,
            "score_threshold": 6,
            "comment_threshold": 4,
        },
    )
    assert response.status_code == 400
    assert "The comments threshold cannot be below the results threshold." in (
        response.content.decode()
    )
    data.survey.refresh_from_db()
    assert (data.survey.title, data.survey.score_threshold) == ("Collaboration check", 3)


# --- answering ---------------------------------------------------------------------------


def test_the_answer_page_says_what_is_stored_and_who_sees_what(clients, data):
    page = clients["rep"].get(url("round_answer", pk=data.round.pk)).content.decode()
    assert 'data-testid="answer-form"' in page
    assert 'data-testid="submit-answer"' in page
    assert "Your answers are stored without your name, with the name of your team, East Sales" in (
        page
    )
    assert "at least 3 people of it have answered" in page
    assert "only the fact that you have answered this round" in page
    assert "Nobody — not even the administrators — can see who gave which answer." in page
    assert "Comments are shown only when at least 3 people have answered, in random order." in page
    assert "Strongly disagree" in page and "Strongly agree" in page
    assert page.count(f'name="q{data.enps.pk}"') == 11
    assert f'type="checkbox" name="q{data.multiple.pk}"' in page
    assert f'<textarea class="form-control" name="q{data.text.pk}"' in page
    assert 'data-testid="team-choice"' not in page  # one team: nothing to choose


def test_answering_end_to_end(world, clients, data):
    rep = clients["rep"]
    response = rep.post(url("round_answer", pk=data.round.pk), full_answers(data))
    assert response.status_code == 302
    assert response["Location"] == url("survey_list")
    assert messages_of(response) == ["Thank you — your answers were saved anonymously."]

    assert Receipt.objects.filter(round=data.round, user=world.user("rep")).count() == 1
    stored = Response.objects.get(round=data.round)
    assert stored.team == world.team
    answers = {(a.question_id, a.number, a.text) for a in Answer.objects.filter(response=stored)}
    assert answers == {
        (data.scale.pk, 4, ""),
        (data.enps.pk, 9, ""),
        (data.single.pk, 1, ""),
        (data.multiple.pk, 0, ""),
        (data.multiple.pk, 2, ""),
        (data.text.pk, None, "More joint planning, please."),
    }

    again = rep.get(url("round_answer", pk=data.round.pk)).content.decode()
    assert 'data-testid="answered"' in again and 'data-testid="answer-form"' not in again

    second = rep.post(url("round_answer", pk=data.round.pk), full_answers(data, scale="1"))
    assert second.status_code == 200 and 'data-testid="answered"' in second.content.decode()
    assert Response.objects.count() == 1 and Receipt.objects.count() == 1
    assert not Answer.objects.filter(number=1, question=data.scale).exists()


def test_a_validation_error_keeps_the_answers_and_saves_nothing(clients, data):
    post = full_answers(data, scale="", multiple=[])
    post[f"q{data.text.pk}"] = "Keep this comment."
    response = clients["rep"].post(url("round_answer", pk=data.round.pk), post)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Hand-offs are clear.: Please answer this question." in page
    assert "What slows you down?: Please answer this question." in page
    assert page.count('data-testid="question-error"') == 2
    assert "Keep this comment.</textarea>" in page
    assert f'id="q{data.enps.pk}_9" value="9" autocomplete="off" checked' in page
    assert f'id="q{data.single.pk}_1" value="1" checked' in page
    assert not Receipt.objects.exists() and not Response.objects.exists()
    assert not Answer.objects.exists()


def test_out_of_range_and_several_values_are_refused(clients, data):
    post = full_answers(data, enps="11", single=["0", "1"])
    response = clients["rep"].post(url("round_answer", pk=data.round.pk), post)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Would you recommend this team?: Choose one of the answers." in page
    assert "Where do deals stall?: Choose one answer." in page
    assert not Response.objects.exists()


def test_someone_in_several_teams_must_choose_the_team_they_answer_for(world, clients, data):
    west = TeamFactory(org=world.org, name="West Sales")
    TeamMembershipFactory(team=west, membership=world.members[Role.REP])
    rep = clients["rep"]
    page = rep.get(url("round_answer", pk=data.round.pk)).content.decode()
    assert 'data-testid="team-choice"' in page and "I answer for" in page
    assert "with the name of the team you choose below" in page

    response = rep.post(url("round_answer", pk=data.round.pk), full_answers(data))
    assert response.status_code == 400
    assert "You are in several teams: choose the one you answer for." in response.content.decode()
    response = rep.post(
        url("round_answer", pk=data.round.pk), {**full_answers(data), "team": world.other_team.pk}
    )
    assert response.status_code == 400 and "Choose one of your teams." in response.content.decode()
    assert not Response.objects.exists()

    response = rep.post(
        url("round_answer", pk=data.round.pk), {**full_answers(data), "team": west.pk}
    )
    assert response.status_code == 302
    assert Response.objects.get().team == west


def test_a_closed_round_says_so(world, clients, data):
    services.round_close(actor=world.user("admin"), round_=data.round)
    page = clients["rep"].get(url("round_answer", pk=data.round.pk)).content.decode()
    assert 'data-testid="round-closed"' in page and 'data-testid="answer-form"' not in page
    response = clients["rep"].post(url("round_answer", pk=data.round.pk), full_answers(data))
    assert response.status_code == 400
    assert not Response.objects.exists() and not Receipt.objects.exists()


# --- locks -------------------------------------------------------------------------------


@pytest.fixture
def answered(world, data) -> Data:
    services.response_submit(
        actor=world.user("rep"),
        round_=data.round,
        answers={data.scale.pk: 4, data.enps.pk: 9, data.single.pk: 0, data.multiple.pk: [1]},
    )
    return data


LOCKED = "Questions are locked: this survey already has answers. Start a new survey instead."


def test_questions_are_locked_after_the_first_answer(clients, answered):
    data, admin = answered, clients["admin"]
    page = admin.get(url("survey_detail", pk=data.survey.pk)).content.decode()
    assert 'data-testid="locked-badge"' in page and 'data-testid="questions-locked"' in page
    assert 'data-testid="edit-question"' not in page and 'data-testid="add-question"' not in page

    response = admin.post(
        url("question_edit", pk=data.scale.pk), {"kind": "scale", "text": "Rewritten"}
    )
    assert response.status_code == 400 and LOCKED in response.content.decode()
    data.scale.refresh_from_db()
    assert data.scale.text == "Hand-offs are clear."

    response = admin.get(url("question_edit", pk=data.scale.pk), follow=True)
    assert response.redirect_chain[0][1] == 302 and LOCKED in response.content.decode()

    response = admin.post(url("question_delete", pk=data.text.pk))
    assert messages_of(response) == [LOCKED]
    response = admin.post(url("question_add", pk=data.survey.pk), {"kind": "text", "text": "New?"})
    assert response.status_code == 400
    response = admin.post(url("question_move", pk=data.scale.pk), {"direction": "down"})
    assert messages_of(response) == [LOCKED]
    assert list(data.survey.questions.order_by("position")) == [
        data.scale,
        data.enps,
        data.single,
        data.multiple,
        data.text,
    ]


def test_thresholds_are_locked_after_the_first_answer(clients, answered):
    data, admin = answered, clients["admin"]
    page = admin.get(url("survey_edit", pk=data.survey.pk)).content.decode()
    assert 'data-testid="locked-badge"' in page
    assert 'name="score_threshold" value="3"' in page and "disabled" in page
    settings = {"title": "Renamed", "audience_all": "on", "recurrence": "none", "days_open": 7}

    response = admin.post(
        url("survey_edit", pk=data.survey.pk),
        {**settings, "score_threshold": 3, "comment_threshold": 4},
    )
    assert response.status_code == 400
    assert "Thresholds are locked: this survey already has answers." in response.content.decode()
    data.survey.refresh_from_db()
    assert (data.survey.title, data.survey.comment_threshold) == ("Collaboration check", 3)

    # The disabled fields are not sent by browsers: the rest of the settings still saves.
    response = admin.post(url("survey_edit", pk=data.survey.pk), settings)
    assert response.status_code == 302
    data.survey.refresh_from_db()
    assert (data.survey.title, data.survey.score_threshold) == ("Renamed", 3)


# --- suggestion box ----------------------------------------------------------------------


def test_the_suggestion_box_caps_three_a_day(world, clients, data):
    member = clients["member"]
    page = member.get(url("suggestion_box")).content.decode()
    assert 'data-testid="suggestion-form"' in page and "dated only by its month" in page
    assert 'data-testid="suggestion-months"' not in page
    for n in range(3):
        response = member.post(url("suggestion_box"), {"body": f"Thought {n}"})
        assert response.status_code == 302
    response = member.post(url("suggestion_box"), {"body": "One too many"})
    assert response.status_code == 400
    assert "You can leave 3 suggestions a day. Please come back tomorrow." in (
        response.content.decode()
    )
    assert Suggestion.objects.filter(body__startswith="Thought").count() == 3
    assert not Suggestion.objects.filter(body="One too many").exists()


def test_an_empty_suggestion_is_refused(clients, data):
    response = clients["rep"].post(url("suggestion_box"), {"body": "   "})
    assert response.status_code == 400
    assert Suggestion.objects.count() == 3


def test_readers_see_a_month_only_when_enough_people_wrote(world, clients, data):
    org = world.org
    org.comment_threshold = 4
    org.save(update_fields=["comment_threshold"])
    page = clients["leader"].get(url("suggestion_box")).content.decode()
    assert "3 suggestions withheld: fewer than 4 different people wrote this month." in page
    assert "Idea from the reps" not in page

    clients["member"].post(url("suggestion_box"), {"body": "Idea from a member"})
    page = clients["leader"].get(url("suggestion_box")).content.decode()
    assert 'data-testid="suggestions-withheld"' not in page
    for body in ("Idea from the reps", "Idea from the admins", "Idea from a member"):
        assert body in page
    assert url("suggestion_action", pk=data.suggestion.pk) in page

    rep_page = clients["rep"].get(url("suggestion_box")).content.decode()
    assert "Idea from the" not in rep_page


def test_a_rep_cannot_read_or_act_on_suggestions(clients, data):
    assert clients["rep"].get(url("suggestion_action", pk=data.suggestion.pk)).status_code == 403
    response = clients["rep"].post(
        url("suggestion_action", pk=data.suggestion.pk),
        {
            "title": "X",
            "owner": data.action.owner_id,
            "due_date": "2030-01-01",
            "status": "planned",
        },
    )
    assert response.status_code == 403
    assert FollowUpAction.objects.count() == 1


def test_a_suggestion_of_a_withheld_month_cannot_be_acted_on(world, clients, data):
    world.org.comment_threshold = 4
    world.org.save(update_fields=["comment_threshold"])
    response = clients["admin"].get(url("suggestion_action", pk=data.suggestion.pk))
    assert response.status_code == 404


# --- follow-up actions -------------------------------------------------------------------


def test_a_follow_up_action_is_created_and_the_audience_sees_it(world, clients, data):
    admin = clients["admin"]
    form = admin.get(url("action_create", pk=data.survey.pk) + f"?question={data.enps.pk}")
    assert f'<option value="{data.enps.pk}" selected>' in form.content.decode()
    response = admin.post(
        url("action_create", pk=data.survey.pk),
        {
            "title": "Share the pipeline every Monday",
            "description": "In the team meeting.",
            "owner": world.user("manager").pk,
            "due_date": "2030-03-01",
            "status": "in_progress",
            "question": data.enps.pk,
        },
    )
    assert response.status_code == 302
    action = FollowUpAction.objects.get(title="Share the pipeline every Monday")
    assert (action.survey, action.question, action.created_by) == (
        data.survey,
        data.enps,
        world.user("admin"),
    )

    page = clients["rep"].get(url("action_list")).content.decode()
    assert "Share the pipeline every Monday" in page and "Collaboration check" in page
    assert "In progress" in page and "due 2030-03-01" in page
    assert 'data-testid="action-edit"' not in page
    assert 'data-testid="action-edit"' in clients["leader"].get(url("action_list")).content.decode()


def test_a_bad_action_shows_errors_and_saves_nothing(world, clients, data):
    response = clients["admin"].post(
        url("action_create", pk=data.survey.pk),
        {"title": "", "owner": world.outsider.user.pk, "due_date": "", "status": "planned"},
    )
    assert response.status_code == 400
    assert FollowUpAction.objects.count() == 1


def test_a_follow_up_action_is_edited(world, clients, data):
    response = clients["leader"].post(
        url("action_edit", pk=data.action.pk),
        {
            "title": "Weekly hand-off meeting",
            "owner": world.user("leader").pk,
            "due_date": "2030-01-15",
            "status": "done",
            "question": "",
        },
    )
    assert response.status_code == 302
    data.action.refresh_from_db()
    assert data.action.status == "done" and data.action.question is None
    assert str(data.action.due_date) == "2030-01-15"


def test_an_action_from_a_suggestion_never_shows_the_text_to_everyone(world, clients, data):
    admin = clients["admin"]
    page = admin.get(url("suggestion_action", pk=data.suggestion.pk)).content.decode()
    assert 'data-testid="suggestion-text"' in page and "Idea from the reps" in page
    assert 'name="question"' not in page
    response = admin.post(
        url("suggestion_action", pk=data.suggestion.pk),
        {
            "title": "Try the idea",
            "owner": world.user("admin").pk,
            "due_date": "2030-02-01",
            "status": "planned",
        },
    )
    assert response.status_code == 302
    action = FollowUpAction.objects.get(title="Try the idea")
    assert action.suggestion == data.suggestion and action.survey is None
    page = clients["member"].get(url("action_list")).content.decode()
    assert "Try the idea" in page and "From the suggestion box" in page
    assert "Idea from the reps" not in page


def test_actions_of_surveys_not_addressed_to_me_are_not_shown(world, clients, data):
    west = TeamFactory(org=world.org, name="West Sales")
    TeamMembershipFactory(team=west, membership=MembershipFactory(org=world.org, role=Role.REP))
    survey = services.survey_create(
        actor=world.user("admin"),
        org=world.org,
        title="West only",
        audience_all=False,
        audience_teams=[west],
        questions=[QuestionSpec(QuestionKind.SCALE, "Fine?")],
    )
    services.round_open(actor=world.user("admin"), survey=survey, announce=False)
    services.action_save(
        actor=world.user("admin"),
        org=world.org,
        survey=survey,
        title="Fix the West",
        owner=world.user("admin"),
        due_date=data.round.closes_on,
    )
    assert "Fix the West" not in clients["rep"].get(url("action_list")).content.decode()
    assert "Fix the West" in clients["leader"].get(url("action_list")).content.decode()


def test_the_first_round_can_be_scheduled_from_the_survey_page(world, clients):
    from datetime import timedelta

    from django.utils import timezone

    from feedback import services as feedback_services
    from feedback.models import Survey as SurveyModel

    survey = feedback_services.survey_create_from_template(
        actor=world.user("admin"), org=world.org, key="pain_points"
    )
    url = reverse("feedback:round_open", kwargs={"org_slug": "acme", "pk": survey.pk})
    day = timezone.localdate() + timedelta(days=3)
    response = clients["leader"].post(url, {"opens_on": day.isoformat()}, follow=True)
    assert response.status_code == 200
    survey = SurveyModel.objects.get(pk=survey.pk)
    assert (survey.first_round_on, survey.status, survey.rounds.count()) == (day, "active", 0)
    assert 'data-testid="scheduled"' in response.content.decode()
    past = clients["leader"].post(url, {"opens_on": "2000-01-01"}, follow=True)
    assert "Choose today or a later day." in past.content.decode()
    assert clients["rep"].post(url, {"opens_on": day.isoformat()}).status_code in (403, 404)
