"""The SLA clock of one ticket, kept on its row: stopping, restarting and recomputing the
deadlines. Called by tickets.services inside the change's transaction, with the ticket
row locked; the services record the events these return."""

from datetime import datetime

from tickets import sla
from tickets.business_hours import Pause, WorkingCalendar
from tickets.models import SLA_RUNNING, Service, SlaPause, Ticket


def calendar_for(service: Service) -> WorkingCalendar:
    """The service's working calendar; 24x7 (no query) when it has none."""
    if service.calendar_id is None:
        return sla.TWENTY_FOUR_SEVEN
    calendar = service.calendar
    return WorkingCalendar.business_hours(
        time_zone=calendar.time_zone,
        weekdays=calendar.working_days,
        start=calendar.start_time,
        end=calendar.end_time,
        holidays=calendar.holidays.values_list("date", flat=True),
    )


def pauses_of(ticket: Ticket) -> list[Pause]:
    """The ticket's finished pauses. One still going is left out: while the clock stands
    still the deadlines are those it would meet if it restarted where it stopped (time
    left is measured from the stop), and the restart adds the pause's whole length."""
    return list(SlaPause.objects.filter(ticket=ticket, ended_at__isnull=False).values_list("started_at", "ended_at"))


def recompute(ticket: Ticket, *, now: datetime) -> list[str]:
    """Set the deadlines from the original start, the current targets and the pauses so
    far. Returns the fields changed."""
    deadlines = sla.compute_deadlines(
        start=ticket.created_at,
        response_minutes=ticket.response_target_minutes,
        resolution_minutes=ticket.resolution_target_minutes,
        calendar=calendar_for(ticket.service),
        pauses=pauses_of(ticket),
    )
    ticket.response_deadline = deadlines.response
    ticket.resolution_deadline = deadlines.resolution
    ticket.resolution_at_risk_at = deadlines.resolution_at_risk
    return ["response_deadline", "resolution_deadline", "resolution_at_risk_at"]


def stop(ticket: Ticket, *, now: datetime, reason: str) -> list[str]:
    SlaPause.objects.create(ticket=ticket, started_at=now, reason=reason)
    ticket.sla_paused_at = now
    return ["sla_paused_at"]


def restart(ticket: Ticket, *, now: datetime) -> list[str]:
    SlaPause.objects.filter(ticket=ticket, ended_at__isnull=True).update(ended_at=now)
    ticket.sla_paused_at = None
    return ["sla_paused_at", *recompute(ticket, now=now)]


def is_running(status: str) -> bool:
    return status in SLA_RUNNING


def breaches_to_mark(ticket: Ticket, *, now: datetime) -> list[str]:
    """The breaches that have happened by `now` and are not marked yet: a late reply or
    resolution, or a ticket that stops its clock after a deadline the sweep has not seen
    pass. Sets them on the ticket and returns the fields changed."""
    return late_response(ticket, now=now) + late_resolution(ticket, now=now)


def late_response(ticket: Ticket, *, now: datetime) -> list[str]:
    return _late(ticket, now=now, met="first_response_at", deadline="response_deadline", mark="response_breached_at")


def late_resolution(ticket: Ticket, *, now: datetime) -> list[str]:
    return _late(ticket, now=now, met="resolved_at", deadline="resolution_deadline", mark="resolution_breached_at")


def _late(ticket: Ticket, *, now: datetime, met: str, deadline: str, mark: str) -> list[str]:
    """Mark the target late if it was met (or is still unmet at the clock's time) after
    its deadline and is not marked yet; the mark is the deadline itself."""
    clock = sla.clock_time(now=now, paused_at=ticket.sla_paused_at)
    met_at = sla.met_on_the_clock(getattr(ticket, met), ticket.sla_paused_at)
    if getattr(ticket, mark) is None and sla.is_late(met_at=met_at, clock=clock, deadline_at=getattr(ticket, deadline)):
        setattr(ticket, mark, getattr(ticket, deadline))
        return [mark]
    return []


def unmark_what_no_longer_holds(ticket: Ticket, *, now: datetime) -> list[str]:
    """After a priority change moved the deadlines out: a breach or a warning that the new
    deadlines no longer justify is withdrawn (the sweep marks it again if it comes)."""
    changed = []
    clock = sla.clock_time(now=now, paused_at=ticket.sla_paused_at)
    response_met_at = sla.met_on_the_clock(ticket.first_response_at, ticket.sla_paused_at)
    resolution_met_at = sla.met_on_the_clock(ticket.resolved_at, ticket.sla_paused_at)
    if ticket.response_breached_at is not None and not sla.is_late(
        met_at=response_met_at, clock=clock, deadline_at=ticket.response_deadline
    ):
        ticket.response_breached_at = None
        changed.append("response_breached_at")
    if ticket.resolution_breached_at is not None and not sla.is_late(
        met_at=resolution_met_at, clock=clock, deadline_at=ticket.resolution_deadline
    ):
        ticket.resolution_breached_at = None
        changed.append("resolution_breached_at")
    if ticket.at_risk_notified_at is not None and clock < ticket.resolution_at_risk_at:
        ticket.at_risk_notified_at = None
        changed.append("at_risk_notified_at")
    return changed
