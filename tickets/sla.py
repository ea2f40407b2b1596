"""SLA deadlines and breach. Pure: values in, values out.

Every service is on a 24x7 calendar by default (DESIGN.md: partners' channels never
close), so a deadline is the start plus the target. Business-hours calendars, pauses in
PENDING and escalation extend this module (see the SLA issue)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

# DESIGN.md's defaults, in minutes: (response, resolution).
DEFAULT_TARGETS: dict[str, tuple[int, int]] = {
    "CRITICAL": (15, 2 * 60),
    "HIGH": (60, 4 * 60),
    "MEDIUM": (4 * 60, 24 * 60),
    "LOW": (8 * 60, 72 * 60),
}


@dataclass(frozen=True)
class Deadlines:
    response: datetime
    resolution: datetime


def add_business_time(start: datetime, minutes: int) -> datetime:
    """Add SLA minutes to a moment on the 24x7 calendar."""
    return start + timedelta(minutes=minutes)


def compute_deadlines(*, start: datetime, response_minutes: int, resolution_minutes: int) -> Deadlines:
    return Deadlines(
        response=add_business_time(start, response_minutes),
        resolution=add_business_time(start, resolution_minutes),
    )


def is_breached(
    *,
    now: datetime,
    response_deadline: datetime,
    resolution_deadline: datetime,
    first_response_at: datetime | None,
    resolved_at: datetime | None,
) -> bool:
    """True once either deadline has passed unmet (a late first reply or a late resolution
    stays a breach)."""
    response_met_at = first_response_at or now
    resolution_met_at = resolved_at or now
    return response_met_at > response_deadline or resolution_met_at > resolution_deadline


def hours(minutes: int) -> int | float:
    """Minutes as hours for `slaHours`: a whole number when it is one."""
    value = minutes / 60
    return int(value) if value.is_integer() else round(value, 2)
