"""The SLA sweep (tickets/sla_sweep.py) over the tickets bench/sla_data.py wrote.

1. Times the beat task's work at NOW, `sweep(now=NOW)` then `notify_at_risk` (the e-mails
   composed and handed to Django's locmem backend), each kind committing: the first run marks the
   tickets that crossed a line in the last minute (about 1,000 per kind), the second,
   straight after, finds nothing. Each repetition starts after a CHECKPOINT, so every
   page the sweep changes costs a full-page image in the WAL, as it mostly does in
   production where the rows crossing a line are different every minute. Between
   repetitions the marks are undone and the events deleted, then VACUUM ANALYZE.
2. Prints EXPLAIN (ANALYZE, BUFFERS) of the SELECT each kind runs, built with the same
   queryset as `_mark`, and EXPLAIN (ANALYZE, BUFFERS, WAL) of one kind's UPDATE, in
   transactions rolled back.
3. The catch-up after the sweep was down for an hour: `sweep(now=NOW + 1 h)` again and
   again until it marks nothing, BATCH (5,000) per kind per run.

Each run's statements are timed through an execute wrapper, so the report says where the
time goes, with the CPU time of this process and of its PostgreSQL backend, the time both
spent queued for a core (on a shared machine the wall time grows with the other work; wall
less queued does not), the WAL written (the server's, so other databases' writes count
too) and the load average. It reads the backend's /proc entry, so PostgreSQL must run on
this machine. This is a benchmark: it prints numbers and asserts no speed. The database
is dropped at the end unless --keep is given.
"""

import argparse
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import sla_data

CATCH_UP = timedelta(hours=1)


@dataclass
class StatementTimes:
    """Seconds spent in the database per kind of statement, from Django's execute wrapper."""

    seconds: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            verb = sql.split(None, 1)[0].upper()
            self.seconds[verb] = self.seconds.get(verb, 0.0) + time.perf_counter() - started
            self.counts[verb] = self.counts.get(verb, 0) + 1

    def summary(self) -> str:
        return ", ".join(
            f"{verb} {self.counts[verb]}x {seconds * 1000:.0f} ms" for verb, seconds in sorted(self.seconds.items())
        )


@dataclass
class Run:
    label: str
    seconds: float
    marked: dict[str, int]
    statements: StatementTimes
    cpu_python: float
    cpu_postgres: float
    queued: float
    wal_bytes: int
    load: float

    def line(self) -> str:
        marked = " / ".join(f"{count:,}" for count in self.marked.values())
        return (
            f"  {self.label:<26} {self.seconds * 1000:>6.0f} ms  marked {marked:<21} "
            f"CPU {self.cpu_python * 1000:>3.0f} + {self.cpu_postgres * 1000:>3.0f} ms  "
            f"queued {self.queued * 1000:>4.0f} ms  WAL {self.wal_bytes / 2**20:>3.0f} MB  load {self.load:.1f}  "
            f"[{self.statements.summary()}]"
        )


def scalar(query: str, params=()):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchone()[0]


def checkpoint() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")


def scheduler_seconds(path: str) -> tuple[float, float]:
    """(on a CPU, waiting in the run queue for one) of a thread, from Linux's schedstat."""
    on_cpu, queued, _slices = Path(path).read_text().split()
    return int(on_cpu) / 1e9, int(queued) / 1e9


def timed_sweep(label: str, now: datetime):
    """Wall time, and the scheduler's account of this process and its PostgreSQL backend:
    time on a CPU, and time queued for one. The two take turns (one query at a time), so
    the wall time less the queueing is what the sweep would take with the cores to itself."""
    from django.db import connection

    from tickets.sla_notifications import notify_at_risk
    from tickets.sla_sweep import LINES, sweep

    statements = StatementTimes()
    load = os.getloadavg()[0]
    backend = f"/proc/{scalar('SELECT pg_backend_pid()')}/schedstat"
    wal_before = scalar("SELECT pg_current_wal_lsn()")
    python_before, backend_before = scheduler_seconds("/proc/thread-self/schedstat"), scheduler_seconds(backend)
    with connection.execute_wrapper(statements):
        started = time.perf_counter()
        # The beat task's whole work (tickets.tasks.sweep_sla): the marks, then the
        # at-risk e-mails composed and handed to the mail backend (locmem: no SMTP here).
        result = sweep(now=now)
        notify_at_risk(result.at_risk)
        seconds = time.perf_counter() - started
    python_after, backend_after = scheduler_seconds("/proc/thread-self/schedstat"), scheduler_seconds(backend)
    cpu_python, cpu_postgres = python_after[0] - python_before[0], backend_after[0] - backend_before[0]
    queued = python_after[1] - python_before[1] + backend_after[1] - backend_before[1]
    wal_bytes = int(scalar("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)", [wal_before]))
    marked = {name: len(getattr(result, name)) for name in LINES}
    run = Run(label, seconds, marked, statements, cpu_python, cpu_postgres, queued, wal_bytes, load)
    return run, result


def undo(results) -> None:
    """Unmark what the sweeps marked and delete their events, then VACUUM ANALYZE so that
    the next repetition reads tables without the dead rows of this one."""
    from django.db import connection

    from tickets.models import EventKind
    from tickets.sla_sweep import LINES

    kinds = [EventKind.SLA_RESPONSE_BREACHED, EventKind.SLA_RESOLUTION_BREACHED, EventKind.SLA_AT_RISK]
    with connection.cursor() as cursor:
        for name, line in LINES.items():
            ids = [pk for result in results for pk in getattr(result, name)]
            cursor.execute(f"UPDATE tickets_ticket SET {line.mark_field} = NULL WHERE id = ANY(%s)", [ids])
        # Raw SQL on purpose: events are append-only in the product, but these are the
        # bench's own, in its own database.
        cursor.execute("DELETE FROM tickets_ticketevent WHERE kind = ANY(%s)", [[str(kind) for kind in kinds]])
        cursor.execute("VACUUM (ANALYZE) tickets_ticket, tickets_ticketevent")


