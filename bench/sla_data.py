"""Open tickets for the SLA sweep benchmark (bench/sla_sweep_bench.py), straight in SQL.

Creates the database BENCH_SLA_DATABASE (servicedesk_bench_sla) afresh, migrates it, loads
the reference data, then writes --tickets tickets (1,000,000) with one INSERT ... SELECT
FROM generate_series, one CREATED event each, and VACUUM ANALYZE.

The deadlines are laid out around a fixed moment, NOW, which the sweep bench passes as the
sweep's `now`, so the data does not age between the two scripts. random() is seeded, so
two runs write the same tickets. Each of the three deadlines (response, resolution,
at-risk) is drawn on its own, so that each kind has its own tickets crossing the line:

- 70 % of the tickets run (OPEN 40 %, IN_PROGRESS 30 %); PENDING, RESOLVED and CLOSED
  10 % each, their clock stopped;
- 25 % of the deadlines lie in the past 30 days and were marked then (breached_at or
  at_risk_notified_at set; for the response, half had their first reply in time);
- --per-minute (1,000) running tickets per kind crossed their line in the last minute,
  (NOW - 60 s, NOW], and are not marked yet: what one sweep has to do;
- 60 x --per-minute lie in the next hour, (NOW, NOW + 1 h]: sweeping at NOW + 1 h is the
  catch-up after the sweep was down for an hour;
- the rest are spread over the next 30 days (half of them already answered, for the
  response).

A real ticket's at-risk moment comes before its resolution deadline; here they are
independent, which the sweep does not depend on. Production settings, as bench/run.py:
DEBUG off (DEBUG would keep every query in memory), PostgreSQL only.
"""

