"""Working-time arithmetic of tickets.business_hours: 24x7 and business-hours calendars,
pauses, holidays, DST, and the errors that stop a search that could never end.

Unless a test says otherwise the calendar is Monday to Friday 08:00-16:00 in Manado
(Asia/Makassar, UTC+8), and dates are in December 2026: Monday the 7th to Monday the 14th."""

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tickets.business_hours import (
    MAX_SEARCH_DAYS,
    WorkingCalendar,
    deadline,
    remaining_seconds,
    working_seconds,
)

WITA = ZoneInfo("Asia/Makassar")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
BUSINESS = WorkingCalendar.business_hours()
ALWAYS = WorkingCalendar.always()
HOUR = 3600

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY, NEXT_MONDAY = range(7, 15)


def wita(day: int, hour: int, minute: int = 0, second: int = 0, *, month: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=WITA)


# --- calendars -------------------------------------------------------------------------


def test_always_is_24x7_in_utc():
    assert ALWAYS.time_zone == "UTC"
    assert ALWAYS.weekly_hours is None
    assert ALWAYS.holidays == frozenset()


def test_business_hours_default_to_weekdays_8_to_16_in_makassar():
    assert BUSINESS.time_zone == "Asia/Makassar"
    assert dict(BUSINESS.weekly_hours) == {weekday: (time(8), time(16)) for weekday in range(5)}
    assert BUSINESS.holidays == frozenset()


def test_a_calendar_does_not_change_when_the_callers_mapping_does():
    hours = {0: (time(8), time(16))}
    calendar = WorkingCalendar(time_zone="UTC", weekly_hours=hours)

    hours[1] = (time(8), time(16))

    assert dict(calendar.weekly_hours) == {0: (time(8), time(16))}


def test_equal_calendars_hash_alike_so_they_can_key_a_cache():
    first = WorkingCalendar.business_hours(holidays=[date(2026, 12, 25)])
    second = WorkingCalendar.business_hours(holidays=[date(2026, 12, 25)])

    assert first == second
    assert len({first, second, ALWAYS}) == 2


# --- 24x7 ------------------------------------------------------------------------------


@pytest.mark.parametrize("minutes", [0, 1, 15, 120, 24 * 60, 90 * 24 * 60])
def test_24x7_deadline_is_start_plus_minutes(minutes):
    start = wita(SATURDAY, 23, 30)

    assert deadline(ALWAYS, start, minutes) == start + timedelta(minutes=minutes)


def test_24x7_working_seconds_is_the_plain_difference():
    assert working_seconds(ALWAYS, wita(FRIDAY, 15), wita(NEXT_MONDAY, 9, 0, 7)) == 66 * HOUR + 7


def test_24x7_pauses_subtract_from_working_time_and_push_the_deadline():
    start = wita(MONDAY, 9)
    pauses = [(wita(MONDAY, 10), wita(MONDAY, 10, 45)), (wita(MONDAY, 7), wita(MONDAY, 9, 30))]

    assert working_seconds(ALWAYS, start, wita(MONDAY, 13), pauses) == 4 * HOUR - 30 * 60 - 45 * 60
    assert deadline(ALWAYS, start, 120, pauses) == wita(MONDAY, 12, 15)


def test_24x7_ignores_holidays():
    calendar = WorkingCalendar(time_zone="Asia/Makassar", weekly_hours=None, holidays=frozenset({date(2026, 12, 8)}))

    assert deadline(calendar, wita(MONDAY, 22), 240) == wita(TUESDAY, 2)
    assert working_seconds(calendar, wita(TUESDAY, 0), wita(WEDNESDAY, 0)) == 24 * HOUR


