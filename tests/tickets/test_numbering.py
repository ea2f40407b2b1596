"""Ticket numbers INC-<year>-<seq> and the year they are counted in (Asia/Makassar)."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tickets.numbering import format_number, numbering_year, parse_number


@pytest.mark.parametrize(
    ("year", "sequence", "expected"),
    [
        (2024, 1, "INC-2024-0001"),
        (2024, 42, "INC-2024-0042"),
        (2024, 9999, "INC-2024-9999"),
        (2024, 10000, "INC-2024-10000"),
        (2024, 12345, "INC-2024-12345"),
        (2025, 1, "INC-2025-0001"),
    ],
)
def test_format_number_pads_the_sequence_to_four_digits_and_grows_past_it(year, sequence, expected):
    assert format_number(year, sequence) == expected


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("INC-2024-0001", (2024, 1)),
        ("INC-2024-0042", (2024, 42)),
        ("INC-2024-9999", (2024, 9999)),
        ("INC-2024-12345", (2024, 12345)),
        ("INC-2031-1000000", (2031, 1000000)),
    ],
)
def test_parse_number_reads_year_and_sequence(number, expected):
    assert parse_number(number) == expected


@pytest.mark.parametrize(("year", "sequence"), [(2024, 1), (2024, 9999), (2024, 10000), (2099, 123456)])
def test_parse_number_round_trips_format_number(year, sequence):
    assert parse_number(format_number(year, sequence)) == (year, sequence)


@pytest.mark.parametrize(
    "number",
    [
        "",
        "INC",
        "INC-2024",
        "INC-2024-",
        "INC-2024-001",
        "INC-24-0001",
        "INC-20245-0001",
        "INC-2024-00a1",
        "INC-2024-0001-",
        "INC_2024_0001",
        "TKT-2024-0001",
        "XINC-2024-0001",
        " INC-2024-0001",
        "INC-2024-0001 ",
        "INC-2024-0001\n",
        "INC-2024--001",
        "INC-2024-+001",
        "INC-\u0662\u0660\u0662\u0664-\u0660\u0660\u0660\u0661",  # Arabic-Indic digits (Unicode \d)
        "INC-2024-0001/../0002",
    ],
)
def test_parse_number_rejects_malformed_strings(number):
    assert parse_number(number) is None


def test_numbering_year_is_already_the_next_year_at_midnight_in_makassar():
    assert numbering_year(datetime(2024, 12, 31, 16, 0, 0, tzinfo=UTC)) == 2025


def test_numbering_year_is_still_the_old_year_one_second_before_midnight_in_makassar():
    assert numbering_year(datetime(2024, 12, 31, 15, 59, 59, tzinfo=UTC)) == 2024


def test_numbering_year_converts_other_time_zones_to_makassar():
    jakarta = timezone(timedelta(hours=7))
    # 23:30 in Jakarta (WIB) is 00:30 the next day in Manado (WITA).
    assert numbering_year(datetime(2024, 12, 31, 23, 30, tzinfo=jakarta)) == 2025
    assert numbering_year(datetime(2024, 12, 31, 22, 59, 59, tzinfo=jakarta)) == 2024


def test_numbering_year_in_mid_year_is_the_calendar_year():
    assert numbering_year(datetime(2024, 6, 15, 12, 0, tzinfo=UTC)) == 2024
