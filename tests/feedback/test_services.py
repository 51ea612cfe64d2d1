"""The promises of anonymous feedback at the service layer: surveys from templates, who is in
the audience, opening and announcing rounds, answering (once, completely, anonymously), the
lock on thresholds and questions, the rounds job (close, remind, reopen monthly — each once),
the suggestion box and its daily cap, and follow-up actions.

Every call that depends on the date gets a fixed, time-zone-aware `now`; the organisation's
time zone is Asia/Shanghai (UTC+8), so 16:00 UTC is already the next day there.
"""

from datetime import date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from feedback import services
from feedback.blueprints import blueprint_get
from feedback.models import (
    ActionStatus,
    Answer,
    FollowUpAction,
    Question,
    QuestionKind,
    Receipt,
    Recurrence,
    Response,
    Round,
    Suggestion,
    SuggestionReceipt,
    Survey,
    SurveyStatus,
)
from feedback.services import QuestionSpec
from salesops.models import Membership, Notification, Role, Team, User

from ..factories import MembershipFactory, TeamFactory, TeamMembershipFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")

TODAY = date(2025, 3, 12)
NOW = datetime(2025, 3, 12, 10, 0, tzinfo=SHANGHAI)
CLOSES_ON = date(2025, 3, 18)  # a round opened on TODAY stays open 7 days, this one included

SCORED_AND_CHOICE = ("scale", "enps", "single", "multiple")
ROUND_OPEN = "feedback.round_open"
REMINDER = "feedback.reminder"

SPECS = (
    QuestionSpec(QuestionKind.SCALE, "Hand-offs between teams are clear.", "Ownership"),
    QuestionSpec(QuestionKind.ENPS, "Would you recommend this team to a friend?", "eNPS"),
    QuestionSpec(
        QuestionKind.SINGLE, "Where do deals stall?", "Stage", ("Qualifying", "Proposal", "Closing")
    ),
    QuestionSpec(
        QuestionKind.MULTIPLE, "What slows you down?", "Obstacles", ("Meetings", "Tools", "CRM")
    ),
    QuestionSpec(QuestionKind.TEXT, "Anything else?"),
)


# --- helpers ----------------------------------------------------------------------------------


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in the organisation's time zone."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def new_team(world, name: str, parent: Team | None = None) -> Team:
    return cast(Team, TeamFactory(org=world.org, name=name, parent=parent))


def new_member(world, role: str = Role.MEMBER, *teams: Team) -> Membership:
    membership = cast(Membership, MembershipFactory(org=world.org, role=role))
    for team in teams:
        TeamMembershipFactory(team=team, membership=membership)
    return membership


def org_people(world) -> set[User]:
    return {membership.user for membership in world.members.values()}


def recipients(kind: str) -> list[User]:
    return sorted(
        (n.recipient for n in Notification.objects.filter(kind=kind)), key=lambda user: user.pk
    )


def by_pk(users) -> list[User]:  # type: ignore[no-untyped-def]
    return sorted(users, key=lambda user: user.pk)


def make_survey(world, **values: Any) -> Survey:
    values.setdefault("questions", SPECS)
    return services.survey_create(
        actor=world.user(Role.ADMIN), org=world.org, title="Collaboration check", **values
    )


def questions(survey: Survey) -> dict[str, Question]:
    return {question.kind: question for question in survey.questions.all()}


def full_answers(survey: Survey, **override: Any) -> dict[int, Any]:
    """A complete, valid set of answers; `override` replaces one by kind."""
    q = questions(survey)
    answers: dict[str, Any] = {
        QuestionKind.SCALE: 4,
        QuestionKind.ENPS: 9,
        QuestionKind.SINGLE: 1,
        QuestionKind.MULTIPLE: [0, 2],
        QuestionKind.TEXT: "More shared pipeline reviews.",
    }
    answers.update(override)
    return {q[kind].pk: value for kind, value in answers.items() if kind in q}


def submit(
    round_: Round,
    user: User,
    answers: dict[int, Any] | None = None,
    *,
    team: Team | None = None,
    now: datetime = NOW,
) -> Receipt:
    return services.response_submit(
        actor=user,
        round_=round_,
        answers=full_answers(round_.survey) if answers is None else answers,
        team=team,
        now=now,
    )


def stored() -> tuple[int, int, int]:
    return Receipt.objects.count(), Response.objects.count(), Answer.objects.count()


def open_round(survey: Survey, now: datetime = NOW) -> Round:
    return services.round_open(actor=survey.created_by, survey=survey, now=now)


@pytest.fixture
def survey(world) -> Survey:
    """A draft survey for the whole organisation with one question of each kind."""
    return make_survey(world)


@pytest.fixture
def round_(survey) -> Round:
    return open_round(survey)


# --- creating surveys ------------------------------------------------------------------------


def test_the_collaboration_pulse_template_is_a_monthly_survey_of_six_scales_and_a_comment(world):
    world.org.anonymity_threshold, world.org.comment_threshold = 4, 6
    world.org.save()

    survey = services.survey_create_from_template(
        actor=world.user(Role.ADMIN), org=world.org, key="collaboration_pulse"
    )

    assert survey.template_key == "collaboration_pulse"
    assert survey.title == "Collaboration pulse"
    assert survey.recurrence == Recurrence.MONTHLY
    assert survey.status == SurveyStatus.DRAFT
    assert (survey.score_threshold, survey.comment_threshold) == (4, 6)
    rows = list(survey.questions.values_list("position", "kind", "dimension", "options"))
    assert rows == [
        (0, "scale", "Communication", []),
        (1, "scale", "Ownership", []),
        (2, "scale", "Goal alignment", []),
        (3, "scale", "Information sharing", []),
        (4, "scale", "Lead quality", []),
        (5, "scale", "Trust", []),
        (6, "text", "", []),
    ]
    blueprint = blueprint_get("collaboration_pulse")
    assert blueprint is not None
    assert [q.text for q in survey.questions.all()] == [str(q.text) for q in blueprint.questions]


