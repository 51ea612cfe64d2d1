"""The demo organisation's collaboration pulse: two monthly rounds answered, a third open today.

Used by `manage.py seed_demo`. Eighteen colleagues join the demo teams so that results can
show: East Sales (9 people) and South Sales (7) clear the anonymity threshold of 5, while
Marketing (4), Customer Service (3), Leadership and Sales Ops stay withheld. Dates count back
from today in the organisation's time zone: round 1 opened two months ago, round 2 one month
ago, each open seven days and then closed; round 3 opens today, unannounced, and nobody has
answered it yet, so the rep finds it under "For you" and the results page still shows round 2.

Answers are computed from each person's place in the list, never random, so seeding again and
tests see the same numbers; they improve a little from round 1 to round 2, most on ownership
and lead quality, which the follow-up actions are about. Five people wrote in the suggestion
box last month — five, so that the month reaches the comment threshold and can be read — and
one of the notes became a planned action. Everything goes through the services; the whole
pulse is seeded once, and found again by its template key.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from goals.periods import add_months
from goals.services.checkins import org_today
from salesops.models import Membership, Organization, Role, Team, TeamMembership, User

from . import services
from .models import ActionStatus, Question, QuestionKind, Round, Suggestion, Survey

TEMPLATE = "collaboration_pulse"
TITLE = "团队协作脉搏 / Collaboration pulse"
REP2_EMAIL = "rep2@demo.salesops.local"

LEADERSHIP, OPS = "管理层 / Leadership", "销售运营 / Sales Ops"
EAST, SOUTH = "华东销售 / East Sales", "华南销售 / South Sales"
MARKETING, SERVICE = "市场部 / Marketing", "客户服务 / Customer Service"

# (number, display name, team): colleague01@demo.salesops.local and so on. Sales people are
# reps, the others members; nobody logs in as them (their password is unusable).
COLLEAGUES = [
    (1, "周杰 Zhou Jie", EAST),
    (2, "吴静 Wu Jing", EAST),
    (3, "郑浩 Zheng Hao", EAST),
    (4, "黄蕾 Huang Lei", EAST),
    (5, "何俊 He Jun", EAST),
    (6, "林晓 Lin Xiao", EAST),
    (7, "马超 Ma Chao", EAST),
    (8, "罗丹 Luo Dan", SOUTH),
    (9, "梁志 Liang Zhi", SOUTH),
    (10, "宋佳 Song Jia", SOUTH),
    (11, "谢峰 Xie Feng", SOUTH),
    (12, "韩雪 Han Xue", SOUTH),
    (13, "唐磊 Tang Lei", SOUTH),
    (14, "冯琳 Feng Lin", MARKETING),
    (15, "许诺 Xu Nuo", MARKETING),
    (16, "邓超 Deng Chao", MARKETING),
    (17, "曹颖 Cao Ying", SERVICE),
    (18, "彭飞 Peng Fei", SERVICE),
]
SALES_TEAMS = {EAST, SOUTH}


def colleague_email(number: int) -> str:
    return f"colleague{number:02d}@demo.salesops.local"


# Who answers which round: the demo logins by key, the colleagues by number. Round 1: East 8 of
# 9, South 6 of 7, Marketing 3, Customer Service 2, the leader: 20 people. Round 2: East 8,
# South 6, Marketing 4, Customer Service 2, the leader and Sales Ops: 22. Either way the people
# outside East and South number at least 5, so showing both sales teams reveals nobody else.
SKIPS = {
    1: {"admin", 7, 13, 16, 18},
    2: {3, 10, 17},
}

# Each team's usual score per question dimension in round 1, 1 to 5, and how much better round
# 2 is on average (in people moving up one point: 0.5 means every second person).
BASE = {
    LEADERSHIP: {"comm": 4, "own": 3, "align": 4, "info": 3, "leads": 3, "trust": 4},
    OPS: {"comm": 3, "own": 3, "align": 4, "info": 3, "leads": 2, "trust": 4},
    EAST: {"comm": 3, "own": 3, "align": 3, "info": 3, "leads": 2, "trust": 4},
    SOUTH: {"comm": 4, "own": 3, "align": 3, "info": 3, "leads": 3, "trust": 4},
    MARKETING: {"comm": 3, "own": 3, "align": 3, "info": 4, "leads": 4, "trust": 3},
    SERVICE: {"comm": 3, "own": 2, "align": 3, "info": 2, "leads": 3, "trust": 4},
}
DIMENSIONS = ("comm", "own", "align", "info", "leads", "trust")  # the template's order
IMPROVEMENT = {"comm": 2, "own": 2, "align": 4, "info": 3, "leads": 2, "trust": 0}  # 1 in n
SPREAD = (0, 1, -1, 0, 1, 0, -1)  # around the team's score, by person and question

# The biggest obstacle, by round: (who, text). Mixed languages, as people write.
OBSTACLES = {
    1: [
        (2, "Leads from marketing arrive without contact details."),
        (5, "市场部转来的线索经常没有联系方式，跟进要先花半天找人。"),
        (9, "Nobody knows who follows up web leads that come in at the weekend."),
        (11, "跨部门交接时不清楚谁负责，客户要重复说明问题。"),
        (17, "Customer service hears about renewals too late to help."),
        ("rep", "Pricing approvals take more than a week."),
    ],
    2: [
        (1, "The weekly lead review helps, but trade-show leads still come in late."),
        (8, "线索来源的负责人清楚多了，但电话线索还是没人认领。"),
        (12, "生产排期变化没有及时通知销售，交期承诺很被动。"),
        ("rep2", "We still re-enter the same customer data in two systems."),
        (14, "Sales rarely tells us which campaign leads actually closed."),
    ],
}

# Five people, five notes last month (each on the day round 2 opened, at their own hour).
SUGGESTIONS = [
    (4, "Share the weekly lead list with marketing before Monday's pipeline meeting."),
    (12, "生产排期有变化时，请在一天内通知销售团队。"),
    ("member", "Add the lead source to every opportunity, so we can see which campaigns sell."),
    (18, "请让客服也能看到续约机会，我们每天都在和这些客户通话。"),
    (6, "A shared glossary of product codes between sales and production would save many calls."),
]
SUGGESTION_FOR_ACTION = 1  # the production schedule note


@dataclass
class _Demo:
    org: Organization
    teams: dict[str, Team]
    people: dict[str, User]
    colleagues: dict[int, User] = field(default_factory=dict)
    now: datetime = field(default_factory=timezone.now)

    def __post_init__(self) -> None:
        self.zone = ZoneInfo(self.org.time_zone)
        self.today = org_today(self.org, self.now).date()

    def at(self, day: date, hour: int) -> datetime:
        return datetime.combine(day, time(hour), tzinfo=self.zone)

    def person(self, key: int | str) -> User:
        return self.colleagues[key] if isinstance(key, int) else self.people[key]


def _colleagues(demo: _Demo) -> None:
    """The extra colleagues, each found again by email; memberships only where missing."""
    for number, display_name, team_name in COLLEAGUES:
        email = colleague_email(number)
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=None, display_name=display_name)
        role = Role.REP if team_name in SALES_TEAMS else Role.MEMBER
        membership, _ = Membership.objects.get_or_create(
            org=demo.org, user=user, defaults={"role": role}
        )
        TeamMembership.objects.get_or_create(team=demo.teams[team_name], membership=membership)
        demo.colleagues[number] = user


def _respondents(demo: _Demo) -> list[tuple[int | str, str]]:
    """Everyone who may answer, as (key, team name), in a fixed order."""
    people: list[tuple[int | str, str]] = [
        ("leader", LEADERSHIP),
        ("admin", OPS),
        ("manager", EAST),
        ("rep", EAST),
        ("rep2", SOUTH),
        ("member", MARKETING),
        ("service", SERVICE),
    ]
    people += [(number, team) for number, _name, team in COLLEAGUES]
    return [(key, team) for key, team in people if isinstance(key, int) or key in demo.people]


def _score(team: str, dimension: str, index: int, position: int, number: int) -> int:
    score = BASE[team][dimension] + SPREAD[(index + 2 * position) % len(SPREAD)]
    if number >= 2 and IMPROVEMENT[dimension] and (index + position) % IMPROVEMENT[dimension] == 0:
        score += 1
    return max(1, min(5, score))


def _answer_round(demo: _Demo, round_: Round, questions: list[Question], number: int) -> None:
    obstacles = dict(OBSTACLES.get(number, []))
    skips = SKIPS.get(number, set())
    scored = [q for q in questions if q.kind == QuestionKind.SCALE]
    text = next(q for q in questions if q.kind == QuestionKind.TEXT)
    for index, (key, team_name) in enumerate(_respondents(demo)):
        if key in skips:
            continue
        answers: dict[int, object] = {
            question.pk: _score(team_name, DIMENSIONS[position], index, position, number)
            for position, question in enumerate(scored)
        }
        answers[text.pk] = obstacles.get(key, "")
        # Answers come in over the week the round is open, mornings and afternoons.
        when = demo.at(round_.opens_on + timedelta(days=index % 6), 9 + index % 8)
        services.response_submit(
            actor=demo.person(key),
            round_=round_,
            answers=answers,
            team=demo.teams[team_name],
            now=when,
        )


def _past_round(demo: _Demo, survey: Survey, questions: list[Question], number: int) -> Round:
    opens_on = add_months(demo.today, number - 3)  # round 1 two months ago, round 2 one
    round_ = services.round_open(
        actor=demo.person("admin"), survey=survey, now=demo.at(opens_on, 9), announce=False
    )
    _answer_round(demo, round_, questions, number)
    # Closed the night after its last day, as the scheduled job does.
    services.round_close(
        actor=None, round_=round_, now=demo.at(round_.closes_on + timedelta(days=1), 1)
    )
    return round_


def _suggestions(demo: _Demo, day: date) -> list[Suggestion]:
    return [
        services.suggestion_submit(
            actor=demo.person(key), org=demo.org, body=body, now=demo.at(day, 10 + index)
        )
        for index, (key, body) in enumerate(SUGGESTIONS)
    ]


def _actions(
    demo: _Demo, survey: Survey, questions: list[Question], suggestions: list[Suggestion]
) -> None:
    by_dimension = dict(zip(DIMENSIONS, questions, strict=False))
    leader, ops = demo.person("leader"), demo.person("admin")
    marketing_lead = demo.people.get("member", leader)
    services.action_save(
        actor=leader,
        org=demo.org,
        survey=survey,
        question=by_dimension["leads"],
        title="Weekly marketing–sales lead review",
        description=(
            "每周一市场部和华东、华南销售一起过一遍新线索：缺联系方式的当场补齐或退回。\n"
            "Every Monday marketing and both sales teams go through the new leads together."
        ),
        owner=marketing_lead,
        due_date=demo.today + timedelta(weeks=4),
        status=ActionStatus.IN_PROGRESS,
    )
    services.action_save(
        actor=leader,
        org=demo.org,
        survey=survey,
        question=by_dimension["own"],
        title="Publish who owns follow-up for each lead source",
        description="Web, phone, trade-show and partner leads each have a named owner, "
        "on the Sales Ops wiki page.",
        owner=ops,
        due_date=add_months(demo.today, -1) - timedelta(days=7),
        status=ActionStatus.DONE,
    )
    services.action_save(
        actor=leader,
        org=demo.org,
        suggestion=suggestions[SUGGESTION_FOR_ACTION],
        title="Tell sales about production schedule changes within a day",
        description="生产计划调整后，由销售运营在一个工作日内通知相关销售。",
        owner=ops,
        due_date=demo.today + timedelta(weeks=6),
        status=ActionStatus.PLANNED,
    )


@transaction.atomic
def seed_feedback(*, org: Organization, teams: dict[str, Team], people: dict[str, User]) -> None:
    """The colleagues, and the collaboration pulse unless the organisation already has one."""
    people = dict(people)
    rep2 = User.objects.filter(email=REP2_EMAIL).first()
    if rep2 is not None:
        people["rep2"] = rep2
    demo = _Demo(org=org, teams=teams, people=people)
    _colleagues(demo)
    if Survey.objects.for_org(org).filter(template_key=TEMPLATE).exists():
        return
    survey = services.survey_create_from_template(
        actor=demo.person("leader"), org=org, key=TEMPLATE, title=TITLE
    )
    # Written the week before its first round, as the pages' dates should say.
    first_opens = add_months(demo.today, -2)
    Survey.objects.filter(pk=survey.pk).update(
        created_at=demo.at(first_opens - timedelta(days=7), 15)
    )
    questions = list(survey.questions.order_by("position", "pk"))
    _past_round(demo, survey, questions, 1)
    _past_round(demo, survey, questions, 2)
    suggestions = _suggestions(demo, add_months(demo.today, -1))
    _actions(demo, survey, [q for q in questions if q.kind == QuestionKind.SCALE], suggestions)
    # Round 3 opens today without a notification to everyone: the rep finds it under "For you".
    services.round_open(actor=demo.person("admin"), survey=survey, now=demo.now, announce=False)