# --- business hours: deadlines ---------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "minutes", "expected"),
    [
        (wita(MONDAY, 9), 60, wita(MONDAY, 10)),
        (wita(MONDAY, 8), 60, wita(MONDAY, 9)),
        (wita(MONDAY, 15), 60, wita(MONDAY, 16)),
        (wita(MONDAY, 15), 120, wita(TUESDAY, 9)),
        (wita(MONDAY, 15, 59, 59), 1, wita(TUESDAY, 8, 0, 59)),
        (wita(MONDAY, 16), 60, wita(TUESDAY, 9)),
        (wita(MONDAY, 20), 60, wita(TUESDAY, 9)),
        (wita(TUESDAY, 6, 30), 30, wita(TUESDAY, 8, 30)),
        (wita(SATURDAY, 10), 60, wita(NEXT_MONDAY, 9)),
        (wita(SUNDAY, 23, 59), 15, wita(NEXT_MONDAY, 8, 15)),
        (wita(FRIDAY, 15), 120, wita(NEXT_MONDAY, 9)),
        (wita(MONDAY, 10), 24 * 60, wita(THURSDAY, 10)),
        (wita(MONDAY, 8), 24 * 60, wita(WEDNESDAY, 16)),
        (wita(MONDAY, 8), 5 * 8 * 60 + 1, wita(NEXT_MONDAY, 8, 1)),
    ],
    ids=[
        "same-day",
        "start-exactly-at-opening",
        "target-fills-the-window-exactly-and-falls-due-at-closing",
        "crosses-a-night",
        "last-second-of-the-day-then-next-morning",
        "start-exactly-at-closing",
        "start-at-night",
        "start-before-opening",
        "start-on-saturday",
        "start-late-sunday",
        "crosses-a-weekend",
        "24h-of-working-time-is-3-working-days",
        "3-full-working-days-end-at-closing-not-next-opening",
        "a-full-week-plus-one-minute",
    ],
)
def test_business_deadline(start, minutes, expected):
    assert deadline(BUSINESS, start, minutes) == expected


def test_deadline_is_returned_in_utc():
    due = deadline(BUSINESS, wita(MONDAY, 20), 60)

    assert due.tzinfo is UTC
    assert due == datetime(2026, 12, 8, 1, 0, tzinfo=UTC)


def test_a_holiday_on_tuesday_moves_the_deadline_to_wednesday():
    calendar = WorkingCalendar.business_hours(holidays=[date(2026, 12, 8)])

    assert deadline(calendar, wita(MONDAY, 15), 120) == wita(WEDNESDAY, 9)


def test_christmas_holidays_are_skipped_together_with_the_weekend():
    calendar = WorkingCalendar.business_hours(holidays=[date(2026, 12, 24), date(2026, 12, 25)])

    assert deadline(calendar, wita(23, 15), 120) == wita(28, 9)


def test_a_holiday_on_a_weekend_changes_nothing():
    calendar = WorkingCalendar.business_hours(holidays=[date(2026, 12, 12)])

    assert deadline(calendar, wita(FRIDAY, 15), 120) == wita(NEXT_MONDAY, 9)


def test_90_working_days_from_a_monday_morning_end_on_the_friday_of_the_18th_week():
    assert deadline(BUSINESS, wita(MONDAY, 8), 90 * 8 * 60) == wita(9, 16, month=4, year=2027)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (wita(MONDAY, 10), wita(MONDAY, 10)),
        (wita(MONDAY, 8), wita(MONDAY, 8)),
        (wita(MONDAY, 16), wita(TUESDAY, 8)),
        (wita(MONDAY, 21), wita(TUESDAY, 8)),
        (wita(SATURDAY, 9), wita(NEXT_MONDAY, 8)),
    ],
    ids=["inside-the-window", "at-opening", "at-closing", "at-night", "on-saturday"],
)
def test_zero_minutes_is_the_first_working_instant_at_or_after_start(start, expected):
    assert deadline(BUSINESS, start, 0) == expected


def test_zero_minutes_inside_a_pause_is_when_the_pause_ends():
    assert deadline(BUSINESS, wita(MONDAY, 10), 0, [(wita(MONDAY, 9), wita(MONDAY, 11))]) == wita(MONDAY, 11)
    assert deadline(BUSINESS, wita(MONDAY, 15), 0, [(wita(MONDAY, 14), wita(MONDAY, 18))]) == wita(TUESDAY, 8)