import argparse
import os
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("BENCH_ADMIN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DATABASE_NAME = os.environ.get("BENCH_SLA_DATABASE", "servicedesk_bench_sla")
DATABASE_URL = ADMIN_URL.rsplit("/", 1)[0] + "/" + DATABASE_NAME
# 10:00 in Manado (WITA). Fixed, so that the bench can run any time after the data.
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
PARTNER_CODE = "BENCH-SLA"
CUSTOMERS = 1000
RUNNING_SHARE = 0.7  # must match the status shares in TICKETS_SQL
PAST_SHARE = 0.25

TICKETS_SQL = """
WITH drawn AS (
    SELECT g, random() AS u_status, random() AS u_priority, random() AS u_service, random() AS u_channel,
        random() AS u_answered,
        random() AS u_response, random() AS v_response,
        random() AS u_resolution, random() AS v_resolution,
        random() AS u_at_risk, random() AS v_at_risk
    FROM generate_series(1, %(tickets)s) AS g
),
shaped AS (
    SELECT g, u_service, u_channel, u_answered,
        CASE WHEN u_status < 0.4 THEN 'OPEN' WHEN u_status < 0.7 THEN 'IN_PROGRESS'
             WHEN u_status < 0.8 THEN 'PENDING' WHEN u_status < 0.9 THEN 'RESOLVED' ELSE 'CLOSED' END AS status,
        CASE WHEN u_priority < 0.05 THEN 'CRITICAL' WHEN u_priority < 0.25 THEN 'HIGH'
             WHEN u_priority < 0.75 THEN 'MEDIUM' ELSE 'LOW' END AS priority,
        u_response < %(past)s AS response_past,
        u_response >= %(future)s AS response_later,
        CASE WHEN u_response < %(past)s THEN %(now)s - interval '1 minute' - v_response * interval '30 days'
             WHEN u_response < %(crossing)s THEN %(now)s - v_response * interval '1 minute'
             WHEN u_response < %(future)s THEN %(now)s + (1 - v_response) * interval '1 hour'
             ELSE %(now)s + interval '1 hour' + v_response * interval '29 days 23 hours' END AS response_deadline,
        u_resolution < %(past)s AS resolution_past,
        CASE WHEN u_resolution < %(past)s THEN %(now)s - interval '1 minute' - v_resolution * interval '30 days'
             WHEN u_resolution < %(crossing)s THEN %(now)s - v_resolution * interval '1 minute'
             WHEN u_resolution < %(future)s THEN %(now)s + (1 - v_resolution) * interval '1 hour'
             ELSE %(now)s + interval '1 hour' + v_resolution * interval '29 days 23 hours' END AS resolution_deadline,
        u_at_risk < %(past)s AS at_risk_past,
        CASE WHEN u_at_risk < %(past)s THEN %(now)s - interval '1 minute' - v_at_risk * interval '30 days'
             WHEN u_at_risk < %(crossing)s THEN %(now)s - v_at_risk * interval '1 minute'
             WHEN u_at_risk < %(future)s THEN %(now)s + (1 - v_at_risk) * interval '1 hour'
             ELSE %(now)s + interval '1 hour' + v_at_risk * interval '29 days 23 hours' END AS at_risk_at
    FROM drawn
),
dated AS (
    SELECT shaped.*, targets.response_minutes, targets.resolution_minutes,
        least(response_deadline, resolution_deadline, at_risk_at)
            - targets.response_minutes * interval '1 minute' AS created_at
    FROM shaped
    JOIN (VALUES ('CRITICAL', 15, 120), ('HIGH', 60, 240), ('MEDIUM', 240, 1440), ('LOW', 480, 4320))
        AS targets (priority, response_minutes, resolution_minutes) USING (priority)
)
INSERT INTO tickets_ticket (
    number, public_id, partner_id, api_key_id, channel, channel_reference_id, request_id, service_id,
    support_group_id, branch_id, customer_id, assignee_id, title, description, category, requested_priority,
    priority, status, amount, amount_currency, metadata, webhook_url, api_version, preferred_language,
    response_target_minutes, resolution_target_minutes, response_deadline, resolution_deadline,
    resolution_at_risk_at, first_response_at, sla_paused_at, response_breached_at, resolution_breached_at,
    at_risk_notified_at, created_at, updated_at, resolved_at, closed_at, cancelled_at)
SELECT
    'INC-2026-' || lpad(g::text, 7, '0'),
    'tkt_' || substr(md5('sla-bench-' || g), 1, 20),
    %(partner)s, NULL,
    (%(channels)s::text[])[1 + floor(u_channel * cardinality(%(channels)s::text[]))::int],
    'SLA-BENCH-' || g, '',
    (%(services)s::bigint[])[1 + floor(u_service * cardinality(%(services)s::bigint[]))::int],
    (%(groups)s::bigint[])[1 + floor(u_service * cardinality(%(groups)s::bigint[]))::int],
    NULL,
    (%(customers)s::bigint[])[1 + g %% cardinality(%(customers)s::bigint[])],
    NULL,
    'Bench ticket ' || g, 'Written by bench/sla_data.py for the SLA sweep benchmark.', '', '',
    priority, status, NULL, '', '{}'::jsonb, '', '1.0', 'id',
    response_minutes, resolution_minutes, response_deadline, resolution_deadline, at_risk_at,
    -- Half the tickets whose response deadline is past or more than an hour away were answered.
    CASE WHEN (response_past OR response_later) AND u_answered < 0.5
         THEN least(response_deadline, %(now)s) - interval '5 minutes' END,
    CASE WHEN status IN ('PENDING', 'RESOLVED', 'CLOSED') THEN created_at + interval '10 minutes' END,
    CASE WHEN response_past AND u_answered >= 0.5 THEN response_deadline END,
    CASE WHEN resolution_past THEN resolution_deadline END,
    CASE WHEN at_risk_past THEN at_risk_at END,
    created_at,
    created_at + interval '10 minutes',
    CASE WHEN status IN ('RESOLVED', 'CLOSED') THEN created_at + interval '10 minutes' END,
    CASE WHEN status = 'CLOSED' THEN created_at + interval '10 minutes' END,
    NULL
FROM dated
"""

EVENTS_SQL = """
INSERT INTO tickets_ticketevent (ticket_id, kind, actor_type, actor_user_id, actor_partner_id, actor_label,
    from_value, to_value, data, created_at)
SELECT id, 'CREATED', 'PARTNER', NULL, partner_id, %(partner_code)s, '', 'OPEN',
    jsonb_build_object('priority', priority, 'channel', channel), created_at
FROM tickets_ticket
"""


def setup_django() -> None:
    """Point Django at the bench database with production settings; call before any model import."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    os.environ["DATABASE_URL"] = DATABASE_URL
    os.environ.setdefault("SECRET_KEY", "bench-only-" + uuid.uuid4().hex)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def admin_sql(query: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(query)


def drop_database() -> None:
    admin_sql(f'DROP DATABASE IF EXISTS "{DATABASE_NAME}" WITH (FORCE)')


def fresh_database() -> None:
    drop_database()
    admin_sql(f'CREATE DATABASE "{DATABASE_NAME}"')


def shares(tickets: int, per_minute: int) -> dict[str, float]:
    """Upper bounds of each deadline window on the uniform draw u (see the module docstring)."""
    crossing = per_minute / (RUNNING_SHARE * tickets)
    if PAST_SHARE + 61 * crossing >= 1:
        raise SystemExit(f"--per-minute {per_minute} is too many for {tickets} tickets")
    return {
        "past": PAST_SHARE,
        "crossing": PAST_SHARE + crossing,
        "future": PAST_SHARE + 61 * crossing,
    }


def reference_rows() -> dict[str, object]:
    from django.core.management import call_command
    from django.db import connection

    from apikeys.models import Partner
    from tickets.models import Channel, Service

    call_command("load_reference_data", verbosity=0)
    partner = Partner.objects.create(code=PARTNER_CODE, name="SLA sweep benchmark")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO tickets_customer (identifier, name, email, phone, department, preferred_language,
                created_at, updated_at)
            SELECT 'SLA-BENCH-CIF-' || lpad(g::text, 6, '0'), 'Bench customer ' || g, '', '', '', 'id', %s, %s
            FROM generate_series(1, %s) AS g
            RETURNING id
            """,
            [NOW, NOW, CUSTOMERS],
        )
        customers = [row[0] for row in cursor.fetchall()]
    services = list(Service.objects.order_by("id").values_list("id", "support_group_id"))
    return {
        "partner": partner.pk,
        "channels": list(Channel.values),
        "services": [service for service, _group in services],
        "groups": [group for _service, group in services],
        "customers": customers,
    }


