"""API v1 for anonymous feedback: answering keeps one receipt and one response and hands back
nothing identifying, results are exactly what `results_for` builds for the same viewer (so the
page's suppression), the policy holds, ids never cross organisations, and bad input answers 400
in the one error shape."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from feedback import selectors, services
from feedback.models import Answer, Receipt, Response, Suggestion, Survey, SurveyStatus
from feedback.selectors import Results
from feedback.services import QuestionSpec
from goals.services.checkins import org_today
from salesops.models import Role, Team, User
from salesops.services import accounts

from ..apiclient import api, error_of, post
from ..factories import MembershipFactory, TeamFactory, TeamMembershipFactory


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


QUESTIONS = [
    QuestionSpec(kind="scale", text="Hand-offs are clear.", dimension="Communication"),
    QuestionSpec(kind="enps", text="Would you recommend the team?", dimension="eNPS"),
    QuestionSpec(
        kind="multiple", text="What slows you down?", options=("Meetings", "Tools", "Data")
    ),
    QuestionSpec(kind="text", text="One change that would help?"),
]


def make_survey(
    world, *, org=None, actor=None, audience_teams=(), open_round=True, **fields
) -> Survey:
    actor = actor or world.user(Role.ADMIN)
    survey = services.survey_create(
        actor=actor,
        org=org or world.org,
        title=fields.pop("title", "Pulse"),
        questions=fields.pop("questions", QUESTIONS),
        audience_all=not audience_teams,
        audience_teams=audience_teams,
        **fields,
    )
    if open_round:
        services.round_open(actor=actor, survey=survey, announce=False)
        survey.refresh_from_db()
    return survey


def answers(survey: Survey, score: int = 4, comment: str = "") -> dict[str, object]:
    """A complete, valid body of answers: `score` on the scale, 2 × `score` for eNPS."""
    by_kind = {"scale": score, "enps": min(2 * score, 10), "multiple": [0, 2], "text": comment}
    return {str(q.pk): by_kind[q.kind] for q in selectors.questions_of(survey)}


def question(survey: Survey, kind: str):
    return next(q for q in selectors.questions_of(survey) if q.kind == kind)


def people(world, team: Team | None, count: int) -> list[User]:
    """New reps of `world.org`, in `team` when one is given."""
    result = []
    for _ in range(count):
        membership = MembershipFactory(org=world.org, role=Role.REP)
        if team is not None:
            TeamMembershipFactory(team=team, membership=membership)
        result.append(membership.user)
    return result


def answer_as(users: list[User], survey: Survey, score: int, comment: str = "") -> None:
    round_ = selectors.current_round(survey, org_today(survey.org).date())
    for user in users:
        services.response_submit(
            actor=user,
            round_=round_,
            answers={int(k): v for k, v in answers(survey, score, comment).items()},
        )


def client_of(user: User, org) -> Client:
    _token, secret = accounts.api_token_create(user=user, org=org, name="t")
    return Client(headers={"Authorization": f"Bearer {secret}"})


def responses_url(survey: Survey) -> str:
    return f"/api/v1/surveys/{survey.pk}/responses/"


def results_url(survey: Survey) -> str:
    return f"/api/v1/surveys/{survey.pk}/results/"


# --- answering ----------------------------------------------------------------------------


def test_answering_keeps_one_receipt_and_one_response_and_returns_nothing_identifying(world):
    survey = make_survey(world)
    client = api(world, Role.REP)
    scale, multiple = question(survey, "scale"), question(survey, "multiple")

    response = post(client, responses_url(survey), {"answers": answers(survey, 3, "More demos")})

    assert response.status_code == 201, response.content
    assert response.json() == {"saved": True}
    assert not response.has_header("Location")
    receipt, stored = Receipt.objects.get(), Response.objects.get()
    assert receipt.user == world.user(Role.REP)
    assert stored.team == world.team  # the rep's only team, chosen for them
    for secret in (receipt.pk, stored.pk, *stored.answers.values_list("pk", flat=True)):
        assert str(secret) not in response.content.decode()
    assert sorted(stored.answers.filter(question=multiple).values_list("number", flat=True)) == [
        0,
        2,
    ]
    assert stored.answers.get(question=scale).number == 3
    assert Answer.objects.count() == 5  # scale, eNPS, two options, the comment
    assert client.get(f"/api/v1/surveys/{survey.pk}/").json()["answered"] is True


def test_a_second_answer_is_refused_and_changes_nothing(world):
    survey = make_survey(world)
    client = api(world, Role.REP)
    assert post(client, responses_url(survey), {"answers": answers(survey)}).status_code == 201

    again = post(client, responses_url(survey), {"answers": answers(survey, 1)})

    error = error_of(again, 400)
    assert error["code"] == "validation_error"
    assert error["fields"] == {
        "non_field_errors": ["You have already answered this round. Thank you!"]
    }
    assert (Receipt.objects.count(), Response.objects.count()) == (1, 1)
    assert Answer.objects.filter(number=1).count() == 0


def test_a_survey_without_an_open_round_cannot_be_answered(world):
    draft = make_survey(world, open_round=False)
    closed = make_survey(world)
    services.round_close(actor=world.user(Role.ADMIN), round_=closed.rounds.get())

    for survey, role in ((draft, Role.ADMIN), (closed, Role.REP)):
        response = post(api(world, role), responses_url(survey), {"answers": answers(survey)})
        error = error_of(response, 400)
        assert error["fields"] == {"non_field_errors": ["This survey has no open round."]}
    assert not Receipt.objects.exists()
    assert not Response.objects.exists()


def test_only_the_audience_answers(world):
    west = TeamFactory(org=world.org, name="West Sales")
    survey = make_survey(world, audience_teams=[west])
    body = {"answers": answers(survey)}

    # A leader sees every survey but is not in this one's audience.
    assert error_of(post(api(world, Role.LEADER), responses_url(survey), body), 403)
    # A rep of another team does not even see it.
    assert error_of(post(api(world, Role.REP), responses_url(survey), body), 404)
    (insider,) = people(world, west, 1)
    assert post(client_of(insider, world.org), responses_url(survey), body).status_code == 201
    assert Response.objects.get().team == west


def test_someone_in_several_teams_says_which_one_they_answer_for(world):
    survey = make_survey(world)
    west = TeamFactory(org=world.org, name="West Sales")
    TeamMembershipFactory(team=west, membership=world.members[Role.REP])
    client = api(world, Role.REP)

    error = error_of(post(client, responses_url(survey), {"answers": answers(survey)}), 400)
    assert list(error["fields"]) == ["team"]
    foreign = {"answers": answers(survey), "team": world.other_team.pk}
    assert list(error_of(post(client, responses_url(survey), foreign), 400)["fields"]) == ["team"]
    assert not Receipt.objects.exists()

    chosen = post(client, responses_url(survey), {"answers": answers(survey), "team": west.pk})
    assert chosen.status_code == 201
    assert Response.objects.get().team == west


@pytest.mark.parametrize(
    "kind, value",
    [
        ("scale", None),  # every question but free text must be answered
        ("scale", 7),  # off the scale
        ("scale", "4"),  # a number, not a text
        ("scale", 3.5),
        ("scale", True),
        ("scale", [4]),
        ("enps", 11),
        ("multiple", [5]),  # not an option
        ("multiple", []),
        ("multiple", "Tools"),
        ("text", 3),
        ("text", "x" * 2001),
    ],
)
def test_invalid_answers_answer_400_naming_the_question(world, kind, value):
    survey = make_survey(world)
    body = answers(survey)
    key = str(question(survey, kind).pk)
    body[key] = value

    error = error_of(post(api(world, Role.REP), responses_url(survey), {"answers": body}), 400)

    assert error["code"] == "validation_error"
    assert list(error["fields"]) == ["answers"]
    assert list(error["fields"]["answers"]) == [key]
    assert error["fields"]["answers"][key][0]
    assert not Receipt.objects.exists()
    assert not Response.objects.exists()


def test_malformed_answer_bodies_answer_400(world):
    survey = make_survey(world)
    client = api(world, Role.REP)
    unknown = {**answers(survey), "999999": 3, "abc": 1}

    error = error_of(post(client, responses_url(survey), {"answers": unknown}), 400)
    assert set(error["fields"]["answers"]) == {"999999", "abc"}
    assert (
        "answers" in error_of(post(client, responses_url(survey), {"answers": [1]}), 400)["fields"]
    )
    assert "answers" in error_of(post(client, responses_url(survey), {}), 400)["fields"]
    not_json = client.post(responses_url(survey), "{", content_type="application/json")
    assert error_of(not_json, 400)["code"] == "parse_error"
    assert not Receipt.objects.exists()


# --- organisations and roles --------------------------------------------------------------


def test_another_organisations_survey_is_not_found(world):
    foreign = make_survey(world, org=world.other_org, actor=world.outsider.user)
    client = api(world, Role.ADMIN)

    assert error_of(client.get(f"/api/v1/surveys/{foreign.pk}/"), 404)["code"] == "not_found"
    answered = post(client, responses_url(foreign), {"answers": answers(foreign)})
    assert error_of(answered, 404)["code"] == "not_found"
    assert error_of(client.get(results_url(foreign)), 404)["code"] == "not_found"
    listed = client.get("/api/v1/surveys/").json()
    assert foreign.pk not in [row["id"] for row in listed["results"]]
    assert not Receipt.objects.exists()


def test_malformed_survey_ids_are_not_found(world):
    client = api(world, Role.ADMIN)
    for pk in ("abc", str(10**30), "²"):
        assert error_of(client.get(f"/api/v1/surveys/{pk}/"), 404)
        assert error_of(client.get(f"/api/v1/surveys/{pk}/results/"), 404)


@pytest.mark.parametrize("role", [Role.REP, Role.MEMBER])
def test_reps_and_members_do_not_see_results(world, role):
    survey = make_survey(world)
    assert error_of(api(world, role).get(results_url(survey)), 403)["code"] == "permission_denied"


def test_drafts_are_listed_for_admins_and_leaders_only(world):
    draft = make_survey(world, open_round=False, title="Draft")
    live = make_survey(world, title="Live")

    def listed(role: str) -> list[int]:
        body = api(world, role).get("/api/v1/surveys/").json()
        assert set(body) >= {"count", "results"}
        return [row["id"] for row in body["results"]]

    assert listed(Role.LEADER) == [live.pk, draft.pk]
    assert listed(Role.REP) == [live.pk]
    assert error_of(api(world, Role.REP).get(f"/api/v1/surveys/{draft.pk}/"), 404)


def test_survey_detail_shows_questions_round_and_whether_i_answered(world):
    survey = make_survey(world)
    round_ = survey.rounds.get()

    body = api(world, Role.REP).get(f"/api/v1/surveys/{survey.pk}/").json()

    assert body["status"] == SurveyStatus.ACTIVE
    assert body["audience_all"] is True
    assert body["audience_teams"] == []
    assert (body["score_threshold"], body["comment_threshold"]) == (5, 5)
    assert [q["kind"] for q in body["questions"]] == ["scale", "enps", "multiple", "text"]
    assert body["questions"][2]["options"] == ["Meetings", "Tools", "Data"]
    assert set(body["questions"][0]) == {"id", "kind", "text", "dimension", "options"}
    assert body["current_round"] == {
        "id": round_.pk,
        "number": 1,
        "opens_on": round_.opens_on.isoformat(),
        "closes_on": round_.closes_on.isoformat(),
    }
    assert body["answered"] is False
    assert body["in_audience"] is True


def test_the_list_costs_the_same_queries_however_many_surveys(world):
    west = TeamFactory(org=world.org, name="West Sales")
    make_survey(world, audience_teams=[world.team])
    client = api(world, Role.REP)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/surveys/").status_code == 200
        return len(queries)

    count()  # the token's first use is recorded once
    before = count()
    for _ in range(3):
        make_survey(world, audience_teams=[world.team, west])
    assert count() == before


# --- creating surveys ---------------------------------------------------------------------


def test_admins_and_leaders_create_surveys_from_a_template_or_with_questions(world):
    from_template = post(
        api(world, Role.ADMIN), "/api/v1/surveys/", {"template": "collaboration_pulse"}
    )
    assert from_template.status_code == 201, from_template.content
    body = from_template.json()
    assert body["template"] == "collaboration_pulse"
    assert body["recurrence"] == "monthly"
    assert body["status"] == "draft"
    assert len(body["questions"]) == 7
    assert body["current_round"] is None

    west = TeamFactory(org=world.org, name="West Sales")
    own = {
        "title": "Quarter check",
        "audience_all": False,
        "audience_teams": [west.pk],
        "score_threshold": 4,
        "comment_threshold": 6,
        "questions": [
            {"kind": "scale", "text": "Goals are clear.", "dimension": "Goals"},
            {"kind": "single", "text": "Best channel?", "options": ["Phone", "Mail"]},
        ],
    }
    created = post(api(world, Role.LEADER), "/api/v1/surveys/", own)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["audience_teams"] == [west.pk]
    assert (body["score_threshold"], body["comment_threshold"]) == (4, 6)
    assert [q["text"] for q in body["questions"]] == ["Goals are clear.", "Best channel?"]
    assert Survey.objects.get(pk=body["id"]).created_by == world.user(Role.LEADER)


@pytest.mark.parametrize("role", [Role.MANAGER, Role.REP, Role.MEMBER])
def test_others_cannot_create_surveys(world, role):
    body = {"template": "collaboration_pulse"}
    assert error_of(post(api(world, role), "/api/v1/surveys/", body), 403)
    assert not Survey.objects.exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"title": "No questions"}, "questions"),
        ({"questions": [{"kind": "scale", "text": "Clear?"}]}, "title"),
        ({"template": "nope"}, "template"),
        ({"template": "pain_points", "questions": [{"kind": "text", "text": "?"}]}, "questions"),
        ({"template": "pain_points", "score_threshold": 7}, "score_threshold"),
        (
            {"title": "T", "questions": [{"kind": "scale", "text": "?"}], "score_threshold": 2},
            "score_threshold",
        ),
        (
            {
                "title": "T",
                "questions": [{"kind": "scale", "text": "?"}],
                "score_threshold": 6,
                "comment_threshold": 5,
            },
            "comment_threshold",
        ),
        (
            {"title": "T", "questions": [{"kind": "scale", "text": "?"}], "audience_all": False},
            "audience_teams",
        ),
    ],
)
def test_bad_surveys_answer_400_and_create_nothing(world, body, field):
    error = error_of(post(api(world, Role.ADMIN), "/api/v1/surveys/", body), 400)
    assert field in error["fields"], error
    assert not Survey.objects.exists()


def test_question_errors_name_the_question_and_foreign_teams_are_refused(world):
    client = api(world, Role.ADMIN)
    body = {
        "title": "T",
        "questions": [
            {"kind": "scale", "text": "Fine"},
            {"kind": "single", "text": "Which?", "options": ["Only one"]},
        ],
    }
    error = error_of(post(client, "/api/v1/surveys/", body), 400)
    assert error["fields"]["questions"] == {
        "1": {"options": ["Give at least two options, one per line."]}
    }

    foreign = {
        "title": "T",
        "audience_all": False,
        "audience_teams": [world.other_team.pk],
        "questions": [{"kind": "scale", "text": "Fine"}],
    }
    assert "audience_teams" in error_of(post(client, "/api/v1/surveys/", foreign), 400)["fields"]
    assert not Survey.objects.exists()


# --- results ------------------------------------------------------------------------------


def results_json(results: Results) -> dict:
    """What the API must answer for a `Results`: built here field by field, as a test oracle."""

    def round_of(round_):
        if round_ is None:
            return None
        return {
            "id": round_.pk,
            "number": round_.number,
            "opens_on": round_.opens_on.isoformat(),
            "closes_on": round_.closes_on.isoformat(),
        }

    def cell(key, c):
        shown = c.shown
        return {
            "group": key,
            "shown": shown,
            "reason": c.reason,
            "count": c.count
            if shown
            else None,  # nothing about a withheld group, not even its size
            "mean": c.mean if shown else None,
            "enps": c.enps if shown else None,
            "distribution": [
                {"label": label, "count": n, "percent": pct} for label, n, pct in c.distribution
            ]
            if shown
            else None,
            "delta": c.delta if shown else None,
        }

    return {
        "survey": results.survey.pk,
        "round": round_of(results.round),
        "previous_round": round_of(results.previous),
        "score_threshold": results.score_threshold,
        "comment_threshold": results.comment_threshold,
        "respondents": results.respondents,
        "audience_size": results.audience_size,
        "response_rate": results.response_rate,
        "groups": [
            {
                "key": g.key,
                "label": g.label,
                "depth": g.depth,
                "shown": g.verdict.shown,
                "reason": str(g.verdict.reason),
                "count": g.verdict.count if g.verdict.shown else None,
            }
            for g in results.groups
        ],
        "questions": [
            {
                "question": {
                    "id": r.question.pk,
                    "kind": r.question.kind,
                    "text": r.question.text,
                    "dimension": r.question.dimension,
                    "options": r.question.options,
                },
                "cells": [cell(key, c) for key, c in r.cells.items()],
            }
            for r in results.questions
        ],
        "dimensions": results.dimensions,
        "heatmap": [
            {"group": row.group.key, "label": row.group.label, "values": row.values}
            for row in results.heatmap
        ],
        "comments": [
            {
                "question": block.question.pk,
                "group_label": block.group_label,
                "shown": block.shown,
                "reason": block.reason,
                "texts": sorted(block.texts),
            }
            for block in results.comments
        ],
    }


def unshuffled(body: dict) -> dict:
    """Comments come in random order: compare them sorted."""
    for block in body["comments"]:
        block["texts"] = sorted(block["texts"])
    return body


@pytest.fixture
def west(world) -> Team:
    return TeamFactory(org=world.org, name="West Sales")


def test_results_below_the_threshold_are_withheld_exactly_as_results_for_decides(world, west):
    """East: 3 respondents (too few). West: 6, but all 9 minus West would expose East's 3, so
    West is withheld too (remainder). Only the whole organisation is shown."""
    survey = make_survey(world)
    answer_as([world.user(Role.REP), *people(world, world.team, 2)], survey, 5, "East idea")
    answer_as(people(world, west, 6), survey, 1, "West idea")

    response = api(world, Role.LEADER).get(results_url(survey))

    assert response.status_code == 200, response.content
    body = unshuffled(response.json())
    leader = world.members[Role.LEADER]
    expected = selectors.results_for(membership=leader, survey=survey, round_=survey.rounds.get())
    assert body == results_json(expected)
    east_key, west_key = f"team:{world.team.pk}", f"team:{west.pk}"
    assert [(g["key"], g["shown"], g["reason"], g["count"]) for g in body["groups"]] == [
        ("all", True, "shown", 9),
        (east_key, False, "too_few", None),
        (west_key, False, "remainder", None),
    ]
    scale = body["questions"][0]["cells"]
    assert scale[0]["mean"] == pytest.approx((3 * 5 + 6 * 1) / 9)
    for withheld in scale[1:]:
        assert [withheld[k] for k in ("mean", "enps", "distribution", "delta")] == [None] * 4
    assert body["heatmap"][1]["values"] == [None, None]
    assert body["heatmap"][2]["values"] == [None, None]
    assert body["comments"] == [
        {
            "question": question(survey, "text").pk,
            "group_label": "",
            "shown": True,
            "reason": "shown",
            "texts": ["East idea"] * 3 + ["West idea"] * 6,
        }
    ]
    assert (body["respondents"], body["audience_size"]) == (9, survey.rounds.get().audience_size)


def test_a_manager_sees_only_their_teams_groups(world, west):
    survey = make_survey(world)
    answer_as([world.user(Role.MANAGER), *people(world, world.team, 5)], survey, 5, "East idea")
    answer_as(people(world, west, 6), survey, 1, "West idea")
    manager = world.members[Role.MANAGER]
    east_key, west_key = f"team:{world.team.pk}", f"team:{west.pk}"

    body = unshuffled(api(world, Role.MANAGER).get(results_url(survey)).json())

    expected = selectors.results_for(membership=manager, survey=survey, round_=survey.rounds.get())
    assert body == results_json(expected)
    assert [(g["key"], g["shown"]) for g in body["groups"]] == [(east_key, True)]
    assert [c["group"] for c in body["questions"][0]["cells"]] == [east_key]
    assert body["questions"][0]["cells"][0]["mean"] == 5
    assert [row["group"] for row in body["heatmap"]] == [east_key]
    assert [b["texts"] for b in body["comments"]] == [["East idea"] * 6]
    assert "West" not in str(body) and west_key not in str(body)

    leader_view = api(world, Role.LEADER).get(results_url(survey)).json()
    assert [(g["key"], g["shown"]) for g in leader_view["groups"]] == [
        ("all", True),
        (east_key, True),
        (west_key, True),
    ]


def test_results_of_a_chosen_round_and_of_a_survey_without_rounds(world):
    survey = make_survey(world)
    client = api(world, Role.ADMIN)
    assert client.get(results_url(survey), {"round": 1}).json()["round"]["number"] == 1
    assert error_of(client.get(results_url(survey), {"round": 2}), 404)
    assert "round" in error_of(client.get(results_url(survey), {"round": "x"}), 400)["fields"]

    draft = make_survey(world, open_round=False)
    body = client.get(results_url(draft)).json()
    assert body["round"] is None
    assert body["respondents"] == 0
    assert body["response_rate"] is None
    assert [(g["key"], g["shown"], g["reason"]) for g in body["groups"]] == [
        ("all", False, "too_few"),
        (f"team:{world.team.pk}", False, "too_few"),
    ]
    assert body["comments"] == []


# --- suggestion box -----------------------------------------------------------------------


def test_suggestions_are_saved_anonymously_three_a_day(world):
    client = api(world, Role.REP)
    for n in range(3):
        response = post(client, "/api/v1/suggestions/", {"body": f"Idea {n}"})
        assert response.status_code == 201, response.content
        assert response.json() == {"saved": True}

    fourth = post(client, "/api/v1/suggestions/", {"body": "One more"})

    error = error_of(fourth, 400)
    assert error["fields"] == {
        "non_field_errors": ["You can leave 3 suggestions a day. Please come back tomorrow."]
    }
    assert sorted(Suggestion.objects.values_list("body", flat=True)) == [
        "Idea 0",
        "Idea 1",
        "Idea 2",
    ]
    # Someone else still has their own three.
    assert (
        post(api(world, Role.MEMBER), "/api/v1/suggestions/", {"body": "Mine"}).status_code == 201
    )


@pytest.mark.parametrize("body", [{}, {"body": "  "}, {"body": "x" * 2001}])
def test_empty_or_long_suggestions_answer_400(world, body):
    error = error_of(post(api(world, Role.REP), "/api/v1/suggestions/", body), 400)
    assert list(error["fields"]) == ["body"]
    assert not Suggestion.objects.exists()
