"""Working calendars for SLA clocks: how much working time lies between two instants, and
when a target of working minutes runs out. Pure: values in, values out.

The model. A calendar is an IANA time zone plus, per weekday, one local working window
[start, end), minus local holiday dates; or 24x7, where every instant counts. The SLA clock
runs only inside working windows and outside pauses (a ticket waiting on the customer, a
resolved ticket until it is reopened). A pause is a [start, end) span of real time; pauses
may overlap, reach beyond the range asked about or lie in the night, and no second is ever
subtracted twice. A deadline is always recomputed from the ticket's original start, so a
priority change only swaps the target.

Windows become real instants day by day in the calendar's zone, so a window across a DST
change lasts its real length (a nonexistent or repeated local time takes its first offset,
zoneinfo's fold=0). Arithmetic is in whole seconds: every input instant is truncated to the
second (microseconds dropped, which rounds towards the past), and deadlines come back in UTC
with no microseconds.
"""

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Ten years: far beyond any SLA target, yet close enough that a calendar whose every
# working day is a holiday fails in milliseconds instead of spinning.
MAX_SEARCH_DAYS = 3660

DEFAULT_OPENING = time(8)
DEFAULT_CLOSING = time(16)

Pause = tuple[datetime, datetime]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_SECOND = timedelta(seconds=1)
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class WorkingCalendar:
    """When the SLA clock may run. `weekly_hours` maps a weekday (0 = Monday) to its local
    working window (start, end), start < end; a weekday left out is not worked. None means
    24x7, where the zone and holidays play no part. An invalid calendar, including one with
    no working time at all, raises ValueError when built."""

    time_zone: str
    weekly_hours: Mapping[int, tuple[time, time]] | None
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
            raise ValueError(f"unknown time zone {self.time_zone!r}") from error

        holidays = frozenset(self.holidays)
        # A datetime is a date too, but would never equal a local date and so be silently ignored.
        if any(not isinstance(day, date) or isinstance(day, datetime) for day in holidays):
            raise ValueError("holidays must be dates")
        object.__setattr__(self, "holidays", holidays)

        if self.weekly_hours is None:
            return
        if not self.weekly_hours:
            raise ValueError("a calendar needs working hours on at least one weekday; use always() for 24x7")
        for weekday, (opening, closing) in self.weekly_hours.items():
            if weekday not in range(7):
                raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {weekday!r}")
            if opening.tzinfo is not None or closing.tzinfo is not None:
                raise ValueError("working hours are local times of the calendar's zone, without a tzinfo")
            if not opening < closing:
                raise ValueError(f"working window of weekday {weekday} must open before it closes")
        # A read-only copy: the caller's dict changing later must not change a validated calendar.
        object.__setattr__(self, "weekly_hours", MappingProxyType(dict(self.weekly_hours)))

    def __hash__(self) -> int:
        # The generated hash would fail on the mapping; a hashable calendar can key a cache.
        hours = None if self.weekly_hours is None else tuple(sorted(self.weekly_hours.items()))
        return hash((self.time_zone, hours, self.holidays))

    @classmethod
    def always(cls) -> "WorkingCalendar":
        return cls(time_zone="UTC", weekly_hours=None)

    @classmethod
    def business_hours(
        cls,
        *,
        time_zone: str = "Asia/Makassar",
        weekdays: Iterable[int] = (0, 1, 2, 3, 4),
        start: time = DEFAULT_OPENING,
        end: time = DEFAULT_CLOSING,
        holidays: Iterable[date] = (),
    ) -> "WorkingCalendar":
        return cls(
            time_zone=time_zone,
            weekly_hours={weekday: (start, end) for weekday in weekdays},
            holidays=frozenset(holidays),
        )


def working_seconds(calendar: WorkingCalendar, start: datetime, end: datetime, pauses: Sequence[Pause] = ()) -> int:
    """Seconds of working time in [start, end) that lie outside every pause; 0 when end <= start."""
    range_start = _to_seconds(start, "start")
    range_end = _to_seconds(end, "end")
    running = _running_intervals(calendar, range_start, range_end, _merge_pauses(pauses))
    return sum(stop - go for go, stop in running)


