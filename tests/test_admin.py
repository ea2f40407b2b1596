import re

import pytest
from django.contrib.messages import get_messages

from apikeys.models import ApiKey
from tests.factories import ApiKeyFactory, PartnerFactory, TicketFactory, UserFactory


@pytest.fixture
def superuser_client(client, db):
    user = UserFactory(username="root", is_superuser=True)
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/tickets/ticket/",
        "/admin/apikeys/partner/",
        "/admin/apikeys/apikey/",
        "/admin/tickets/service/",
        "/admin/tickets/slapolicy/",
        "/admin/tickets/customer/",
    ],
)
def test_admin_lists_render(superuser_client, reference_data, url):
    ticket = TicketFactory(title="Kartu tertelan")
    ApiKeyFactory(partner=ticket.partner, name="WhatsApp gateway")

    response = superuser_client.get(url)

    assert response.status_code == 200


def test_admin_ticket_list_shows_the_ticket(superuser_client, reference_data):
    ticket = TicketFactory(title="Kartu tertelan")

    response = superuser_client.get("/admin/tickets/ticket/")

    assert ticket.number in response.content.decode()
    assert "Kartu tertelan" in response.content.decode()


def test_admin_ticket_page_offers_only_the_allowed_transitions_never_a_status_field(superuser_client, reference_data):
    ticket = TicketFactory(status="IN_PROGRESS")

    response = superuser_client.get(f"/admin/tickets/ticket/{ticket.pk}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    offered = re.findall(r'<input type="hidden" name="status" value="([A-Z_]+)">', page)
    assert offered == ["PENDING", "RESOLVED", "CANCELLED"]
    assert '<select name="status"' not in page and 'type="text" name="status"' not in page


def test_admin_creates_a_key_and_shows_it_once(superuser_client):
    partner = PartnerFactory(code="PORTAL")

    response = superuser_client.post(
        "/admin/apikeys/apikey/add/",
        {
            "partner": partner.pk,
            "name": "Web portal",
            "permissions": ["omnichannel:read"],
            "allowed_networks_text": "10.0.0.0/8",
        },
        follow=True,
    )

    key = ApiKey.objects.get(name="Web portal")
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    shown = [m for m in messages if m.startswith("Copy this key now")]
    assert len(shown) == 1
    raw_key = shown[0].rsplit(" ", 1)[1]
    assert raw_key.startswith(f"sdk_{key.prefix}_")
    assert key.permissions == ["omnichannel:read"]
    assert key.allowed_networks == ["10.0.0.0/8"]
    assert raw_key not in str(ApiKey.objects.filter(pk=key.pk).values().get())


def test_admin_revoke_action_revokes(superuser_client):
    key = ApiKeyFactory()

    superuser_client.post("/admin/apikeys/apikey/", {"action": "revoke", "_selected_action": [key.pk]})

    key.refresh_from_db()
    assert key.revoked_at is not None


def test_admin_rotate_action_issues_a_new_key_with_the_same_settings_and_revokes_the_old(superuser_client):
    old = ApiKeyFactory(
        name="Mobile app",
        permissions=["omnichannel:read"],
        allowed_networks=["10.0.0.0/8"],
        rate_limit_read=900,
    )

    response = superuser_client.post(
        "/admin/apikeys/apikey/", {"action": "rotate", "_selected_action": [old.pk]}, follow=True
    )

    old.refresh_from_db()
    new = ApiKey.objects.exclude(pk=old.pk).get()
    assert old.revoked_at is not None and new.revoked_at is None
    assert (new.partner, new.name, new.permissions, new.allowed_networks, new.rate_limit_read) == (
        old.partner, "Mobile app", ["omnichannel:read"], ["10.0.0.0/8"], 900,
    )  # fmt: skip
    shown = [str(m) for m in get_messages(response.wsgi_request) if "shown once" in str(m)]
    assert len(shown) == 1
    raw_key = shown[0].rsplit(" ", 1)[1]
    assert raw_key.startswith(f"sdk_{new.prefix}_")


def test_admin_edits_a_keys_permissions_and_allow_list(superuser_client):
    key = ApiKeyFactory(permissions=["omnichannel:read"])

    response = superuser_client.post(
        f"/admin/apikeys/apikey/{key.pk}/change/",
        {
            "name": key.name,
            "permissions": ["omnichannel:read", "omnichannel:update"],
            "allowed_networks": "203.0.113.0/24, 10.1.2.3",
            "rate_limit_create": "",
            "rate_limit_read": "50",
            "rate_limit_update": "",
        },
    )

    assert response.status_code == 302
    key.refresh_from_db()
    assert key.permissions == ["omnichannel:read", "omnichannel:update"]
    assert key.allowed_networks == ["203.0.113.0/24", "10.1.2.3/32"]
    assert key.rate_limit_read == 50


def test_admin_refuses_a_bad_allow_list(superuser_client):
    key = ApiKeyFactory(permissions=["omnichannel:read"])

    response = superuser_client.post(
        f"/admin/apikeys/apikey/{key.pk}/change/",
        {"name": key.name, "permissions": ["omnichannel:read"], "allowed_networks": "10.0.0.0/33"},
    )

    assert response.status_code == 200
    assert "Invalid IP address or CIDR range" in response.content.decode()
    key.refresh_from_db()
    assert key.allowed_networks == []
