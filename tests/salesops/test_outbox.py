"""Queued work survives a broker outage: the request succeeds, the work is sent later, once."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from kombu import pools

from salesops.celery import app
from salesops.models import OutboxMessage
from salesops.services import outbox

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused


def _reset_pools() -> None:
    # Drop pooled connections so the next publish connects to the broker URL set now.
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def broker(url: str):
    previous = app.conf.broker_url
    _reset_pools()
    app.conf.broker_url = url
    try:
        yield
    finally:
        _reset_pools()
        app.conf.broker_url = previous


def queued_task_names() -> list[str]:
    names = []
    with app.connection_for_read() as connection:
        queue = connection.SimpleQueue("celery")
        while True:
            try:
                message = queue.get(block=False)
            except queue.Empty:
                break
            names.append(message.headers["task"])
            message.ack()
        queue.close()
    return names


@pytest.fixture
def memory_broker():
    with broker("memory://"):
        queued_task_names()  # start empty
        yield


def test_invitation_succeeds_while_broker_is_down_and_is_sent_when_it_returns(
    clients, org, django_capture_on_commit_callbacks
):
    with broker(UNREACHABLE_BROKER), django_capture_on_commit_callbacks(execute=True):
        response = clients["admin"].post(
            reverse("member_invite", kwargs={"org_slug": org.slug}),
            {"email": "new@example.com", "role": "rep"},
        )
    assert response.status_code == 302
    message = OutboxMessage.objects.get(task_name="salesops.tasks.email_send")
    assert message.dispatched_at is None
    assert message.attempts == 1
    assert message.last_error

    with broker("memory://"):
        queued_task_names()
        # The drain leaves very fresh rows to the on-commit dispatch; look from a minute later.
        assert outbox.outbox_drain(now=timezone.now() + timedelta(minutes=1)) == 1
        assert queued_task_names() == ["salesops.tasks.email_send"]
        # Running the drain again sends nothing twice.
        assert outbox.outbox_drain(now=timezone.now() + timedelta(minutes=1)) == 0
        assert queued_task_names() == []
    message.refresh_from_db()
    assert message.dispatched_at is not None
    assert message.kwargs["to"] == ["new@example.com"]


def test_enqueue_dispatches_right_after_commit(
    db, memory_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox.enqueue(task_name="salesops.tasks.outbox_drain")
    message.refresh_from_db()
    assert message.dispatched_at is not None
    assert queued_task_names() == ["salesops.tasks.outbox_drain"]


def test_nothing_is_sent_when_the_transaction_rolls_back(
    db, memory_broker, django_capture_on_commit_callbacks
):
    from django.db import transaction

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        outbox.enqueue(task_name="salesops.tasks.outbox_drain")
        raise RuntimeError("the change failed")
    assert OutboxMessage.objects.count() == 0
    assert queued_task_names() == []


def test_drain_leaves_fresh_messages_to_the_on_commit_dispatch(db, memory_broker):
    OutboxMessage.objects.create(task_name="salesops.tasks.outbox_drain")
    assert outbox.outbox_drain() == 0
    assert outbox.outbox_pending_count() == 1


def test_drain_stops_at_the_first_broker_failure_and_keeps_the_rest(db):
    for _ in range(3):
        OutboxMessage.objects.create(task_name="salesops.tasks.outbox_drain")
    with broker(UNREACHABLE_BROKER):
        assert outbox.outbox_drain(now=timezone.now() + timedelta(minutes=1)) == 0
    assert outbox.outbox_pending_count() == 3
    assert OutboxMessage.objects.filter(attempts=1).count() == 1
