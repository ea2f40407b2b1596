"""Who may call the partner API: the X-API-Key header, key states, permissions and
address allow-lists, each answered in the spec's error envelope."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apikeys.models import ApiKey, Partner, Permission
from tests.factories import ApiKeyFactory, TicketFactory
from tests.payloads import minimal_body
from tickets.models import Comment, Customer, Ticket

COLLECTION_URL = "/api/omnichannel/tickets"
DETAIL_URL = "/api/omnichannel/tickets/INC-2024-0001"
WELL_FORMED_UNKNOWN_KEY = "sdk_0badc0de_" + "A" * 43


@pytest.fixture
def ticket(reference_data, partner) -> Ticket:
    return TicketFactory(number="INC-2024-0001", partner=partner)


def client_with_key(raw_key: str, **defaults) -> APIClient:
    client = APIClient(**defaults)
    client.credentials(HTTP_X_API_KEY=raw_key)
    return client


def assert_error(response, *, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response.json() == {"success": False, "error": response.json()["error"], "code": code, "errors": {}}
    assert response.json()["error"]


def call_both_endpoints(client) -> list:
    return [
        client.get(DETAIL_URL),
        client.post(COLLECTION_URL, minimal_body(), format="json"),
    ]


# ---------------------------------------------------------------- missing or wrong keys


def test_request_without_a_key_is_unauthenticated_with_a_challenge(anonymous_client, ticket):
    for response in call_both_endpoints(anonymous_client):
        assert_error(response, status=401, code="not_authenticated")
        assert response["WWW-Authenticate"] == 'ApiKey header="X-API-Key"'
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    "raw_key",
    ["abc", "sdk_short_x", "sdk_0badc0de_", "xyz_0badc0de_" + "A" * 43, "sdk0badc0de" + "A" * 43, " ", "Bearer abc"],
)
def test_malformed_key_is_invalid(ticket, raw_key):
    for response in call_both_endpoints(client_with_key(raw_key)):
        assert_error(response, status=401, code="invalid_api_key")
    assert Ticket.objects.count() == 1


def test_well_formed_unknown_key_is_invalid(ticket):
    for response in call_both_endpoints(client_with_key(WELL_FORMED_UNKNOWN_KEY)):
        assert_error(response, status=401, code="invalid_api_key")


def test_known_prefix_with_a_wrong_secret_is_invalid(api_key, ticket):
    wrong = f"sdk_{api_key.prefix}_" + "B" * 43
    assert wrong != api_key.raw_key

    for response in call_both_endpoints(client_with_key(wrong)):
        assert_error(response, status=401, code="invalid_api_key")
    assert Ticket.objects.count() == 1


def test_key_with_a_secret_cut_short_is_invalid(api_key, ticket):
    response = client_with_key(api_key.raw_key[:-1]).get(DETAIL_URL)

    assert_error(response, status=401, code="invalid_api_key")


def test_key_in_the_query_string_only_is_not_accepted(api_key, anonymous_client, ticket):
    response = anonymous_client.get(f"{DETAIL_URL}?api_key={api_key.raw_key}")
    assert_error(response, status=401, code="not_authenticated")

    response = anonymous_client.post(f"{COLLECTION_URL}?api_key={api_key.raw_key}", minimal_body(), format="json")
    assert_error(response, status=401, code="not_authenticated")
    assert Ticket.objects.count() == 1


def test_key_in_an_authorization_header_is_not_accepted(api_key, ticket):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key.raw_key}")

    assert_error(client.get(DETAIL_URL), status=401, code="not_authenticated")


# ---------------------------------------------------------------- key states


def test_valid_key_reads_its_partners_ticket(api_client, ticket):
    response = api_client.get(DETAIL_URL)

    assert response.status_code == 200, response.content
    assert response.json()["ticketNumber"] == "INC-2024-0001"


def test_revoked_key_is_refused(api_key, api_client, ticket):
    api_key.revoked_at = timezone.now()
    api_key.save(update_fields=["revoked_at"])

    for response in call_both_endpoints(api_client):
        assert_error(response, status=401, code="api_key_revoked")
    assert Ticket.objects.count() == 1


def test_expired_key_is_refused(api_key, api_client, ticket):
    api_key.expires_at = timezone.now() - datetime.timedelta(seconds=1)
    api_key.save(update_fields=["expires_at"])

    for response in call_both_endpoints(api_client):
        assert_error(response, status=401, code="api_key_expired")
    assert Ticket.objects.count() == 1


def test_key_not_yet_expired_works(api_key, api_client, ticket):
    api_key.expires_at = timezone.now() + datetime.timedelta(hours=1)
    api_key.save(update_fields=["expires_at"])

    response = api_client.get(DETAIL_URL)

    assert response.status_code == 200, response.content


def test_key_of_a_deactivated_partner_is_refused(partner, api_client, ticket):
    Partner.objects.filter(pk=partner.pk).update(is_active=False)

    for response in call_both_endpoints(api_client):
        assert_error(response, status=401, code="api_key_revoked")
    assert Ticket.objects.count() == 1


def test_revoking_one_key_leaves_the_partners_other_keys_working(partner, api_key, ticket):
    other = ApiKeyFactory(partner=partner)
    api_key.revoked_at = timezone.now()
    api_key.save(update_fields=["revoked_at"])

    assert client_with_key(other.raw_key).get(DETAIL_URL).status_code == 200


# ---------------------------------------------------------------- permissions


def key_with(partner, *permissions: str) -> ApiKey:
    return ApiKeyFactory(partner=partner, permissions=list(permissions))


def test_key_without_create_permission_cannot_create(partner, ticket):
    api_key = key_with(partner, Permission.READ, Permission.UPDATE)
    customers = Customer.objects.count()

    response = client_with_key(api_key.raw_key).post(COLLECTION_URL, minimal_body(), format="json")

    assert_error(response, status=403, code="permission_denied")
    assert "omnichannel:create" in response.json()["error"]
    assert Ticket.objects.count() == 1
    assert Customer.objects.count() == customers


def test_key_without_read_permission_cannot_read(partner, ticket):
    api_key = key_with(partner, Permission.CREATE, Permission.UPDATE)
    client = client_with_key(api_key.raw_key)

    for url in (DETAIL_URL, f"{COLLECTION_URL}?ticketNumber=INC-2024-0001"):
        response = client.get(url)
        assert_error(response, status=403, code="permission_denied")
        assert "omnichannel:read" in response.json()["error"]


def test_key_without_update_permission_cannot_update(partner, ticket):
    api_key = key_with(partner, Permission.CREATE, Permission.READ)

    response = client_with_key(api_key.raw_key).patch(
        DETAIL_URL, {"action": "ADD_COMMENT", "comment": "More details"}, format="json"
    )

    assert_error(response, status=403, code="permission_denied")
    assert "omnichannel:update" in response.json()["error"]
    assert Comment.objects.count() == 0


def test_key_with_only_create_permission_can_create(partner, reference_data):
    api_key = key_with(partner, Permission.CREATE)

    response = client_with_key(api_key.raw_key).post(COLLECTION_URL, minimal_body(), format="json")

    assert response.status_code == 201, response.content


def test_missing_permission_is_checked_before_the_body_is_read(partner, ticket):
    api_key = key_with(partner, Permission.READ)

    response = client_with_key(api_key.raw_key).post(COLLECTION_URL, data="not json", content_type="application/json")

    assert_error(response, status=403, code="permission_denied")


# ---------------------------------------------------------------- address allow-lists


@pytest.fixture
def office_key(partner) -> ApiKey:
    return ApiKeyFactory(partner=partner, allowed_networks=["10.0.0.0/8"])


def test_key_limited_to_a_network_is_refused_from_elsewhere(office_key, ticket):
    client = client_with_key(office_key.raw_key)  # the test client calls from 127.0.0.1

    for response in call_both_endpoints(client):
        assert_error(response, status=403, code="address_not_allowed")
    assert Ticket.objects.count() == 1


def test_key_limited_to_a_network_works_from_inside_it(office_key, ticket):
    client = client_with_key(office_key.raw_key, REMOTE_ADDR="10.1.2.3")

    response = client.get(DETAIL_URL)

    assert response.status_code == 200, response.content


def test_key_limited_to_a_single_address_accepts_its_ipv4_mapped_form(partner, ticket):
    api_key = ApiKeyFactory(partner=partner, allowed_networks=["10.1.2.3/32"])

    assert client_with_key(api_key.raw_key, REMOTE_ADDR="::ffff:10.1.2.3").get(DETAIL_URL).status_code == 200
    assert_error(
        client_with_key(api_key.raw_key, REMOTE_ADDR="10.1.2.4").get(DETAIL_URL),
        status=403,
        code="address_not_allowed",
    )


def test_behind_one_trusted_proxy_the_last_forwarded_address_counts(settings, office_key, ticket):
    settings.TRUSTED_PROXY_COUNT = 1
    client = client_with_key(office_key.raw_key, REMOTE_ADDR="127.0.0.1")

    allowed = client.get(DETAIL_URL, HTTP_X_FORWARDED_FOR="203.0.113.9, 10.1.2.3")
    # A client can write anything at the front of the header; only the proxy's entry counts.
    spoofed = client.get(DETAIL_URL, HTTP_X_FORWARDED_FOR="10.1.2.3, 203.0.113.9")

    assert allowed.status_code == 200, allowed.content
    assert_error(spoofed, status=403, code="address_not_allowed")


def test_without_trusted_proxies_forwarded_for_is_ignored(settings, office_key, ticket):
    settings.TRUSTED_PROXY_COUNT = 0
    client = client_with_key(office_key.raw_key, REMOTE_ADDR="127.0.0.1")

    response = client.get(DETAIL_URL, HTTP_X_FORWARDED_FOR="10.1.2.3")

    assert_error(response, status=403, code="address_not_allowed")


def test_without_trusted_proxies_the_socket_address_counts_whatever_is_forwarded(settings, office_key, ticket):
    settings.TRUSTED_PROXY_COUNT = 0
    client = client_with_key(office_key.raw_key, REMOTE_ADDR="10.1.2.3")

    response = client.get(DETAIL_URL, HTTP_X_FORWARDED_FOR="203.0.113.9")

    assert response.status_code == 200, response.content


# ---------------------------------------------------------------- bookkeeping and storage


def test_successful_call_records_when_the_key_was_last_used(api_key, api_client, ticket):
    assert api_key.last_used_at is None
    before = timezone.now()

    assert api_client.get(DETAIL_URL).status_code == 200

    api_key.refresh_from_db()
    assert api_key.last_used_at is not None
    assert before <= api_key.last_used_at <= timezone.now()


def test_refused_call_does_not_record_a_use(api_key, ticket):
    client_with_key(f"sdk_{api_key.prefix}_" + "B" * 43).get(DETAIL_URL)

    api_key.refresh_from_db()
    assert api_key.last_used_at is None


def test_database_never_holds_the_raw_key(api_key, api_client, ticket):
    api_client.get(DETAIL_URL)
    secret_part = api_key.raw_key.split("_", 2)[2]

    row = ApiKey.objects.filter(pk=api_key.pk).values().get()

    for field, value in row.items():
        assert api_key.raw_key not in str(value), field
        assert secret_part not in str(value), field
    assert row["prefix"] == api_key.prefix
    assert len(row["key_hash"]) == 64
