"""Shows that `make up` on a clean checkout starts web, worker and beat, and that a ticket
created through it produces a delivered webhook.

    .venv/bin/python bench/make_up_check.py

It drops and recreates its own database (CHECK_DATABASE_URL, default
servicedesk_make_up_check on 127.0.0.1), empties its own Redis database (CHECK_REDIS_URL,
default index 13), then:

1. starts `make up` on a free port with webhooks to http and private addresses allowed
   (the receiver is on 127.0.0.1) and beat's sweep every 5 s, so that beat is seen at work;
2. waits for /readyz to answer 200;
3. creates an API key with `manage.py create_api_key --json --webhook-url` (same settings);
4. runs the partner receiver of examples/webhook_receiver.py with the partner's secret: it
   answers 401 to anything whose signatures do not verify;
5. creates a ticket with POST /api/omnichannel/tickets, waits for its TICKET_CREATED event,
   and checks that the delivery row is DELIVERED;
6. stops everything with SIGTERM to make's process group and checks that no process of
   web, worker or beat is left.

Prints a short report; exits 0 when every step passed, 1 otherwise. tests/test_make_up.py
runs it under pytest when PostgreSQL and Redis are there."""

import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg
import redis
import requests
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("webhook_receiver", ROOT / "examples" / "webhook_receiver.py")
webhook_receiver = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(webhook_receiver)

PYTHON = sys.executable
DATABASE_URL = os.environ.get("CHECK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/servicedesk_make_up_check")
REDIS_URL = os.environ.get("CHECK_REDIS_URL", "redis://127.0.0.1:6379/13")
START_TIMEOUT = float(os.environ.get("CHECK_START_TIMEOUT", "120"))
WEBHOOK_TIMEOUT = 60
STOP_TIMEOUT = 30


