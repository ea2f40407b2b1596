"""Security tests (issue 9): each pins one defence with an exact expectation, so that it
fails when the defence is removed. docs/security.md maps every threat to its tests,
these and the ones kept next to the code they guard."""

from django.db import connection


def database_rows(*, ignore_columns: frozenset[str] = frozenset()) -> dict[str, list[tuple]]:
    """Every row of every table of ours and Django's, {table: rows in a fixed order},
    for "nothing changed" comparisons and for finding text that must never be stored."""
    tables = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            columns = [column[0] for column in cursor.description]
            kept = [index for index, column in enumerate(columns) if column not in ignore_columns]
            rows = [tuple((columns[i], _plain(row[i])) for i in kept) for row in cursor.fetchall()]
            tables[table] = sorted(rows, key=repr)
    return tables


def cells_containing(needle: str) -> list[str]:
    """`table.column` of every stored value whose text (or bytes) contains `needle`."""
    found = []
    for table, rows in database_rows().items():
        for row in rows:
            for column, value in row:
                text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
                if needle in text:
                    found.append(f"{table}.{column}")
    return found


def _plain(value):
    return bytes(value) if isinstance(value, memoryview) else value
