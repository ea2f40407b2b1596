"""API keys against theft and guessing: verification in constant time, another partner's
key opens nothing of ours, and a raw key is never stored, logged or sent to the database.
(Missing, malformed, revoked, expired and query-string keys: tests/apikeys/test_authentication.py.)"""

import hmac
import io
import json
import logging

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from apikeys import keys
from apikeys.models import ApiKey, Partner
from tests.factories import ApiKeyFactory, PartnerFactory, TicketFactory, UserFactory
from tests.payloads import minimal_body
from tests.security import cells_containing

URL = "/api/omnichannel/tickets"


def client_with_key(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw_key)
    return client


def secret_part(raw_key: str) -> str:
    return raw_key.split("_", 2)[2]


@pytest.fixture
def compare_digest_calls(monkeypatch) -> list[tuple]:
    """Every call of hmac.compare_digest while the test runs (it still answers as usual)."""
    calls = []
    real = hmac.compare_digest

    def recording(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(keys.hmac, "compare_digest", recording)
    return calls


# ---------------------------------------------------------------- constant-time verification


def test_a_good_key_is_verified_by_hmac_compare_digest_of_the_digests(api_key, api_client, compare_digest_calls):
    response = api_client.get(f"{URL}/INC-1999-0001")

    assert response.status_code == 404  # authenticated, the ticket does not exist
    assert (keys.digest_key(api_key.raw_key), api_key.key_hash) in compare_digest_calls


def test_a_wrong_secret_with_a_known_prefix_is_refused_by_hmac_compare_digest(api_key, compare_digest_calls):
    # A guess that gets the public prefix right must cost a full constant-time comparison,
    # never an early `==` that would time how much of the guess was right.
    guess = f"sdk_{api_key.prefix}_" + "B" * 43

    response = client_with_key(guess).get(f"{URL}/INC-1999-0001")

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_api_key"
    assert (keys.digest_key(guess), api_key.key_hash) in compare_digest_calls


# ---------------------------------------------------------------- another partner's key


def test_another_partners_valid_key_sees_our_ticket_as_unknown(reference_data, partner):
    ours = TicketFactory(partner=partner)
    their_key = ApiKeyFactory(partner=PartnerFactory(code="OTHER"))
    their_client = client_with_key(their_key.raw_key)

    response = their_client.get(f"{URL}/{ours.number}")

    assert response.status_code == 404
    assert response.json() == their_client.get(f"{URL}/INC-1999-0001").json()
    assert response.json() == {"success": False, "error": "Ticket not found.", "code": "not_found", "errors": {}}


def test_our_prefix_with_another_partners_secret_is_an_invalid_key(reference_data, partner, api_key):
    TicketFactory(partner=partner, number="INC-2024-0001")
    their_key = ApiKeyFactory(partner=PartnerFactory(code="OTHER"))
    spliced = f"sdk_{api_key.prefix}_{secret_part(their_key.raw_key)}"

    response = client_with_key(spliced).get(f"{URL}/INC-2024-0001")

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_api_key"


# ---------------------------------------------------------------- never stored in clear


def test_a_key_made_by_create_api_key_is_in_no_column_of_any_table(reference_data):
    # given a key made the way the bank hands them out, then used, refused and misused
    out = io.StringIO()
    call_command("create_api_key", "--partner", "PARTNER777", "--name", "Gateway", "--json", stdout=out)
    issued = json.loads(out.getvalue())
    raw_key = issued["key"]
    client = client_with_key(raw_key)
    created = client.post(URL, minimal_body(integration={"requestId": "REQ-SECRECY-1"}), format="json")
    assert created.status_code == 201, created.content
    number = created.json()["ticketNumber"]
    comment = client.patch(
        f"{URL}/{number}", {"action": "ADD_COMMENT", "comment": "Hi"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert comment.status_code == 200
    assert client.get(URL, {"ticketNumber": number}).status_code == 200
    assert client_with_key(raw_key[:-1] + ("A" if raw_key[-1] != "A" else "B")).get(URL).status_code == 401
    assert APIClient().get(f"{URL}?api_key={raw_key}").status_code == 401

    # then neither the key nor its secret part is anywhere; the digest is where it belongs
    assert cells_containing(raw_key) == []
    assert cells_containing(secret_part(raw_key)) == []
    assert cells_containing(keys.digest_key(raw_key)) == ["apikeys_apikey.key_hash"]


def test_a_key_made_in_the_admin_is_in_no_column_of_any_table_while_it_is_shown(client, db):
    client.force_login(UserFactory(username="root", is_superuser=True))
    partner = PartnerFactory(code="PORTAL")

    # The redirect is not followed: the "copy this key now" message is still waiting to be shown.
    response = client.post(
        "/admin/apikeys/apikey/add/",
        {"partner": partner.pk, "name": "Web portal", "permissions": ["omnichannel:read"]},
    )

    assert response.status_code == 302
    (shown,) = [str(m) for m in get_messages(response.wsgi_request) if str(m).startswith("Copy this key now")]
    raw_key = shown.rsplit(" ", 1)[1]
    assert ApiKey.objects.get(name="Web portal").key_hash == keys.digest_key(raw_key)
    assert cells_containing(raw_key) == []
    assert cells_containing(secret_part(raw_key)) == []


def test_the_webhook_secret_is_in_no_column_of_any_table(reference_data):
    # It must be recoverable to sign with, so it is encrypted (apikeys/secret_box.py), not
    # hashed: the partner's row holds a Fernet token, and the secret spreads nowhere else.
    out = io.StringIO()
    call_command("create_api_key", "--partner", "PARTNER778", "--name", "Gateway", "--json", stdout=out)
    issued = json.loads(out.getvalue())
    created = client_with_key(issued["key"]).post(
        URL, minimal_body(integration={"webhookUrl": "https://hooks.partner.example/x"}), format="json"
    )
    assert created.status_code == 201

    assert issued["webhookSecret"].startswith("whsec_")
    assert cells_containing(issued["webhookSecret"]) == []
    assert cells_containing(issued["webhookSecret"].removeprefix("whsec_")) == []
    assert Partner.objects.get(code="PARTNER778").webhook_secret == issued["webhookSecret"]


# ---------------------------------------------------------------- never logged, never in SQL


def test_a_raw_key_never_reaches_the_logs_or_the_sql(api_key, reference_data, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    revoked = ApiKeyFactory(partner=api_key.partner, revoked_at=timezone.now())
    ticket = TicketFactory(partner=api_key.partner)
    good = client_with_key(api_key.raw_key)
    good.raise_request_exception = False

    # CaptureQueriesContext also makes Django log every SQL statement with its parameters.
    with CaptureQueriesContext(connection) as queries:
        answers = [
            good.get(f"{URL}/{ticket.number}"),
            good.post(URL, minimal_body(), format="json"),
            good.post(URL, {"channel": "FAX"}, format="json"),
            client_with_key(api_key.raw_key[:-2] + "zz").get(f"{URL}/{ticket.number}"),
            client_with_key(revoked.raw_key).get(f"{URL}/{ticket.number}"),
            APIClient().get(f"{URL}/{ticket.number}?api_key={api_key.raw_key}"),
        ]
        monkeypatch.setattr("tickets.selectors.tickets_for_partner", _explode)
        answers.append(good.get(URL))

    assert [a.status_code for a in answers] == [200, 201, 400, 401, 401, 401, 500]
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    # What was captured is complete: the key's public prefix is in the lookup, as logged.
    assert api_key.prefix in sql
    assert api_key.prefix in "".join(str(r.args) for r in caplog.records if r.name == "django.db.backends")
    for raw_key in (api_key.raw_key, revoked.raw_key):
        assert secret_part(raw_key) not in logged
        assert secret_part(raw_key) not in sql
    for answer in answers:
        assert secret_part(api_key.raw_key) not in answer.content.decode()


def _explode(**kwargs):
    raise RuntimeError("the database is on fire")