def test_microseconds_are_truncated_to_the_second():
    start = wita(MONDAY, 9) + timedelta(microseconds=999_999)

    assert deadline(BUSINESS, start, 1) == wita(MONDAY, 9, 1)
    assert working_seconds(BUSINESS, start, wita(MONDAY, 9, 0, 1) + timedelta(microseconds=1)) == 1


# --- business hours: working seconds ---------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (wita(MONDAY, 9), wita(MONDAY, 11, 30), 2 * HOUR + 30 * 60),
        (wita(MONDAY, 15), wita(TUESDAY, 9), 2 * HOUR),
        (wita(FRIDAY, 15), wita(NEXT_MONDAY, 9), 2 * HOUR),
        (wita(MONDAY, 0), wita(SATURDAY, 0), 5 * 8 * HOUR),
        (wita(MONDAY, 16), wita(TUESDAY, 8), 0),
        (wita(SATURDAY, 0), wita(NEXT_MONDAY, 8), 0),
        (wita(MONDAY, 10), wita(MONDAY, 10), 0),
        (wita(MONDAY, 11), wita(MONDAY, 10), 0),
    ],
    ids=["same-day", "over-a-night", "over-a-weekend", "a-whole-week", "a-night", "a-weekend", "empty", "reversed"],
)
def test_business_working_seconds(start, end, expected):
    assert working_seconds(BUSINESS, start, end) == expected


def test_working_seconds_skip_holidays():
    calendar = WorkingCalendar.business_hours(holidays=[date(2026, 12, 8), date(2026, 12, 10)])

    assert working_seconds(calendar, wita(MONDAY, 0), wita(SATURDAY, 0)) == 3 * 8 * HOUR


# --- pauses ----------------------------------------------------------------------------


def test_a_pause_inside_working_hours_extends_the_deadline_by_its_length():
    pauses = [(wita(MONDAY, 10), wita(MONDAY, 10, 30))]

    assert deadline(BUSINESS, wita(MONDAY, 9), 120, pauses) == wita(MONDAY, 11, 30)


def test_a_pause_over_the_weekend_removes_only_the_working_time_inside_it():
    pauses = [(wita(FRIDAY, 14), wita(NEXT_MONDAY, 10))]

    # Friday 14-16 and Monday 8-10 are gone: 6 h left on each day.
    assert working_seconds(BUSINESS, wita(FRIDAY, 0), wita(15, 0), pauses) == 12 * HOUR
    # 5 h on Friday before the pause, the remaining 3 h from Monday 10:00.
    assert deadline(BUSINESS, wita(FRIDAY, 9), 8 * 60, pauses) == wita(NEXT_MONDAY, 13)


def test_overlapping_and_repeated_pauses_are_counted_once():
    pauses = [
        (wita(MONDAY, 10, 30), wita(MONDAY, 11, 30)),
        (wita(MONDAY, 10), wita(MONDAY, 11)),
        (wita(MONDAY, 10, 45), wita(MONDAY, 11)),
        (wita(MONDAY, 10), wita(MONDAY, 11)),
    ]

    assert working_seconds(BUSINESS, wita(MONDAY, 9), wita(MONDAY, 13), pauses) == 4 * HOUR - 90 * 60
    assert deadline(BUSINESS, wita(MONDAY, 9), 120, pauses) == wita(MONDAY, 12, 30)


def test_adjacent_pauses_leave_no_running_second_between_them():
    pauses = [(wita(MONDAY, 10), wita(MONDAY, 11)), (wita(MONDAY, 11), wita(MONDAY, 12))]

    assert deadline(BUSINESS, wita(MONDAY, 9), 120, pauses) == wita(MONDAY, 13)


def test_a_pause_entirely_at_night_changes_nothing():
    pauses = [(wita(MONDAY, 18), wita(TUESDAY, 7))]

    assert deadline(BUSINESS, wita(MONDAY, 15), 120, pauses) == wita(TUESDAY, 9)
    assert working_seconds(BUSINESS, wita(MONDAY, 15), wita(TUESDAY, 9), pauses) == 2 * HOUR


