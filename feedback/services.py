"""Every write on anonymous feedback: surveys and questions, rounds, answering, the suggestion
box, follow-up actions, and the job that opens, reminds and closes rounds.

Answering writes a receipt (this person answered this round) and a response (what was
answered, with no link to the person) in one transaction. The receipt's unique constraint is
what refuses a second answer, also under concurrent double clicks.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, QuerySet
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from goals.periods import add_months, month_start
from goals.services.checkins import org_today
from salesops.models import Organization, Team, User
from salesops.selectors import is_active_member
from salesops.services.notifications import notify

from .blueprints import blueprint_get
from .models import (
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

SUGGESTIONS_PER_DAY = 3
REMINDER_DAYS_BEFORE_CLOSE = 2
TEXT_LIMIT = 2000


def survey_url(survey: Survey) -> str:
    return reverse("feedback:survey_detail", kwargs={"org_slug": survey.org.slug, "pk": survey.pk})


def answer_url(round_: Round) -> str:
    return reverse(
        "feedback:round_answer", kwargs={"org_slug": round_.survey.org.slug, "pk": round_.pk}
    )


# --- audience -----------------------------------------------------------------------------


def team_subtree_ids(*, org: Organization, roots: Iterable[int]) -> set[int]:
    """The given teams and every team under them (one query for the whole tree)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent in Team.objects.for_org(org).active().values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    found: set[int] = set()
    stack = list(roots)
    while stack:
        pk = stack.pop()
        if pk in found:
            continue
        found.add(pk)
        stack.extend(children.get(pk, []))
    return found


def audience_team_ids(survey: Survey) -> set[int] | None:
    """None for the whole organisation; else the chosen teams and their sub-teams."""
    if survey.audience_all:
        return None
    return team_subtree_ids(
        org=survey.org, roots=survey.audience_teams.values_list("pk", flat=True)
    )


def audience_of(survey: Survey) -> QuerySet[User]:
    """Active people of the organisation in the survey's audience."""
    members = User.objects.filter(
        is_active=True, memberships__org=survey.org, memberships__is_active=True
    )
    team_ids = audience_team_ids(survey)
    if team_ids is not None:
        members = members.filter(memberships__team_memberships__team_id__in=team_ids)
    return members.distinct()


def in_audience(survey: Survey, user: User) -> bool:
    return audience_of(survey).filter(pk=user.pk).exists()


def answering_teams(survey: Survey, user: User) -> list[Team]:
    """The teams a person may answer for: theirs, within the audience."""
    teams = (
        Team.objects.for_org(survey.org)
        .active()
        .filter(
            team_memberships__membership__user=user, team_memberships__membership__is_active=True
        )
    )
    team_ids = audience_team_ids(survey)
    if team_ids is not None:
        teams = teams.filter(pk__in=team_ids)
    return list(teams.order_by("name").distinct())


# --- surveys and questions ----------------------------------------------------------------


@dataclass(frozen=True)
class QuestionSpec:
    kind: str
    text: str
    dimension: str = ""
    options: tuple[str, ...] = ()


def survey_is_locked(survey: Survey) -> bool:
    """Thresholds and questions are fixed once the first answer has arrived."""
    return Response.objects.filter(round__survey=survey).exists()


def _check_thresholds(survey: Survey) -> None:
    if survey.score_threshold is None or not 3 <= survey.score_threshold <= 10:
        raise ValidationError({"score_threshold": _("Choose a threshold from 3 to 10.")})
    if survey.comment_threshold is None or not 3 <= survey.comment_threshold <= 10:
        raise ValidationError({"comment_threshold": _("Choose a threshold from 3 to 10.")})
    if survey.comment_threshold < survey.score_threshold:
        raise ValidationError(
            {
                "comment_threshold": _(
                    "The comments threshold cannot be below the results threshold."
                )
            }
        )


def _check_audience(survey: Survey, teams: Sequence[Team]) -> None:
    if any(team.org_id != survey.org_id for team in teams):
        raise ValidationError({"audience_teams": _("Choose teams of this organisation.")})
    if not survey.audience_all and not teams:
        raise ValidationError(
            {"audience_teams": _("Choose at least one team, or the whole organisation.")}
        )


def _check_question(spec: QuestionSpec) -> None:
    if spec.kind not in QuestionKind.values:
        raise ValidationError({"kind": _("Choose a valid kind of question.")})
    if not spec.text.strip():
        raise ValidationError({"text": _("Write the question.")})
    options = [option.strip() for option in spec.options if option.strip()]
    if spec.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        if len(options) < 2:
            raise ValidationError({"options": _("Give at least two options, one per line.")})
        if len(options) > 12:
            raise ValidationError({"options": _("Give at most twelve options.")})
        if len(set(options)) != len(options):
            raise ValidationError({"options": _("Each option must be different.")})


