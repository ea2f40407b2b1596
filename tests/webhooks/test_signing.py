import base64
import hashlib
import hmac

import pytest

from webhooks.signing import decode_secret, sign, verify_legacy, verify_standard

# The published Standard Webhooks example. Svix's reference library tests use the same
# values (testSignFunctionWorks in svix-webhooks' PHP tests), and the computation in
# test_sign_matches_an_independent_stdlib_computation gives the same signature.
REFERENCE_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
REFERENCE_MESSAGE_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
REFERENCE_TIMESTAMP = 1614265330
REFERENCE_BODY = b'{"test": 2432232314}'
REFERENCE_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

OLD_SECRET = "whsec_" + base64.b64encode(b"o" * 32).decode()
NEW_SECRET = "whsec_" + base64.b64encode(b"n" * 32).decode()
UNRELATED_SECRET = "whsec_" + base64.b64encode(b"u" * 32).decode()

BODY = b'{"event":"ticket.updated","ticket":{"number":"SD-2024-000042","status":"resolved"}}'
MESSAGE_ID = "msg_01HZX3"
NOW = 1_717_000_000


def _reference_headers() -> dict[str, str]:
    return sign(
        secrets=[REFERENCE_SECRET],
        message_id=REFERENCE_MESSAGE_ID,
        timestamp=REFERENCE_TIMESTAMP,
        body=REFERENCE_BODY,
    )


def _headers(*, secrets: list[str] | None = None, timestamp: int = NOW) -> dict[str, str]:
    return sign(secrets=secrets or [NEW_SECRET], message_id=MESSAGE_ID, timestamp=timestamp, body=BODY)


def test_sign_reproduces_the_standard_webhooks_reference_vector():
    headers = _reference_headers()

    assert headers["webhook-id"] == REFERENCE_MESSAGE_ID
    assert headers["webhook-timestamp"] == "1614265330"
    assert headers["webhook-signature"] == REFERENCE_SIGNATURE


def test_verify_standard_accepts_the_reference_vector():
    headers = {
        "webhook-id": REFERENCE_MESSAGE_ID,
        "webhook-timestamp": str(REFERENCE_TIMESTAMP),
        "webhook-signature": REFERENCE_SIGNATURE,
    }

    assert verify_standard(secret=REFERENCE_SECRET, headers=headers, body=REFERENCE_BODY, now=REFERENCE_TIMESTAMP)


def test_sign_matches_an_independent_stdlib_computation():
    key = base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    signed_content = b"msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330." + REFERENCE_BODY
    expected = "v1," + base64.b64encode(hmac.new(key, signed_content, hashlib.sha256).digest()).decode()

    assert _reference_headers()["webhook-signature"] == expected


def test_legacy_header_is_hex_hmac_of_the_raw_body_keyed_with_the_decoded_secret():
    key = base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")

    headers = _reference_headers()

    assert headers["X-Webhook-Signature"] == "sha256=" + hmac.new(key, REFERENCE_BODY, hashlib.sha256).hexdigest()
    assert verify_legacy(secret=REFERENCE_SECRET, header_value=headers["X-Webhook-Signature"], body=REFERENCE_BODY)


def test_sign_returns_exactly_the_four_headers():
    assert set(_headers()) == {"X-Webhook-Signature", "webhook-id", "webhook-timestamp", "webhook-signature"}


def test_legacy_header_during_rotation_is_keyed_with_the_first_secret_only():
    headers = _headers(secrets=[NEW_SECRET, OLD_SECRET])

    assert verify_legacy(secret=NEW_SECRET, header_value=headers["X-Webhook-Signature"], body=BODY)
    assert not verify_legacy(secret=OLD_SECRET, header_value=headers["X-Webhook-Signature"], body=BODY)


def test_two_secrets_produce_two_v1_signatures_in_the_order_given():
    both = _headers(secrets=[NEW_SECRET, OLD_SECRET])["webhook-signature"]
    new_only = _headers(secrets=[NEW_SECRET])["webhook-signature"]
    old_only = _headers(secrets=[OLD_SECRET])["webhook-signature"]

    assert both == f"{new_only} {old_only}"
    assert [entry.split(",")[0] for entry in both.split(" ")] == ["v1", "v1"]


def test_receiver_holding_either_rotated_secret_verifies():
    headers = _headers(secrets=[NEW_SECRET, OLD_SECRET])

    assert verify_standard(secret=NEW_SECRET, headers=headers, body=BODY, now=NOW)
    assert verify_standard(secret=OLD_SECRET, headers=headers, body=BODY, now=NOW)


def test_receiver_holding_a_third_secret_does_not_verify():
    headers = _headers(secrets=[NEW_SECRET, OLD_SECRET])

    assert not verify_standard(secret=UNRELATED_SECRET, headers=headers, body=BODY, now=NOW)


def test_tampered_body_does_not_verify():
    headers = _headers()

    assert not verify_standard(secret=NEW_SECRET, headers=headers, body=BODY + b" ", now=NOW)
    assert not verify_legacy(secret=NEW_SECRET, header_value=headers["X-Webhook-Signature"], body=BODY + b" ")


def test_tampered_message_id_does_not_verify():
    headers = _headers() | {"webhook-id": "msg_someone_else"}

    assert not verify_standard(secret=NEW_SECRET, headers=headers, body=BODY, now=NOW)


