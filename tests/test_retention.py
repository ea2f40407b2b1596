"""Data lifecycle: the daily purge of webhook history (webhooks/retention.py) and the
purge_tickets procedure (tickets/retention.py): what goes, what stays around each cut-off,
attachment files in storage, dry runs."""

import datetime
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction
from django.utils import timezone

from tests.factories import AttachmentFactory, CommentFactory, CustomerFactory, TicketFactory
from tests.live_server import needs_real_services
from tickets.models import (
    ActorType,
    Attachment,
    Comment,
    Customer,
    EventKind,
    SlaPause,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from tickets.retention import RetentionPeriodNotOver, ticket_purge_closed
from tickets.services import CustomerData, customer_upsert
from webhooks.models import Attempt, Delivery, DeliveryStatus, EventType
from webhooks.retention import purge_webhook_history, webhook_history_purge

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)
SECOND = timedelta(seconds=1)


@pytest.fixture(autouse=True)
def _retention(settings):
    settings.WEBHOOK_ATTEMPT_RETENTION_DAYS = 90
    settings.WEBHOOK_DELIVERY_RETENTION_DAYS = 180
    settings.TICKET_RETENTION_YEARS = 5


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def delivery(ticket: Ticket, sequence: int, *, created_at, status=DeliveryStatus.DELIVERED) -> Delivery:
    return Delivery.objects.create(
        event_id=f"evt_{ticket.pk}_{sequence}",
        ticket=ticket,
        partner=ticket.partner,
        event=EventType.STATUS_CHANGED,
        sequence=sequence,
        url="https://partner.example/hooks",
        body="{}",
        status=status,
        next_attempt_at=created_at,
        retry_until=created_at + timedelta(hours=24),
        created_at=created_at,
        delivered_at=created_at if status == DeliveryStatus.DELIVERED else None,
    )


def attempt(of: Delivery, number: int, *, started_at) -> Attempt:
    return Attempt.objects.create(delivery=of, number=number, started_at=started_at, status_code=200, latency_ms=5)


def event(ticket: Ticket) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        kind=EventKind.CREATED,
        actor_type=ActorType.SYSTEM,
        actor_label="test",
        created_at=ticket.created_at,
    )


# --- webhook history -------------------------------------------------------------------


def test_attempts_older_than_their_retention_are_deleted_and_younger_ones_kept(reference_data):
    # given: a ticket's last delivery (kept whatever its age), with attempts either side of 90 days
    ticket = TicketFactory()
    cutoff = NOW - timedelta(days=90)
    kept_delivery = delivery(ticket, 1, created_at=NOW - timedelta(days=400))
    old = attempt(kept_delivery, 1, started_at=cutoff - SECOND)
    at_cutoff = attempt(kept_delivery, 2, started_at=cutoff)
    recent = attempt(kept_delivery, 3, started_at=NOW - timedelta(days=1))

    # when
    purged = webhook_history_purge(now=NOW)

    # then
    assert (purged.deliveries, purged.attempts) == (0, 1)
    assert set(Attempt.objects.values_list("pk", flat=True)) == {at_cutoff.pk, recent.pk}
    assert not Attempt.objects.filter(pk=old.pk).exists()
    assert Delivery.objects.filter(pk=kept_delivery.pk).exists()


def test_delivered_deliveries_past_retention_go_with_their_attempts_but_never_a_tickets_last(reference_data):
    # given
    ticket = TicketFactory()
    cutoff = NOW - timedelta(days=180)
    old_delivered = delivery(ticket, 1, created_at=cutoff - SECOND)
    attempt(old_delivered, 1, started_at=NOW - timedelta(days=10))  # young, but goes with its delivery
    old_failed = delivery(ticket, 2, created_at=cutoff - SECOND, status=DeliveryStatus.FAILED)
    old_pending = delivery(ticket, 3, created_at=cutoff - SECOND, status=DeliveryStatus.PENDING)
    at_cutoff = delivery(ticket, 4, created_at=cutoff)
    last_of_ticket = delivery(ticket, 5, created_at=cutoff - timedelta(days=1))  # the sequence continues from it
    other_ticket_only = delivery(TicketFactory(), 1, created_at=cutoff - timedelta(days=30))

    # when
    purged = webhook_history_purge(now=NOW)

    # then
    assert (purged.deliveries, purged.attempts) == (1, 1)
    assert set(Delivery.objects.values_list("pk", flat=True)) == {
        old_failed.pk,
        old_pending.pk,
        at_cutoff.pk,
        last_of_ticket.pk,
        other_ticket_only.pk,
    }
    assert not Attempt.objects.exists()


