"""/metrics: who may read it, and the exact figures after real requests, a real webhook
attempt against a local receiver and a real 429. Values are read by parsing the
exposition with prometheus_client's own parser."""

import uuid
from datetime import timedelta
from types import SimpleNamespace

import django_ratelimit.core
import pytest
import redis
import requests
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import ApiKeyFactory
from tests.live_server import running_gunicorn
from tests.payloads import create_body, minimal_body
from tests.webhooks.receiver import Receiver, Reply
from tickets.models import Ticket
from webhooks.delivery import attempt_delivery
from webhooks.models import Delivery

URL = "/api/omnichannel/tickets"
OUTSIDE = "203.0.113.7"  # a documentation address: not in the default allowed networks
TOKEN = "metrics-token-for-tests"


def scrape(**extra) -> str:
    response = Client().get("/metrics", **extra)
    assert response.status_code == 200
    return response.content.decode()


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels) -> float | None:
    return samples(text).get((name, tuple(sorted(labels.items()))))


def family_samples(text: str, name: str) -> dict[tuple, float]:
    return {labels: value for (sample, labels), value in samples(text).items() if sample == name}


@pytest.fixture
def frozen_rate_limit_clock(monkeypatch):
    """As in tests/omnichannel/test_rate_limits.py: no test straddles a one-minute window."""
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: 1_800_000_000.0))


# Who may read it


def test_metrics_answer_404_to_a_caller_outside_the_allowed_networks_without_a_token(db, settings):
    settings.METRICS_TOKEN = TOKEN

    refused = Client().get("/metrics", REMOTE_ADDR=OUTSIDE)
    wrong_token = Client().get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION="Bearer not-the-token")
    unknown_path = Client().get("/no-such-page", REMOTE_ADDR=OUTSIDE)

    assert refused.status_code == wrong_token.status_code == 404
    # The same answer as for any path that does not exist: nothing says /metrics is there.
    assert refused.content == wrong_token.content == unknown_path.content
    assert b"servicedesk_" not in refused.content


def test_a_bearer_token_opens_metrics_from_any_address(db, settings):
    settings.METRICS_TOKEN = TOKEN

    response = Client().get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "no-store" in response["Cache-Control"]
    assert "servicedesk_http_request_duration_seconds" in response.content.decode()


def test_without_a_configured_token_an_empty_bearer_is_refused(db, settings):
    settings.METRICS_TOKEN = ""

    response = Client().get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION="Bearer ")

    assert response.status_code == 404


def test_an_allowed_address_reads_metrics_without_a_token(db, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8", "::1/128"]

    inside = Client().get("/metrics", REMOTE_ADDR="10.1.2.3")
    mapped = Client().get("/metrics", REMOTE_ADDR="::ffff:10.1.2.3")
    loopback_no_longer_listed = Client().get("/metrics", REMOTE_ADDR="127.0.0.1")

    assert (inside.status_code, mapped.status_code, loopback_no_longer_listed.status_code) == (200, 200, 404)


def test_the_default_networks_are_the_loopback_addresses(db):
    assert Client().get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert Client().get("/metrics", REMOTE_ADDR="::1").status_code == 200


def test_x_forwarded_for_counts_only_as_far_as_trusted_proxies_go(db, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    untrusted = Client().get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_X_FORWARDED_FOR="127.0.0.1")
    settings.TRUSTED_PROXY_COUNT = 1
    through_proxy = Client().get("/metrics", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="127.0.0.1")
    spoofed_behind_proxy = Client().get(
        "/metrics", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR=f"127.0.0.1, {OUTSIDE}"
    )

    assert (untrusted.status_code, through_proxy.status_code, spoofed_behind_proxy.status_code) == (404, 200, 404)


def test_metrics_answer_whatever_the_host_header(db):
    # A scraper addresses the instance by its own address, which is not in ALLOWED_HOSTS.
    response = Client(HTTP_HOST="10.20.30.40:8000").get("/metrics")

    assert response.status_code == 200


# The figures


def test_a_ticket_created_through_the_api_is_counted_by_channel_and_service_type(api_client, reference_data):
    before = scrape()
    assert family_samples(before, "servicedesk_tickets_created_total") == {}

    response = api_client.post(URL, create_body(), format="json")

    assert response.status_code == 201
    after = scrape()
    assert value(after, "servicedesk_tickets_created_total", channel="WHATSAPP", service_type="CLAIM") == 1
    assert len(family_samples(after, "servicedesk_tickets_created_total")) == 1
    assert value(after, "servicedesk_sla_breached_tickets", kind="response") == 0
    assert value(after, "servicedesk_sla_breached_tickets", kind="resolution") == 0


def test_breached_tickets_are_counted_by_kind(api_client, reference_data):
    api_client.post(URL, create_body(), format="json")
    api_client.post(URL, minimal_body(), format="json")
    first, second = Ticket.objects.order_by("pk")
    Ticket.objects.filter(pk__in=[first.pk, second.pk]).update(response_breached_at=timezone.now())
    Ticket.objects.filter(pk=second.pk).update(resolution_breached_at=timezone.now())

    text = scrape()

    assert value(text, "servicedesk_sla_breached_tickets", kind="response") == 2
    assert value(text, "servicedesk_sla_breached_tickets", kind="resolution") == 1


def test_a_failed_webhook_attempt_is_counted_and_its_delivery_stays_pending(api_client, reference_data):
    with Receiver(default=Reply(status=500, body=b"down")) as receiver:
        body = create_body()
        body["integration"] = {**body["integration"], "webhookUrl": receiver.url}
        assert api_client.post(URL, body, format="json").status_code == 201
        delivery = Delivery.objects.get()

        outcome = attempt_delivery(delivery.pk)

        assert len(receiver.received) == 1
    assert outcome.status == "PENDING"
    text = scrape()
    assert value(text, "servicedesk_webhook_attempts_total", outcome="failed") == 1
    assert value(text, "servicedesk_webhook_attempts_total", outcome="delivered") == 0
    assert value(text, "servicedesk_webhook_deliveries", status="PENDING") == 1
    assert value(text, "servicedesk_webhook_deliveries", status="DELIVERED") == 0
    assert value(text, "servicedesk_webhook_deliveries", status="FAILED") == 0
    # The retry is not due yet: no lag.
    assert value(text, "servicedesk_webhook_oldest_due_seconds") == 0


def test_the_webhook_lag_is_the_age_of_the_oldest_due_pending_delivery(api_client, reference_data):
    with Receiver() as receiver:
        body = create_body()
        body["integration"] = {**body["integration"], "webhookUrl": receiver.url}
        api_client.post(URL, body, format="json")
    Delivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=120))

    lag = value(scrape(), "servicedesk_webhook_oldest_due_seconds")

    assert 120 <= lag < 180


