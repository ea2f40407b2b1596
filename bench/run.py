"""`make bench`: load on the product as it runs in production, and a table of the result.

gunicorn (production settings) and a Celery worker on PostgreSQL and Redis, driven by wrk
from the same machine: create, status GET, batch GET of 50 numbers and PATCH comment, each
for BENCH_SECONDS at BENCH_CONNECTIONS connections after a warm-up; then status GET again
with BENCH_BIG_TABLE tickets in the table. It checks that the rows written equal the 2xx
answers. This is a benchmark, not a test: it prints numbers, it asserts no speed."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ADMIN_URL = os.environ.get("BENCH_ADMIN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DATABASE_NAME = os.environ.get("BENCH_DATABASE", "servicedesk_bench")
DATABASE_URL = ADMIN_URL.rsplit("/", 1)[0] + "/" + DATABASE_NAME
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
PORT = int(os.environ.get("BENCH_PORT", "8765"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "30"))
WARMUP_SECONDS = int(os.environ.get("BENCH_WARMUP_SECONDS", "5"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
SEED_TICKETS = 1000
BIG_TABLE = int(os.environ.get("BENCH_BIG_TABLE", "100000"))
BASE_URL = f"http://127.0.0.1:{PORT}"

ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DATABASE_URL": DATABASE_URL,
    "REDIS_URL": REDIS_URL,
    "SECRET_KEY": "bench-only-" + uuid.uuid4().hex,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_COOKIES": "false",
    "SECURE_SSL_REDIRECT": "false",  # wrk and schemathesis speak plain HTTP to 127.0.0.1
    "LOG_LEVEL": "WARNING",
    "MEDIA_ROOT": str(ROOT / "var" / "bench-media"),
}


def manage(*args: str) -> str:
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=ENV, check=True, capture_output=True, text=True
    ).stdout


def sql(query: str, params=(), *, database_url: str = DATABASE_URL, autocommit: bool = True):
    with psycopg.connect(database_url, autocommit=autocommit) as connection:
        cursor = connection.execute(query, params)
        return cursor.fetchall() if cursor.description else None


def fresh_database() -> None:
    sql(f'DROP DATABASE IF EXISTS "{DATABASE_NAME}" WITH (FORCE)', database_url=ADMIN_URL)
    sql(f'CREATE DATABASE "{DATABASE_NAME}"', database_url=ADMIN_URL)
    manage("migrate", "--no-input")
    manage("load_reference_data")


def bench_key() -> str:
    # The bench lifts its limits the way an operator would: a per-key override.
    out = manage(
        "create_api_key", "--partner", "BENCH", "--name", "make bench", "--json",
        "--rate-limits", "create=1000000,read=1000000,update=1000000",
    )  # fmt: skip
    return json.loads(out)["key"]


def start(*command: str) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=ROOT, env=ENV, start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def wait_until_serving(key: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            answer = requests.get(
                f"{BASE_URL}/api/omnichannel/tickets?pageSize=1", headers={"X-API-Key": key}, timeout=5
            )
            if answer.ok:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not start")


def seed_by_api(key: str, count: int) -> list[str]:
    numbers = []
    with requests.Session() as session:
        for index in range(count):
            body = {
                "channel": "EMAIL",
                "serviceType": "INQUIRY",
                "customer": {"name": "Seed", "email": "seed@example.com"},
                "ticket": {"title": f"Seed {index}", "description": "Seeded for the bench"},
            }
            answer = session.post(
                f"{BASE_URL}/api/omnichannel/tickets", json=body, headers={"X-API-Key": key}, timeout=30
            )
            answer.raise_for_status()
            numbers.append(answer.json()["ticketNumber"])
    return numbers


def grow_table(total: int) -> None:
    """Copies of the seeded tickets under other numbers, straight in SQL, up to `total`."""
    existing = sql("SELECT count(*) FROM tickets_ticket")[0][0]
    missing = total - existing
    if missing <= 0:
        return
    sql(
        """
        INSERT INTO tickets_ticket (number, public_id, partner_id, api_key_id, channel, channel_reference_id,
            request_id, service_id, support_group_id, branch_id, customer_id, assignee_id, title, description,
            category, requested_priority, priority, status, amount, amount_currency, metadata, webhook_url,
            api_version, preferred_language, response_target_minutes, resolution_target_minutes,
            response_deadline, resolution_deadline, resolution_at_risk_at, first_response_at, sla_paused_at,
            response_breached_at, resolution_breached_at, at_risk_notified_at, created_at, updated_at, resolved_at,
            closed_at, cancelled_at)
        SELECT 'INC-1999-' || lpad(g::text, 7, '0'), 'tkt_bulk' || g, t.partner_id, t.api_key_id, t.channel,
            'BULK-' || g, '', t.service_id, t.support_group_id, t.branch_id, t.customer_id, NULL, t.title,
            t.description, t.category, t.requested_priority, t.priority, t.status, t.amount, t.amount_currency,
            t.metadata, t.webhook_url, t.api_version, t.preferred_language, t.response_target_minutes,
            t.resolution_target_minutes, t.response_deadline, t.resolution_deadline, t.resolution_at_risk_at,
            NULL, t.sla_paused_at, NULL, NULL, NULL, t.created_at, t.updated_at, NULL, NULL, NULL
        FROM generate_series(1, %s) AS g
        CROSS JOIN LATERAL (SELECT * FROM tickets_ticket ORDER BY id LIMIT 1) AS t
        """,
        [missing],
    )
    sql("ANALYZE")


def wrk(script: str, seconds: int, extra_env: dict) -> dict:
    command = ["wrk", "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--latency",
               "-s", f"bench/{script}.lua", BASE_URL]  # fmt: skip
    output = subprocess.run(
        command, cwd=ROOT, env={**os.environ, **extra_env}, check=True, capture_output=True, text=True
    ).stdout
    try:
        return parse_wrk(output)
    except (AttributeError, ValueError):
        raise SystemExit(f"Could not read wrk's output for {script}:\n{output}") from None


def _milliseconds(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def parse_wrk(output: str) -> dict:
    total = int(re.search(r"(\d+) requests in", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {
        "requests": total,  # answers received (wrk counts a request when its answer arrives)
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": _milliseconds(re.search(r"50%\s+(\S+)", output).group(1)),
        "p99": _milliseconds(re.search(r"99%\s+(\S+)", output).group(1)),
    }


def count(table: str) -> int:
    return sql(f"SELECT count(*) FROM {table}")[0][0]


def rows_of_run(table: str, run_id: str) -> int:
    column = {"tickets_ticket": "channel_reference_id", "tickets_comment": "body"}[table]
    return sql(f"SELECT count(*) FROM {table} WHERE {column} LIKE %s", [f"%BENCH-{run_id}-%"])[0][0]


def scenario(name: str, script: str, env: dict, table: str | None) -> dict:
    wrk(script, WARMUP_SECONDS, {**env, "BENCH_RUN_ID": f"warm{uuid.uuid4().hex[:6]}"})
    run_id = uuid.uuid4().hex[:8]
    result = wrk(script, SECONDS, {**env, "BENCH_RUN_ID": run_id})
    result["name"] = name
    result["rows_check"] = "-"
    if table:
        time.sleep(2)  # let the server finish what was in flight when wrk stopped
        written = rows_of_run(table, run_id)
        answered = result["requests"] - result["non_2xx"]
        # wrk stops with up to one request per connection in flight: the server still
        # writes those rows, but wrk never counts their answers.
        in_flight = written - answered
        result["rows_check"] = (
            f"ok (+{in_flight} in flight)" if 0 <= in_flight <= CONNECTIONS else f"MISMATCH {written}"
        )
    return result


def main() -> int:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk (make bench installs it)")
    fresh_database()
    key = bench_key()
    gunicorn = start(PYTHON, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{PORT}",
                     "--workers", str(WORKERS), "--log-level", "warning")  # fmt: skip
    worker = start(PYTHON, "-m", "celery", "-A", "config", "worker", "--loglevel", "WARNING", "--concurrency", "1")
    results = []
    try:
        wait_until_serving(key)
        numbers_file = ROOT / "var" / "bench-numbers.txt"
        numbers_file.parent.mkdir(exist_ok=True)
        numbers_file.write_text("\n".join(seed_by_api(key, SEED_TICKETS)) + "\n")
        env = {"BENCH_KEY": key, "BENCH_NUMBERS_FILE": str(numbers_file)}
        results.append(scenario("create", "create", env, "tickets_ticket"))
        results.append(scenario("status GET", "status", env, None))
        results.append(scenario("batch GET (50 numbers)", "batch", env, None))
        results.append(scenario("PATCH comment", "comment", env, "tickets_comment"))
        grow_table(BIG_TABLE)
        big = scenario(f"status GET, {count('tickets_ticket'):,} tickets", "status", env, None)
        results.append(big)
    finally:
        stop(gunicorn)
        stop(worker)
    print()
    load = f"wrk -t{THREADS} -c{CONNECTIONS} -d{SECONDS}s after {WARMUP_SECONDS}s warm-up"
    print(f"{WORKERS} gunicorn sync workers, {load}, on {os.cpu_count()} cores, wrk on the same machine.")
    print()
    header = ["scenario".ljust(32), "req/s".rjust(8), "p50 ms".rjust(7), "p99 ms".rjust(7)]
    header += ["requests".rjust(8), "non-2xx".rjust(7), "rows"]
    print("| " + " | ".join(header) + " |")
    print(f"|{'-' * 34}|{'-' * 10}|{'-' * 9}|{'-' * 9}|{'-' * 10}|{'-' * 9}|------|")
    for r in results:
        non_2xx = r["non_2xx"] + r["socket_errors"]
        print(
            f"| {r['name']:<32} | {r['rps']:>8.1f} | {r['p50']:>7.1f} | {r['p99']:>7.1f} | {r['requests']:>8} "
            f"| {non_2xx:>7} | {r['rows_check']} |"
        )
    failed = [r["name"] for r in results if r["non_2xx"] or r["socket_errors"] or "MISMATCH" in r["rows_check"]]
    if failed:
        print(f"\nProblems in: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