def test_webhook_purge_deletes_in_batches_until_nothing_is_left(reference_data, monkeypatch):
    monkeypatch.setattr("webhooks.retention.BATCH_SIZE", 2)
    ticket = TicketFactory()
    deliveries = [delivery(ticket, sequence, created_at=NOW - timedelta(days=365)) for sequence in range(1, 7)]
    for old in deliveries[:-1]:
        attempt(old, 1, started_at=NOW - timedelta(days=365))
    for number in range(1, 6):
        attempt(deliveries[-1], number, started_at=NOW - timedelta(days=100))

    purged = webhook_history_purge(now=NOW)

    assert (purged.deliveries, purged.attempts) == (5, 10)
    assert list(Delivery.objects.values_list("sequence", flat=True)) == [6]
    assert not Attempt.objects.exists()


def test_a_second_webhook_purge_finds_nothing(reference_data):
    ticket = TicketFactory()
    old = delivery(ticket, 1, created_at=NOW - timedelta(days=365))
    attempt(old, 1, started_at=NOW - timedelta(days=365))
    delivery(ticket, 2, created_at=NOW)

    first = webhook_history_purge(now=NOW)
    second = webhook_history_purge(now=NOW)

    assert (first.deliveries, first.attempts) == (1, 1)
    assert (second.deliveries, second.attempts) == (0, 0)


def test_webhook_purge_dry_run_counts_and_deletes_nothing(reference_data, monkeypatch):
    # given: one purgeable delivery with two attempts, and an old attempt of a kept delivery
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    ticket = TicketFactory()
    old = delivery(ticket, 1, created_at=NOW - timedelta(days=365))
    attempt(old, 1, started_at=NOW - timedelta(days=365))
    attempt(old, 2, started_at=NOW - timedelta(days=364))
    kept = delivery(ticket, 2, created_at=NOW - timedelta(days=100))
    attempt(kept, 1, started_at=NOW - timedelta(days=100))

    # when
    out = run("purge_webhook_attempts", "--dry-run")

    # then
    assert out.splitlines() == [
        "Would delete 1 delivered webhook deliveries older than 180 days and 3 webhook attempts "
        "(theirs, and others older than 90 days).",
        "Dry run: nothing deleted.",
    ]
    assert (Delivery.objects.count(), Attempt.objects.count()) == (2, 3)