def timed(label: str, action) -> None:
    started = time.perf_counter()
    action()
    print(f"  {label}: {time.perf_counter() - started:.1f} s", flush=True)


def generate(*, tickets: int, per_minute: int, seed: float) -> None:
    from django.core.management import call_command
    from django.db import connection

    print(f"Database {DATABASE_NAME}: {tickets:,} tickets, {per_minute:,} per kind crossing per minute, NOW={NOW}")
    started = time.perf_counter()
    timed("create database", fresh_database)
    timed("migrate", lambda: call_command("migrate", interactive=False, verbosity=0))
    params: dict[str, object] = {}
    timed("reference data", lambda: params.update(reference_rows()))
    params.update(shares(tickets, per_minute), tickets=tickets, now=NOW)

    def insert_tickets() -> None:
        with connection.cursor() as cursor:
            # Same session as the INSERT: random() then draws the same numbers every run.
            cursor.execute("SELECT setseed(%s)", [seed])
            cursor.execute(TICKETS_SQL, params)

    def insert_events() -> None:
        with connection.cursor() as cursor:
            cursor.execute(EVENTS_SQL, {"partner_code": PARTNER_CODE})

    def vacuum() -> None:
        # VACUUM as well as ANALYZE: it sets the hint bits and the visibility map now, so
        # that neither the first timed sweep nor an autovacuum during the bench does.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) tickets_ticket, tickets_ticketevent, tickets_customer")

    timed(f"INSERT {tickets:,} tickets", insert_tickets)
    timed(f"INSERT {tickets:,} CREATED events", insert_events)
    timed("VACUUM ANALYZE", vacuum)
    print(f"Generated in {time.perf_counter() - started:.1f} s.")
    describe()


def describe() -> None:
    """Counts that say what the sweep will find, straight from the partial indexes' conditions."""
    from django.db import connection

    running = "status IN ('OPEN', 'IN_PROGRESS')"
    kinds = [
        ("response", "response_deadline", "first_response_at IS NULL AND response_breached_at IS NULL"),
        ("resolution", "resolution_deadline", "resolution_breached_at IS NULL"),
        ("at risk", "resolution_at_risk_at", "at_risk_notified_at IS NULL"),
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), count(*) FILTER (WHERE {running}) FROM tickets_ticket")
        total, running_count = cursor.fetchone()
        print(f"{total:,} tickets, {running_count:,} with their clock running.")
        for kind, column, unmarked in kinds:
            cursor.execute(
                f"""SELECT count(*),
                    count(*) FILTER (WHERE {column} <= %(now)s),
                    count(*) FILTER (WHERE {column} > %(now)s AND {column} <= %(now)s + interval '1 hour')
                FROM tickets_ticket WHERE {running} AND {unmarked}""",
                {"now": NOW},
            )
            in_index, crossed, next_hour = cursor.fetchone()
            print(
                f"  {kind:<10}: {in_index:>9,} in the partial index, {crossed:>6,} crossed at NOW, "
                f"{next_hour:>6,} in the next hour"
            )
        cursor.execute(
            "SELECT pg_size_pretty(pg_table_size('tickets_ticket')), pg_size_pretty(pg_indexes_size('tickets_ticket'))"
        )
        table, indexes = cursor.fetchone()
        print(f"tickets_ticket: {table} of rows, {indexes} of indexes.")
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_size_pretty(pg_relation_size(indexrelid)) FROM pg_index "
            "WHERE indexrelid::regclass::text IN ('ticket_response_due', 'ticket_resolution_due', 'ticket_at_risk_due')"
        )
        print("  " + ", ".join(f"{name} {size}" for name, size in cursor.fetchall()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--per-minute", type=int, default=1000, help="running tickets per kind crossing per minute")
    parser.add_argument("--seed", type=float, default=0.42, help="for PostgreSQL's setseed, between -1 and 1")
    options = parser.parse_args()
    setup_django()
    generate(tickets=options.tickets, per_minute=options.per_minute, seed=options.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
