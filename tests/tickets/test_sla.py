"""SLA deadlines on the 24x7 calendar and the breach rule of DESIGN.md."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tickets.sla import DEFAULT_TARGETS, compute_deadlines, hours, is_breached

WITA = ZoneInfo("Asia/Makassar")
START = datetime(2024, 3, 8, 9, 0, tzinfo=WITA)  # a Friday morning in Manado


@pytest.mark.parametrize(
    ("priority", "response_minutes", "resolution_minutes"),
    [("CRITICAL", 15, 120), ("HIGH", 60, 240), ("MEDIUM", 240, 1440), ("LOW", 480, 4320)],
)
def test_default_targets_are_those_of_the_design(priority, response_minutes, resolution_minutes):
    assert DEFAULT_TARGETS[priority] == (response_minutes, resolution_minutes)


def test_default_targets_cover_exactly_the_four_priorities():
    assert set(DEFAULT_TARGETS) == {"LOW", "MEDIUM", "HIGH", "CRITICAL"}


@pytest.mark.parametrize(
    ("priority", "response", "resolution"),
    [
        ("CRITICAL", datetime(2024, 3, 8, 9, 15, tzinfo=WITA), datetime(2024, 3, 8, 11, 0, tzinfo=WITA)),
        ("HIGH", datetime(2024, 3, 8, 10, 0, tzinfo=WITA), datetime(2024, 3, 8, 13, 0, tzinfo=WITA)),
        ("MEDIUM", datetime(2024, 3, 8, 13, 0, tzinfo=WITA), datetime(2024, 3, 9, 9, 0, tzinfo=WITA)),
        ("LOW", datetime(2024, 3, 8, 17, 0, tzinfo=WITA), datetime(2024, 3, 11, 9, 0, tzinfo=WITA)),
    ],
)
def test_default_deadlines_run_on_the_24x7_calendar(priority, response, resolution):
    response_minutes, resolution_minutes = DEFAULT_TARGETS[priority]

    deadlines = compute_deadlines(start=START, response_minutes=response_minutes, resolution_minutes=resolution_minutes)

    assert deadlines.response == response
    assert deadlines.resolution == resolution


def test_deadlines_run_through_the_night_and_into_the_new_year():
    start = datetime(2024, 12, 31, 22, 30, tzinfo=WITA)

    deadlines = compute_deadlines(start=start, response_minutes=240, resolution_minutes=1440)

    assert deadlines.response == datetime(2025, 1, 1, 2, 30, tzinfo=WITA)
    assert deadlines.resolution == datetime(2025, 1, 1, 22, 30, tzinfo=WITA)


# HIGH defaults from START: response due 10:00, resolution due 13:00.
RESPONSE_DUE = START + timedelta(hours=1)
RESOLUTION_DUE = START + timedelta(hours=4)


def _breached(*, now, first_response_at=None, resolved_at=None) -> bool:
    return is_breached(
        now=now,
        response_deadline=RESPONSE_DUE,
        resolution_deadline=RESOLUTION_DUE,
        first_response_at=first_response_at,
        resolved_at=resolved_at,
    )


def test_not_breached_before_both_deadlines_without_a_response():
    assert _breached(now=RESPONSE_DUE - timedelta(minutes=1)) is False


def test_not_breached_a_microsecond_before_the_response_deadline():
    assert _breached(now=RESPONSE_DUE - timedelta(microseconds=1)) is False


def test_breached_at_the_exact_response_deadline_as_the_sweep_marks_it():
    # The sweep marks `deadline <= now`; the status answer and the admin agree at the instant.
    assert _breached(now=RESPONSE_DUE) is True


def test_breached_once_the_response_deadline_passes_without_a_first_response():
    assert _breached(now=RESPONSE_DUE + timedelta(seconds=1)) is True


def test_a_first_response_after_the_deadline_stays_breached():
    late_reply = RESPONSE_DUE + timedelta(minutes=5)

    assert _breached(now=late_reply + timedelta(minutes=1), first_response_at=late_reply) is True


def test_a_late_first_response_stays_breached_after_an_in_time_resolution():
    late_reply = RESPONSE_DUE + timedelta(minutes=5)
    resolved = RESOLUTION_DUE - timedelta(minutes=30)

    assert _breached(now=RESOLUTION_DUE + timedelta(days=2), first_response_at=late_reply, resolved_at=resolved) is True


def test_a_first_response_in_time_keeps_the_response_deadline_met_after_it_passes():
    assert _breached(now=RESPONSE_DUE + timedelta(hours=1), first_response_at=RESPONSE_DUE) is False


def test_not_breached_when_response_and_resolution_both_came_in_time():
    reply = START + timedelta(minutes=20)
    resolved = RESOLUTION_DUE - timedelta(minutes=1)

    assert _breached(now=RESOLUTION_DUE + timedelta(days=30), first_response_at=reply, resolved_at=resolved) is False


def test_breached_once_the_resolution_deadline_passes_unresolved():
    reply = START + timedelta(minutes=20)

    assert _breached(now=RESOLUTION_DUE + timedelta(seconds=1), first_response_at=reply) is True


def test_a_resolution_after_the_deadline_stays_breached():
    reply = START + timedelta(minutes=20)
    late_resolution = RESOLUTION_DUE + timedelta(minutes=10)

    assert (
        _breached(now=late_resolution + timedelta(days=1), first_response_at=reply, resolved_at=late_resolution) is True
    )


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(240, 4), (90, 1.5), (15, 0.25), (60, 1), (1440, 24), (4320, 72)],
)
def test_hours_converts_minutes_for_sla_hours(minutes, expected):
    assert hours(minutes) == expected


@pytest.mark.parametrize("minutes", [60, 240, 1440])
def test_hours_is_a_whole_number_when_it_is_one(minutes):
    assert type(hours(minutes)) is int