def test_tampered_timestamp_does_not_verify():
    headers = _headers() | {"webhook-timestamp": str(NOW + 1)}

    assert not verify_standard(secret=NEW_SECRET, headers=headers, body=BODY, now=NOW)


def test_timestamp_301_seconds_old_is_rejected_as_a_replay():
    headers = _headers(timestamp=NOW - 301)

    assert not verify_standard(secret=NEW_SECRET, headers=headers, body=BODY, now=NOW)


def test_timestamp_301_seconds_in_the_future_is_rejected():
    headers = _headers(timestamp=NOW + 301)

    assert not verify_standard(secret=NEW_SECRET, headers=headers, body=BODY, now=NOW)


def test_timestamp_exactly_300_seconds_away_either_way_is_accepted():
    old = _headers(timestamp=NOW - 300)
    future = _headers(timestamp=NOW + 300)

    assert verify_standard(secret=NEW_SECRET, headers=old, body=BODY, now=NOW)
    assert verify_standard(secret=NEW_SECRET, headers=future, body=BODY, now=NOW)


def test_tolerance_can_be_narrowed():
    headers = _headers(timestamp=NOW - 61)

    assert not verify_standard(secret=NEW_SECRET, headers=headers, body=BODY, now=NOW, tolerance_seconds=60)


@pytest.mark.parametrize("timestamp", ["", "abc", "+1717000000", " 1717000000", "1_717_000_000", "-5"])
def test_non_integer_timestamp_does_not_verify(timestamp):
    headers = _headers() | {"webhook-timestamp": timestamp}

    assert not verify_standard(secret=NEW_SECRET, headers=headers, body=BODY, now=NOW)


def test_header_names_are_case_insensitive():
    headers = _headers()
    upper = {name.upper(): value for name, value in headers.items()}
    lower = {name.lower(): value for name, value in headers.items()}
    title = {name.title(): value for name, value in headers.items()}

    assert verify_standard(secret=NEW_SECRET, headers=upper, body=BODY, now=NOW)
    assert verify_standard(secret=NEW_SECRET, headers=lower, body=BODY, now=NOW)
    assert verify_standard(secret=NEW_SECRET, headers=title, body=BODY, now=NOW)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_standard_header_does_not_verify(missing):
    headers = _headers()
    del headers[missing]

    assert not verify_standard(secret=NEW_SECRET, headers=headers, body=BODY, now=NOW)


def test_signature_of_another_version_is_ignored():
    # given a correct digest, but labelled with a version we do not implement
    digest = _headers()["webhook-signature"].removeprefix("v1,")
    headers = _headers() | {"webhook-signature": f"v2,{digest}"}

    # then it does not count as a match
    assert not verify_standard(secret=NEW_SECRET, headers=headers, body=BODY, now=NOW)


def test_unknown_versions_alongside_a_valid_v1_do_not_prevent_a_match():
    valid = _headers()["webhook-signature"]
    headers = _headers() | {"webhook-signature": f"v2,abc v1a,xyz {valid} garbage"}

    assert verify_standard(secret=NEW_SECRET, headers=headers, body=BODY, now=NOW)


@pytest.mark.parametrize(
    "secret",
    [
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",  # prefix missing
        "WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",  # prefix in the wrong case
        "whsec_",  # empty key
        "whsec_not base64!",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS",  # bad padding
    ],
)
def test_malformed_secret_raises_value_error(secret):
    with pytest.raises(ValueError):
        decode_secret(secret)
    with pytest.raises(ValueError):
        sign(secrets=[secret], message_id=MESSAGE_ID, timestamp=NOW, body=BODY)


def test_decode_secret_returns_the_key_bytes():
    assert decode_secret(OLD_SECRET) == b"o" * 32


def test_sign_without_secrets_raises_value_error():
    with pytest.raises(ValueError):
        sign(secrets=[], message_id=MESSAGE_ID, timestamp=NOW, body=BODY)


def test_bare_sha256_of_the_body_does_not_verify():
    # A bare hash, which is what the spec's example implied. Anyone can compute it, so
    # it must not be accepted.
    bare_hash = "sha256=" + hashlib.sha256(BODY).hexdigest()

    assert not verify_legacy(secret=NEW_SECRET, header_value=bare_hash, body=BODY)


def test_hmac_keyed_with_the_secret_text_instead_of_its_decoded_bytes_does_not_verify():
    # A receiver that keys the HMAC with the "whsec_..." text gets a different MAC from ours.
    wrong_key = NEW_SECRET.encode()
    legacy = "sha256=" + hmac.new(wrong_key, BODY, hashlib.sha256).hexdigest()
    standard = (
        "v1,"
        + base64.b64encode(
            hmac.new(wrong_key, f"{MESSAGE_ID}.{NOW}.".encode() + BODY, hashlib.sha256).digest()
        ).decode()
    )

    assert not verify_legacy(secret=NEW_SECRET, header_value=legacy, body=BODY)
    assert not verify_standard(
        secret=NEW_SECRET, headers=_headers() | {"webhook-signature": standard}, body=BODY, now=NOW
    )


@pytest.mark.parametrize("header_value", ["", "sha256=", "sha1=abc", "SHA256=deadbeef"])
def test_malformed_legacy_header_does_not_verify(header_value):
    assert not verify_legacy(secret=NEW_SECRET, header_value=header_value, body=BODY)