def test_the_pain_point_template_has_choices_scales_and_enps_and_runs_once(world):
    survey = services.survey_create_from_template(
        actor=world.user(Role.ADMIN), org=world.org, key="pain_points", title="  Q3 diagnosis "
    )

    assert survey.title == "Q3 diagnosis"
    assert survey.recurrence == Recurrence.NONE
    assert [(q.kind, q.dimension) for q in survey.questions.all()] == [
        ("single", "Sales stage"),
        ("multiple", "Obstacles"),
        ("scale", "Goal clarity"),
        ("scale", "Goal clarity"),
        ("enps", "eNPS"),
        ("text", ""),
    ]
    stall, slows = survey.questions.all()[:2]
    assert stall.options == [
        "Finding leads",
        "Qualifying",
        "Proposal",
        "Negotiation",
        "Closing",
        "Renewal",
    ]
    assert slows.options[0] == "Unclear goals"
    assert len(slows.options) == 6


def test_an_unknown_template_is_refused(world):
    with pytest.raises(ValidationError) as error:
        services.survey_create_from_template(
            actor=world.user(Role.ADMIN), org=world.org, key="nope"
        )
    assert "template" in error.value.message_dict
    assert not Survey.objects.exists()


def test_thresholds_default_from_the_organisation_and_can_be_set_per_survey(world):
    world.org.anonymity_threshold, world.org.comment_threshold = 6, 8
    world.org.save()

    defaulted = make_survey(world)
    chosen = make_survey(world, score_threshold=3, comment_threshold=4)

    assert (defaulted.score_threshold, defaulted.comment_threshold) == (6, 8)
    assert (chosen.score_threshold, chosen.comment_threshold) == (3, 4)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"score_threshold": 6, "comment_threshold": 5}, "comment_threshold"),
        ({"score_threshold": 2, "comment_threshold": 5}, "score_threshold"),
        ({"score_threshold": 5, "comment_threshold": 11}, "comment_threshold"),
    ],
)
def test_thresholds_out_of_order_or_range_are_refused(world, values, field):
    with pytest.raises(ValidationError) as error:
        make_survey(world, **values)
    assert field in error.value.message_dict
    assert not Survey.objects.exists()
    assert not Question.objects.exists()


def test_audience_teams_of_another_organisation_are_refused(world):
    with pytest.raises(ValidationError) as error:
        make_survey(world, audience_all=False, audience_teams=[world.team, world.other_team])
    assert "audience_teams" in error.value.message_dict
    assert not Survey.objects.exists()


def test_a_survey_for_chosen_teams_needs_at_least_one_team(world):
    with pytest.raises(ValidationError) as error:
        make_survey(world, audience_all=False, audience_teams=[])
    assert "audience_teams" in error.value.message_dict
    assert not Survey.objects.exists()


def test_a_survey_needs_a_title(world):
    with pytest.raises(ValidationError) as error:
        services.survey_create(actor=world.user(Role.ADMIN), org=world.org, title="   ")
    assert "title" in error.value.message_dict


def test_a_choice_question_needs_two_different_options(world, survey):
    admin = world.user(Role.ADMIN)
    for options in (("Only one",), ("Same", "Same ")):
        with pytest.raises(ValidationError) as error:
            services.question_add(
                actor=admin,
                survey=survey,
                spec=QuestionSpec(QuestionKind.SINGLE, "Pick one", options=options),
            )
        assert "options" in error.value.message_dict
    assert survey.questions.count() == len(SPECS)


# --- audience --------------------------------------------------------------------------------


def test_the_whole_organisation_is_every_active_member_and_nobody_else(world, survey):
    assert set(services.audience_of(survey)) == org_people(world)
    assert not services.in_audience(survey, world.outsider.user)


def test_chosen_teams_reach_the_members_of_their_sub_teams(world):
    child = new_team(world, name="East Sales — Shanghai", parent=world.team)
    grandchild = new_team(world, name="East Sales — Pudong", parent=child)
    elsewhere = new_team(world, name="Marketing")
    in_child = new_member(world, Role.REP, child)
    in_grandchild = new_member(world, Role.REP, grandchild)
    in_elsewhere = new_member(world, Role.MEMBER, elsewhere)
    teamless = new_member(world, Role.MEMBER)

    survey = make_survey(world, audience_all=False, audience_teams=[world.team])

    audience = set(services.audience_of(survey))
    assert audience == {
        world.user(Role.MANAGER),
        world.user(Role.REP),
        in_child.user,
        in_grandchild.user,
    }
    assert in_elsewhere.user not in audience
    assert teamless.user not in audience
    assert services.audience_team_ids(survey) == {world.team.pk, child.pk, grandchild.pk}

    # A sub-team's survey does not reach up to its parent.
    child_only = make_survey(world, audience_all=False, audience_teams=[child])
    assert set(services.audience_of(child_only)) == {in_child.user, in_grandchild.user}


def test_inactive_members_and_deactivated_accounts_are_not_in_the_audience(world):
    left = new_member(world, Role.REP, world.team)
    left.is_active = False
    left.save()
    disabled = new_member(world, Role.REP, world.team)
    disabled.user.is_active = False
    disabled.user.save()

    for survey in (
        make_survey(world),
        make_survey(world, audience_all=False, audience_teams=[world.team]),
    ):
        audience = set(services.audience_of(survey))
        assert left.user not in audience
        assert disabled.user not in audience
        assert world.user(Role.REP) in audience


