"""Rate limits in one process (the cache: Redis in CI, local memory by default). Across
server processes: test_concurrency.py."""

from types import SimpleNamespace

import django_ratelimit.core
import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import ApiKeyFactory, TicketFactory
from tests.payloads import minimal_body
from tickets.models import Ticket

URL = "/api/omnichannel/tickets"


@pytest.fixture(autouse=True)
def frozen_rate_limit_clock(monkeypatch):
    """The counters' clock stands still, so no test straddles the end of a one-minute window."""
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: 1_800_000_000.0))


def client_for(api_key) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=api_key.raw_key)
    return client


def test_every_answer_carries_the_rate_limit_headers(api_client, reference_data, partner):
    ticket = TicketFactory(partner=partner)

    created = api_client.post(URL, minimal_body(), format="json")
    read = api_client.get(f"{URL}/{ticket.number}")
    missing = api_client.get(f"{URL}/INC-1999-0001")

    assert (created["X-RateLimit-Limit"], created["X-RateLimit-Remaining"]) == ("100", "99")
    assert (read["X-RateLimit-Limit"], read["X-RateLimit-Remaining"]) == ("500", "499")
    assert (missing["X-RateLimit-Limit"], missing["X-RateLimit-Remaining"]) == ("500", "498")
    assert 1 <= int(read["X-RateLimit-Reset"]) <= 60


def test_the_limit_answers_429_with_retry_after_and_the_envelope(reference_data, partner):
    api_key = ApiKeyFactory(partner=partner, rate_limit_create=3)
    client = client_for(api_key)

    answers = [client.post(URL, minimal_body(), format="json") for _ in range(5)]

    assert [a.status_code for a in answers] == [201, 201, 201, 429, 429]
    refused = answers[3]
    assert refused.json() == {
        "success": False,
        "error": f"Rate limit of 3 requests per minute exceeded; retry in {refused['Retry-After']} s.",
        "code": "rate_limited",
        "errors": {},
    }
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert (refused["X-RateLimit-Limit"], refused["X-RateLimit-Remaining"]) == ("3", "0")
    assert Ticket.objects.count() == 3


def test_kinds_of_calls_are_counted_apart(reference_data, partner):
    api_key = ApiKeyFactory(partner=partner, rate_limit_create=1, rate_limit_read=2, rate_limit_update=1)
    client = client_for(api_key)
    ticket = TicketFactory(partner=partner)

    statuses = [
        client.post(URL, minimal_body(), format="json").status_code,
        client.post(URL, minimal_body(), format="json").status_code,
        client.get(f"{URL}/{ticket.number}").status_code,
        client.get(URL).status_code,
        client.get(URL).status_code,
        client.patch(f"{URL}/{ticket.number}", {"action": "ADD_COMMENT", "comment": "a"}, format="json").status_code,
        client.patch(f"{URL}/{ticket.number}", {"action": "ADD_COMMENT", "comment": "b"}, format="json").status_code,
    ]

    assert statuses == [201, 429, 200, 200, 429, 200, 429]


def test_one_keys_limit_does_not_touch_another_key(reference_data, partner):
    noisy = client_for(ApiKeyFactory(partner=partner, rate_limit_create=1))
    quiet = client_for(ApiKeyFactory(partner=partner, rate_limit_create=1))

    noisy.post(URL, minimal_body(), format="json")
    refused = noisy.post(URL, minimal_body(), format="json")
    accepted = quiet.post(URL, minimal_body(), format="json")

    assert (refused.status_code, accepted.status_code) == (429, 201)


def test_rate_limit_store_outage_lets_calls_through(api_client, reference_data, monkeypatch):
    def unavailable(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "add", unavailable)
    monkeypatch.setattr("django_ratelimit.core.caches", {"default": cache})

    response = api_client.post(URL, minimal_body(), format="json")

    assert response.status_code == 201
    assert not response.has_header("X-RateLimit-Limit")


def test_unauthenticated_calls_are_not_counted_and_get_no_headers(anonymous_client, reference_data):
    response = anonymous_client.get(URL)

    assert response.status_code == 401
    assert not response.has_header("X-RateLimit-Limit")
