"""Health check, demo data, schedules, API schema, translations, housekeeping."""

import subprocess
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from salesops.models import Membership, Organization, OutboxMessage, Role, Team, User
from salesops.schedules import PERIODIC_JOBS
from salesops.services.housekeeping import housekeeping_run

from .test_outbox import UNREACHABLE_BROKER, broker

ROOT = Path(__file__).resolve().parents[2]
PO_FILE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


@pytest.mark.django_db
def test_healthz_reports_database_and_broker():
    with broker("memory://"):
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_healthz_answers_503_when_the_broker_is_down():
    with broker(UNREACHABLE_BROKER):
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "down"
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_covers_every_role():
    call_command("seed_demo", stdout=StringIO())
    counts = (
        User.objects.count(),
        Team.objects.count(),
        Membership.objects.count(),
        Organization.objects.count(),
    )
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert (
        User.objects.count(),
        Team.objects.count(),
        Membership.objects.count(),
        Organization.objects.count(),
    ) == counts
    demo = Organization.objects.get(slug="demo")
    assert set(Membership.objects.for_org(demo).values_list("role", flat=True)) == set(Role.values)
    names = set(Team.objects.for_org(demo).values_list("name", flat=True))
    assert {
        "华东销售 / East Sales",
        "华南销售 / South Sales",
        "销售运营 / Sales Ops",
        "管理层 / Leadership",
    } <= names
    assert "ops@demo.salesops.local" in out.getvalue()
    ops = User.objects.get(email="ops@demo.salesops.local")
    assert Membership.objects.filter(user=ops).count() == 2  # shows the org switcher


@pytest.mark.django_db
def test_sync_schedules_creates_missing_jobs_and_keeps_admin_changes():
    call_command("sync_schedules", stdout=StringIO())
    assert set(PeriodicTask.objects.values_list("name", flat=True)) >= set(PERIODIC_JOBS)
    drain = PeriodicTask.objects.get(name="outbox-drain")
    drain.enabled = False
    drain.save()
    call_command("sync_schedules", stdout=StringIO())
    assert PeriodicTask.objects.get(name="outbox-drain").enabled is False
    assert PeriodicTask.objects.filter(name__in=PERIODIC_JOBS).count() == len(PERIODIC_JOBS)


def test_every_scheduled_task_exists():
    from salesops.celery import app

    app.loader.import_default_modules()
    for job in PERIODIC_JOBS.values():
        assert job["task"] in app.tasks, job["task"]


def test_api_schema_is_valid_openapi_without_warnings():
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=StringIO())


def untranslated(po_file: Path) -> list[str]:
    result = subprocess.run(
        ["msgattrib", "--untranslated", "--no-wrap", str(po_file)],
        capture_output=True,
        text=True,
        check=True,
    )
    return [
        line
        for line in result.stdout.splitlines()
        if line.startswith("msgid ") and line != 'msgid ""'
    ]


def test_every_message_has_a_chinese_translation():
    text = PO_FILE.read_text(encoding="utf-8")
    assert "#, fuzzy" not in text.split("\n\n", 1)[1], "fuzzy translations left in the catalogue"
    missing = untranslated(PO_FILE)
    assert not missing, f"untranslated: {missing[:10]}"


def test_catalogue_is_up_to_date_with_the_source(tmp_path):
    """makemessages, run on a copy of the code, finds no string the catalogue lacks."""
    import os
    import shutil
    import sys

    apps = [path.name for path in ROOT.iterdir() if (path / "apps.py").exists()]
    for folder in (*apps, "templates", "locale"):
        shutil.copytree(
            ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__", "*.mo")
        )
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete", "-v0"],
        cwd=tmp_path,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "salesops.settings.test",
            "PYTHONPATH": str(tmp_path),
        },
        check=True,
    )
    missing = untranslated(tmp_path / PO_FILE.relative_to(ROOT))
    assert not missing, f"strings without a translation (run `make messages`): {missing[:10]}"


@pytest.mark.django_db
def test_housekeeping_deletes_only_old_dispatched_rows_and_is_idempotent():
    old = OutboxMessage.objects.create(
        task_name="t", dispatched_at=timezone.now() - timedelta(days=30)
    )
    pending = OutboxMessage.objects.create(task_name="t")
    recent = OutboxMessage.objects.create(task_name="t", dispatched_at=timezone.now())
    assert housekeeping_run()["outbox"] == 1
    assert housekeeping_run()["outbox"] == 0
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {pending.pk, recent.pk}
    assert not OutboxMessage.objects.filter(pk=old.pk).exists()


@pytest.mark.django_db
def test_create_org_makes_an_existing_account_its_admin():
    from ..factories import UserFactory

    user = UserFactory(email="boss@example.com")
    call_command("create_org", "newco", "New Co", admin_email="Boss@Example.com", stdout=StringIO())
    org = Organization.objects.get(slug="newco")
    assert Membership.objects.get(org=org, user=user).role == Role.ADMIN


@pytest.mark.django_db
def test_create_org_invites_a_new_address_as_admin():
    from salesops.models import Invitation

    out = StringIO()
    call_command("create_org", "newco", "New Co", admin_email="first@example.com", stdout=out)
    invitation = Invitation.objects.get(org__slug="newco")
    assert invitation.role == Role.ADMIN and invitation.invited_by is None
    assert "/invitations/" in out.getvalue()


@pytest.mark.django_db
def test_create_org_refuses_a_taken_or_invalid_address():
    from django.core.management import CommandError

    call_command("create_org", "newco", "New Co", admin_email="a@example.com", stdout=StringIO())
    with pytest.raises(CommandError, match="exists already"):
        call_command("create_org", "newco", "Other", admin_email="b@example.com", stdout=StringIO())
    with pytest.raises(CommandError, match="slug|address|letters"):
        call_command(
            "create_org", "Bad Slug!", "Other", admin_email="b@example.com", stdout=StringIO()
        )
    assert Organization.objects.count() == 1


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        (
            {"DATABASE_URL": "", "CELERY_BROKER_URL": "", "REDIS_URL": ""},
            "django.db.backends.sqlite3 filesystem://",
        ),
        ({"DATABASE_URL": "bogus"}, "ImproperlyConfigured"),
    ],
)
def test_empty_settings_mean_the_embedded_defaults_and_bad_ones_are_named(variables, expected):
    """An .env template leaves variables empty: that must mean "not set", not a crash."""
    import os
    import sys

    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "salesops.settings.dev", **variables}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert expected in result.stdout + result.stderr
