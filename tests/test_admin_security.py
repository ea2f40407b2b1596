"""The admin (the agent console) against hostile callers."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.test import Client

from apikeys.models import Partner
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent


def test_an_api_key_does_not_open_the_admin(api_key, db):
    client = Client(HTTP_X_API_KEY=api_key.raw_key)

    response = client.get("/admin/tickets/ticket/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/tickets/ticket/"


def test_admin_forms_refuse_a_post_without_the_csrf_token(db):
    client = Client(enforce_csrf_checks=True)
    user = UserFactory(username="root", is_superuser=True)
    client.force_login(user)

    response = client.post("/admin/apikeys/partner/add/", {"code": "EVIL", "name": "Evil"})

    assert response.status_code == 403
    assert not Partner.objects.filter(code="EVIL").exists()


def test_session_and_csrf_cookies_are_secure_and_session_is_httponly_in_production():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": "postgres://servicedesk@db.internal:5432/servicedesk",
    }
    env.pop("SECURE_COOKIES", None)
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY)"
    )

    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)

    assert result.stdout.split() == ["True", "True", "True"]