def test_a_429_counts_one_rate_limit_rejection(reference_data, partner, frozen_rate_limit_clock):
    api_key = ApiKeyFactory(partner=partner, rate_limit_create=1)
    client = Client(HTTP_X_API_KEY=api_key.raw_key)
    before = value(scrape(), "servicedesk_rate_limit_rejections_total", kind="create") or 0

    accepted = client.post(URL, minimal_body(), content_type="application/json")
    after_accepted = value(scrape(), "servicedesk_rate_limit_rejections_total", kind="create") or 0
    refused = client.post(URL, minimal_body(), content_type="application/json")
    after_refused = value(scrape(), "servicedesk_rate_limit_rejections_total", kind="create")

    assert (accepted.status_code, refused.status_code) == (201, 429)
    assert after_accepted - before == 0
    assert after_refused - before == 1


def test_request_latency_is_labelled_with_the_route_pattern_never_the_ticket_number(api_client, reference_data):
    labels = {"method": "GET", "route": "/api/omnichannel/tickets/<ticket_number>", "status": "404"}
    before = value(scrape(), "servicedesk_http_request_duration_seconds_count", **labels) or 0

    response = api_client.get(f"{URL}/INC-2026-0001")

    assert response.status_code == 404
    text = scrape()
    assert value(text, "servicedesk_http_request_duration_seconds_count", **labels) - before == 1
    assert "INC-2026-0001" not in text


def test_an_unknown_path_is_labelled_unmatched(db):
    labels = {"method": "GET", "route": "unmatched", "status": "404"}
    before = value(scrape(), "servicedesk_http_request_duration_seconds_count", **labels) or 0

    Client().get("/wp-admin/setup-config.php")

    text = scrape()
    assert value(text, "servicedesk_http_request_duration_seconds_count", **labels) - before == 1
    assert "wp-admin" not in text


def test_the_celery_queue_length_is_absent_when_the_broker_is_not_redis(db, settings):
    settings.CELERY_BROKER_URL = "memory://"

    assert family_samples(scrape(), "servicedesk_celery_queue_length") == {}


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs Redis (REDIS_URL); CI always provides it")
def test_the_celery_queue_length_is_the_length_of_the_redis_list(db, settings):
    # A queue of its own, so that no worker or other test touches it.
    queue = f"metrics-test-{uuid.uuid4().hex}"
    settings.CELERY_BROKER_URL = django_settings.REDIS_URL
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    broker = redis.Redis.from_url(django_settings.REDIS_URL)
    broker.lpush(queue, b"a", b"b", b"c")
    try:
        text = scrape()
    finally:
        broker.delete(queue)

    assert value(text, "servicedesk_celery_queue_length", queue=queue) == 3


def test_gunicorn_workers_requests_are_added_up_in_multiprocess_mode(tmp_path):
    # Unauthenticated calls (401) need no database: a fresh file one is enough.
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'metrics.sqlite3'}",
        "REDIS_URL": "",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
    }
    labels = {"method": "GET", "route": "/api/omnichannel/tickets", "status": "401"}

    with running_gunicorn(env) as base_url:
        for _ in range(20):
            # A new connection each time, so that both workers take some.
            assert requests.get(f"{base_url}{URL}", timeout=10, headers={"Connection": "close"}).status_code == 401
        text = requests.get(f"{base_url}/metrics", timeout=10).text

    assert value(text, "servicedesk_http_request_duration_seconds_count", **labels) == 20
    assert len(list(tmp_path.glob("histogram_*.db"))) >= 1