def explain_selects(now: datetime) -> None:
    from django.db import connection, transaction

    from tickets.sla_sweep import BATCH, LINES, crossed

    for name, line in LINES.items():
        # The queryset _mark builds, word for word.
        queryset = (
            crossed(line, now)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by(line.deadline_field)
            .values_list("pk", line.deadline_field)[:BATCH]
        )
        # Compiled inside the transaction: Django refuses FOR UPDATE outside one.
        with transaction.atomic(), connection.cursor() as cursor:
            sql, params = queryset.query.sql_with_params()
            readable = str(queryset.query)  # parameters interpolated for reading, not to run
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = [row[0] for row in cursor.fetchall()]
            transaction.set_rollback(True)
        print(f"\n{name} at {now:%H:%M}:\n  {readable}")
        print("\n".join("  " + row for row in plan))


def explain_update(now: datetime) -> None:
    """The UPDATE _mark sends for the response kind (Django writes the same statement with
    an IN list), after a CHECKPOINT, rolled back."""
    from django.db import connection, transaction

    from tickets.sla_sweep import BATCH, LINES, crossed

    line = LINES["response_breached"]
    checkpoint()
    with transaction.atomic(), connection.cursor() as cursor:
        ids = list(crossed(line, now).order_by(line.deadline_field).values_list("pk", flat=True)[:BATCH])
        sql = (
            f"UPDATE tickets_ticket SET {line.mark_field} = {line.deadline_field} "
            f"WHERE id IN ({', '.join(['%s'] * len(ids))})"
        )
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, WAL) " + sql, ids)
        plan = [row[0] for row in cursor.fetchall()]
        transaction.set_rollback(True)
    print(f"\n  UPDATE tickets_ticket SET {line.mark_field} = {line.deadline_field} WHERE id IN (<{len(ids)} ids>)")
    print("\n".join("  " + (row if len(row) < 150 else row[:146] + " ...") for row in plan))


def steady_state(repetitions: int) -> None:
    # As the previous minute's beat run would have: the connection is open, the code is
    # warm, and nothing is due at NOW - 1 min (everything before it is marked).
    warm_up, _ = timed_sweep("warm-up at NOW - 1 min", sla_data.NOW - timedelta(minutes=1))
    print(warm_up.line(), flush=True)
    for repetition in range(1, repetitions + 1):
        checkpoint()
        first, first_result = timed_sweep(f"#{repetition} ~1,000 crossing/kind", sla_data.NOW)
        print(first.line(), flush=True)
        second, second_result = timed_sweep(f"#{repetition} nothing to do", sla_data.NOW)
        print(second.line(), flush=True)
        undo([first_result, second_result])


def catch_up() -> None:
    runs, results = [], []
    now = sla_data.NOW + CATCH_UP
    checkpoint()
    while True:
        run, result = timed_sweep(f"catch-up run {len(runs) + 1}", now)
        runs.append(run)
        results.append(result)
        print(run.line(), flush=True)
        if not any(run.marked.values()):
            break
    total = sum(sum(run.marked.values()) for run in runs)
    seconds = sum(run.seconds for run in runs)
    per_mark = seconds / total * 1000
    print(f"  {len(runs)} runs, {total:,} marks in {seconds:.1f} s of sweeping ({per_mark:.2f} ms a mark)")
    undo(results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the database (about 1.2 GB for 1,000,000 tickets)")
    parser.add_argument("--skip-catch-up", action="store_true", help="leave out the catch-up (about 2 minutes)")
    options = parser.parse_args()
    sla_data.setup_django()
    from django.conf import settings as django_settings
    from django.db import connection

    # Messages are composed and kept in memory: no mail server here, none to time.
    django_settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    from tickets.sla_sweep import BATCH

    try:
        connection.ensure_connection()
        settings = ", ".join(
            f"{name} {scalar('SELECT current_setting(%s)', [name])}"
            for name in ["shared_buffers", "max_wal_size", "synchronous_commit", "wal_compression"]
        )
        print(f"{scalar('SELECT version()').split(' on ')[0]}: {settings}; {os.cpu_count()} cores")
        sla_data.describe()
        # Every group gets an address, so that each run composes its at-risk e-mails.
        from tickets.models import SupportGroup

        SupportGroup.objects.update(email="desk-supervisors@banksulutgo.example")
        print(f"\nSweep at NOW={sla_data.NOW:%Y-%m-%d %H:%M} UTC, BATCH={BATCH}")
        print("marked: response / resolution / at risk; WAL: the server's, from pg_current_wal_lsn()")
        steady_state(options.repetitions)
        print("\nEXPLAIN (ANALYZE, BUFFERS) of each kind's SELECT at NOW (rolled back):")
        explain_selects(sla_data.NOW)
        print(
            "\nEXPLAIN (ANALYZE, BUFFERS, WAL) of the response kind's UPDATE at NOW after a CHECKPOINT (rolled back):"
        )
        explain_update(sla_data.NOW)
        if not options.skip_catch_up:
            print("\nEXPLAIN (ANALYZE, BUFFERS) at NOW + 1 h, the first catch-up run (rolled back):")
            explain_selects(sla_data.NOW + CATCH_UP)
            print("\nCatch-up: the sweep was down for an hour; sweep at NOW + 1 h until nothing is left:")
            catch_up()
    finally:
        connection.close()
        if not options.keep:
            sla_data.drop_database()
            print(f"\nDropped {sla_data.DATABASE_NAME} (--keep keeps it).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