def test_purge_webhook_attempts_command_deletes_and_reports(reference_data, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    ticket = TicketFactory()
    old = delivery(ticket, 1, created_at=NOW - timedelta(days=365))
    attempt(old, 1, started_at=NOW - timedelta(days=365))
    delivery(ticket, 2, created_at=NOW)

    out = run("purge_webhook_attempts")

    assert out.startswith("Deleted 1 delivered webhook deliveries older than 180 days and 1 webhook attempts")
    assert list(Delivery.objects.values_list("sequence", flat=True)) == [2]


def test_the_beat_task_purges(reference_data):
    ticket = TicketFactory()
    old = delivery(ticket, 1, created_at=timezone.now() - timedelta(days=365))
    attempt(old, 1, started_at=timezone.now() - timedelta(days=365))
    delivery(ticket, 2, created_at=timezone.now())

    result = purge_webhook_history.apply().get()

    assert result == {"deliveries": 1, "attempts": 1}
    assert purge_webhook_history.name == "webhooks.retention.purge_webhook_history"


def test_every_beat_task_is_registered_in_a_worker():
    """What beat sends, a worker must know: a task module that the worker never imports
    (autodiscovery only imports <app>.tasks) would be refused as an unregistered task."""
    script = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from config.celery import app\n"
        "app.loader.import_default_modules()\n"
        "missing = [e['task'] for e in settings.CELERY_BEAT_SCHEDULE.values() if e['task'] not in app.tasks]\n"
        "print(missing)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


# --- tickets -----------------------------------------------------------------------------

CLOSED_BEFORE = datetime.date(2020, 1, 1)
# The start of 2020-01-01 in the desk's time zone (Asia/Makassar, UTC+8).
CUTOFF = datetime.datetime(2019, 12, 31, 16, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 6, 15)


def final_ticket(status: str, at: datetime.datetime, **kwargs) -> Ticket:
    created = at - timedelta(days=3)
    moment = {"closed_at": at} if status == TicketStatus.CLOSED else {"cancelled_at": at}
    return TicketFactory(status=status, created_at=created, updated_at=at, **moment, **kwargs)


def test_purge_deletes_final_tickets_closed_before_the_date_and_keeps_the_rest(reference_data, media_root):
    # given
    closed = final_ticket(TicketStatus.CLOSED, CUTOFF - SECOND)
    cancelled = final_ticket(TicketStatus.CANCELLED, CUTOFF - timedelta(days=400))
    closed_at_cutoff = final_ticket(TicketStatus.CLOSED, CUTOFF)
    cancelled_after = final_ticket(TicketStatus.CANCELLED, CUTOFF + timedelta(days=1))
    long_ago = CUTOFF - timedelta(days=2000)
    open_old = TicketFactory(status=TicketStatus.OPEN, created_at=long_ago)
    in_progress_old = TicketFactory(status=TicketStatus.IN_PROGRESS, created_at=long_ago)
    pending_old = TicketFactory(status=TicketStatus.PENDING, created_at=long_ago)
    resolved_old = TicketFactory(status=TicketStatus.RESOLVED, created_at=long_ago, resolved_at=long_ago)

    # when
    purge = ticket_purge_closed(closed_before_date=CLOSED_BEFORE, today=TODAY)

    # then
    assert purge.tickets == 2
    assert not Ticket.objects.filter(pk__in=[closed.pk, cancelled.pk]).exists()
    assert set(Ticket.objects.values_list("pk", flat=True)) == {
        closed_at_cutoff.pk,
        cancelled_after.pk,
        open_old.pk,
        in_progress_old.pk,
        pending_old.pk,
        resolved_old.pk,
    }


def test_purge_takes_everything_of_a_ticket_and_its_files_after_commit(
    reference_data, media_root, django_capture_on_commit_callbacks
):
    # given: a purgeable ticket and a kept one, each with a comment, an event, a pause,
    # a delivery with an attempt, and attachments stored under MEDIA_ROOT
    purged_ticket = final_ticket(TicketStatus.CLOSED, CUTOFF - timedelta(days=30))
    kept_ticket = final_ticket(TicketStatus.CLOSED, CUTOFF + timedelta(days=30))
    for ticket in (purged_ticket, kept_ticket):
        CommentFactory(ticket=ticket)
        event(ticket)
        SlaPause.objects.create(ticket=ticket, started_at=ticket.created_at, reason=TicketStatus.PENDING)
        attempt(delivery(ticket, 1, created_at=ticket.created_at), 1, started_at=ticket.created_at)
    purged_files = [media_root / AttachmentFactory(ticket=purged_ticket).file.name for _ in range(2)]
    kept_file = media_root / AttachmentFactory(ticket=kept_ticket).file.name
    assert all(path.is_file() for path in [*purged_files, kept_file])

    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        purge = ticket_purge_closed(closed_before_date=CLOSED_BEFORE, today=TODAY)

    # then: the rows are gone at once, the files only once the transaction has committed
    assert (
        purge.tickets,
        purge.comments,
        purge.events,
        purge.attachments,
        purge.sla_pauses,
        purge.webhook_deliveries,
        purge.webhook_attempts,
    ) == (1, 1, 1, 2, 1, 1, 1)
    for model in (Comment, TicketEvent, SlaPause, Attachment, Delivery):
        assert list(model.objects.values_list("ticket_id", flat=True)) == [kept_ticket.pk], model
    assert list(Attempt.objects.values_list("delivery__ticket_id", flat=True)) == [kept_ticket.pk]
    assert all(path.is_file() for path in purged_files)

    for callback in callbacks:
        callback()

    assert not any(path.exists() for path in purged_files)
    assert kept_file.read_bytes() == b"%PDF-1.4 test"
    assert (purge.files_removed, purge.files_failed) == (2, 0)


def test_a_file_that_cannot_be_removed_is_logged_and_the_others_still_go(
    reference_data, media_root, django_capture_on_commit_callbacks, caplog
):
    # given: one attachment's stored path is a non-empty folder, which storage cannot delete
    ticket = final_ticket(TicketStatus.CANCELLED, CUTOFF - timedelta(days=30))
    stuck, fine = AttachmentFactory(ticket=ticket), AttachmentFactory(ticket=ticket)
    stuck_path = media_root / stuck.file.name
    stuck_path.unlink()
    (stuck_path / "inside").mkdir(parents=True)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        purge = ticket_purge_closed(closed_before_date=CLOSED_BEFORE, today=TODAY)

    # then
    assert purge.tickets == 1
    assert (purge.files_removed, purge.files_failed) == (1, 1)
    assert not (media_root / fine.file.name).exists()
    assert stuck_path.is_dir()
    assert f"attachment file {stuck.file.name} of a purged ticket could not be removed" in caplog.text


def test_purge_tickets_dry_run_prints_the_counts_and_deletes_nothing(reference_data, media_root, monkeypatch):
    # given
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args: TODAY)
    ticket = final_ticket(TicketStatus.CLOSED, CUTOFF - timedelta(days=1))
    CommentFactory(ticket=ticket)
    CommentFactory(ticket=ticket)
    event(ticket)
    attachment = AttachmentFactory(ticket=ticket)
    attempt(delivery(ticket, 1, created_at=ticket.created_at), 1, started_at=ticket.created_at)
    final_ticket(TicketStatus.CLOSED, CUTOFF + timedelta(days=1))

    # when
    out = run("purge_tickets", "--closed-before", "2020-01-01", "--dry-run")

    # then
    assert out.splitlines() == [
        "Would delete 1 tickets closed or cancelled before 2020-01-01 (Asia/Makassar), with 2 comments, "
        "1 events, 1 attachments, 0 SLA pauses, 1 webhook deliveries and 1 webhook attempts; "
        "1 customers left with no ticket.",
        "Dry run: nothing deleted.",
    ]
    assert Ticket.objects.count() == 2
    assert (Comment.objects.count(), TicketEvent.objects.count(), Attempt.objects.count()) == (2, 1, 1)
    assert (media_root / attachment.file.name).is_file()


