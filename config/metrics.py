"""Prometheus metrics at /metrics.

Two kinds of figure:
- what this process saw: the latency of each request (RequestMetricsMiddleware) and the
  rate-limit rejections (omnichannel/throttling.py). gunicorn runs several worker
  processes; with PROMETHEUS_MULTIPROC_DIR set, prometheus_client keeps each process's
  values in files there and a scrape adds them up, whichever worker answers it.
- the business figures, read from the database and Redis at scrape time
  (BusinessCollector), so they are right whichever process did the work, web or worker.

/metrics is answered by a middleware placed right after the health checks, before the
host check and any HTTPS redirect: a scraper addresses the instance by its own address.
It answers only a caller from METRICS_ALLOWED_NETWORKS or one presenting METRICS_TOKEN as
a bearer token; anyone else gets the URLconf's ordinary 404, as for any unknown path."""

import hmac
import logging
import os
import time
from functools import lru_cache

import redis
from django.conf import settings
from django.db.models import Count, Min, Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from apikeys.permissions import client_address
from config.networks import address_in
from config.routes import route_of
from tickets.models import Ticket
from webhooks.models import Attempt, Delivery, DeliveryStatus

logger = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
REDIS_TIMEOUT_SECONDS = 1

HTTP_REQUEST_DURATION = Histogram(
    "servicedesk_http_request_duration_seconds",
    "Time to answer a request, by method, route (the URL pattern, never the path) and status.",
    ["method", "route", "status"],
    # Up to 30 s: a create with 30 MB of attachments is slow and still fine.
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
# The method is the client's to choose: anything unusual is one label value, not many.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        started = time.perf_counter()
        response = self.get_response(request)
        HTTP_REQUEST_DURATION.labels(
            request.method if request.method in _METHODS else "other", route_of(request), str(response.status_code)
        ).observe(time.perf_counter() - started)
        return response


class MetricsEndpointMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if request.path_info != METRICS_PATH or request.method not in ("GET", "HEAD") or not scrape_allowed(request):
            return self.get_response(request)
        response = HttpResponse(generate_latest(_Scrape()), content_type=CONTENT_TYPE_LATEST)
        add_never_cache_headers(response)
        return response


def scrape_allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        scheme, _, presented = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode()):
            return True
    # The socket's address, or X-Forwarded-For only as far as TRUSTED_PROXY_COUNT trusts it.
    return address_in(client_address(request), tuple(settings.METRICS_ALLOWED_NETWORKS))


class _Scrape:
    """What one scrape exposes: this process's metrics, or all gunicorn workers' in
    multiprocess mode, and the business figures."""

    def collect(self):
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            processes = CollectorRegistry()
            MultiProcessCollector(processes)
        else:
            processes = REGISTRY
        yield from processes.collect()
        yield from BusinessCollector().collect()


class BusinessCollector:
    """Figures read at scrape time. Each query runs on every scrape (every 15-60 s per
    scraper), so each reads an index or one table once; a figure that cannot be read is
    left out of that scrape (and logged) rather than failing the whole scrape."""

    def collect(self):
        for figures in (self._tickets, self._webhooks, self._celery_queue):
            try:
                yield from list(figures())
            except Exception as error:  # a database or Redis outage: the other figures still go out
                # The class only: a message may hold a host name or a password.
                logger.warning("metrics: %s not collected: %s", figures.__name__, error.__class__.__name__)

    def _tickets(self):
        # One pass over the ticket table (a sequential scan, joined to the 14 services):
        # about 0.1 s a million tickets on PostgreSQL. An index on (channel, service_id)
        # would make it an index-only scan when the table grows large.
        rows = (
            Ticket.objects.order_by()
            .values("channel", "service__service_type")
            .annotate(
                created=Count("id"),
                response_breached=Count("id", filter=Q(response_breached_at__isnull=False)),
                resolution_breached=Count("id", filter=Q(resolution_breached_at__isnull=False)),
            )
        )
        created = CounterMetricFamily(
            "servicedesk_tickets_created",
            "Tickets opened, by channel and service type (tickets are never deleted but by an explicit purge).",
            labels=["channel", "service_type"],
        )
        breached = {"response": 0, "resolution": 0}
        for row in rows:
            created.add_metric([row["channel"], row["service__service_type"]], row["created"])
            breached["response"] += row["response_breached"]
            breached["resolution"] += row["resolution_breached"]
        yield created
        sla = GaugeMetricFamily(
            "servicedesk_sla_breached_tickets",
            "Tickets whose response or resolution deadline was breached.",
            labels=["kind"],
        )
        for kind, count in breached.items():
            sla.add_metric([kind], count)
        yield sla

    def _webhooks(self):
        # Deliveries by status: reads the (status, created_at) index, not the bodies.
        by_status = dict(Delivery.objects.order_by().values_list("status").annotate(count=Count("id")))
        deliveries = GaugeMetricFamily(
            "servicedesk_webhook_deliveries", "Webhook deliveries (events) by status.", labels=["status"]
        )
        for status in DeliveryStatus.values:
            deliveries.add_metric([status], by_status.get(status, 0))
        yield deliveries

        # Attempts: one pass over the attempt table (no index on status_code; its rows are
        # small, the response excerpt is at most 1 KB).
        counts = Attempt.objects.aggregate(
            total=Count("id"), delivered=Count("id", filter=Q(status_code__gte=200, status_code__lt=300))
        )
        attempts = CounterMetricFamily(
            "servicedesk_webhook_attempts",
            "Webhook HTTP attempts by outcome: delivered (2xx) or failed (any other answer, or none).",
            labels=["outcome"],
        )
        attempts.add_metric(["delivered"], counts["delivered"])
        attempts.add_metric(["failed"], counts["total"] - counts["delivered"])
        yield attempts

        # The oldest due pending delivery: one probe of the partial index the sweep uses.
        now = timezone.now()
        oldest = Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now).aggregate(
            oldest=Min("next_attempt_at")
        )["oldest"]
        yield GaugeMetricFamily(
            "servicedesk_webhook_oldest_due_seconds",
            "How long the oldest pending delivery has been due (0 when none is): the delivery lag.",
            value=max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0,
        )

    def _celery_queue(self):
        broker_url = settings.CELERY_BROKER_URL
        if not broker_url.startswith(("redis://", "rediss://")):
            return  # another broker: the figure is left out rather than guessed
        queue = getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")
        # kombu keeps a Redis queue as a list named after it: LLEN is O(1).
        length = _redis(broker_url).llen(queue)
        family = GaugeMetricFamily(
            "servicedesk_celery_queue_length", "Tasks waiting in the Celery queue.", labels=["queue"]
        )
        family.add_metric([queue], length)
        yield family


@lru_cache(maxsize=4)
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
