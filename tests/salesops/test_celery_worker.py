"""End to end with a real Celery worker process on Redis (no eager mode).

A page action queues work through the outbox; the worker, a separate process on
the same database, delivers a team webhook to a local HTTP endpoint and emails
a notification. Needs REDIS_URL and a PostgreSQL DATABASE_URL.
"""

import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from salesops.models import Notification, Role, WebhookDelivery
from salesops.models.notifications import DeliveryStatus
from salesops.services import notifications

from ..conftest import need_service
from ..factories import MembershipFactory, OrganizationFactory, TeamFactory, TeamWebhookFactory
from .test_outbox import broker

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 90


class Recorder(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        Recorder.received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *args):
        return


def _worker_broker_url(db: int = 14) -> str:
    """A Redis database of the test's own, emptied first, so no stale message interferes."""
    base = os.environ["REDIS_URL"].rsplit("/", 1)[0]
    return f"{base}/{db}"


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_for(condition, what: str, seconds: int = WAIT_SECONDS):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"the worker did not {what} within {seconds}s")


def need_worker_services() -> None:
    """Real workers need Redis, and PostgreSQL so that they can share the test database."""
    need_service(
        bool(os.environ.get("REDIS_URL")), "REDIS_URL is not set: no Redis for a real worker"
    )
    need_service(
        connection.vendor == "postgresql",
        "DATABASE_URL is not PostgreSQL: the worker cannot share the test database",
    )


@pytest.fixture
def http_endpoint():
    Recorder.received = []
    server = HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


def worker_environment(db: int = 14) -> tuple[str, dict[str, str]]:
    """A broker on an emptied Redis database of the test's own, and the environment in which a
    worker process shares the test database."""
    import redis

    broker_url = _worker_broker_url(db)
    redis.Redis.from_url(broker_url).flushdb()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "salesops.settings.test",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker_url,
    }
    return broker_url, env


def start_worker(env: dict[str, str], name: str | None = None) -> subprocess.Popen:
    """A solo-pool worker process, its log (stdout and stderr together) readable as text."""
    named = ["-n", f"{name}@%h"] if name else []
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "salesops", "worker", "--pool=solo"]
        + ["--loglevel=INFO", *named, "--without-gossip", "--without-mingle"]
        + ["--without-heartbeat"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture
def worker(transactional_db):
    need_worker_services()
    broker_url, env = worker_environment()
    process = start_worker(env)
    try:
        with broker(broker_url):
            yield process
    finally:
        process.terminate()
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        sys.stdout.write(output[-5000:])


@pytest.mark.redis
def test_real_worker_delivers_a_team_webhook_and_emails_a_notification(worker, http_endpoint):
    org = OrganizationFactory(slug="worker-org")
    team = TeamFactory(org=org)
    admin = MembershipFactory(org=org, role=Role.ADMIN)
    webhook = TeamWebhookFactory(team=team, kind="dingtalk", url=http_endpoint)
    client = Client()
    client.force_login(admin.user)

    response = client.post(
        reverse(
            "webhook_test", kwargs={"org_slug": org.slug, "pk": team.pk, "webhook_pk": webhook.pk}
        )
    )
    assert response.status_code == 302
    delivery = WebhookDelivery.objects.get(webhook=webhook)

    wait_for(lambda: Recorder.received, "post the webhook")
    wait_for(
        lambda: WebhookDelivery.objects.get(pk=delivery.pk).status == DeliveryStatus.SENT,
        "mark the delivery sent",
    )
    assert Recorder.received[0]["msgtype"] == "markdown"
    assert settings.SITE_URL in Recorder.received[0]["markdown"]["text"]

    (notification,) = notifications.notify(
        org=org, recipients=[admin.user], kind="test", title="Hello", body="From the worker test"
    )
    wait_for(
        lambda: Notification.objects.get(pk=notification.pk).emailed_at is not None,
        "email the notification",
    )
    assert len(Recorder.received) == 1, "the webhook was delivered exactly once"