SURVEY_FIELDS = ("title", "description", "audience_all", "recurrence", "days_open")


@transaction.atomic
def survey_create(
    *,
    actor: User,
    org: Organization,
    title: str,
    description: str = "",
    audience_all: bool = True,
    audience_teams: Sequence[Team] = (),
    recurrence: str = Recurrence.NONE,
    days_open: int = 7,
    score_threshold: int | None = None,
    comment_threshold: int | None = None,
    questions: Sequence[QuestionSpec] = (),
    template_key: str = "",
) -> Survey:
    survey = Survey(
        org=org,
        title=title.strip(),
        description=description.strip(),
        audience_all=audience_all,
        recurrence=recurrence,
        days_open=days_open,
        score_threshold=score_threshold or org.anonymity_threshold,
        # Comments never show to fewer people than scores do.
        comment_threshold=comment_threshold
        or max(org.comment_threshold, score_threshold or org.anonymity_threshold),
        template_key=template_key,
        created_by=actor,
    )
    if not survey.title:
        raise ValidationError({"title": _("Give the survey a title.")})
    _check_thresholds(survey)
    _check_audience(survey, audience_teams)
    survey.full_clean()
    survey.save()
    survey.audience_teams.set(audience_teams)
    for spec in questions:
        question_add(actor=actor, survey=survey, spec=spec)
    return survey


@transaction.atomic
def survey_create_from_template(
    *,
    actor: User,
    org: Organization,
    key: str,
    title: str = "",
    audience_all: bool = True,
    audience_teams: Sequence[Team] = (),
) -> Survey:
    blueprint = blueprint_get(key)
    if blueprint is None:
        raise ValidationError({"template": _("Choose one of the templates.")})
    return survey_create(
        actor=actor,
        org=org,
        title=title.strip() or str(blueprint.title),
        description=str(blueprint.description),
        audience_all=audience_all,
        audience_teams=audience_teams,
        recurrence=Recurrence.MONTHLY if blueprint.monthly else Recurrence.NONE,
        template_key=key,
        questions=[
            QuestionSpec(
                kind=q.kind,
                text=str(q.text),
                dimension=str(q.dimension),
                options=tuple(str(option) for option in q.options),
            )
            for q in blueprint.questions
        ],
    )


@transaction.atomic
def survey_update(
    *,
    actor: User,
    survey: Survey,
    audience_teams: Sequence[Team] | None = None,
    **values: Any,
) -> Survey:
    survey = Survey.objects.select_for_update(of=("self",)).get(pk=survey.pk)
    locked = survey_is_locked(survey)
    for name in ("score_threshold", "comment_threshold"):
        if name in values and values[name] != getattr(survey, name):
            if locked:
                raise ValidationError(
                    {name: _("Thresholds are locked: this survey already has answers.")}
                )
            setattr(survey, name, values[name])
    for name in SURVEY_FIELDS:
        if name in values:
            setattr(survey, name, values[name])
    survey.title = survey.title.strip()
    if not survey.title:
        raise ValidationError({"title": _("Give the survey a title.")})
    teams = (
        list(audience_teams) if audience_teams is not None else list(survey.audience_teams.all())
    )
    _check_thresholds(survey)
    _check_audience(survey, teams)
    survey.full_clean()
    survey.save()
    if audience_teams is not None:
        survey.audience_teams.set(teams)
    return survey


@transaction.atomic
def survey_archive(*, actor: User, survey: Survey) -> Survey:
    survey = Survey.objects.select_for_update(of=("self",)).get(pk=survey.pk)
    survey.status = SurveyStatus.ARCHIVED
    survey.save()
    Round.objects.filter(survey=survey, closed_at__isnull=True).update(closed_at=timezone.now())
    return survey


def _refuse_if_locked(survey: Survey) -> None:
    if survey_is_locked(survey):
        raise ValidationError(
            _("Questions are locked: this survey already has answers. Start a new survey instead.")
        )


@transaction.atomic
def question_add(*, actor: User, survey: Survey, spec: QuestionSpec) -> Question:
    _refuse_if_locked(survey)
    _check_question(spec)
    last = survey.questions.aggregate(last=Max("position"))["last"]
    question = Question(
        survey=survey,
        kind=spec.kind,
        text=spec.text.strip(),
        dimension=spec.dimension.strip(),
        options=[o.strip() for o in spec.options if o.strip()],
        position=0 if last is None else last + 1,
    )
    question.full_clean()
    question.save()
    return question


