"""The admin (agent console) against a hostile page in a staff member's browser and a
stolen cookie: every state-changing POST needs the CSRF token, and under the production
settings the cookies that Django actually sets are Secure, and the session's HttpOnly.
(An API key does not open the admin, CSRF on the add form and the settings' values:
tests/test_admin_security.py; agents kept to their groups: tests/tickets/test_agent_console.py.)"""

import importlib.util
import re
import secrets
import sys
from pathlib import Path

import pytest
from django.conf import global_settings
from django.test import Client

import config.settings.base
from apikeys.models import ApiKey, Partner
from tests.factories import ApiKeyFactory, PartnerFactory, TicketFactory, UserFactory
from tickets.models import Comment, Ticket

ROOT = Path(__file__).resolve().parent.parent.parent
LIST_URL = "/admin/tickets/ticket/"
COOKIE_SETTINGS = [
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SAMESITE",
]


@pytest.fixture
def root(db):
    return UserFactory(username="root", is_superuser=True)


@pytest.fixture
def strict_client(root) -> Client:
    """A logged-in superuser whose browser does not send the CSRF token (a forged form)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(root)
    return client


def with_token(client: Client, data: dict) -> dict:
    """`data` plus the CSRF token the admin hands out, as a genuine form posts it."""
    page = client.get("/admin/")
    assert page.status_code == 200
    return {**data, "csrfmiddlewaretoken": client.cookies["csrftoken"].value}


def revoke_key(client, reference_data, data=lambda d: d):
    key = ApiKeyFactory()
    response = client.post("/admin/apikeys/apikey/", data({"action": "revoke", "_selected_action": [key.pk]}))
    return response, ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=False).exists()


def rotate_webhook_secret(client, reference_data, data=lambda d: d):
    partner = PartnerFactory(code="PARTNER900")
    response = client.post(
        "/admin/apikeys/partner/", data({"action": "rotate_webhook_secret", "_selected_action": [partner.pk]})
    )
    return response, Partner.objects.get(pk=partner.pk).webhook_secret != partner.webhook_secret


def bulk_resolve(client, reference_data, data=lambda d: d):
    ticket = TicketFactory(status="IN_PROGRESS")
    response = client.post(f"{LIST_URL}?status=all", data({"action": "set_resolved", "_selected_action": [ticket.pk]}))
    return response, Ticket.objects.get(pk=ticket.pk).status == "RESOLVED"


def resolve_from_the_page(client, reference_data, data=lambda d: d):
    ticket = TicketFactory(status="IN_PROGRESS")
    response = client.post(f"{LIST_URL}{ticket.pk}/status/", data({"status": "RESOLVED"}))
    return response, Ticket.objects.get(pk=ticket.pk).status == "RESOLVED"


def reply_from_the_page(client, reference_data, data=lambda d: d):
    ticket = TicketFactory(status="IN_PROGRESS")
    response = client.post(f"{LIST_URL}{ticket.pk}/reply/", data({"body": "Please send your PIN"}))
    return response, Comment.objects.filter(ticket=ticket).exists()


ADMIN_WRITES = [revoke_key, rotate_webhook_secret, bulk_resolve, resolve_from_the_page, reply_from_the_page]


@pytest.mark.parametrize("write", ADMIN_WRITES, ids=lambda write: write.__name__)
def test_an_admin_write_without_the_csrf_token_is_refused_and_changes_nothing(strict_client, reference_data, write):
    response, changed = write(strict_client, reference_data)

    assert response.status_code == 403
    assert b"CSRF verification failed" in response.content
    assert changed is False


@pytest.mark.parametrize("write", ADMIN_WRITES, ids=lambda write: write.__name__)
def test_the_same_admin_write_with_the_csrf_token_goes_through(strict_client, reference_data, write):
    # The control: the refusal above is the missing token and nothing else.
    response, changed = write(strict_client, reference_data, data=lambda data: with_token(strict_client, data))

    assert response.status_code == 302
    assert changed is True


# ---------------------------------------------------------------- cookies in production


@pytest.fixture
def production_cookie_settings(settings, monkeypatch):
    """The cookie settings of config/settings/production.py (loaded as production loads
    them, with SECURE_COOKIES unset), applied to this test's settings."""
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(50))
    monkeypatch.setenv("DATABASE_URL", "postgres://servicedesk@db.internal:5432/servicedesk")
    monkeypatch.delenv("SECURE_COOKIES", raising=False)
    # production.py star-imports base.py, which reads the environment when it runs: run it
    # afresh for this load, and put the test's own modules back afterwards.
    monkeypatch.delitem(sys.modules, "config.settings.base")
    monkeypatch.setattr(config.settings, "base", config.settings.base)
    spec = importlib.util.spec_from_file_location(
        "production_settings_under_test", ROOT / "config/settings/production.py"
    )
    production = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(production)
    for name in COOKIE_SETTINGS:
        setattr(settings, name, getattr(production, name, getattr(global_settings, name)))


def test_the_cookies_an_admin_login_sets_in_production_are_secure_and_the_session_httponly(
    production_cookie_settings, root
):
    root.set_password("correct horse battery staple")
    root.save()
    client = Client(enforce_csrf_checks=True)
    login_page = client.get("/admin/login/", secure=True)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.content).group(1).decode()

    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "root", "password": "correct horse battery staple", "csrfmiddlewaretoken": token},
        secure=True,
        HTTP_REFERER="https://testserver/admin/login/",  # over HTTPS the CSRF check also wants the Referer
    )

    assert response.status_code == 302, response.content
    session, csrf = response.cookies["sessionid"], response.cookies["csrftoken"]
    assert (session["secure"], session["httponly"], session["samesite"]) == (True, True, "Lax")
    # The CSRF cookie is Secure; HttpOnly would add nothing (the token is in every form anyway).
    assert (csrf["secure"], csrf["samesite"]) == (True, "Lax")


# ---------------------------------------------------------------- odd parameters


@pytest.mark.parametrize("value", ["²", "1" * 4301], ids=["superscript-two", "4301-digits"])
def test_an_assignee_python_cannot_read_as_an_int_is_not_a_500(client, root, reference_data, value):
    client.force_login(root)
    ticket = TicketFactory(status="IN_PROGRESS")
    client.raise_request_exception = False

    listed = client.get(LIST_URL, {"assignee": value})
    assigned = client.post(f"{LIST_URL}{ticket.pk}/assign/", {"assignee": value})

    assert listed.status_code == 200
    assert assigned.status_code in {302, 404}
    assert Ticket.objects.get(pk=ticket.pk).assignee_id is None