def test_answering_teams_are_the_persons_teams_within_the_audience(world):
    child = new_team(world, name="Alpha squad", parent=world.team)
    elsewhere = new_team(world, name="Marketing")
    both = new_member(world, Role.REP, world.team, child, elsewhere)
    whole_org = make_survey(world)
    east = make_survey(world, audience_all=False, audience_teams=[world.team])
    alpha = make_survey(world, audience_all=False, audience_teams=[child])

    assert services.answering_teams(whole_org, both.user) == [child, world.team, elsewhere]
    assert services.answering_teams(east, both.user) == [child, world.team]
    assert services.answering_teams(alpha, both.user) == [child]
    assert services.answering_teams(alpha, world.user(Role.MANAGER)) == []
    assert services.answering_teams(whole_org, world.user(Role.ADMIN)) == []


# --- opening rounds --------------------------------------------------------------------------


def test_a_round_cannot_open_without_questions(world):
    survey = make_survey(world, questions=())
    with pytest.raises(ValidationError):
        open_round(survey)
    assert not Round.objects.exists()
    assert not Notification.objects.exists()
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.DRAFT


def test_opening_a_round_sets_its_dates_audience_and_number_in_the_org_time_zone(world, survey):
    # 17:00 UTC on the 11th is already the 12th in Shanghai.
    round_ = open_round(survey, now=datetime(2025, 3, 11, 17, 0, tzinfo=UTC))

    assert round_.number == 1
    assert (round_.opens_on, round_.closes_on) == (TODAY, CLOSES_ON)
    assert round_.audience_size == len(org_people(world)) == 5
    assert round_.closed_at is None
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.ACTIVE


def test_only_one_round_is_open_at_a_time_and_rounds_are_numbered(world, survey, round_):
    with pytest.raises(ValidationError) as error:
        open_round(survey, now=NOW + timedelta(days=2))
    assert "already open" in " ".join(error.value.messages)
    assert Round.objects.count() == 1

    services.round_close(actor=world.user(Role.ADMIN), round_=round_, now=NOW + timedelta(days=2))
    second = open_round(survey, now=NOW + timedelta(days=2))

    assert second.number == 2
    assert second.opens_on == TODAY + timedelta(days=2)
    assert list(survey.rounds.values_list("number", flat=True)) == [2, 1]


def test_the_audience_size_is_the_audience_of_the_day(world):
    survey = make_survey(world, audience_all=False, audience_teams=[world.team])
    new_member(world, Role.REP, world.team)

    assert open_round(survey).audience_size == 3


def test_an_archived_survey_cannot_open_a_round(world, survey):
    services.survey_archive(actor=world.user(Role.ADMIN), survey=survey)
    with pytest.raises(ValidationError):
        open_round(survey)
    assert not Round.objects.exists()


def test_a_round_is_announced_once_to_each_person_of_the_audience(world):
    survey = make_survey(world, audience_all=False, audience_teams=[world.team])
    child = new_team(world, name="Alpha squad", parent=world.team)
    in_both = new_member(world, Role.REP, world.team, child)

    round_ = open_round(survey)

    expected = by_pk([world.user(Role.MANAGER), world.user(Role.REP), in_both.user])
    assert recipients(ROUND_OPEN) == expected
    round_.refresh_from_db()
    assert round_.announced_at is not None
    url = Notification.objects.filter(kind=ROUND_OPEN).values_list("url", flat=True).first()
    assert url == services.answer_url(round_)

    assert services.round_announce(round_id=round_.pk) is False
    assert recipients(ROUND_OPEN) == expected


# --- answering -------------------------------------------------------------------------------


def test_an_answer_stores_one_receipt_and_one_response_with_a_row_per_answer(world, survey, round_):
    rep = world.user(Role.REP)
    q = questions(survey)

    receipt = submit(round_, rep)

    assert receipt.round == round_
    assert receipt.user == rep
    assert stored() == (1, 1, 6)  # scale, eNPS, single, two options chosen, comment
    response = Response.objects.get()
    assert response.round == round_
    assert response.team == world.team  # the rep's only team, chosen for them
    rows = sorted(
        (a.question_id, a.number, a.text) for a in Answer.objects.filter(response=response)
    )
    assert rows == sorted(
        [
            (q["scale"].pk, 4, ""),
            (q["enps"].pk, 9, ""),
            (q["single"].pk, 1, ""),
            (q["multiple"].pk, 0, ""),
            (q["multiple"].pk, 2, ""),
            (q["text"].pk, None, "More shared pipeline reviews."),
        ]
    )
    assert services.has_answered(round_, rep)
    assert not services.has_answered(round_, world.user(Role.MANAGER))


def test_free_text_is_optional_and_a_repeated_option_counts_once(world, survey, round_):
    submit(round_, world.user(Role.REP), full_answers(survey, text="   ", multiple=["2", 2, "1"]))

    q = questions(survey)
    assert not Answer.objects.filter(question=q["text"]).exists()
    chosen = Answer.objects.filter(question=q["multiple"]).order_by("number")
    assert list(chosen.values_list("number", flat=True)) == [1, 2]
    assert stored() == (1, 1, 5)


def test_the_lowest_and_highest_answers_are_accepted(world, survey, round_):
    submit(round_, world.user(Role.REP), full_answers(survey, scale=1, enps=0, single=0))
    submit(round_, world.user(Role.MANAGER), full_answers(survey, scale=5, enps=10, single=2))
    assert stored()[:2] == (2, 2)


