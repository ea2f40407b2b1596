"""Concurrency against a real server: gunicorn with two worker processes on PostgreSQL and
Redis, driven by concurrent clients (threads, and separate processes)."""

import datetime
import multiprocessing
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import django_ratelimit.core
import requests
from django.db import connections, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from omnichannel.models import IdempotencyRecord
from tests.factories import ApiKeyFactory, PartnerFactory
from tests.http_clients import create_many
from tests.live_server import needs_real_services
from tests.payloads import minimal_body
from tickets.models import Ticket

pytestmark = needs_real_services

TICKETS = "/api/omnichannel/tickets"


def _post(url: str, key: str, body: dict) -> tuple[int, dict, dict]:
    response = requests.post(url, json=body, headers={"X-API-Key": key}, timeout=60)
    return response.status_code, response.json(), dict(response.headers)


def test_fifty_simultaneous_identical_creates_open_exactly_one_ticket(gunicorn_server, reference_data):
    key = ApiKeyFactory(partner=PartnerFactory(code="PARTNER001")).raw_key
    body = minimal_body(integration={"requestId": "REQ-RACE"})

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(lambda _: _post(gunicorn_server + TICKETS, key, body), range(50)))

    ticket = Ticket.objects.get()
    statuses = [status for status, _, _ in answers]
    assert set(statuses) <= {201, 409}
    originals = [headers for status, _, headers in answers if status == 201 and "Idempotent-Replayed" not in headers]
    assert len(originals) == 1  # one request did the work; every other 201 is its replay
    for status, payload, headers in answers:
        if status == 201:
            assert payload["ticketNumber"] == ticket.number
        else:
            assert payload["code"] == "request_in_progress"
            assert headers["Retry-After"] == "1"
    assert Ticket.objects.count() == 1


def test_on_the_live_server_a_changed_body_is_a_409_and_24_hours_later_the_id_is_new(gunicorn_server, reference_data):
    key = ApiKeyFactory(partner=PartnerFactory(code="PARTNER001")).raw_key
    url = gunicorn_server + TICKETS
    body = minimal_body(integration={"requestId": "REQ-LIVE"})
    changed = minimal_body(integration={"requestId": "REQ-LIVE"}, ticket={"title": "Other", "description": "Other"})

    first = _post(url, key, body)
    conflict = _post(url, key, changed)
    # time travel: the first answer was given 24 hours and a second ago
    past = timezone.now() - datetime.timedelta(hours=24, seconds=1)
    IdempotencyRecord.objects.update(created_at=past, expires_at=past + datetime.timedelta(hours=24))
    later = _post(url, key, changed)

    assert first[0] == 201
    assert (conflict[0], conflict[1]["code"]) == (409, "idempotency_key_reused")
    assert later[0] == 201
    assert "Idempotent-Replayed" not in later[2]
    assert later[1]["ticketNumber"] != first[1]["ticketNumber"]
    assert Ticket.objects.count() == 2


def test_two_hundred_creates_from_four_processes_get_distinct_numbers_in_creation_order(
    gunicorn_server, reference_data
):
    key = ApiKeyFactory(partner=PartnerFactory(code="PARTNER001"), rate_limit_create=1000).raw_key
    context = multiprocessing.get_context("spawn")

    with ProcessPoolExecutor(max_workers=4, mp_context=context) as pool:
        batches = list(pool.map(create_many, [gunicorn_server + TICKETS] * 4, [key] * 4, range(4), [50] * 4))

    answers = [answer for batch in batches for answer in batch]
    assert [status for status, _ in answers] == [201] * 200
    numbers = {number for _, number in answers}
    assert len(numbers) == 200
    stored = list(Ticket.objects.order_by("created_at", "pk").values_list("number", flat=True))
    assert set(stored) == numbers
    sequences = [int(number.rsplit("-", 1)[1]) for number in stored]
    assert sequences == sorted(sequences)  # numbers increase with creation time


def test_a_duplicate_waits_for_the_first_then_gets_409_with_retry_after(transactional_db, reference_data, settings):
    # given: another transaction has claimed the key and is still working
    settings.IDEMPOTENCY_WAIT_SECONDS = 0.5
    api_key = ApiKeyFactory(partner=PartnerFactory(code="PARTNER001"))
    body = minimal_body(integration={"requestId": "REQ-SLOW"})
    claimed, release = threading.Event(), threading.Event()

    def first_request_in_flight():
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.create(
                    partner=api_key.partner, key="requestId:REQ-SLOW", fingerprint="x" * 64,
                    created_at=timezone.now(), expires_at=timezone.now() + datetime.timedelta(hours=24),
                )  # fmt: skip
                claimed.set()
                release.wait(30)
                transaction.set_rollback(True)  # the first request fails
        finally:
            connections.close_all()

    first = threading.Thread(target=first_request_in_flight)
    first.start()
    claimed.wait(10)
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=api_key.raw_key)

    # when
    waited = client.post(TICKETS, body, format="json")
    release.set()
    first.join(30)
    retried = client.post(TICKETS, body, format="json")

    # then
    assert waited.status_code == 409
    assert waited.json()["code"] == "request_in_progress"
    assert waited["Retry-After"] == "1"
    assert retried.status_code == 201  # the first failed and left nothing: the retry does the work
    assert Ticket.objects.count() == 1


def _key_with_a_long_window(partner, **fields):
    """A key whose one-minute rate-limit window has at least 30 s left, so 130 quick
    requests all fall in it (django-ratelimit offsets each key's window by its value)."""
    while True:
        api_key = ApiKeyFactory(partner=partner, **fields)
        if django_ratelimit.core._get_window(api_key.prefix, 60) - time.time() >= 30:
            return api_key


def test_one_hundred_thirty_creates_over_two_processes_accept_exactly_one_hundred(gunicorn_server, reference_data):
    partner = PartnerFactory(code="PARTNER001")
    noisy = _key_with_a_long_window(partner)
    quiet = _key_with_a_long_window(partner)

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda _: _post(gunicorn_server + TICKETS, noisy.raw_key, minimal_body()), range(130)))
    quiet_answer = _post(gunicorn_server + TICKETS, quiet.raw_key, minimal_body())

    statuses = [status for status, _, _ in answers]
    assert statuses.count(201) == 100
    assert statuses.count(429) == 30
    for status, payload, headers in answers:
        if status == 429:
            assert payload["code"] == "rate_limited"
            assert 1 <= int(headers["Retry-After"]) <= 60
    assert quiet_answer[0] == 201
    assert quiet_answer[2]["X-RateLimit-Remaining"] == "99"
    assert Ticket.objects.count() == 101
