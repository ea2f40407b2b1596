"""The SLA sweep: mark tickets whose deadline has passed, and warn about those past 75%
of their resolution time. Run every minute by beat (tickets.tasks.sweep_sla) and by
`manage.py check_sla`.

Set-based: each kind is one indexed SELECT of the tickets that crossed their line (the
partial indexes on Ticket hold only running, unmarked tickets, so the cost follows the
number crossing, not the number open), one UPDATE and one INSERT of events. Rows are
taken FOR UPDATE SKIP LOCKED, so two sweeps at once share the work and a ticket that an
agent is changing right now is left for the next run; a mark is set once and the SELECT
skips marked rows, so however often the sweep runs each ticket is marked once.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import F, Q

from tickets.models import SLA_RUNNING, ActorType, EventKind, Ticket, TicketEvent

BATCH = 5000


@dataclass
class SweepResult:
    response_breached: list[int] = field(default_factory=list)
    resolution_breached: list[int] = field(default_factory=list)
    at_risk: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _Line:
    """One kind of mark: which tickets have crossed it, and what crossing it sets."""

    waiting: Q  # matches the partial index's condition
    deadline_field: str
    mark_field: str
    event: str


LINES = {
    "response_breached": _Line(
        waiting=Q(status__in=SLA_RUNNING, first_response_at__isnull=True, response_breached_at__isnull=True),
        deadline_field="response_deadline",
        mark_field="response_breached_at",
        event=EventKind.SLA_RESPONSE_BREACHED,
    ),
    "resolution_breached": _Line(
        waiting=Q(status__in=SLA_RUNNING, resolution_breached_at__isnull=True),
        deadline_field="resolution_deadline",
        mark_field="resolution_breached_at",
        event=EventKind.SLA_RESOLUTION_BREACHED,
    ),
    "at_risk": _Line(
        waiting=Q(status__in=SLA_RUNNING, at_risk_notified_at__isnull=True),
        deadline_field="resolution_at_risk_at",
        mark_field="at_risk_notified_at",
        event=EventKind.SLA_AT_RISK,
    ),
}


def crossed(line: _Line, now: datetime):
    return Ticket.objects.filter(line.waiting, **{f"{line.deadline_field}__lte": now})


def sweep(*, now: datetime, dry_run: bool = False) -> SweepResult:
    result = SweepResult()
    for name, line in LINES.items():
        ids = list(crossed(line, now).values_list("pk", flat=True)[:BATCH]) if dry_run else _mark(line, now)
        getattr(result, name).extend(ids)
    return result


@transaction.atomic
def _mark(line: _Line, now: datetime) -> list[int]:
    rows = list(
        crossed(line, now)
        .select_for_update(skip_locked=True, of=("self",))
        .order_by(line.deadline_field)
        .values_list("pk", line.deadline_field)[:BATCH]
    )
    if not rows:
        return []
    ids = [pk for pk, _deadline in rows]
    # The mark is the moment the line was crossed, not when the sweep noticed.
    Ticket.objects.filter(pk__in=ids).update(**{line.mark_field: F(line.deadline_field)})
    TicketEvent.objects.bulk_create(
        [
            TicketEvent(
                ticket_id=pk,
                kind=line.event,
                actor_type=ActorType.SYSTEM,
                actor_label="SLA sweep",
                data={"deadline": deadline.isoformat()},
                created_at=now,
            )
            for pk, deadline in rows
        ]
    )
    return ids