def test_purge_tickets_command_deletes_and_removes_files(transactional_db, reference_data, media_root, monkeypatch):
    # Real commits (transactional_db), so the files go as the command runs.
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args: TODAY)
    ticket = final_ticket(TicketStatus.CLOSED, CUTOFF - timedelta(days=1))
    path = media_root / AttachmentFactory(ticket=ticket).file.name

    out = run("purge_tickets", "--closed-before", "2020-01-01")

    assert out.splitlines() == [
        "Deleted 1 tickets closed or cancelled before 2020-01-01 (Asia/Makassar), with 0 comments, "
        "0 events, 1 attachments, 0 SLA pauses, 0 webhook deliveries and 0 webhook attempts; "
        "1 customers left with no ticket.",
        "Removed 1 attachment files from storage.",
    ]
    assert not Ticket.objects.exists()
    assert not path.exists()


def test_purge_refuses_a_date_within_the_retention_period(reference_data, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args: TODAY)
    final_ticket(TicketStatus.CLOSED, datetime.datetime(2022, 1, 1, tzinfo=datetime.UTC))

    with pytest.raises(CommandError, match="still within the retention period of 5 years"):
        run("purge_tickets", "--closed-before", "2021-06-16")
    with pytest.raises(RetentionPeriodNotOver):
        ticket_purge_closed(closed_before_date=datetime.date(2021, 6, 16), today=TODAY, dry_run=True)

    assert Ticket.objects.count() == 1
    # Exactly five years ago is the latest date allowed.
    assert ticket_purge_closed(closed_before_date=datetime.date(2021, 6, 15), today=TODAY).tickets == 0


def test_purge_tickets_refuses_a_malformed_date(db):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run("purge_tickets", "--closed-before", "01/01/2020")


