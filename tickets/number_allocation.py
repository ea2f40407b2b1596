"""Hands out ticket numbers without serialising concurrent creates.

On PostgreSQL each year has its own database sequence: nextval() neither blocks nor rolls
back, so two creates never wait on each other and never collide (gaps are allowed). Other
databases (the embedded SQLite) use a counter row; SQLite serialises writers anyway."""

from datetime import datetime

from django.db import IntegrityError, ProgrammingError, connection, transaction

from tickets.models import TicketNumberCounter
from tickets.numbering import format_number, numbering_year


def sequence_name(year: int) -> str:
    return f"ticket_number_{int(year)}"


def _next_from_postgres_sequence(year: int) -> int:
    name = sequence_name(year)
    with connection.cursor() as cursor:
        # One round trip once the year's sequence exists; no row when it does not yet.
        cursor.execute(
            "SELECT nextval(c.oid::regclass) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relname = %s AND c.relkind = 'S' AND n.nspname = current_schema()",
            [name],
        )
        row = cursor.fetchone()
        if row is not None:
            return row[0]
        # The first ticket of a year creates the sequence. Two creates racing on it may both
        # try; the loser's savepoint rolls back and it draws from the winner's sequence.
        try:
            with transaction.atomic():
                cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {name}")
        except (IntegrityError, ProgrammingError):  # duplicate type or relation: it exists now
            pass
        cursor.execute(f"SELECT nextval('{name}')")
        return cursor.fetchone()[0]


def _next_from_counter_row(year: int) -> int:
    # One atomic upsert (SQLite 3.35+ and PostgreSQL both speak it): no read-then-write race.
    table = connection.ops.quote_name(TicketNumberCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (year, last_value) VALUES (%s, 1) "  # noqa: S608 - the table name is ours
            "ON CONFLICT (year) DO UPDATE SET last_value = last_value + 1 RETURNING last_value",
            [year],
        )
        return cursor.fetchone()[0]


def allocate_number(moment: datetime) -> str:
    year = numbering_year(moment)
    allocate = _next_from_postgres_sequence if connection.vendor == "postgresql" else _next_from_counter_row
    sequence = allocate(year)
    return format_number(year, sequence)
