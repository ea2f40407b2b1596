"""Liveness and readiness. The broken dependencies are real: a server process pointed at
a closed port, not a mock."""

import socket

import requests
from django.conf import settings
from django.test import Client

from tests.live_server import running_gunicorn


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the socket is closed


def test_healthz_answers_whatever_the_host_header(db):
    response = Client(HTTP_HOST="10.20.30.40").get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_readyz_reports_each_check_with_its_latency_when_ready(db):
    response = Client(HTTP_HOST="10.20.30.40").get("/readyz")

    body = response.json()
    expected = {"database", "migrations", "broker"} | ({"redis"} if settings.REDIS_URL else set())
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["broken"] == []
    assert set(body["checks"]) == expected
    assert all(check["status"] == "ok" and check["latencyMs"] >= 0 for check in body["checks"].values())


def test_probes_take_only_get_and_head(db):
    response = Client().post("/readyz")

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_readyz_is_503_naming_the_database_when_it_cannot_be_reached(tmp_path):
    env = {"DATABASE_URL": f"postgres://postgres@127.0.0.1:{closed_port()}/servicedesk", "REDIS_URL": ""}

    with running_gunicorn(env) as base_url:
        alive = requests.get(f"{base_url}/healthz", timeout=10)
        response = requests.get(f"{base_url}/readyz", timeout=30)

    assert alive.status_code == 200
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["broken"] == ["database", "migrations"]
    assert body["checks"]["database"]["error"] == "OperationalError"
    assert "password" not in response.text and "127.0.0.1" not in response.text


def test_readyz_is_503_naming_redis_and_the_broker_when_redis_is_down(tmp_path):
    database = tmp_path / "ready.sqlite3"
    env = {"DATABASE_URL": f"sqlite:///{database}", "REDIS_URL": f"redis://127.0.0.1:{closed_port()}/0"}

    with running_gunicorn(env) as base_url:
        response = requests.get(f"{base_url}/readyz", timeout=30)

    body = response.json()
    assert response.status_code == 503
    assert body["checks"]["database"]["status"] == "ok"
    redis = body["checks"]["redis"]
    assert (redis["status"], redis["error"]) == ("error", "ConnectionError")
    assert body["checks"]["broker"]["status"] == "error"
    assert set(body["broken"]) == {"migrations", "redis", "broker"}  # a fresh file database is not migrated either