def deadline(calendar: WorkingCalendar, start: datetime, minutes: int, pauses: Sequence[Pause] = ()) -> datetime:
    """The earliest instant, in UTC, by which `minutes` of working time outside pauses have
    run since `start`; with 0 minutes, the first such instant at or after `start`. A target
    that fills a window exactly falls due at its closing time, not at the next opening.
    Raises ValueError when it lies more than MAX_SEARCH_DAYS after `start`."""
    _check_minutes(minutes)
    search_start = _to_seconds(start, "start")
    search_end = search_start + MAX_SEARCH_DAYS * 86_400
    target = minutes * 60
    for go, stop in _running_intervals(calendar, search_start, search_end, _merge_pauses(pauses)):
        if target <= stop - go:
            return _EPOCH + timedelta(seconds=go + target)
        target -= stop - go
    raise ValueError(f"no deadline within {MAX_SEARCH_DAYS} days of {start.isoformat()}: too little working time")


def remaining_seconds(
    calendar: WorkingCalendar, start: datetime, minutes: int, pauses: Sequence[Pause], now: datetime
) -> int:
    """Working seconds left of a `minutes` target at `now`; negative once overdue."""
    _check_minutes(minutes)
    return minutes * 60 - working_seconds(calendar, start, now, pauses)


def _check_minutes(minutes: int) -> None:
    if minutes < 0:
        raise ValueError(f"minutes must not be negative, got {minutes}")


def _to_seconds(moment: datetime, name: str) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment!r}")
    # Floor division of a timedelta is exact integer arithmetic, and drops microseconds.
    return (moment - _EPOCH) // _ONE_SECOND


def _merge_pauses(pauses: Sequence[Pause]) -> list[tuple[int, int]]:
    """Pauses as sorted, disjoint [start, end) epoch seconds, so none is counted twice."""
    intervals = []
    for pause_start, pause_end in pauses:
        start_seconds = _to_seconds(pause_start, "a pause's start")
        end_seconds = _to_seconds(pause_end, "a pause's end")
        if pause_end < pause_start:
            raise ValueError(f"pause ends before it starts: {pause_start.isoformat()} > {pause_end.isoformat()}")
        if start_seconds < end_seconds:
            intervals.append((start_seconds, end_seconds))
    intervals.sort()
    merged: list[tuple[int, int]] = []
    for start_seconds, end_seconds in intervals:
        if merged and start_seconds <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end_seconds))
        else:
            merged.append((start_seconds, end_seconds))
    return merged


def _working_windows(calendar: WorkingCalendar, range_start: int, range_end: int) -> Iterator[tuple[int, int]]:
    """The calendar's working time inside [range_start, range_end), as sorted, disjoint,
    non-empty [start, end) epoch seconds."""
    if range_start >= range_end:
        return
    if calendar.weekly_hours is None:
        yield range_start, range_end
        return
    zone = ZoneInfo(calendar.time_zone)
    # One day early: around a DST change at midnight, the previous local day's window can
    # still be open at range_start.
    day = (_EPOCH + timedelta(seconds=range_start)).astimezone(zone).date() - _ONE_DAY
    last_day = (_EPOCH + timedelta(seconds=range_end)).astimezone(zone).date()
    # Never yield before what was already yielded, even if a DST shift made two days' windows overlap.
    floor = range_start
    while day <= last_day:
        hours = calendar.weekly_hours.get(day.weekday())
        if hours is not None and day not in calendar.holidays:
            opening = _to_seconds(datetime.combine(day, hours[0], tzinfo=zone), "opening")
            closing = _to_seconds(datetime.combine(day, hours[1], tzinfo=zone), "closing")
            opening, closing = max(opening, floor), min(closing, range_end)
            if opening < closing:
                yield opening, closing
                floor = closing
        day += _ONE_DAY


def _running_intervals(
    calendar: WorkingCalendar, range_start: int, range_end: int, pauses: list[tuple[int, int]]
) -> Iterator[tuple[int, int]]:
    """Where the SLA clock runs inside [range_start, range_end): working windows with the
    pauses cut out, sorted and non-empty. `pauses` must be merged (sorted and disjoint),
    which lets one pass walk windows and pauses together."""
    index = 0
    for opening, closing in _working_windows(calendar, range_start, range_end):
        while index < len(pauses) and pauses[index][1] <= opening:
            index += 1
        cursor = opening
        while index < len(pauses) and pauses[index][0] < closing:
            pause_start, pause_end = pauses[index]
            if cursor < pause_start:
                yield cursor, pause_start
            cursor = pause_end
            if pause_end >= closing:
                # Kept for the next window, which this pause may cover too.
                break
            index += 1
        if cursor < closing:
            yield cursor, closing