def test_a_pause_reaching_outside_the_range_counts_only_its_part_inside():
    pauses = [(wita(SUNDAY, 12), wita(NEXT_MONDAY, 10)), (wita(NEXT_MONDAY, 11, 30), wita(15, 12))]

    assert working_seconds(BUSINESS, wita(NEXT_MONDAY, 9), wita(NEXT_MONDAY, 12), pauses) == 1 * HOUR + 30 * 60


def test_a_ticket_opened_during_a_pause_starts_its_clock_when_the_pause_ends():
    pauses = [(wita(MONDAY, 8), wita(MONDAY, 11))]

    assert deadline(BUSINESS, wita(MONDAY, 9), 60, pauses) == wita(MONDAY, 12)


def test_an_empty_pause_changes_nothing():
    pauses = [(wita(MONDAY, 10), wita(MONDAY, 10))]

    assert deadline(BUSINESS, wita(MONDAY, 9), 120, pauses) == wita(MONDAY, 11)


def test_a_priority_change_recomputes_the_deadline_from_the_original_start():
    # given a MEDIUM ticket opened Monday 09:00 that waited on the customer 10:00-11:00
    start = wita(MONDAY, 9)
    pauses = [(wita(MONDAY, 10), wita(MONDAY, 11))]

    # when it is raised to HIGH, the same start and pauses are kept and only the target changes
    medium = deadline(BUSINESS, start, 24 * 60, pauses)
    high = deadline(BUSINESS, start, 4 * 60, pauses)

    # then: 6 h on Monday, 8 h on Tuesday and Wednesday, 2 h on Thursday; HIGH 1 h + 3 h
    assert medium == wita(THURSDAY, 10)
    assert high == wita(MONDAY, 14)


def test_a_reopened_ticket_is_paused_from_resolution_to_reopening():
    # given a ticket opened Monday 09:00 with 8 h to resolve, pending 09:30-10:00,
    # resolved Monday 11:00 and reopened Wednesday 10:00
    start = wita(MONDAY, 9)
    pauses = [(wita(MONDAY, 9, 30), wita(MONDAY, 10)), (wita(MONDAY, 11), wita(WEDNESDAY, 10))]

    # when
    due = deadline(BUSINESS, start, 8 * 60, pauses)

    # then 1.5 h were used before resolution; 6 h on Wednesday and 30 min on Thursday remain
    assert due == wita(THURSDAY, 8, 30)
    assert working_seconds(BUSINESS, start, wita(WEDNESDAY, 10), pauses) == 90 * 60


# --- remaining time --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (wita(MONDAY, 8), 2 * HOUR),
        (wita(MONDAY, 15, 30), 90 * 60),
        (wita(MONDAY, 16), 1 * HOUR),
        (wita(TUESDAY, 7, 59), 1 * HOUR),
        (wita(TUESDAY, 9), 0),
        (wita(TUESDAY, 9, 0, 1), -1),
        (wita(WEDNESDAY, 9), -8 * HOUR),
    ],
    ids=["before-start", "running", "at-closing", "still-paused-before-opening", "due", "just-overdue", "overdue"],
)
def test_remaining_seconds(now, expected):
    # Monday 15:00 + 120 minutes is due Tuesday 09:00.
    assert remaining_seconds(BUSINESS, wita(MONDAY, 15), 120, [], now) == expected


def test_remaining_seconds_do_not_run_during_a_pause():
    pauses = [(wita(MONDAY, 9, 30), wita(MONDAY, 10, 30))]

    assert remaining_seconds(BUSINESS, wita(MONDAY, 9), 120, pauses, wita(MONDAY, 10, 15)) == 90 * 60
    assert remaining_seconds(BUSINESS, wita(MONDAY, 9), 120, pauses, wita(MONDAY, 12)) == 0


# --- another zone, across DST ----------------------------------------------------------


