"""`make up` end to end (bench/make_up_check.py): the release step on a database it has to
create, web, worker and beat from the Procfile under honcho, a ticket created over HTTP
whose webhook is delivered to a receiver that checks its signatures, and a clean stop.
About 25 s; it needs PostgreSQL and Redis, which CI always has."""

import os
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import connection

from tests.live_server import ROOT, _database_url, needs_real_services


@needs_real_services
def test_make_up_serves_web_worker_and_beat_and_delivers_a_tickets_webhook():
    # given: a database and a Redis index of the check's own, beside the test run's
    database_url = _database_url().rsplit("/", 1)[0] + f"/{connection.settings_dict['NAME']}_make_up"
    redis_url = urlunsplit(urlsplit(settings.REDIS_URL)._replace(path="/13"))

    # when
    result = subprocess.run(
        [sys.executable, "bench/make_up_check.py"],
        cwd=ROOT,
        env={**_clean_environment(), "CHECK_DATABASE_URL": database_url, "CHECK_REDIS_URL": redis_url},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )

    # then
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("make up check: OK")
    assert "delivery DELIVERED" in result.stdout


def _clean_environment() -> dict[str, str]:
    """This run's environment without what selects the tests' settings and services."""
    dropped = {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "MAKEFLAGS", "MAKELEVEL", "MFLAGS"}
    return {name: value for name, value in os.environ.items() if name not in dropped}