class CheckFailed(Exception):
    pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def drop_database() -> None:
    name = psycopg.conninfo.conninfo_to_dict(DATABASE_URL)["dbname"]
    with psycopg.connect(DATABASE_URL, dbname="postgres", autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def query(text: str, params=()) -> list[tuple]:
    with psycopg.connect(DATABASE_URL) as connection:
        return connection.execute(text, params).fetchall()


class MakeUp:
    """`make up` in its own process group, its output (honcho's, all three processes')
    in a file."""

    def __init__(self, env: dict[str, str]) -> None:
        self.log_path = Path(tempfile.mkstemp(prefix="make-up-", suffix=".log")[1])
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [shutil.which("make") or "/usr/bin/make", "--no-print-directory", "up"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def started(self) -> dict[str, int]:
        """The process group of each Procfile process, as honcho reports it."""
        found = re.findall(r"\| (\w+)(?:\.\d+)? started \(pid=(\d+)\)", self.log())  # "web.1 started (pid=…)"
        return {name: int(pid) for name, pid in found}

    def wait_for_line(self, pattern: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.log()):
            if self.process.poll() is not None:
                raise CheckFailed(f"make up exited ({self.process.returncode}) before {pattern!r} appeared")
            if time.monotonic() > deadline:
                raise CheckFailed(f"{pattern!r} did not appear in make up's output within {timeout:.0f} s")
            time.sleep(0.2)

    def stop(self) -> tuple[float, int | None]:
        """SIGTERM to make's process group (make and honcho), as Ctrl-C would do; honcho
        stops the processes it started. Seconds taken, and make's exit status."""
        began = time.monotonic()
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        return time.monotonic() - began, self.process.returncode

    def leftovers(self) -> list[str]:
        """Procfile processes whose process group is still alive, killed here if so."""
        left = []
        for name, group in self.started().items():
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                continue
            left.append(name)
            os.killpg(group, signal.SIGKILL)
        return left


def wait_ready(base_url: str, make_up: MakeUp) -> dict:
    deadline = time.monotonic() + START_TIMEOUT
    last = "no answer"
    while time.monotonic() < deadline:
        if make_up.process.poll() is not None:
            raise CheckFailed(f"make up exited ({make_up.process.returncode}) before /readyz answered 200")
        try:
            answer = requests.get(f"{base_url}/readyz", timeout=5)
            if answer.status_code == 200:
                return answer.json()
            last = f"{answer.status_code} {answer.text[:200]}"
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.5)
    raise CheckFailed(f"/readyz did not answer 200 within {START_TIMEOUT:.0f} s (last: {last})")


def create_api_key(env: dict[str, str], webhook_url: str) -> dict:
    result = subprocess.run(
        [PYTHON, "manage.py", "create_api_key", "--partner", "MAKEUPCHECK", "--name", "make up check",
         "--json", "--webhook-url", webhook_url],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise CheckFailed(f"create_api_key failed:\n{result.stderr}")
    return json.loads(result.stdout)


def create_ticket(base_url: str, key: str) -> str:
    body = {
        "channel": "WHATSAPP",
        "channelReferenceId": "WA-MAKE-UP-001",
        "serviceType": "ATM_ISSUE",
        "customer": {"name": "John Doe", "phone": "+6281234567890", "identifier": "TEST-CIF-001", "branchCode": "001"},
        "ticket": {"title": "Card retained", "description": "ATM kept my card", "metadata": {"atmId": "ATM-TEST-001"}},
    }
    answer = requests.post(f"{base_url}/api/omnichannel/tickets", json=body, headers={"X-API-Key": key}, timeout=30)
    if answer.status_code != 201:
        raise CheckFailed(f"creating a ticket answered {answer.status_code}: {answer.text[:500]}")
    return answer.json()["ticketNumber"]


def wait_delivered(ticket_number: str) -> tuple[str, int, int]:
    """The TICKET_CREATED delivery's status, attempts and last status code, once DELIVERED
    (the row is updated just after the receiver has answered)."""
    deadline = time.monotonic() + 10
    while True:
        rows = query(
            "SELECT d.status, d.attempt_count, d.last_status_code FROM webhooks_delivery d "
            "JOIN tickets_ticket t ON t.id = d.ticket_id WHERE t.number = %s AND d.event = 'TICKET_CREATED'",
            [ticket_number],
        )
        if rows and rows[0][0] == "DELIVERED":
            return rows[0]
        if time.monotonic() > deadline:
            raise CheckFailed(f"the TICKET_CREATED delivery of {ticket_number} is {rows[0] if rows else 'missing'}")
        time.sleep(0.2)


def main() -> int:
    report: list[str] = []
    drop_database()
    redis.Redis.from_url(REDIS_URL).flushdb()  # this check's own index: no task left from an earlier run

    events: list[dict] = []
    arrived = threading.Event()

    def on_event(event: dict) -> None:
        events.append(event)
        arrived.set()

    # The partner's receiver starts first, for its port to go in the key's webhook URL; it
    # is handed the partner's secret once the key exists (until then it would answer 401).
    receiver = webhook_receiver.make_server("whsec_" + "A" * 44, 0, on_event=on_event)
    receiver_port = receiver.server_port
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    port = free_port()
    scratch = Path(tempfile.mkdtemp(prefix="make-up-check-"))
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "PORT": str(port),
        "SECRET_KEY": "make-up-check-" + secrets.token_urlsafe(32),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "WEBHOOK_ALLOW_HTTP": "true",
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        "WEBHOOK_SWEEP_SECONDS": "5",
        # Its own files, apart from those of a `make up` or `make run` in the same tree.
        "MEDIA_ROOT": str(scratch / "media"),
        "BEAT_SCHEDULE_FILE": str(scratch / "beat-schedule"),
        "PROMETHEUS_MULTIPROC_DIR": str(scratch / "metrics"),
        "WEB_CONCURRENCY": "2",
        "CELERY_WORKER_CONCURRENCY": "2",
    }
    env.pop("MAKEFLAGS", None)  # when run from `make test`: make up is a make of its own
    env.pop("MAKELEVEL", None)

    started_at = time.monotonic()
    make_up = MakeUp(env)
    failed = None
    try:
        readiness = wait_ready(base_url, make_up)
        ready_after = time.monotonic() - started_at
        checks = ", ".join(f"{name} {check['status']}" for name, check in readiness["checks"].items())
        report.append(f"/readyz 200 after {ready_after:.1f} s: {checks}")
        log = make_up.log()
        name = psycopg.conninfo.conninfo_to_dict(DATABASE_URL)["dbname"]
        if f"created database {name}" not in log:
            raise CheckFailed("make up did not create the missing database")
        report.append(
            f"release step: database {name} created, migrations applied, static files collected, reference data loaded"
        )

        # Beat's sweep (every 5 s here) sent to the broker and run by the worker.
        make_up.wait_for_line(r"celery@\S+ ready\.", 60)
        make_up.wait_for_line(r"Sending due task dispatch-due-webhooks", 30)
        # Celery's own line, or our JSON task log: {"task": "webhooks.tasks...", ..., "state": "SUCCESS"}
        make_up.wait_for_line(r"webhooks\.tasks\.dispatch_due_deliveries\b.*(succeeded|\"SUCCESS\")", 30)
        processes = make_up.started()
        if set(processes) != {"web", "worker", "beat"}:
            raise CheckFailed(f"honcho started {sorted(processes)}, not web, worker and beat")
        report.append(
            "running: web (gunicorn {web}), worker (celery {worker}, ready), beat ({beat}; its "
            "dispatch-due-webhooks was sent and run by the worker)".format(
                **{name: f"pid {pid}" for name, pid in processes.items()}
            )
        )

        issued = create_api_key(env, f"http://127.0.0.1:{receiver_port}/")
        receiver.key = webhook_receiver.decode_secret(issued["webhookSecret"])
        report.append(f"API key {issued['key'][:12]}... for partner {issued['partner']} (manage.py create_api_key)")

        sent_at = time.monotonic()
        ticket_number = create_ticket(base_url, issued["key"])
        report.append(f"ticket {ticket_number} created: POST /api/omnichannel/tickets answered 201")
        if not arrived.wait(WEBHOOK_TIMEOUT):
            raise CheckFailed(f"no webhook arrived within {WEBHOOK_TIMEOUT} s")
        (event,) = events
        if (event["event"], event["ticketNumber"]) != ("TICKET_CREATED", ticket_number):
            raise CheckFailed(f"unexpected webhook: {event}")
        report.append(
            f"webhook {event['event']} {event['eventId']} #{event['sequence']} received "
            f"{time.monotonic() - sent_at:.2f} s after the create; both signatures verified with the secret"
        )
        status, attempts, status_code = wait_delivered(ticket_number)
        report.append(f"delivery {status} after {attempts} attempt(s), receiver answered {status_code}")
    except (CheckFailed, OSError, requests.RequestException, psycopg.Error, KeyError, ValueError) as error:
        failed = f"{type(error).__name__}: {error}" if not isinstance(error, CheckFailed) else str(error)
    finally:
        took, exit_status = make_up.stop()
        left = make_up.leftovers()
        receiver.shutdown()
        receiver.server_close()
    if left:
        failed = failed or f"still running after make up stopped: {', '.join(left)} (killed)"
    elif not make_up.started():
        failed = failed or "honcho reported no process started"
    else:
        report.append(
            f"stopped: SIGTERM to make's process group; honcho stopped web, worker and beat in {took:.1f} s "
            f"(make exited {exit_status}); no process left"
        )
    drop_database()
    shutil.rmtree(scratch, ignore_errors=True)

    print(f"make up check: {'FAILED' if failed else 'OK'} ({time.monotonic() - started_at:.1f} s in all)")
    for line in report:
        print(f"  {line}")
    if failed:
        print(f"  FAILED: {failed}")
        print(f"  make up's output: {make_up.log_path}")
        print("\n".join("    " + line for line in make_up.log().splitlines()[-40:]))
        return 1
    make_up.log_path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
