"""The operators' key commands: create_api_key, list_api_keys, revoke_api_key."""

import base64
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from rest_framework.test import APIClient

from apikeys.models import ApiKey, Partner, Permission
from tests.factories import ApiKeyFactory

BATCH_URL = "/api/omnichannel/tickets"


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def create_key_json(*args: str) -> dict:
    out = run("create_api_key", "--json", *args)
    # Exactly one JSON object, nothing around it: scripts pipe it into jq.
    decoded, end = json.JSONDecoder().raw_decode(out.strip())
    assert end == len(out.strip()), out
    assert isinstance(decoded, dict)
    return decoded


def client_with_key(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw_key)
    return client


# ---------------------------------------------------------------- create_api_key


def test_create_api_key_json_prints_one_object_and_creates_the_partner(db):
    issued = create_key_json("--partner", "PARTNER777", "--partner-name", "Chat Bridge", "--name", "Chat gateway")

    assert set(issued) == {"id", "key", "webhookSecret", "partner"}
    assert issued["partner"] == "PARTNER777"
    partner = Partner.objects.get(code="PARTNER777")
    assert partner.name == "Chat Bridge"
    api_key = ApiKey.objects.get(pk=issued["id"])
    assert api_key.partner == partner
    assert api_key.name == "Chat gateway"
    assert sorted(api_key.permissions) == sorted(Permission.values)
    assert issued["key"].startswith(f"sdk_{api_key.prefix}_")


def test_created_key_works_against_the_api(db):
    issued = create_key_json("--partner", "PARTNER777", "--name", "Chat gateway")

    response = client_with_key(issued["key"]).get(BATCH_URL)

    assert response.status_code == 200, response.content
    assert ApiKey.objects.get(pk=issued["id"]).last_used_at is not None


def test_first_key_of_a_partner_returns_its_webhook_secret_once(db):
    first = create_key_json("--partner", "PARTNER777", "--name", "Chat gateway")
    second = create_key_json("--partner", "PARTNER777", "--name", "Backup gateway")

    assert first["webhookSecret"].startswith("whsec_")
    assert len(base64.b64decode(first["webhookSecret"].removeprefix("whsec_"), validate=True)) == 32
    assert Partner.objects.get(code="PARTNER777").webhook_secret == first["webhookSecret"]
    assert second["webhookSecret"] is None
    assert second["key"] != first["key"]
    assert Partner.objects.filter(code="PARTNER777").count() == 1