@pytest.mark.parametrize("kind", ["scale", "enps", "single", "multiple"])
@pytest.mark.parametrize("missing", [None, "", []])
def test_every_question_but_free_text_must_be_answered(world, survey, round_, kind, missing):
    question = questions(survey)[kind]
    answers = full_answers(survey, **{kind: missing})

    with pytest.raises(ValidationError) as error:
        submit(round_, world.user(Role.REP), answers)

    messages = error.value.message_dict
    assert list(messages) == [f"q{question.pk}"]
    assert question.text in messages[f"q{question.pk}"][0]
    assert "answer" in messages[f"q{question.pk}"][0].lower()
    assert stored() == (0, 0, 0)


def test_an_unanswered_question_left_out_of_the_answers_is_named_too(world, survey, round_):
    q = questions(survey)
    answers = {q["text"].pk: "Only a comment"}

    with pytest.raises(ValidationError) as error:
        submit(round_, world.user(Role.REP), answers)

    assert set(error.value.message_dict) == {f"q{q[k].pk}" for k in SCORED_AND_CHOICE}
    assert stored() == (0, 0, 0)


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("scale", 0),
        ("scale", 6),
        ("scale", "abc"),
        ("scale", [2, 3]),
        ("enps", -1),
        ("enps", 11),
        ("single", 3),
        ("single", -1),
        ("single", [0, 1]),
        ("multiple", [0, 3]),
        ("multiple", [-1]),
        ("multiple", ["x"]),
        ("text", "x" * 2001),
    ],
)
def test_answers_out_of_range_are_refused(world, survey, round_, kind, value):
    question = questions(survey)[kind]

    with pytest.raises(ValidationError) as error:
        submit(round_, world.user(Role.REP), full_answers(survey, **{kind: value}))

    assert list(error.value.message_dict) == [f"q{question.pk}"]
    assert question.text in error.value.message_dict[f"q{question.pk}"][0]
    assert stored() == (0, 0, 0)


def test_people_outside_the_audience_cannot_answer(world):
    survey = make_survey(world, audience_all=False, audience_teams=[world.team])
    round_ = open_round(survey)

    for person in (world.user(Role.ADMIN), world.outsider.user):
        with pytest.raises(ValidationError) as error:
            submit(round_, person)
        assert "not addressed to you" in " ".join(error.value.messages)
    assert stored() == (0, 0, 0)


def test_a_member_who_left_cannot_answer(world, survey, round_):
    membership = world.members[Role.REP]
    membership.is_active = False
    membership.save()

    with pytest.raises(ValidationError):
        submit(round_, world.user(Role.REP))
    assert stored() == (0, 0, 0)


def test_a_closed_round_takes_no_answers(world, survey, round_):
    rep = world.user(Role.REP)
    # Past its last day (in Shanghai: 16:30 UTC on the 18th is the 19th) …
    with pytest.raises(ValidationError) as error:
        submit(round_, rep, now=datetime(2025, 3, 18, 16, 30, tzinfo=UTC))
    assert "closed" in " ".join(error.value.messages)
    # … before its first day …
    with pytest.raises(ValidationError):
        submit(round_, rep, now=at(2025, 3, 11, 23, 59))
    # … or closed early.
    closed = services.round_close(actor=world.user(Role.ADMIN), round_=round_, now=NOW)
    with pytest.raises(ValidationError):
        submit(closed, rep)
    assert stored() == (0, 0, 0)

    # Its last day, late in the evening in Shanghai, still counts.
    other = make_survey(world)
    submit(open_round(other), rep, now=at(2025, 3, 18, 23, 59))
    assert stored()[:2] == (1, 1)


def test_the_team_must_be_one_of_the_persons_teams_in_the_audience(world, survey, round_):
    rep = world.user(Role.REP)
    marketing = new_team(world, name="Marketing")

    for wrong in (marketing, world.other_team):
        with pytest.raises(ValidationError) as error:
            submit(round_, rep, team=wrong)
        assert "team" in error.value.message_dict
    assert stored() == (0, 0, 0)

    submit(round_, rep, team=world.team)
    assert Response.objects.get().team == world.team


def test_someone_in_several_teams_chooses_the_one_they_answer_for(world, survey, round_):
    marketing = new_team(world, name="Marketing")
    both = new_member(world, Role.REP, world.team, marketing)

    with pytest.raises(ValidationError) as error:
        submit(round_, both.user)
    assert "several teams" in " ".join(error.value.message_dict["team"])
    assert stored() == (0, 0, 0)

    submit(round_, both.user, team=marketing)
    assert Response.objects.get().team == marketing


def test_for_a_team_survey_only_the_teams_in_the_audience_count(world):
    marketing = new_team(world, name="Marketing")
    both = new_member(world, Role.REP, world.team, marketing)
    survey = make_survey(world, audience_all=False, audience_teams=[world.team])
    round_ = open_round(survey)

    with pytest.raises(ValidationError):
        submit(round_, both.user, team=marketing)

    submit(round_, both.user)  # East Sales is the only team that counts here: no choice needed
    assert Response.objects.get().team == world.team


def test_someone_without_a_team_answers_for_no_team(world, survey, round_):
    submit(round_, world.user(Role.ADMIN))
    assert Response.objects.get().team is None


def test_a_second_answer_is_refused_and_stores_nothing(world, survey, round_):
    rep = world.user(Role.REP)
    submit(round_, rep)
    before = stored()

    with pytest.raises(ValidationError) as error:
        submit(round_, rep, full_answers(survey, scale=1, text="Changed my mind"))

    assert "already answered" in " ".join(error.value.messages)
    assert stored() == before == (1, 1, 6)
    assert not Answer.objects.filter(text="Changed my mind").exists()


