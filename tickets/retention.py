"""Purging final tickets past the bank's retention period: a procedure an operator runs
by hand (`manage.py purge_tickets`, docs/operations.md), never on a schedule, because
what may be deleted is the compliance officer's decision and TICKET_RETENTION_YEARS only
its floor.

A purged ticket goes with everything that hangs off it (comments, events, attachments,
SLA pauses, webhook deliveries and their attempts: all ON DELETE CASCADE), and its
attachment files are removed from storage once the deletion has committed. A customer
goes too once the purge has taken their last ticket: the desk holds their name and
contacts only for their tickets' sake. A customer with any ticket left is kept."""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import Storage
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from config.batches import locked_id_batches
from tickets.models import Attachment, Comment, Customer, SlaPause, Ticket, TicketEvent, TicketStatus
from webhooks.models import Attempt, Delivery

logger = logging.getLogger(__name__)

BATCH_SIZE = 500


class RetentionPeriodNotOver(Exception):
    def __init__(self, *, closed_before: datetime.date, latest_allowed: datetime.date) -> None:
        super().__init__(
            f"Tickets closed on or after {latest_allowed} are still within the retention period of "
            f"{settings.TICKET_RETENTION_YEARS} years (TICKET_RETENTION_YEARS); {closed_before} is too late a date."
        )


@dataclass
class TicketPurge:
    """Rows deleted (or, in a dry run, that would be), and attachment files removed.
    The file counts grow as each batch commits; a dry run removes none."""

    tickets: int = 0
    comments: int = 0
    events: int = 0
    attachments: int = 0
    sla_pauses: int = 0
    webhook_deliveries: int = 0
    webhook_attempts: int = 0
    customers: int = 0
    files_removed: int = 0
    files_failed: int = 0


# Which count each model's deleted rows go to.
_COUNTED = {
    Ticket: "tickets",
    Comment: "comments",
    TicketEvent: "events",
    Attachment: "attachments",
    SlaPause: "sla_pauses",
    Delivery: "webhook_deliveries",
    Attempt: "webhook_attempts",
}


def latest_allowed_date(today: datetime.date) -> datetime.date:
    """The latest --closed-before date: today, TICKET_RETENTION_YEARS years ago."""
    years = settings.TICKET_RETENTION_YEARS
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February, in a year that has none
        return today.replace(year=today.year - years, day=28)


def closed_before(moment: datetime.datetime) -> QuerySet[Ticket]:
    """CLOSED tickets closed, and CANCELLED ones cancelled, before `moment`. Statuses are
    final (tickets/transitions.py), so no ticket leaves this set by changing."""
    return Ticket.objects.filter(
        Q(status=TicketStatus.CLOSED, closed_at__lt=moment) | Q(status=TicketStatus.CANCELLED, cancelled_at__lt=moment)
    )


def ticket_purge_closed(
    *, closed_before_date: datetime.date, dry_run: bool = False, today: datetime.date | None = None
) -> TicketPurge:
    """Delete the CLOSED and CANCELLED tickets closed before the start of
    `closed_before_date` (the desk's time zone), with their comments, events, attachments,
    SLA pauses and webhook deliveries, and the customers left with no ticket; remove their
    attachment files after commit.
    Raises RetentionPeriodNotOver when the date is within TICKET_RETENTION_YEARS."""
    today = today or timezone.localdate()
    latest_allowed = latest_allowed_date(today)
    if closed_before_date > latest_allowed:
        raise RetentionPeriodNotOver(closed_before=closed_before_date, latest_allowed=latest_allowed)
    moment = datetime.datetime.combine(closed_before_date, datetime.time.min, tzinfo=timezone.get_default_timezone())
    candidates = closed_before(moment)
    if dry_run:
        return _count(candidates)

    purge = TicketPurge()
    storage = Attachment._meta.get_field("file").storage
    # Each batch is locked before its attachments are read: an attachment added meanwhile
    # would otherwise be deleted with the ticket and its file left behind.
    for ids in locked_id_batches(candidates, BATCH_SIZE):
        names = list(Attachment.objects.filter(ticket_id__in=ids).values_list("file", flat=True))
        customer_ids = set(Ticket.objects.filter(pk__in=ids).values_list("customer_id", flat=True))
        # only("pk"): the cascade needs the ids, not the tickets' text.
        _, per_model = Ticket.objects.filter(pk__in=ids).only("pk").delete()
        for model, attribute in _COUNTED.items():
            setattr(purge, attribute, getattr(purge, attribute) + per_model.get(model._meta.label, 0))
        purge.customers += _delete_customers_without_tickets(customer_ids)
        # After commit: a rolled-back purge must not have lost the files.
        transaction.on_commit(lambda names=names: _remove_files(storage, names, purge))
    logger.info("purged %s tickets closed before %s: %s", purge.tickets, closed_before_date, purge)
    return purge


def _delete_customers_without_tickets(customer_ids: set[int]) -> int:
    """Delete those of `customer_ids` that no ticket refers to any more; return how many."""
    # Locked first, in a statement of its own. A ticket being created for one of them
    # (customer_upsert's INSERT ... ON CONFLICT DO UPDATE, the new ticket's foreign key)
    # then either committed before the lock, and the DELETE below, a new statement that
    # sees it, keeps the customer; or waits for this transaction, and finds no row to
    # update, so it inserts the customer afresh.
    list(Customer.objects.filter(pk__in=customer_ids).order_by("pk").select_for_update().values_list("pk", flat=True))
    has_tickets = Exists(Ticket.objects.filter(customer=OuterRef("pk")))
    _, per_model = Customer.objects.filter(pk__in=customer_ids).exclude(has_tickets).delete()
    return per_model.get(Customer._meta.label, 0)


def _count(candidates: QuerySet[Ticket]) -> TicketPurge:
    ticket_ids = candidates.values("pk")
    deliveries = Delivery.objects.filter(ticket__in=ticket_ids)
    tickets_kept = Ticket.objects.filter(customer=OuterRef("pk")).exclude(pk__in=ticket_ids)
    return TicketPurge(
        tickets=candidates.count(),
        comments=Comment.objects.filter(ticket__in=ticket_ids).count(),
        events=TicketEvent.objects.filter(ticket__in=ticket_ids).count(),
        attachments=Attachment.objects.filter(ticket__in=ticket_ids).count(),
        sla_pauses=SlaPause.objects.filter(ticket__in=ticket_ids).count(),
        webhook_deliveries=deliveries.count(),
        webhook_attempts=Attempt.objects.filter(delivery__in=deliveries.values("pk")).count(),
        customers=Customer.objects.filter(pk__in=candidates.values("customer_id"))
        .exclude(Exists(tickets_kept))
        .count(),
    )


def _remove_files(storage: Storage, names: list[str], purge: TicketPurge) -> None:
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # one stuck file must not keep the others: it is logged for the operator
            purge.files_failed += 1
            logger.exception("attachment file %s of a purged ticket could not be removed", name)
        else:
            purge.files_removed += 1