def test_amsterdam_deadline_across_the_end_of_summer_time():
    calendar = WorkingCalendar.business_hours(time_zone="Europe/Amsterdam")
    friday = datetime(2026, 10, 23, 15, 0, tzinfo=AMSTERDAM)  # 13:00 UTC, still CEST

    due = deadline(calendar, friday, 120)

    # Monday 09:00 local is CET by then: 08:00 UTC, not the 07:00 a fixed +02:00 would give.
    assert due == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
    assert due == datetime(2026, 10, 26, 9, 0, tzinfo=AMSTERDAM)
    assert working_seconds(calendar, friday, datetime(2026, 10, 26, 16, 0, tzinfo=AMSTERDAM)) == 9 * HOUR


def test_a_window_over_the_repeated_hour_lasts_its_real_length():
    # Sunday 01:00-04:00 local on 2026-10-25, when 02:00-03:00 happens twice: 4 real hours.
    calendar = WorkingCalendar(time_zone="Europe/Amsterdam", weekly_hours={6: (time(1), time(4))})
    opening = datetime(2026, 10, 25, 1, 0, tzinfo=AMSTERDAM)

    assert (
        working_seconds(calendar, datetime(2026, 10, 24, tzinfo=AMSTERDAM), datetime(2026, 10, 26, tzinfo=AMSTERDAM))
        == 4 * HOUR
    )
    assert deadline(calendar, opening, 210) == datetime(2026, 10, 25, 2, 30, tzinfo=UTC)


def test_a_window_over_the_skipped_hour_lasts_its_real_length():
    # Sunday 01:00-04:00 local on 2026-03-29, when 02:00-03:00 never happens: 2 real hours.
    calendar = WorkingCalendar(time_zone="Europe/Amsterdam", weekly_hours={6: (time(1), time(4))})

    assert (
        working_seconds(calendar, datetime(2026, 3, 28, tzinfo=AMSTERDAM), datetime(2026, 3, 30, tzinfo=AMSTERDAM))
        == 2 * HOUR
    )
    assert deadline(calendar, datetime(2026, 3, 29, 1, 0, tzinfo=AMSTERDAM), 90) == datetime(
        2026, 3, 29, 1, 30, tzinfo=UTC
    )


def test_a_window_ending_in_a_gap_that_crosses_midnight_is_counted_on_the_next_local_day():
    # Nuuk jumps from Saturday 23:00 (-02:00) to Sunday 00:00 (-01:00) on 2026-03-28. A Saturday
    # window closing at 23:30, which never happens, closes at 23:30 -02:00: Sunday 00:30 local.
    nuuk = ZoneInfo("America/Nuuk")
    calendar = WorkingCalendar(time_zone="America/Nuuk", weekly_hours={5: (time(22), time(23, 30))})
    sunday_midnight = datetime(2026, 3, 29, 0, 0, tzinfo=nuuk)

    assert working_seconds(calendar, sunday_midnight, datetime(2026, 3, 29, 12, 0, tzinfo=nuuk)) == 30 * 60
    assert deadline(calendar, sunday_midnight, 15) == datetime(2026, 3, 29, 1, 15, tzinfo=UTC)


def test_windows_that_a_dst_jump_makes_overlap_are_counted_once():
    # The Saturday window above runs 00:00-01:30 UTC, Sunday 00:00-02:00 local runs 01:00-03:00 UTC.
    nuuk = ZoneInfo("America/Nuuk")
    calendar = WorkingCalendar(
        time_zone="America/Nuuk", weekly_hours={5: (time(22), time(23, 30)), 6: (time(0), time(2))}
    )

    assert working_seconds(calendar, datetime(2026, 3, 28, tzinfo=nuuk), datetime(2026, 3, 30, tzinfo=nuuk)) == 3 * HOUR


# --- errors ----------------------------------------------------------------------------

NAIVE = datetime(2026, 12, 7, 9, 0)


@pytest.mark.parametrize(
    "call",
    [
        lambda: deadline(BUSINESS, NAIVE, 60),
        lambda: working_seconds(BUSINESS, NAIVE, wita(MONDAY, 10)),
        lambda: working_seconds(BUSINESS, wita(MONDAY, 9), NAIVE),
        lambda: remaining_seconds(BUSINESS, wita(MONDAY, 9), 60, [], NAIVE),
        lambda: deadline(BUSINESS, wita(MONDAY, 9), 60, [(NAIVE, wita(MONDAY, 10))]),
        lambda: deadline(BUSINESS, wita(MONDAY, 9), 60, [(wita(MONDAY, 8), NAIVE)]),
    ],
    ids=["deadline-start", "working-start", "working-end", "remaining-now", "pause-start", "pause-end"],
)
def test_naive_datetimes_are_refused(call):
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


