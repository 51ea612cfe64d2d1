"""Two real Celery workers evaluating the same alert rules at the same time open each alert once
and tell each recipient once. Needs REDIS_URL and a PostgreSQL DATABASE_URL (the workers are
separate processes sharing the test database)."""

import re
import subprocess
import sys
import threading
from datetime import timedelta
from decimal import Decimal

import pytest

from dashboards import alerts
from dashboards.models import Alert, KpiRollup
from dashboards.tasks import alerts_evaluate_all
from goals.periods import month_start, week_start
from goals.services.checkins import org_today
from salesops.models import Notification, Role

from ..factories import (
    ActionPlanFactory,
    GoalFactory,
    KpiFactory,
    MeasurementFactory,
    MembershipFactory,
    MilestoneFactory,
    OrganizationFactory,
    TeamFactory,
    TeamMembershipFactory,
)
from ..salesops.test_celery_worker import (
    need_worker_services,
    start_worker,
    wait_for,
    worker_environment,
)
from ..salesops.test_outbox import broker

WAIT_SECONDS = 120
TASKS = 8
WORKER_REDIS_DB = 13  # a Redis database of its own, emptied first


class Worker:
    """A worker process whose log is read as it is written, line by line."""

    def __init__(self, name: str, env: dict[str, str]) -> None:
        self.name = name
        self.lines: list[str] = []
        self.process = start_worker(env, name)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def count(self, pattern: str) -> int:
        return sum(1 for line in list(self.lines) if re.search(pattern, line))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(timeout=5)
        sys.stdout.write("".join(self.lines)[-3000:])


@pytest.fixture
def two_workers(transactional_db):
    need_worker_services()
    import redis

    broker_url, env = worker_environment(WORKER_REDIS_DB)
    client = redis.Redis.from_url(broker_url)
    workers = [Worker(name, env) for name in ("alerts-one", "alerts-two")]
    try:
        # Both consume before any task is sent, so the two really compete for the work.
        wait_for(lambda: all(w.count(r"\bready\.") for w in workers), "start", WAIT_SECONDS)
        with broker(broker_url):
            yield workers
    finally:
        for worker in workers:
            worker.stop()
        client.flushdb()


def deviating_org():
    """An organisation whose data breaches three rules: nine overdue milestones (org-wide and
    per team), a KPI under 80% last week, and a goal far behind its expected progress."""
    org = OrganizationFactory(slug="alert-workers")
    east, south = TeamFactory(org=org, name="East"), TeamFactory(org=org, name="South")
    admin = MembershipFactory(org=org, role=Role.ADMIN)
    leader = MembershipFactory(org=org, role=Role.LEADER)
    manager = MembershipFactory(org=org, role=Role.MANAGER)
    TeamMembershipFactory(team=east, membership=manager, is_lead=True)
    today = org_today(org).date()
    monday = week_start(today)
    for team, count in ((east, 5), (south, 4)):
        plan = ActionPlanFactory(
            org=org,
            team=team,
            owner=manager.user,
            start_date=monday - timedelta(weeks=8),
            end_date=monday + timedelta(weeks=8),
        )
        for _ in range(count):
            MilestoneFactory(
                plan=plan,
                start_week=monday - timedelta(weeks=6),
                due_week=monday - timedelta(weeks=2),
            )
    kpi = KpiFactory(org=org, unit="percent", aggregation="average")
    KpiRollup.objects.create(
        org=org,
        kpi=kpi,
        level="org",
        period_kind="week",
        period_start=monday - timedelta(weeks=1),
        total=Decimal(70),
        count=1,
    )
    goal_kpi = KpiFactory(org=org, aggregation="sum")
    start = today - timedelta(days=45)
    GoalFactory(
        org=org,
        kpi=goal_kpi,
        team=east,
        owner=manager.user,
        status="active",
        baseline=None,
        target=100,
        start_date=start,
        due_date=today + timedelta(days=45),
    )
    MeasurementFactory(org=org, kpi=goal_kpi, team=east, period_start=month_start(start), value=5)

    common = {"actor": admin.user, "org": org, "channels": ["in_app"]}
    alerts.alert_rule_create(
        **common,
        name="Overdue",
        subject="milestones_overdue",
        comparator="above",
        threshold=Decimal(3),
        recipient_roles=[Role.ADMIN, Role.LEADER],
    )
    alerts.alert_rule_create(
        **common,
        name="Overdue per team",
        subject="milestones_overdue",
        comparator="above",
        threshold=Decimal(3),
        scope="teams",
        teams=[east, south],
        recipient_roles=[],
        recipient_teams=[east],
    )
    alerts.alert_rule_create(
        **common,
        name="Completion",
        subject="kpi",
        kpi=kpi,
        comparator="below",
        threshold=Decimal(80),
        recipient_roles=[Role.LEADER],
        recipient_people=[manager.user],
    )
    alerts.alert_rule_create(
        **common,
        name="Behind",
        subject="goal_gap",
        comparator="above",
        threshold=Decimal(10),
        recipient_roles=[Role.MANAGER],
    )
    return org, {"admin": admin.user, "leader": leader.user, "manager": manager.user}


@pytest.mark.redis
def test_two_workers_open_each_alert_once_and_tell_each_recipient_once(two_workers):
    org, people = deviating_org()

    for _ in range(TASKS):
        alerts_evaluate_all.delay()
    finished = r"Task dashboards\.tasks\.alerts_evaluate_all\[[^]]+\] (succeeded|raised)"
    wait_for(
        lambda: sum(w.count(finished) for w in two_workers) >= TASKS,
        "run every task",
        WAIT_SECONDS,
    )
    assert not any(w.count(r"alerts_evaluate_all\[[^]]+\] raised") for w in two_workers)

    opened = sorted(Alert.objects.filter(org=org).values_list("rule__name", "subject_key"))
    assert [name for name, _key in opened] == [
        "Behind",
        "Completion",
        "Overdue",
        "Overdue per team",
        "Overdue per team",
    ]
    assert len(set(opened)) == len(opened) == 5, "one alert per rule and subject"
    told = sorted(
        Notification.objects.filter(org=org, kind="dashboards.alert").values_list(
            "recipient__email", "title"
        )
    )
    assert len(told) == len(set(told)), "nobody is told twice about the same alert"
    expected = {
        # Overdue → admin, leader; Overdue per team → East's manager for both teams' alerts;
        # Completion → leader and the manager by name; Behind → the manager.
        people["admin"].email: 1,
        people["leader"].email: 2,
        people["manager"].email: 4,
    }
    counts: dict[str, int] = {}
    for email, _title in told:
        counts[email] = counts.get(email, 0) + 1
    assert counts == expected
