"""The receiver partners copy (examples/webhook_receiver.py), run for real on a local port
and fed requests signed by our own signing code."""

import base64
import importlib.util
import json
import threading
import time
from pathlib import Path

import pytest
import requests

from webhooks.signing import sign

EXAMPLE_PATH = Path(__file__).resolve().parents[2] / "examples" / "webhook_receiver.py"

SECRET = "whsec_" + base64.b64encode(b"s" * 32).decode()
OLD_SECRET = "whsec_" + base64.b64encode(b"o" * 32).decode()
NEW_SECRET = "whsec_" + base64.b64encode(b"n" * 32).decode()
UNRELATED_SECRET = "whsec_" + base64.b64encode(b"u" * 32).decode()

EVENT = {
    "eventId": "evt_3q0yJ2b5mC8xVn1kTqLw9a",
    "event": "STATUS_CHANGED",
    "sequence": 2,
    "ticketNumber": "INC-2026-0001",
    "ticketId": "tkt_mY2yb4Q0cJ3k9wPZ7xAe",
    "channelReferenceId": "WA-2026-001-XYZ",
    "timestamp": "2026-12-07T03:00:00Z",
    "data": {"oldStatus": "OPEN", "newStatus": "IN_PROGRESS", "comment": "Ticket assigned to technician"},
}
BODY = json.dumps(EVENT, separators=(",", ":")).encode()


def _load_example():
    # By path: examples/ is not a package, and a test should run the file partners copy.
    spec = importlib.util.spec_from_file_location("webhook_receiver_example", EXAMPLE_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


webhook_receiver = _load_example()


@pytest.fixture
def start_receiver():
    """Start the example on a free port, holding one secret; returns (url, events handed over)."""
    servers = []

    def start(secret: str, on_event=None) -> tuple[str, list[dict]]:
        events: list[dict] = []
        server = webhook_receiver.make_server(secret, 0, on_event=on_event or events.append)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}/webhooks/servicedesk", events

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _deliver(
    url: str,
    *,
    secrets: list[str],
    body: bytes = BODY,
    sent_body: bytes | None = None,
    timestamp: int | None = None,
    extra_headers: dict[str, str] | None = None,
) -> requests.Response:
    """POST like our sender: sign ``body`` and send ``sent_body`` (``body`` unless tampered with)."""
    headers = sign(
        secrets=secrets,
        message_id=EVENT["eventId"],
        timestamp=int(time.time()) if timestamp is None else timestamp,
        body=body,
    )
    headers |= {"Content-Type": "application/json", "User-Agent": "BankSulutGo-ServiceDesk-Webhooks/1.0"}
    headers |= extra_headers or {}
    return requests.post(url, data=body if sent_body is None else sent_body, headers=headers, timeout=5)


def test_signed_event_is_answered_204_and_handed_over_once(start_receiver):
    url, events = start_receiver(SECRET)

    response = _deliver(url, secrets=[SECRET])

    assert response.status_code == 204
    assert response.content == b""
    assert events == [EVENT]


def test_redelivered_event_id_is_answered_200_and_not_processed_again(start_receiver):
    # given an event already processed
    url, events = start_receiver(SECRET)
    assert _deliver(url, secrets=[SECRET]).status_code == 204

    # when we send it again, signed anew as every attempt is
    response = _deliver(url, secrets=[SECRET], timestamp=int(time.time()) + 1)

    # then
    assert response.status_code == 200
    assert events == [EVENT]


def test_tampered_body_is_refused_and_does_not_block_the_genuine_event(start_receiver):
    url, events = start_receiver(SECRET)
    tampered = BODY.replace(b'"newStatus":"IN_PROGRESS"', b'"newStatus":"CANCELLED"')
    assert tampered != BODY

    refused = _deliver(url, secrets=[SECRET], sent_body=tampered)
    genuine = _deliver(url, secrets=[SECRET])

    assert refused.status_code == 401
    assert genuine.status_code == 204
    assert events == [EVENT]


# A minute past the tolerance: the live receiver reads its own clock, which ticks on while
# the request travels, so an offset of 301 s from a truncated int(time.time()) could land on
# exactly 300 s there. The exact boundary is tested below with a fixed "now".
@pytest.mark.parametrize("offset_seconds", [-360, 360], ids=["stale", "future"])
def test_timestamp_more_than_five_minutes_away_is_refused(start_receiver, offset_seconds):
    url, events = start_receiver(SECRET)

    response = _deliver(url, secrets=[SECRET], timestamp=int(time.time()) + offset_seconds)

    assert response.status_code == 401
    assert events == []


@pytest.mark.parametrize(
    ("offset_seconds", "accepted"),
    [(-301, False), (-300, True), (300, True), (301, False)],
    ids=["301-stale", "300-stale", "300-future", "301-future"],
)
def test_timestamp_tolerance_is_exactly_five_minutes(offset_seconds, accepted):
    now = 1_796_000_000
    key = webhook_receiver.decode_secret(SECRET)
    headers = sign(secrets=[SECRET], message_id=EVENT["eventId"], timestamp=now + offset_seconds, body=BODY)

    assert webhook_receiver.standard_signature_is_valid(key, headers, BODY, float(now)) is accepted


def test_event_signed_with_another_secret_is_refused(start_receiver):
    url, events = start_receiver(SECRET)

    response = _deliver(url, secrets=[UNRELATED_SECRET])

    assert response.status_code == 401
    assert events == []


def test_unsigned_request_is_refused(start_receiver):
    url, events = start_receiver(SECRET)

    response = requests.post(url, data=BODY, headers={"Content-Type": "application/json"}, timeout=5)

    assert response.status_code == 401
    assert events == []


def test_wrong_body_signature_is_refused_even_with_a_valid_standard_signature(start_receiver):
    url, events = start_receiver(SECRET)
    wrong = sign(secrets=[UNRELATED_SECRET], message_id="x", timestamp=0, body=BODY)["X-Webhook-Signature"]

    response = _deliver(url, secrets=[SECRET], extra_headers={"X-Webhook-Signature": wrong})

    assert response.status_code == 401
    assert events == []


def test_during_rotation_a_receiver_holding_only_the_old_secret_accepts(start_receiver):
    url, events = start_receiver(OLD_SECRET)

    response = _deliver(url, secrets=[NEW_SECRET, OLD_SECRET])

    assert response.status_code == 204
    assert events == [EVENT]


def test_during_rotation_a_receiver_holding_the_new_secret_accepts(start_receiver):
    url, events = start_receiver(NEW_SECRET)

    response = _deliver(url, secrets=[NEW_SECRET, OLD_SECRET])

    assert response.status_code == 204
    assert events == [EVENT]


def test_failed_processing_answers_500_and_the_next_attempt_is_processed(start_receiver):
    # given a receiver whose processing fails once
    handed_over: list[dict] = []

    def on_event(event: dict) -> None:
        handed_over.append(event)
        if len(handed_over) == 1:
            raise RuntimeError("database unavailable")

    url, _ = start_receiver(SECRET, on_event=on_event)

    # when we deliver, and retry after the 500
    failed = _deliver(url, secrets=[SECRET])
    retried = _deliver(url, secrets=[SECRET])

    # then the id was not remembered as processed
    assert failed.status_code == 500
    assert retried.status_code == 204
    assert handed_over == [EVENT, EVENT]


def test_print_event_writes_one_line_per_event(capsys):
    webhook_receiver.print_event(EVENT)

    assert capsys.readouterr().out == "evt_3q0yJ2b5mC8xVn1kTqLw9a STATUS_CHANGED INC-2026-0001 2\n"