def test_create_api_key_with_limited_permissions(db):
    issued = create_key_json("--partner", "PARTNER777", "--name", "Reader", "--permissions", "omnichannel:read")

    assert ApiKey.objects.get(pk=issued["id"]).permissions == ["omnichannel:read"]
    response = client_with_key(issued["key"]).post(BATCH_URL, {}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("permissions", ["omnichannel:delete", "omnichannel:read,admin", "", ",", "read"], ids=repr)
def test_create_api_key_refuses_unknown_or_no_permissions(db, permissions):
    with pytest.raises(CommandError, match="Permissions must be"):
        run("create_api_key", "--partner", "PARTNER777", "--name", "Bad", "--permissions", permissions)

    assert not Partner.objects.filter(code="PARTNER777").exists()
    assert ApiKey.objects.count() == 0


@pytest.mark.parametrize("allow", ["10.0.0.0/33", "not-an-ip", "10.0.0.0/8,999.1.1.1", "10.0.0/8x"])
def test_create_api_key_refuses_a_bad_network(db, allow):
    with pytest.raises(CommandError, match="Invalid IP address or CIDR range"):
        run("create_api_key", "--partner", "PARTNER777", "--name", "Office", "--allow", allow)

    assert not Partner.objects.filter(code="PARTNER777").exists()
    assert ApiKey.objects.count() == 0


def test_create_api_key_stores_the_allowed_networks(db):
    issued = create_key_json("--partner", "PARTNER777", "--name", "Office", "--allow", "10.0.0.0/8, 192.168.1.7")

    assert ApiKey.objects.get(pk=issued["id"]).allowed_networks == ["10.0.0.0/8", "192.168.1.7/32"]


def test_create_api_key_stores_the_webhook_url_on_the_partner(db):
    create_key_json(
        "--partner", "PARTNER777", "--name", "Chat gateway", "--webhook-url", "https://partner.example/hooks/sd"
    )

    assert Partner.objects.get(code="PARTNER777").webhook_url == "https://partner.example/hooks/sd"


def test_create_api_key_with_an_expiry(db):
    issued = create_key_json("--partner", "PARTNER777", "--name", "Temp", "--expires-at", "2030-01-01T00:00:00+08:00")

    assert ApiKey.objects.get(pk=issued["id"]).expires_at.isoformat() == "2029-12-31T16:00:00+00:00"


@pytest.mark.parametrize("expires_at", ["tomorrow", "2030-01-01T00:00:00"], ids=["not-a-date", "naive"])
def test_create_api_key_refuses_an_expiry_without_a_zone_or_date(db, expires_at):
    with pytest.raises(CommandError, match="--expires-at"):
        run("create_api_key", "--partner", "PARTNER777", "--name", "Temp", "--expires-at", expires_at)

    assert ApiKey.objects.count() == 0


def test_create_api_key_without_json_prints_the_key_and_secret(db):
    out = run("create_api_key", "--partner", "PARTNER777", "--name", "Chat gateway")

    api_key = ApiKey.objects.get()
    assert f"sdk_{api_key.prefix}_" in out
    assert Partner.objects.get().webhook_secret in out


# ---------------------------------------------------------------- list_api_keys


def test_list_api_keys_shows_prefixes_and_states_never_raw_keys(partner):
    active = ApiKeyFactory(partner=partner, name="Active gateway")
    revoked = ApiKeyFactory(partner=partner, name="Old gateway", revoked_at=timezone.now())
    expired = ApiKeyFactory(
        partner=partner, name="Temp gateway", expires_at=timezone.now() - timezone.timedelta(days=1)
    )

    out = run("list_api_keys")

    lines = {
        key.prefix: next(line for line in out.splitlines() if key.prefix in line) for key in (active, revoked, expired)
    }
    assert " active " in lines[active.prefix] and "Active gateway" in lines[active.prefix]
    assert " revoked " in lines[revoked.prefix]
    assert " expired " in lines[expired.prefix]
    for key in (active, revoked, expired):
        assert key.raw_key not in out
        assert key.raw_key.split("_", 2)[2] not in out
        assert key.key_hash not in out


def test_list_api_keys_filters_by_partner(partner):
    mine = ApiKeyFactory(partner=partner)
    other = ApiKeyFactory()

    out = run("list_api_keys", "--partner", partner.code)

    assert mine.prefix in out
    assert other.prefix not in out


# ---------------------------------------------------------------- revoke_api_key


def test_revoke_api_key_by_prefix_makes_it_answer_401(api_key, api_client):
    assert api_client.get(BATCH_URL).status_code == 200

    out = run("revoke_api_key", api_key.prefix)

    assert api_key.prefix in out
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    response = api_client.get(BATCH_URL)
    assert response.status_code == 401
    assert response.json()["code"] == "api_key_revoked"


def test_revoke_api_key_by_id_makes_it_answer_401(api_key, api_client):
    other = ApiKeyFactory(partner=api_key.partner)

    run("revoke_api_key", str(api_key.pk))

    api_key.refresh_from_db()
    other.refresh_from_db()
    assert api_key.revoked_at is not None
    assert other.revoked_at is None
    response = api_client.get(BATCH_URL)
    assert response.status_code == 401
    assert response.json()["code"] == "api_key_revoked"


def test_revoking_twice_keeps_the_first_revocation_time(api_key):
    run("revoke_api_key", api_key.prefix)
    api_key.refresh_from_db()
    first = api_key.revoked_at

    run("revoke_api_key", api_key.prefix)

    api_key.refresh_from_db()
    assert api_key.revoked_at == first


@pytest.mark.parametrize("ident", ["0badc0de", "999999", "sdk_0badc0de"])
def test_revoke_unknown_key_is_an_error(api_key, ident):
    with pytest.raises(CommandError, match="No API key"):
        run("revoke_api_key", ident)

    api_key.refresh_from_db()
    assert api_key.revoked_at is None


def test_create_api_key_stores_rate_limit_overrides(db):
    out = StringIO()

    call_command(
        "create_api_key", "--partner", "BENCH", "--name", "bench", "--rate-limits", "create=1000,update=50", "--json",
        stdout=out,
    )  # fmt: skip

    key = ApiKey.objects.get(pk=json.loads(out.getvalue())["id"])
    assert (key.rate_limit_create, key.rate_limit_read, key.rate_limit_update) == (1000, None, 50)


@pytest.mark.parametrize("limits", ["create=0", "delete=5", "create=many", "create"])
def test_create_api_key_refuses_bad_rate_limits(db, limits):
    with pytest.raises(CommandError):
        call_command("create_api_key", "--partner", "BENCH", "--name", "bench", "--rate-limits", limits)

    assert ApiKey.objects.count() == 0
