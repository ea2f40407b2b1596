"""Hands out ticket numbers, with the moment each was handed out, without serialising
concurrent creates.

On PostgreSQL each year has its own database sequence: nextval() neither blocks for long
nor rolls back, so creates never collide (gaps are allowed). The number and the creation
time are read in one statement under an advisory lock held only for that statement, so
numbers increase with creation time even across processes. Other databases (the embedded
SQLite) use a counter row; SQLite serialises writing transactions anyway."""

from datetime import datetime

from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.utils import timezone

from tickets.models import TicketNumberCounter
from tickets.numbering import format_number, numbering_year

# An arbitrary constant naming "ticket numbering" among PostgreSQL advisory locks.
ADVISORY_LOCK_ID = 0x5D_7A_11E7


def sequence_name(year: int) -> str:
    return f"ticket_number_{int(year)}"


def _draw(cursor, name: str) -> tuple[int, datetime] | None:
    # Evaluated left to right: lock, draw, read the clock, unlock. No row when the year's
    # sequence does not exist yet.
    cursor.execute(
        "SELECT pg_advisory_lock(%s), nextval(c.oid::regclass), clock_timestamp(), pg_advisory_unlock(%s)"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relname = %s AND c.relkind = 'S' AND n.nspname = current_schema()",
        [ADVISORY_LOCK_ID, ADVISORY_LOCK_ID, name],
    )
    row = cursor.fetchone()
    return None if row is None else (row[1], row[2])


def _next_from_postgres_sequence(year: int) -> tuple[int, datetime]:
    name = sequence_name(year)
    with connection.cursor() as cursor:
        drawn = _draw(cursor, name)
        if drawn is not None:
            return drawn
        # The first ticket of a year creates the sequence. Two creates racing on it may both
        # try; the loser's savepoint rolls back and it draws from the winner's sequence.
        try:
            with transaction.atomic():
                cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {name}")
        except (IntegrityError, ProgrammingError):  # duplicate type or relation: it exists now
            pass
        drawn = _draw(cursor, name)
        if drawn is None:  # created by a transaction that has not committed yet
            raise ProgrammingError(f"Sequence {name} is not visible yet")
        return drawn


def _next_from_counter_row(year: int) -> tuple[int, datetime]:
    # One atomic upsert (SQLite 3.35+ and PostgreSQL both speak it): no read-then-write race.
    table = connection.ops.quote_name(TicketNumberCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (year, last_value) VALUES (%s, 1) "  # noqa: S608 - the table name is ours
            "ON CONFLICT (year) DO UPDATE SET last_value = last_value + 1 RETURNING last_value",
            [year],
        )
        return cursor.fetchone()[0], timezone.now()


def allocate_number(moment: datetime | None = None) -> tuple[str, datetime]:
    """The next ticket number and the creation time that goes with it. `moment` fixes
    the time (data imports, tests); by default it is the database's clock at allocation."""
    year = numbering_year(moment or timezone.now())
    allocate = _next_from_postgres_sequence if connection.vendor == "postgresql" else _next_from_counter_row
    sequence, allocated_at = allocate(year)
    return format_number(year, sequence), moment or allocated_at