def test_negative_minutes_are_refused():
    with pytest.raises(ValueError, match="negative"):
        deadline(BUSINESS, wita(MONDAY, 9), -1)
    with pytest.raises(ValueError, match="negative"):
        remaining_seconds(BUSINESS, wita(MONDAY, 9), -1, [], wita(MONDAY, 10))


@pytest.mark.parametrize("function", ["deadline", "working_seconds", "remaining_seconds"])
def test_a_pause_ending_before_it_starts_is_refused(function):
    backwards = [(wita(MONDAY, 11), wita(MONDAY, 10))]
    calls = {
        "deadline": lambda: deadline(BUSINESS, wita(MONDAY, 9), 60, backwards),
        "working_seconds": lambda: working_seconds(BUSINESS, wita(MONDAY, 9), wita(MONDAY, 12), backwards),
        "remaining_seconds": lambda: remaining_seconds(BUSINESS, wita(MONDAY, 9), 60, backwards, wita(MONDAY, 12)),
    }

    with pytest.raises(ValueError, match="pause ends before it starts"):
        calls[function]()


@pytest.mark.parametrize(
    ("weekly_hours", "message"),
    [
        ({}, "at least one weekday"),
        ({0: (time(8), time(8))}, "open before it closes"),
        ({0: (time(16), time(8))}, "open before it closes"),
        ({0: (time(8), time(16)), 7: (time(8), time(16))}, "weekday must be"),
        ({0: (time(8, tzinfo=UTC), time(16))}, "without a tzinfo"),
    ],
    ids=["no-weekday", "empty-window", "reversed-window", "weekday-7", "aware-time"],
)
def test_a_calendar_without_valid_working_time_is_refused(weekly_hours, message):
    with pytest.raises(ValueError, match=message):
        WorkingCalendar(time_zone="Asia/Makassar", weekly_hours=weekly_hours)


def test_business_hours_with_no_weekdays_or_closing_before_opening_are_refused():
    with pytest.raises(ValueError, match="at least one weekday"):
        WorkingCalendar.business_hours(weekdays=())
    with pytest.raises(ValueError, match="open before it closes"):
        WorkingCalendar.business_hours(start=time(16), end=time(8))


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(ValueError, match="unknown time zone"):
        WorkingCalendar.business_hours(time_zone="Asia/Manado")


def test_a_datetime_as_holiday_is_refused():
    with pytest.raises(ValueError, match="holidays must be dates"):
        WorkingCalendar.business_hours(holidays=[datetime(2026, 12, 25, tzinfo=WITA)])