@transaction.atomic
def question_update(*, actor: User, question: Question, spec: QuestionSpec) -> Question:
    _refuse_if_locked(question.survey)
    _check_question(spec)
    question.kind, question.text = spec.kind, spec.text.strip()
    question.dimension = spec.dimension.strip()
    question.options = [o.strip() for o in spec.options if o.strip()]
    question.full_clean()
    question.save()
    return question


@transaction.atomic
def question_delete(*, actor: User, question: Question) -> None:
    _refuse_if_locked(question.survey)
    question.delete()


@transaction.atomic
def question_move(*, actor: User, question: Question, direction: str) -> None:
    _refuse_if_locked(question.survey)
    siblings = list(question.survey.questions.select_for_update().order_by("position", "pk"))
    index = next(i for i, q in enumerate(siblings) if q.pk == question.pk)
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(siblings):
        return
    siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, item in enumerate(siblings):
        if item.position != position:
            item.position = position
            item.save(update_fields=["position"])


# --- rounds -------------------------------------------------------------------------------


def open_round(survey: Survey, today: date) -> Round | None:
    return (
        survey.rounds.filter(opens_on__lte=today, closes_on__gte=today, closed_at__isnull=True)
        .order_by("-number")
        .first()
    )


@transaction.atomic
def round_open(
    *, actor: User | None, survey: Survey, now: datetime | None = None, announce: bool = True
) -> Round:
    """Start a round today: the survey goes live and its audience is invited, once."""
    survey = Survey.objects.select_for_update(of=("self",)).select_related("org").get(pk=survey.pk)
    if survey.status == SurveyStatus.ARCHIVED:
        raise ValidationError(_("This survey is archived."))
    if not survey.questions.exists():
        raise ValidationError(_("Add at least one question first."))
    today = org_today(survey.org, now).date()
    if open_round(survey, today) is not None:
        raise ValidationError(_("A round is already open."))
    last = survey.rounds.aggregate(last=Max("number"))["last"] or 0
    round_ = Round.objects.create(
        survey=survey,
        number=last + 1,
        opens_on=today,
        closes_on=today + timedelta(days=survey.days_open - 1),
        audience_size=audience_of(survey).count(),
    )
    if survey.status != SurveyStatus.ACTIVE:
        survey.status = SurveyStatus.ACTIVE
        survey.save()
    if announce:
        round_announce(round_id=round_.pk)
    return round_


def round_announce(*, round_id: int) -> bool:
    """Tell the audience a round is open: once, whoever calls it and however often."""
    with transaction.atomic():
        claimed = Round.objects.filter(pk=round_id, announced_at__isnull=True).update(
            announced_at=timezone.now()
        )
        if not claimed:
            return False
        round_ = Round.objects.select_related("survey__org").get(pk=round_id)
        survey = round_.survey
        notify(
            org=survey.org,
            recipients=audience_of(survey),
            kind="feedback.round_open",
            title=format_lazy(_("Your anonymous answers are asked: “{title}”"), title=survey.title),
            body=format_lazy(
                _("Open until {day}. Nobody can see who answered what."),
                day=round_.closes_on.isoformat(),
            ),
            url=answer_url(round_),
        )
    return True


@transaction.atomic
def survey_schedule(
    *, actor: User, survey: Survey, opens_on: date, now: datetime | None = None
) -> Survey:
    """Set the day the first round opens; the periodic job opens it that day (or open it now
    when the day is today)."""
    survey = Survey.objects.select_for_update(of=("self",)).select_related("org").get(pk=survey.pk)
    today = org_today(survey.org, now).date()
    if survey.status == SurveyStatus.ARCHIVED:
        raise ValidationError(_("This survey is archived."))
    if survey.rounds.exists():
        raise ValidationError(_("This survey has already run; open its next round instead."))
    if not survey.questions.exists():
        raise ValidationError(_("Add at least one question first."))
    if opens_on < today:
        raise ValidationError({"opens_on": _("Choose today or a later day.")})
    survey.first_round_on = opens_on
    survey.status = SurveyStatus.ACTIVE
    survey.save()
    if opens_on == today:
        round_open(actor=actor, survey=survey, now=now)
    return survey


@transaction.atomic
def round_close(*, actor: User | None, round_: Round, now: datetime | None = None) -> Round:
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    if round_.closed_at is not None:
        raise ValidationError(_("This round is already closed."))
    round_.closed_at = now or timezone.now()
    round_.save(update_fields=["closed_at"])
    return round_


