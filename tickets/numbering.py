"""Ticket numbers: INC-<year>-<seq>, the sequence zero-padded to 4 and growing past it,
a new sequence each calendar year in the bank's time zone (settings.TIME_ZONE). Pure;
tickets/number_allocation.py hands out the sequences."""

import re
from datetime import datetime

from django.utils import timezone

NUMBER_PATTERN = re.compile(r"INC-(?P<year>[0-9]{4})-(?P<seq>[0-9]{4,})")


def format_number(year: int, sequence: int) -> str:
    return f"INC-{year}-{sequence:04d}"


def parse_number(number: str) -> tuple[int, int] | None:
    match = NUMBER_PATTERN.fullmatch(number)
    if match is None:
        return None
    return int(match["year"]), int(match["seq"])


def numbering_year(moment: datetime) -> int:
    return timezone.localtime(moment).year
