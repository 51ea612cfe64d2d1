"""A rep answers the collaboration pulse anonymously; the leader's results stay withheld until
the fifth person has answered, and then show the numbers — never who answered what."""

import pytest
from playwright.sync_api import expect

from feedback import services
from feedback.models import Answer, QuestionKind, Receipt, Response
from salesops.models import Role, User

from ..factories import MembershipFactory, TeamFactory, TeamMembershipFactory
from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SLUG = "journey-pulse"
OBSTACLE = "Leads from marketing arrive without contact details."
# What the colleagues answer to the first question (the rep answers 5): 3, 4, 2, then 4 → 3.60.
COLLEAGUE_FIRST = [3, 4, 2, 4]


def _answer_as(colleague, round_, questions, first: int) -> None:
    answers = {q.pk: (first if i == 0 else 4) for i, q in enumerate(questions) if q.is_scored}
    services.response_submit(actor=colleague.user, round_=round_, answers=answers)


def _everyone_on_first_question(page):
    block = page.get_by_test_id("question").first
    return block.get_by_test_id("result-row").filter(has_text="Everyone")


def test_rep_answers_anonymously_and_results_appear_only_from_five_answers(
    live_server, browser, page
):
    leader = MembershipFactory(role=Role.LEADER, org__slug=SLUG, user__display_name="Lena Leader")
    org = leader.org
    team = TeamFactory(org=org, name="East Sales")
    rep = MembershipFactory(org=org, role=Role.REP, user__display_name="Reza Rep")
    colleagues = [MembershipFactory(org=org, role=Role.REP) for _ in range(5)]
    for membership in [rep, *colleagues]:
        TeamMembershipFactory(team=team, membership=membership)
    survey = services.survey_create_from_template(
        actor=leader.user, org=org, key="collaboration_pulse"
    )
    round_ = services.round_open(actor=leader.user, survey=survey, announce=False)
    questions = list(survey.questions.order_by("position", "pk"))
    scales = [q for q in questions if q.kind == QuestionKind.SCALE]
    text = next(q for q in questions if q.kind == QuestionKind.TEXT)
    for colleague, first in zip(colleagues[:3], COLLEAGUE_FIRST, strict=False):
        _answer_as(colleague, round_, questions, first)
    results_url = f"{live_server.url}/o/{SLUG}/surveys/{survey.pk}/results/"

    # Three answers: the leader sees that results are withheld, and why.
    log_in(page, live_server.url, leader.user.email, SLUG)
    page.goto(results_url)
    expect(page.get_by_test_id("respondents")).to_have_text("3")
    everyone = _everyone_on_first_question(page)
    expect(everyone.get_by_test_id("withheld")).to_contain_text("Fewer than 5 responses")
    expect(page.get_by_test_id("headline")).to_have_count(0)

    # The rep, in a browser of her own, finds the survey and answers every question.
    context = browser.new_context(locale="en-US")
    try:
        rep_page = context.new_page()
        rep_page.set_default_timeout(15000)
        log_in(rep_page, live_server.url, rep.user.email, SLUG)
        rep_page.goto(f"{live_server.url}/o/{SLUG}/surveys/")
        row = rep_page.get_by_test_id("for-you").get_by_test_id("for-you-row")
        expect(row).to_contain_text(survey.title)
        row.get_by_test_id("answer-link").click()
        rep_page.wait_for_url(f"{live_server.url}/o/{SLUG}/rounds/{round_.pk}/answer/")

        notice = rep_page.get_by_test_id("anonymity-notice")
        expect(notice).to_contain_text("What is stored, and who sees what")
        expect(notice).to_contain_text("Your answers are stored without your name")
        expect(notice).to_contain_text(
            "Nobody — not even the administrators — can see who gave which answer."
        )
        expect(rep_page.get_by_test_id("question")).to_have_count(len(questions))
        for i, question in enumerate(scales):
            value = 5 if i == 0 else 4
            field = rep_page.locator(f"#q{question.pk}")
            expect(field).to_contain_text(question.text)
            field.locator(f"label[for='q{question.pk}_{value}']").click()
            expect(field.locator(f"#q{question.pk}_{value}")).to_be_checked()
        rep_page.get_by_role("textbox", name=text.text).fill(OBSTACLE)
        rep_page.get_by_test_id("submit-answer").click()

        rep_page.wait_for_url(f"{live_server.url}/o/{SLUG}/surveys/")
        expect(
            rep_page.get_by_text("Thank you — your answers were saved anonymously.")
        ).to_be_visible()
        expect(rep_page.get_by_test_id("answered-badge")).to_have_text("Answered — thank you")
        expect(rep_page.get_by_test_id("answer-link")).to_have_count(0)
    finally:
        context.close()
    assert Receipt.objects.filter(round=round_, user=rep.user).exists()

    # Four answers: still withheld.
    page.reload()
    expect(page.get_by_test_id("respondents")).to_have_text("4")
    expect(_everyone_on_first_question(page).get_by_test_id("withheld")).to_contain_text(
        "Fewer than 5 responses"
    )
    expect(page.get_by_test_id("headline")).to_have_count(0)

    # A fifth colleague answers: now the numbers show, for everyone and for the team.
    _answer_as(colleagues[3], round_, questions, COLLEAGUE_FIRST[3])
    page.reload()
    expect(page.get_by_test_id("respondents")).to_have_text("5")
    results = page.get_by_test_id("results")
    expect(results.get_by_test_id("withheld")).to_have_count(0)
    everyone = _everyone_on_first_question(page)
    expect(everyone.get_by_test_id("headline")).to_have_text("3.60")
    expect(
        page.get_by_test_id("question")
        .first.get_by_test_id("result-row")
        .filter(has_text="East Sales")
    ).to_contain_text("3.60")
    expect(page.get_by_test_id("comment-list")).to_contain_text(OBSTACLE)

    # Five receipts and five responses, and nothing in a response that leads to the rep.
    assert Receipt.objects.filter(round=round_).count() == 5
    responses = Response.objects.filter(round=round_)
    assert responses.count() == 5
    for model in (Response, Answer):
        assert all(f.related_model is not User for f in model._meta.concrete_fields)
    assert set(responses.values_list("team", flat=True)) == {team.pk}
    assert Answer.objects.filter(response__round=round_, text=OBSTACLE).count() == 1
