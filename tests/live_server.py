"""The product served by gunicorn (two worker processes, threads in each) against the test
database and Redis, for tests that need real concurrent clients across processes."""

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent

needs_real_services = pytest.mark.skipif(
    connection.vendor != "postgresql" or not settings.REDIS_URL,
    reason="needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL); CI always provides them",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@contextlib.contextmanager
def running_gunicorn(env_overrides: dict[str, str]):
    """gunicorn (two worker processes, threads in each) with these settings; its base URL."""
    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", **env_overrides}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--worker-class", "gthread", "--threads", "8", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base_url}/healthz", timeout=5)
                break
            except (requests.ConnectionError, requests.Timeout):  # not listening, or still loading the app
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def gunicorn_server(transactional_db):
    """Base URL of a gunicorn serving the test database and Redis; stopped after the test."""
    # Connections are not kept, so the test database can be dropped at the end.
    env = {"DATABASE_URL": _database_url(), "REDIS_URL": settings.REDIS_URL, "DATABASE_CONN_MAX_AGE": "0"}
    with running_gunicorn(env) as base_url:
        yield base_url