def test_a_calendar_whose_every_working_day_is_a_holiday_fails_instead_of_looping():
    first_monday = date(2026, 12, 7)
    every_monday = [first_monday + timedelta(weeks=week) for week in range(MAX_SEARCH_DAYS // 7 + 2)]
    calendar = WorkingCalendar.business_hours(weekdays=[0], holidays=every_monday)

    with pytest.raises(ValueError, match=f"no deadline within {MAX_SEARCH_DAYS} days"):
        deadline(calendar, wita(MONDAY, 9), 1)
    # The working-time count over a bounded range still works: there is simply none.
    assert working_seconds(calendar, wita(MONDAY, 0), wita(MONDAY, 0, year=2027)) == 0


def test_the_search_is_bounded_even_on_24x7():
    start = wita(MONDAY, 9)

    assert deadline(ALWAYS, start, MAX_SEARCH_DAYS * 24 * 60) == start + timedelta(days=MAX_SEARCH_DAYS)
    with pytest.raises(ValueError, match="no deadline within"):
        deadline(ALWAYS, start, MAX_SEARCH_DAYS * 24 * 60 + 1)
    with pytest.raises(ValueError, match="no deadline within"):
        deadline(ALWAYS, start, 1, [(start, start + timedelta(days=MAX_SEARCH_DAYS + 1))])


# --- properties ------------------------------------------------------------------------

PROPERTY_CALENDARS = [
    ALWAYS,
    WorkingCalendar.business_hours(holidays=[date(2026, 12, 24), date(2026, 12, 25), date(2027, 1, 1)]),
    WorkingCalendar.business_hours(time_zone="Europe/Amsterdam", start=time(9), end=time(17, 30)),
    WorkingCalendar(
        time_zone="America/New_York",
        weekly_hours={0: (time(9, 30), time(12, 15)), 2: (time(13), time(21, 45)), 5: (time(0), time(23, 59))},
        holidays=frozenset({date(2026, 11, 4)}),
    ),
]
BASE = datetime(2026, 10, 20, tzinfo=UTC)  # so that DST ends in Amsterdam and New York fall in range


def _random_case(rng: random.Random, *, span_days: int) -> tuple[WorkingCalendar, datetime, list]:
    calendar = rng.choice(PROPERTY_CALENDARS)
    start = BASE + timedelta(seconds=rng.randrange(span_days * 86_400))
    pauses = []
    for _ in range(rng.randrange(7)):
        pause_start = start + timedelta(seconds=rng.randrange(-2 * 86_400, span_days * 86_400))
        pauses.append((pause_start, pause_start + timedelta(seconds=rng.randrange(3 * 86_400))))
    return calendar, start, pauses


def test_deadline_is_the_earliest_instant_with_exactly_the_target_worked_and_grows_with_the_target():
    rng = random.Random(1234)
    for _ in range(300):
        calendar, start, pauses = _random_case(rng, span_days=30)
        targets = sorted(
            rng.choice([rng.randrange(240), rng.randrange(5000), rng.randrange(90 * 24 * 60)]) for _ in range(4)
        )

        due_dates = [deadline(calendar, start, minutes, pauses) for minutes in targets]

        for minutes, due in zip(targets, due_dates, strict=True):
            case = (calendar, start, minutes, pauses)
            assert due >= start, case
            assert working_seconds(calendar, start, due, pauses) == minutes * 60, case
            if minutes:
                # the clock ran during the last second, so no earlier instant meets the target
                assert working_seconds(calendar, start, due - timedelta(seconds=1), pauses) == minutes * 60 - 1, case
            else:
                assert working_seconds(calendar, due, due + timedelta(seconds=1), pauses) == 1, case
        assert due_dates == sorted(due_dates), (calendar, start, targets, pauses)


def _minute_by_minute(calendar: WorkingCalendar, start: datetime, end: datetime, pauses: list) -> int:
    """Slow but plainly right: look at every minute and ask whether the clock runs in it."""
    zone = ZoneInfo(calendar.time_zone)
    seconds = 0
    moment = start
    while moment < end:
        local = moment.astimezone(zone)
        window = None if calendar.weekly_hours is None else calendar.weekly_hours.get(local.weekday())
        working = calendar.weekly_hours is None or (
            window is not None and local.date() not in calendar.holidays and window[0] <= local.time() < window[1]
        )
        if working and not any(pause_start <= moment < pause_end for pause_start, pause_end in pauses):
            seconds += 60
        moment += timedelta(minutes=1)
    return seconds


def test_working_seconds_agree_with_a_minute_by_minute_count():
    rng = random.Random(1234)

    def on_the_minute(moment: datetime) -> datetime:
        return moment.replace(second=0)

    for _ in range(120):
        calendar, start, pauses = _random_case(rng, span_days=4)
        start = on_the_minute(start)
        pauses = [(on_the_minute(pause_start), on_the_minute(pause_end)) for pause_start, pause_end in pauses]
        end = start + timedelta(minutes=rng.randrange(4 * 24 * 60))

        assert working_seconds(calendar, start, end, pauses) == _minute_by_minute(calendar, start, end, pauses), (
            calendar,
            start,
            end,
            pauses,
        )