def test_purge_batches_through_many_tickets(
    reference_data, media_root, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("tickets.retention.BATCH_SIZE", 2)
    tickets = [final_ticket(TicketStatus.CLOSED, CUTOFF - timedelta(days=day)) for day in range(1, 6)]
    paths = [media_root / AttachmentFactory(ticket=ticket).file.name for ticket in tickets]
    kept = final_ticket(TicketStatus.CLOSED, CUTOFF)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        purge = ticket_purge_closed(closed_before_date=CLOSED_BEFORE, today=TODAY)

    assert (purge.tickets, purge.attachments, purge.files_removed) == (5, 5, 5)
    assert len(callbacks) == 3  # one per batch of two
    assert list(Ticket.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not any(path.exists() for path in paths)


def test_a_customer_goes_with_their_last_ticket_and_stays_while_one_is_left(reference_data, monkeypatch):
    # given: one customer whose tickets are all purged (across two batches), one with a
    # ticket left, and one whose only ticket is too recent
    monkeypatch.setattr("tickets.retention.BATCH_SIZE", 1)
    gone, partly, recent = (
        CustomerFactory(identifier="CIF-GONE"),
        CustomerFactory(identifier="CIF-PART"),
        CustomerFactory(),
    )
    final_ticket(TicketStatus.CLOSED, CUTOFF - timedelta(days=10), customer=gone)
    final_ticket(TicketStatus.CANCELLED, CUTOFF - timedelta(days=5), customer=gone)
    final_ticket(TicketStatus.CLOSED, CUTOFF - timedelta(days=8), customer=partly)
    still_open = TicketFactory(status=TicketStatus.OPEN, customer=partly)
    final_ticket(TicketStatus.CLOSED, CUTOFF, customer=recent)
    customers_before = set(Customer.objects.values_list("pk", flat=True))

    # when
    counted = ticket_purge_closed(closed_before_date=CLOSED_BEFORE, today=TODAY, dry_run=True)
    purge = ticket_purge_closed(closed_before_date=CLOSED_BEFORE, today=TODAY)

    # then: the dry run counted what the purge did
    assert (counted.tickets, counted.customers) == (3, 1)
    assert (purge.tickets, purge.customers) == (3, 1)
    assert set(Customer.objects.values_list("pk", flat=True)) == customers_before - {gone.pk}
    assert {partly.pk, recent.pk} <= customers_before
    assert list(Ticket.objects.filter(customer=partly).values_list("pk", flat=True)) == [still_open.pk]


@needs_real_services
def test_a_ticket_opened_for_the_customer_while_the_purge_waits_keeps_the_customer(transactional_db, reference_data):
    # given: a customer whose only ticket is purgeable, and a partner's create that has
    # just upserted that customer (holding their row) but not yet committed its ticket
    customer = CustomerFactory(identifier="CIF-RACE")
    old = final_ticket(TicketStatus.CLOSED, CUTOFF - timedelta(days=30), customer=customer)
    outcome: dict = {}

    def purge_in_another_connection():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                outcome["pid"] = cursor.fetchone()[0]
            outcome["purge"] = ticket_purge_closed(closed_before_date=CLOSED_BEFORE, today=TODAY)
        except Exception as exc:  # handed to the test's thread, which asserts on it
            outcome["error"] = exc
        finally:
            connections.close_all()

    purger = threading.Thread(target=purge_in_another_connection)
    with transaction.atomic():
        customer_upsert(data=CustomerData(identifier="CIF-RACE", name="Returning Customer"))
        purger.start()
        _wait_until_waiting_on_a_lock(outcome)
        new = TicketFactory(status=TicketStatus.OPEN, customer=customer)
    # when: the create commits, and the purge goes on
    purger.join(timeout=30)

    # then: the old ticket is gone, the customer and the new ticket stay
    assert "error" not in outcome, outcome.get("error")
    assert (outcome["purge"].tickets, outcome["purge"].customers) == (1, 0)
    assert list(Ticket.objects.values_list("pk", flat=True)) == [new.pk]
    assert Customer.objects.get(pk=customer.pk).name == "Returning Customer"
    assert not Ticket.objects.filter(pk=old.pk).exists()


def _wait_until_waiting_on_a_lock(outcome: dict) -> None:
    """Block until the purge's connection waits on a row lock, or fail after 30 s."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if "error" in outcome:
            raise AssertionError(f"the purge failed before it waited: {outcome['error']!r}")
        if "pid" in outcome:
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_locks WHERE pid = %s AND NOT granted", [outcome["pid"]])
                if cursor.fetchone()[0]:
                    return
        time.sleep(0.05)
    raise AssertionError("the purge never waited on the customer's row")
