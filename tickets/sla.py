"""SLA deadlines, breach and state. Pure: values in, values out.

The clock starts when the ticket is created and runs on the service's calendar (24x7
unless an admin put the service on business hours, see tickets/business_hours.py). It
stands still while the ticket is PENDING (waiting on the customer) or RESOLVED (until it
is reopened); those stretches are pauses, and a deadline is always computed from the
original start minus the pauses, so moving out of PENDING, a reopen and a priority change
all give deadlines that agree with each other. The response target is met by the first
public reply of an agent, the resolution target by resolving.

Agents (the admin) and partners (the status answer) read the same values from here.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from tickets import business_hours
from tickets.business_hours import Pause, WorkingCalendar

# DESIGN.md's defaults, in minutes: (response, resolution).
DEFAULT_TARGETS: dict[str, tuple[int, int]] = {
    "CRITICAL": (15, 2 * 60),
    "HIGH": (60, 4 * 60),
    "MEDIUM": (4 * 60, 24 * 60),
    "LOW": (8 * 60, 72 * 60),
}
# A ticket is at risk once this share of its resolution time has run.
AT_RISK_SHARE = 0.75
TWENTY_FOUR_SEVEN = WorkingCalendar.always()


@dataclass(frozen=True)
class Deadlines:
    response: datetime
    resolution: datetime
    resolution_at_risk: datetime


def deadline(calendar: WorkingCalendar, start: datetime, minutes: float, pauses: Sequence[Pause] = ()) -> datetime:
    """When `minutes` of SLA time have run from `start`, pauses excluded."""
    if calendar.weekly_hours is not None:
        return business_hours.deadline(calendar, start, int(minutes), pauses)
    # 24x7: exact to the microsecond, so that "breached at exactly one hour" holds.
    due = start + timedelta(minutes=minutes)
    for pause_start, pause_end in _merged(pauses):
        if pause_start >= due:
            break
        if pause_end > start:
            due += pause_end - max(pause_start, start)
    return due


def _merged(pauses: Sequence[Pause]) -> list[Pause]:
    merged: list[list[datetime]] = []
    for pause_start, pause_end in sorted(pauses):
        if merged and pause_start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], pause_end)
        else:
            merged.append([pause_start, pause_end])
    return [(pause_start, pause_end) for pause_start, pause_end in merged]


def compute_deadlines(
    *,
    start: datetime,
    response_minutes: int,
    resolution_minutes: int,
    calendar: WorkingCalendar = TWENTY_FOUR_SEVEN,
    pauses: Sequence[Pause] = (),
) -> Deadlines:
    return Deadlines(
        response=deadline(calendar, start, response_minutes, pauses),
        resolution=deadline(calendar, start, resolution_minutes, pauses),
        resolution_at_risk=deadline(calendar, start, resolution_minutes * AT_RISK_SHARE, pauses),
    )


def clock_time(*, now: datetime, paused_at: datetime | None) -> datetime:
    """The moment the SLA clock shows: now, or when it stopped."""
    return min(now, paused_at) if paused_at is not None else now


def is_breached(
    *,
    now: datetime,
    response_deadline: datetime,
    resolution_deadline: datetime,
    first_response_at: datetime | None,
    resolved_at: datetime | None,
    paused_at: datetime | None = None,
) -> bool:
    """True once either deadline has passed unmet (a late first reply or a late resolution
    stays a breach). While the clock stands still, time does not pass."""
    clock = clock_time(now=now, paused_at=paused_at)
    return is_late(
        met_at=met_on_the_clock(first_response_at, paused_at), clock=clock, deadline_at=response_deadline
    ) or is_late(met_at=met_on_the_clock(resolved_at, paused_at), clock=clock, deadline_at=resolution_deadline)


def is_late(*, met_at: datetime | None, clock: datetime, deadline_at: datetime) -> bool:
    """The one breach rule, shared by the status answer, the admin, the services and the
    sweep (which marks `deadline <= now`): a target still unmet when the clock reaches
    its deadline is breached at that instant; a target met at the deadline was met in time."""
    if met_at is not None:
        return met_at > deadline_at
    return clock >= deadline_at


def met_on_the_clock(met_at: datetime | None, paused_at: datetime | None) -> datetime | None:
    """When a target was met as the SLA clock sees it: a reply or resolution while the
    clock stands still (a reply to a PENDING ticket, resolving from PENDING) counts at the
    moment it stopped, since no SLA time has passed since."""
    if met_at is None or paused_at is None:
        return met_at
    return min(met_at, paused_at)


class SlaState(Enum):
    BREACHED = "breached"
    AT_RISK = "at_risk"
    PAUSED = "paused"
    ON_TRACK = "on_track"


def state(
    *,
    now: datetime,
    response_deadline: datetime,
    resolution_deadline: datetime,
    resolution_at_risk_at: datetime,
    first_response_at: datetime | None,
    resolved_at: datetime | None,
    paused_at: datetime | None,
) -> SlaState:
    if is_breached(
        now=now,
        response_deadline=response_deadline,
        resolution_deadline=resolution_deadline,
        first_response_at=first_response_at,
        resolved_at=resolved_at,
        paused_at=paused_at,
    ):
        return SlaState.BREACHED
    if paused_at is not None:
        return SlaState.PAUSED
    if now >= resolution_at_risk_at:
        return SlaState.AT_RISK
    return SlaState.ON_TRACK


def state_of(ticket, now: datetime) -> SlaState:
    """`state` of anything carrying a ticket's SLA fields (a Ticket row)."""
    return state(
        now=now,
        response_deadline=ticket.response_deadline,
        resolution_deadline=ticket.resolution_deadline,
        resolution_at_risk_at=ticket.resolution_at_risk_at,
        first_response_at=ticket.first_response_at,
        resolved_at=ticket.resolved_at,
        paused_at=ticket.sla_paused_at,
    )


def seconds_left(*, deadline_at: datetime, met_at: datetime | None, now: datetime, paused_at: datetime | None):
    """Seconds from the clock's time to the deadline (negative once overdue), or None
    when the target was met."""
    if met_at is not None:
        return None
    return int((deadline_at - clock_time(now=now, paused_at=paused_at)).total_seconds())


def hours(minutes: int) -> int | float:
    """Minutes as hours for `slaHours`: a whole number when it is one."""
    value = minutes / 60
    return int(value) if value.is_integer() else round(value, 2)