def round_remind(*, round_id: int) -> int:
    """Remind those who have not answered — known from receipts, never from answers. Once."""
    with transaction.atomic():
        claimed = Round.objects.filter(pk=round_id, reminded_at__isnull=True).update(
            reminded_at=timezone.now()
        )
        if not claimed:
            return 0
        round_ = Round.objects.select_related("survey__org").get(pk=round_id)
        survey = round_.survey
        waiting = list(
            audience_of(survey).exclude(
                pk__in=Receipt.objects.filter(round=round_).values("user_id")
            )
        )
        notify(
            org=survey.org,
            recipients=waiting,
            kind="feedback.reminder",
            title=format_lazy(_("Last days to answer “{title}”"), title=survey.title),
            body=format_lazy(
                _("It closes on {day}. Your answers stay anonymous."),
                day=round_.closes_on.isoformat(),
            ),
            url=answer_url(round_),
        )
    return len(waiting)


def survey_rounds_run(*, now: datetime | None = None) -> dict[str, int]:
    """The periodic job: close rounds past their date, remind before closing, and open the
    next monthly round. Every step is claimed by state, so reruns and two workers do nothing
    twice."""
    now = now or timezone.now()
    done = {"closed": 0, "reminded": 0, "opened": 0}
    surveys = Survey.objects.filter(status=SurveyStatus.ACTIVE).select_related("org")
    for survey in surveys:
        today = org_today(survey.org, now).date()
        done["closed"] += Round.objects.filter(
            survey=survey, closed_at__isnull=True, closes_on__lt=today
        ).update(closed_at=now)
        current = open_round(survey, today)
        if current is not None:
            # Not on the day it opened: the announcement has just gone out.
            if (current.closes_on - today).days <= REMINDER_DAYS_BEFORE_CLOSE and (
                current.opens_on < today
            ):
                done["reminded"] += round_remind(round_id=current.pk)
            continue
        last = survey.rounds.order_by("-number").first()
        if last is None:
            # A scheduled first round opens on its day.
            if survey.first_round_on is None or survey.first_round_on > today:
                continue
        elif survey.recurrence != Recurrence.MONTHLY or add_months(last.opens_on, 1) > today:
            continue
        try:
            with transaction.atomic():
                round_open(actor=None, survey=survey, now=now)
        except (IntegrityError, ValidationError):
            continue  # another worker opened it, or the survey cannot run
        done["opened"] += 1
    return done


# --- answering ----------------------------------------------------------------------------


def _clean_answer(question: Question, raw: Any) -> list[tuple[int | None, str]]:
    """One (number, text) per Answer row to write, or ValidationError naming the question."""
    label = question.text

    def refuse(message: Any) -> ValidationError:
        return ValidationError({f"q{question.pk}": format_lazy("{q}: {m}", q=label, m=message)})

    if question.kind == QuestionKind.TEXT:
        text = str(raw or "").strip()
        if len(text) > TEXT_LIMIT:
            raise refuse(_("Keep it under 2,000 characters."))
        return [(None, text)] if text else []
    values = raw if isinstance(raw, list | tuple) else [raw]
    try:
        numbers = [int(v) for v in values if v not in (None, "")]
    except (TypeError, ValueError):
        raise refuse(_("Choose one of the answers.")) from None
    if not numbers:
        raise refuse(_("Please answer this question."))
    if question.kind == QuestionKind.MULTIPLE:
        if any(not 0 <= n < len(question.options) for n in numbers):
            raise refuse(_("Choose among the options."))
        return [(n, "") for n in sorted(set(numbers))]
    if len(numbers) != 1:
        raise refuse(_("Choose one answer."))
    number = numbers[0]
    low, high = {
        QuestionKind.SCALE: (1, 5),
        QuestionKind.ENPS: (0, 10),
        QuestionKind.SINGLE: (0, len(question.options) - 1),
    }[QuestionKind(question.kind)]
    if not low <= number <= high:
        raise refuse(_("Choose one of the answers."))
    return [(number, "")]