def test_nothing_about_the_person_is_stored_with_the_answers(world, survey, round_):
    rep = world.user(Role.REP)
    submit(round_, rep)

    response_row = Response.objects.values().get()
    assert set(response_row) == {"id", "round_id", "team_id"}
    assert response_row["round_id"] == round_.pk
    assert response_row["team_id"] == world.team.pk
    assert response_row["id"] != rep.pk
    for row in Answer.objects.values():
        assert set(row) == {"id", "response_id", "question_id", "number", "text"}
        assert row["response_id"] == response_row["id"]
    every_value = [*response_row.values()] + [
        v for row in Answer.objects.values() for v in row.values()
    ]
    assert not any(rep.email in str(value) for value in every_value)
    assert not any(rep.display_name in str(value) for value in every_value)
    for model in (Response, Answer, Suggestion):
        related = {field.related_model for field in model._meta.get_fields()}
        assert User not in related, model
        assert not any(
            field.get_internal_type() in ("DateTimeField", "GenericIPAddressField")
            for field in model._meta.concrete_fields
        ), model
    # The receipt knows who, never what.
    assert {field.name for field in Receipt._meta.concrete_fields} == {"id", "round", "user"}


# --- the lock on thresholds and questions ----------------------------------------------------


def test_thresholds_change_until_the_first_answer_and_never_after(world, survey, round_):
    admin = world.user(Role.ADMIN)
    assert not services.survey_is_locked(survey)

    survey = services.survey_update(
        actor=admin, survey=survey, score_threshold=6, comment_threshold=7
    )
    assert (survey.score_threshold, survey.comment_threshold) == (6, 7)
    with pytest.raises(ValidationError) as error:
        services.survey_update(actor=admin, survey=survey, comment_threshold=5)
    assert "comment_threshold" in error.value.message_dict

    submit(round_, world.user(Role.REP))
    assert services.survey_is_locked(survey)

    for field, value in (("score_threshold", 3), ("comment_threshold", 9)):
        with pytest.raises(ValidationError) as error:
            change: dict[str, Any] = {field: value}
            services.survey_update(actor=admin, survey=survey, **change)
        assert "locked" in " ".join(error.value.message_dict[field])
    survey.refresh_from_db()
    assert (survey.score_threshold, survey.comment_threshold) == (6, 7)

    # Saving the form unchanged, or changing the title, is still fine.
    survey = services.survey_update(
        actor=admin, survey=survey, score_threshold=6, comment_threshold=7, title="Renamed"
    )
    assert survey.title == "Renamed"


def test_the_audience_can_be_changed_but_only_to_teams_of_the_organisation(world, survey):
    admin = world.user(Role.ADMIN)
    survey = services.survey_update(
        actor=admin, survey=survey, audience_all=False, audience_teams=[world.team]
    )
    assert list(survey.audience_teams.all()) == [world.team]

    with pytest.raises(ValidationError):
        services.survey_update(actor=admin, survey=survey, audience_teams=[world.other_team])
    with pytest.raises(ValidationError):
        services.survey_update(actor=admin, survey=survey, audience_teams=[])
    assert list(survey.audience_teams.all()) == [world.team]


def test_questions_can_be_edited_until_the_first_answer(world, survey):
    admin = world.user(Role.ADMIN)
    q = questions(survey)

    added = services.question_add(
        actor=admin, survey=survey, spec=QuestionSpec(QuestionKind.SCALE, " Goals are clear. ")
    )
    assert (added.position, added.text) == (len(SPECS), "Goals are clear.")
    services.question_update(
        actor=admin,
        question=q["scale"],
        spec=QuestionSpec(QuestionKind.SCALE, "Hand-offs are smooth.", "Ownership"),
    )
    for _ in range(2):
        services.question_move(actor=admin, question=added, direction="up")
    services.question_move(actor=admin, question=q["scale"], direction="up")  # first already
    services.question_delete(actor=admin, question=q["text"])

    assert [question.text for question in survey.questions.all()] == [
        "Hand-offs are smooth.",
        SPECS[1].text,
        SPECS[2].text,
        "Goals are clear.",
        SPECS[3].text,
    ]


