"""Liveness and readiness for load balancers and orchestrators.

/healthz answers 200 while the process can answer at all; it touches nothing else.
/readyz checks what a request needs (the database, its migrations, Redis, the Celery
broker), reports each check's latency, and answers 503 naming what is broken. Both are
cheap enough to call every second: the migration check is remembered once it passes.

They are answered by a middleware placed first, before the host check and any HTTPS
redirect: a load balancer probes with the instance's address as Host, over plain HTTP."""

import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.utils.cache import add_never_cache_headers
from kombu import Connection

BROKER_TIMEOUT_SECONDS = 2
_migrations_applied = False


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_migrations() -> None:
    global _migrations_applied
    if _migrations_applied:
        return
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        raise RuntimeError(f"{len(pending)} migration(s) not applied")
    _migrations_applied = True  # migrations are not un-applied under a running process


def _check_redis() -> None:
    cache.set("readyz", "ok", timeout=5)
    if cache.get("readyz") != "ok":
        raise RuntimeError("cache did not return what was written")


def _check_broker() -> None:
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=BROKER_TIMEOUT_SECONDS) as broker:
        broker.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)


def _checks() -> dict:
    checks = {"database": _check_database, "migrations": _check_migrations}
    if settings.REDIS_URL:
        checks["redis"] = _check_redis
    checks["broker"] = _check_broker
    return checks


def healthz() -> JsonResponse:
    return JsonResponse({"status": "ok"})


def readyz() -> JsonResponse:
    results = {}
    for name, check in _checks().items():
        started = time.perf_counter()
        try:
            check()
            outcome = {"status": "ok"}
        except Exception as error:  # any failure of a dependency makes the process not ready
            # The class of error only: a message may hold a host name or a password.
            outcome = {"status": "error", "error": error.__class__.__name__}
        outcome["latencyMs"] = round((time.perf_counter() - started) * 1000, 1)
        results[name] = outcome
    broken = [name for name, outcome in results.items() if outcome["status"] != "ok"]
    body = {"status": "ok" if not broken else "unavailable", "broken": broken, "checks": results}
    return JsonResponse(body, status=200 if not broken else 503)


PROBES = {"/healthz": healthz, "/readyz": readyz}


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path_info)
        if probe is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = JsonResponse({"status": "method not allowed"}, status=405)
            response["Allow"] = "GET, HEAD"
            return response
        response = probe()
        add_never_cache_headers(response)
        return response