@transaction.atomic
def response_submit(
    *,
    actor: User,
    round_: Round,
    answers: Mapping[int, Any],
    team: Team | None = None,
    now: datetime | None = None,
) -> Receipt:
    """Store one anonymous response and this person's receipt, or neither.

    Every question but free text must be answered, so every group counts the same people on
    every question. A second submission — also a concurrent double click — is refused by the
    receipt's unique constraint.
    """
    survey = round_.survey
    today = org_today(survey.org, now).date()
    if round_.closed_at is not None or not round_.opens_on <= today <= round_.closes_on:
        raise ValidationError(_("This round is closed."))
    if not in_audience(survey, actor):
        raise ValidationError(_("This survey is not addressed to you."))
    teams = answering_teams(survey, actor)
    errors: dict[str, Any] = {}
    if team is None and len(teams) == 1:
        team = teams[0]
    if team is not None and team.pk not in {t.pk for t in teams}:
        errors["team"] = [_("Choose one of your teams.")]
    if team is None and len(teams) > 1:
        errors["team"] = [_("You are in several teams: choose the one you answer for.")]
    rows: list[tuple[Question, int | None, str]] = []
    for question in survey.questions.order_by("position", "pk"):
        try:
            rows.extend(
                (question, number, text)
                for number, text in _clean_answer(question, answers.get(question.pk))
            )
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            receipt = Receipt.objects.create(round=round_, user=actor)
    except IntegrityError:
        raise ValidationError(_("You have already answered this round. Thank you!")) from None
    response = Response.objects.create(round=round_, team=team)
    Answer.objects.bulk_create(
        Answer(response=response, question=question, number=number, text=text)
        for question, number, text in rows
    )
    return receipt


def has_answered(round_: Round, user: User) -> bool:
    return Receipt.objects.filter(round=round_, user=user).exists()


# --- suggestion box -----------------------------------------------------------------------


@transaction.atomic
def suggestion_submit(
    *, actor: User, org: Organization, body: str, now: datetime | None = None
) -> Suggestion:
    """An anonymous note, at most three a day per person (counted in receipts only)."""
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write your suggestion first.")})
    if len(body) > TEXT_LIMIT:
        raise ValidationError({"body": _("Keep it under 2,000 characters.")})
    if not is_active_member(org_id=org.pk, user_id=actor.pk):
        raise ValidationError(_("Only members of this organisation can use its suggestion box."))
    today = org_today(org, now).date()
    # get_or_create re-reads after an IntegrityError: a concurrent first note shares the row.
    SuggestionReceipt.objects.get_or_create(org=org, user=actor, day=today)
    counted = SuggestionReceipt.objects.filter(
        org=org, user=actor, day=today, count__lt=SUGGESTIONS_PER_DAY
    ).update(count=F("count") + 1)
    if not counted:
        raise ValidationError(
            format_lazy(
                _("You can leave {n} suggestions a day. Please come back tomorrow."),
                n=SUGGESTIONS_PER_DAY,
            )
        )
    return Suggestion.objects.create(org=org, month=month_start(today), body=body)


# --- follow-up actions --------------------------------------------------------------------

ACTION_FIELDS = ("title", "description", "owner", "due_date", "status", "question")


@transaction.atomic
def action_save(
    *,
    actor: User,
    org: Organization,
    action: FollowUpAction | None = None,
    survey: Survey | None = None,
    suggestion: Suggestion | None = None,
    **values: Any,
) -> FollowUpAction:
    if action is None:
        action = FollowUpAction(org=org, survey=survey, suggestion=suggestion, created_by=actor)
    elif action.org_id != org.pk:
        raise ValidationError(_("This action belongs to another organisation."))
    for name in ACTION_FIELDS:
        if name in values:
            setattr(action, name, values[name])
    if isinstance(action.title, str):
        action.title = action.title.strip()
    if not action.title:
        raise ValidationError({"title": _("Say what will be done.")})
    if action.survey is not None and action.survey.org_id != org.pk:
        raise ValidationError({"survey": _("Choose a survey of this organisation.")})
    if action.suggestion is not None and action.suggestion.org_id != org.pk:
        raise ValidationError(_("Choose a suggestion of this organisation."))
    if action.question is not None and action.question.survey_id != action.survey_id:
        raise ValidationError({"question": _("Choose a question of this survey.")})
    if not is_active_member(org_id=org.pk, user_id=action.owner_id):
        raise ValidationError({"owner": _("Choose an active member of this organisation.")})
    if action.status not in ActionStatus.values:
        raise ValidationError({"status": _("Choose a valid status.")})
    action.full_clean()
    action.save()
    return action


def suggestion_months_visible(*, org: Organization, threshold: int) -> set[date]:
    """Months whose suggestions may be read: written by at least `threshold` different people."""
    rows = (
        SuggestionReceipt.objects.filter(org=org, count__gt=0)
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(people=Count("user", distinct=True))
    )
    visible = set()
    for row in rows:
        month = row["month"].date() if hasattr(row["month"], "date") else row["month"]
        if row["people"] >= threshold:
            visible.add(month)
    return visible