def test_questions_are_locked_after_the_first_answer(world, survey, round_):
    admin = world.user(Role.ADMIN)
    submit(round_, world.user(Role.REP))
    q = questions(survey)
    before = list(survey.questions.values_list("pk", "position", "kind", "text", "options"))

    attempts = [
        lambda: services.question_add(
            actor=admin, survey=survey, spec=QuestionSpec(QuestionKind.SCALE, "New one")
        ),
        lambda: services.question_update(
            actor=admin, question=q["scale"], spec=QuestionSpec(QuestionKind.SCALE, "Reworded")
        ),
        lambda: services.question_delete(actor=admin, question=q["text"]),
        lambda: services.question_move(actor=admin, question=q["enps"], direction="up"),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as error:
            attempt()
        assert "locked" in " ".join(error.value.messages)

    assert list(survey.questions.values_list("pk", "position", "kind", "text", "options")) == before


# --- the rounds job --------------------------------------------------------------------------


def test_the_job_closes_rounds_past_their_last_day_once(world, survey, round_):
    assert services.survey_rounds_run(now=at(2025, 3, 18, 23, 30))["closed"] == 0

    after = datetime(2025, 3, 18, 16, 30, tzinfo=UTC)  # 00:30 on the 19th in Shanghai
    assert services.survey_rounds_run(now=after)["closed"] == 1
    round_.refresh_from_db()
    assert round_.closed_at == after

    assert services.survey_rounds_run(now=after + timedelta(minutes=15))["closed"] == 0
    round_.refresh_from_db()
    assert round_.closed_at == after


def test_the_job_reminds_those_without_a_receipt_two_days_before_closing_once(
    world, survey, round_
):
    submit(round_, world.user(Role.REP))

    assert services.survey_rounds_run(now=at(2025, 3, 15, 23, 45))["reminded"] == 0
    assert recipients(REMINDER) == []

    done = services.survey_rounds_run(now=datetime(2025, 3, 15, 16, 30, tzinfo=UTC))  # the 16th
    waiting = by_pk(org_people(world) - {world.user(Role.REP)})
    assert done["reminded"] == len(waiting) == 4
    assert recipients(REMINDER) == waiting

    submit(round_, world.user(Role.MANAGER), now=at(2025, 3, 16, 9))
    for now in (at(2025, 3, 16, 9, 15), at(2025, 3, 17, 9), at(2025, 3, 18, 20)):
        assert services.survey_rounds_run(now=now)["reminded"] == 0
    assert recipients(REMINDER) == waiting
    assert services.round_remind(round_id=round_.pk) == 0


def test_a_monthly_survey_opens_its_next_round_one_month_after_the_last_opened(world):
    survey = make_survey(world, recurrence=Recurrence.MONTHLY)
    first = open_round(survey)
    announced = len(recipients(ROUND_OPEN))

    for now in (at(2025, 3, 19, 9), at(2025, 4, 1, 9), at(2025, 4, 11, 23, 45)):
        assert services.survey_rounds_run(now=now)["opened"] == 0
    first.refresh_from_db()
    assert first.closed_at is not None
    assert survey.rounds.count() == 1

    twelfth = datetime(2025, 4, 11, 16, 30, tzinfo=UTC)  # 00:30 on 12 April in Shanghai
    assert services.survey_rounds_run(now=twelfth)["opened"] == 1
    second = survey.rounds.get(number=2)
    assert (second.opens_on, second.closes_on) == (date(2025, 4, 12), date(2025, 4, 18))
    assert second.audience_size == 5
    assert len(recipients(ROUND_OPEN)) == 2 * announced

    assert services.survey_rounds_run(now=twelfth)["opened"] == 0
    assert services.survey_rounds_run(now=twelfth + timedelta(minutes=15))["opened"] == 0
    assert list(survey.rounds.values_list("number", flat=True)) == [2, 1]
    assert len(recipients(ROUND_OPEN)) == 2 * announced


def test_the_job_does_not_reopen_a_round_another_worker_opened(world):
    survey = make_survey(world, recurrence=Recurrence.MONTHLY)
    open_round(survey)
    twelfth = at(2025, 4, 12, 0, 30)
    # The other worker has just opened round 2.
    Round.objects.create(
        survey=survey, number=2, opens_on=date(2025, 4, 12), closes_on=date(2025, 4, 18)
    )

    assert services.survey_rounds_run(now=twelfth)["opened"] == 0
    assert list(survey.rounds.values_list("number", flat=True)) == [2, 1]


def test_an_integrity_error_from_a_lost_race_is_swallowed_and_nothing_opens_twice(
    world, monkeypatch
):
    lost = make_survey(world, recurrence=Recurrence.MONTHLY)
    other = make_survey(world, recurrence=Recurrence.MONTHLY)
    open_round(lost)
    open_round(other)
    real_round_open = services.round_open

    def lose_the_race(*, actor, survey, now=None, announce=True):  # type: ignore[no-untyped-def]
        if survey.pk != lost.pk:
            return real_round_open(actor=actor, survey=survey, now=now, announce=announce)
        # This worker's insert collides with a round number another worker already took:
        # a real unique-constraint violation, raised inside the job's savepoint.
        return Round.objects.create(
            survey=survey, number=1, opens_on=date(2025, 4, 12), closes_on=date(2025, 4, 18)
        )

    monkeypatch.setattr(services, "round_open", lose_the_race)
    twelfth = at(2025, 4, 12, 0, 30)
    notified = Notification.objects.count()

    done = services.survey_rounds_run(now=twelfth)

    assert done["opened"] == 1  # only the other survey; the lost race counts nothing
    assert list(lost.rounds.values_list("number", flat=True)) == [1]
    assert list(other.rounds.values_list("number", flat=True)) == [2, 1]
    assert Notification.objects.count() == notified + 5  # the other survey's round 2 only

    # The winner's round 2 is there now; the next runs open nothing more.
    Round.objects.create(
        survey=lost, number=2, opens_on=date(2025, 4, 12), closes_on=date(2025, 4, 18)
    )
    monkeypatch.setattr(services, "round_open", real_round_open)
    for now in (twelfth, twelfth + timedelta(minutes=15)):
        assert services.survey_rounds_run(now=now)["opened"] == 0
    assert list(lost.rounds.values_list("number", flat=True)) == [2, 1]
    assert list(other.rounds.values_list("number", flat=True)) == [2, 1]


def test_a_survey_that_runs_once_is_not_reopened(world, survey, round_):
    for now in (at(2025, 3, 19, 9), at(2025, 4, 12, 9), at(2025, 6, 1, 9)):
        assert services.survey_rounds_run(now=now)["opened"] == 0
    assert list(survey.rounds.values_list("number", flat=True)) == [1]


def test_archived_and_draft_surveys_are_left_alone_by_the_job(world):
    archived = make_survey(world, recurrence=Recurrence.MONTHLY)
    round_ = open_round(archived)
    # Archived without its round being closed (as data written before archiving closed rounds).
    Survey.objects.filter(pk=archived.pk).update(status=SurveyStatus.ARCHIVED)
    make_survey(world, recurrence=Recurrence.MONTHLY)  # a draft, never opened

    for now in (at(2025, 3, 16, 9), at(2025, 3, 20, 9), at(2025, 4, 12, 9), at(2025, 5, 20, 9)):
        assert services.survey_rounds_run(now=now) == {"closed": 0, "reminded": 0, "opened": 0}
    round_.refresh_from_db()
    assert (round_.reminded_at, round_.closed_at) == (None, None)
    assert Round.objects.count() == 1
    assert recipients(REMINDER) == []


def test_the_job_handles_each_organisation_in_its_own_time_zone(world):
    world.other_org.time_zone = "Europe/Berlin"
    world.other_org.save()
    ours = make_survey(world)
    theirs = services.survey_create(
        actor=world.outsider.user,
        org=world.other_org,
        title="Rival pulse",
        questions=SPECS[:1],
    )
    open_round(ours)
    open_round(theirs)

    # 16:30 UTC on the 18th: already the 19th in Shanghai, still the 18th in Berlin.
    done = services.survey_rounds_run(now=datetime(2025, 3, 18, 16, 30, tzinfo=UTC))

    assert done["closed"] == 1
    assert ours.rounds.get().closed_at is not None
    assert theirs.rounds.get().closed_at is None


# --- the suggestion box ----------------------------------------------------------------------


def test_a_suggestion_has_no_author_and_is_dated_by_its_month_in_the_org_time_zone(world):
    rep = world.user(Role.REP)
    # 17:00 UTC on 31 March is already 1 April in Shanghai.
    suggestion = services.suggestion_submit(
        actor=rep,
        org=world.org,
        body="  Share the pipeline review notes.  ",
        now=datetime(2025, 3, 31, 17, 0, tzinfo=UTC),
    )

    assert suggestion.body == "Share the pipeline review notes."
    assert suggestion.month == date(2025, 4, 1)
    row = Suggestion.objects.values().get()
    assert set(row) == {"id", "org_id", "month", "body"}
    assert not any(rep.email in str(value) for value in row.values())
    receipt = SuggestionReceipt.objects.get()
    assert (receipt.user, receipt.day, receipt.count) == (rep, date(2025, 4, 1), 1)


def test_three_suggestions_a_day_then_a_clear_refusal_and_the_next_day_again(world):
    rep = world.user(Role.REP)
    late = at(2025, 3, 12, 23, 0)  # 15:00 UTC
    for n in range(3):
        services.suggestion_submit(actor=rep, org=world.org, body=f"Idea {n}", now=late)

    with pytest.raises(ValidationError) as error:
        services.suggestion_submit(actor=rep, org=world.org, body="Idea 3", now=late)
    assert "3 suggestions a day" in " ".join(error.value.messages)
    assert Suggestion.objects.count() == 3
    assert SuggestionReceipt.objects.get(day=date(2025, 3, 12)).count == 3

    # Someone else is not held back by the rep's cap.
    services.suggestion_submit(actor=world.user(Role.MANAGER), org=world.org, body="Mine", now=late)

    # 00:30 on the 13th in Shanghai is still the 12th in UTC: the cap counts the org's days.
    next_day = at(2025, 3, 13, 0, 30)
    assert next_day.astimezone(UTC).date() == date(2025, 3, 12)
    services.suggestion_submit(actor=rep, org=world.org, body="Idea 3", now=next_day)
    assert Suggestion.objects.count() == 5
    assert SuggestionReceipt.objects.get(user=rep, day=date(2025, 3, 13)).count == 1


def test_only_active_members_use_the_suggestion_box(world):
    with pytest.raises(ValidationError):
        services.suggestion_submit(actor=world.outsider.user, org=world.org, body="Hi", now=NOW)
    membership = world.members[Role.REP]
    membership.is_active = False
    membership.save()
    with pytest.raises(ValidationError):
        services.suggestion_submit(actor=membership.user, org=world.org, body="Hi", now=NOW)
    assert not Suggestion.objects.exists()
    assert not SuggestionReceipt.objects.exists()


@pytest.mark.parametrize("body", ["", "   \n ", "x" * 2001])
def test_an_empty_or_overlong_suggestion_is_refused(world, body):
    with pytest.raises(ValidationError) as error:
        services.suggestion_submit(actor=world.user(Role.REP), org=world.org, body=body, now=NOW)
    assert "body" in error.value.message_dict
    assert not Suggestion.objects.exists()
    assert not SuggestionReceipt.objects.exists()


def test_a_month_of_suggestions_is_visible_from_enough_different_people(world):
    march, april = at(2025, 3, 12, 9), at(2025, 4, 2, 9)
    for role in (Role.REP, Role.MEMBER, Role.MANAGER):
        services.suggestion_submit(actor=world.user(role), org=world.org, body="March", now=march)
    for day in range(3):  # one person, three days, many notes: still one person
        for n in range(3):
            services.suggestion_submit(
                actor=world.user(Role.REP),
                org=world.org,
                body=f"April {n}",
                now=april + timedelta(days=day),
            )
    services.suggestion_submit(actor=world.user(Role.LEADER), org=world.org, body="A", now=april)
    # Another organisation's writers do not count here.
    services.suggestion_submit(
        actor=world.outsider.user, org=world.other_org, body="Rival", now=april
    )

    visible = services.suggestion_months_visible
    assert visible(org=world.org, threshold=3) == {date(2025, 3, 1)}
    assert visible(org=world.org, threshold=2) == {date(2025, 3, 1), date(2025, 4, 1)}
    assert visible(org=world.org, threshold=4) == set()
    assert visible(org=world.other_org, threshold=1) == {date(2025, 4, 1)}


# --- follow-up actions -----------------------------------------------------------------------


@pytest.fixture
def rival_survey(world) -> Survey:
    return services.survey_create(
        actor=world.outsider.user, org=world.other_org, title="Rival pulse", questions=SPECS[:1]
    )


def save_action(world, **values: Any) -> FollowUpAction:
    values.setdefault("title", "Weekly hand-off review")
    values.setdefault("owner", world.user(Role.MANAGER))
    values.setdefault("due_date", date(2025, 4, 30))
    return services.action_save(actor=world.user(Role.ADMIN), org=world.org, **values)


def test_an_action_is_saved_about_a_survey_question(world, survey):
    question = questions(survey)["scale"]

    action = save_action(world, survey=survey, question=question, title="  Hand-off review  ")

    assert action.pk is not None
    assert action.title == "Hand-off review"
    assert (action.org, action.survey, action.question) == (world.org, survey, question)
    assert action.status == ActionStatus.PLANNED
    assert action.created_by == world.user(Role.ADMIN)


def test_an_action_about_a_suggestion(world):
    suggestion = services.suggestion_submit(
        actor=world.user(Role.REP), org=world.org, body="Fewer meetings", now=NOW
    )
    action = save_action(world, suggestion=suggestion)
    assert action.suggestion == suggestion
    assert action.survey is None


@pytest.mark.parametrize("title", ["", "   "])
def test_an_action_needs_a_title(world, survey, title):
    with pytest.raises(ValidationError) as error:
        save_action(world, survey=survey, title=title)
    assert "title" in error.value.message_dict
    assert not FollowUpAction.objects.exists()


def test_the_owner_is_an_active_member_of_the_organisation(world, survey):
    left = world.members[Role.MEMBER]
    left.is_active = False
    left.save()

    for owner in (None, left.user, world.outsider.user):
        with pytest.raises(ValidationError) as error:
            save_action(world, survey=survey, owner=owner)
        assert "owner" in error.value.message_dict
    assert not FollowUpAction.objects.exists()


def test_the_question_must_belong_to_the_survey(world, survey):
    elsewhere = questions(make_survey(world))["scale"]

    with pytest.raises(ValidationError) as error:
        save_action(world, survey=survey, question=elsewhere)
    assert "question" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        save_action(world, question=elsewhere)  # a question, but no survey
    assert "question" in error.value.message_dict
    assert not FollowUpAction.objects.exists()


def test_another_organisations_survey_or_suggestion_is_refused(world, rival_survey):
    with pytest.raises(ValidationError) as error:
        save_action(world, survey=rival_survey)
    assert "survey" in error.value.message_dict

    rival_note = services.suggestion_submit(
        actor=world.outsider.user, org=world.other_org, body="Rival idea", now=NOW
    )
    with pytest.raises(ValidationError):
        save_action(world, suggestion=rival_note)
    assert not FollowUpAction.objects.exists()


def test_an_unknown_status_is_refused(world, survey):
    with pytest.raises(ValidationError) as error:
        save_action(world, survey=survey, status="abandoned")
    assert "status" in error.value.message_dict


def test_updating_an_action_keeps_its_history(world, survey):
    action = save_action(world, survey=survey, title="Hand-off review")

    updated = services.action_save(
        actor=world.user(Role.MANAGER),
        org=world.org,
        action=action,
        title="Weekly hand-off review",
        status=ActionStatus.IN_PROGRESS,
    )

    assert updated.pk == action.pk
    assert FollowUpAction.objects.count() == 1
    assert (updated.title, updated.status) == ("Weekly hand-off review", ActionStatus.IN_PROGRESS)
    assert updated.survey == survey
    assert updated.created_by == world.user(Role.ADMIN)
    history = list(updated.history.order_by("history_id"))
    assert [(h.title, h.status) for h in history] == [
        ("Hand-off review", ActionStatus.PLANNED),
        ("Weekly hand-off review", ActionStatus.IN_PROGRESS),
    ]

    with pytest.raises(ValidationError):
        services.action_save(actor=world.user(Role.ADMIN), org=world.org, action=action, title="")
    action.refresh_from_db()
    assert action.title == "Weekly hand-off review"


# --- scheduling the first round -----------------------------------------------------------

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_scheduled_first_round_opens_on_its_day_once(world):
    survey = services.survey_create_from_template(
        actor=world.user("admin"), org=world.org, key="pain_points"
    )
    before = datetime(2026, 3, 9, 10, 0, tzinfo=SHANGHAI)
    services.survey_schedule(
        actor=world.user("admin"), survey=survey, opens_on=date(2026, 3, 11), now=before
    )
    services.survey_rounds_run(now=before)
    assert not Round.objects.filter(survey=survey).exists()
    on_the_day = datetime(2026, 3, 11, 0, 20, tzinfo=SHANGHAI)
    services.survey_rounds_run(now=on_the_day)
    services.survey_rounds_run(now=on_the_day)
    (round_,) = Round.objects.filter(survey=survey)
    assert (round_.number, round_.opens_on) == (1, date(2026, 3, 11))


def test_scheduling_in_the_past_or_after_a_round_is_refused(world):
    now = datetime(2026, 3, 9, 10, 0, tzinfo=SHANGHAI)
    survey = services.survey_create_from_template(
        actor=world.user("admin"), org=world.org, key="pain_points"
    )
    with pytest.raises(ValidationError):
        services.survey_schedule(
            actor=world.user("admin"), survey=survey, opens_on=date(2026, 3, 8), now=now
        )
    services.round_open(actor=world.user("admin"), survey=survey, now=now)
    with pytest.raises(ValidationError):
        services.survey_schedule(
            actor=world.user("admin"), survey=survey, opens_on=date(2026, 3, 20), now=now
        )
