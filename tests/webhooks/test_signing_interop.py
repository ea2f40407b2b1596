"""What we sign verifies with the Standard Webhooks reference library for Python
(the `standardwebhooks` package), the one docs/webhooks.md tells partners to use."""

import base64
import json
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from webhooks.signing import sign

OLD_SECRET = "whsec_" + base64.b64encode(b"o" * 32).decode()
NEW_SECRET = "whsec_" + base64.b64encode(b"n" * 32).decode()
UNRELATED_SECRET = "whsec_" + base64.b64encode(b"u" * 32).decode()

EVENT = {
    "eventId": "evt_3q0yJ2b5mC8xVn1kTqLw9a",
    "event": "COMMENT_ADDED",
    "sequence": 3,
    "ticketNumber": "INC-2026-0001",
    "ticketId": "tkt_mY2yb4Q0cJ3k9wPZ7xAe",
    "channelReferenceId": "WA-2026-001-XYZ",
    "timestamp": "2026-12-07T03:05:00Z",
    "data": {
        "commentId": "0b6f7c1e-2d4a-4f5e-9a3b-8c1d2e3f4a5b",
        "comment": "Dana sudah dikembalikan ke rekening Anda — terima kasih.",
        "author": "Ratna Sari",
        "createdAt": "2026-12-07T03:05:00Z",
    },
}
# With non-ASCII text as raw UTF-8: the library verifies the decoded text, we sign bytes.
BODY = json.dumps(EVENT, ensure_ascii=False, separators=(",", ":")).encode()


def _headers(*, secrets: list[str], body: bytes = BODY, timestamp: int | None = None) -> dict[str, str]:
    now = int(time.time()) if timestamp is None else timestamp
    return sign(secrets=secrets, message_id=EVENT["eventId"], timestamp=now, body=body)


def test_library_signs_exactly_what_we_sign():
    timestamp = int(time.time())

    library_signature = Webhook(NEW_SECRET).sign(
        msg_id=EVENT["eventId"], timestamp=datetime.fromtimestamp(timestamp, tz=UTC), data=BODY.decode()
    )

    assert library_signature == _headers(secrets=[NEW_SECRET], timestamp=timestamp)["webhook-signature"]


def test_library_verifies_a_delivery_signed_with_one_secret():
    payload = Webhook(NEW_SECRET).verify(BODY, _headers(secrets=[NEW_SECRET]))

    assert payload == json.loads(BODY)


@pytest.mark.parametrize("receiver_secret", [NEW_SECRET, OLD_SECRET], ids=["new", "old"])
def test_library_verifies_a_delivery_signed_during_rotation_with_either_secret(receiver_secret):
    headers = _headers(secrets=[NEW_SECRET, OLD_SECRET])
    assert len(headers["webhook-signature"].split(" ")) == 2

    payload = Webhook(receiver_secret).verify(BODY, headers)

    assert payload == json.loads(BODY)


def test_library_refuses_a_tampered_body():
    headers = _headers(secrets=[NEW_SECRET, OLD_SECRET])
    tampered = BODY.replace(b'"sequence":3', b'"sequence":4')
    assert tampered != BODY

    with pytest.raises(WebhookVerificationError) as raised:
        Webhook(NEW_SECRET).verify(tampered, headers)

    assert str(raised.value) == "No matching signature found"


def test_library_refuses_another_secret():
    with pytest.raises(WebhookVerificationError) as raised:
        Webhook(UNRELATED_SECRET).verify(BODY, _headers(secrets=[NEW_SECRET, OLD_SECRET]))

    assert str(raised.value) == "No matching signature found"


def test_library_refuses_a_stale_timestamp():
    headers = _headers(secrets=[NEW_SECRET], timestamp=int(time.time()) - 301)

    with pytest.raises(WebhookVerificationError) as raised:
        Webhook(NEW_SECRET).verify(BODY, headers)

    assert str(raised.value) == "Message timestamp too old"
