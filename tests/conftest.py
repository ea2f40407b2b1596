import os

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import ApiKeyFactory, PartnerFactory
from tests.live_server import gunicorn_server  # noqa: F401 - a fixture for the concurrency tests


@pytest.fixture(scope="session", autouse=True)
def _real_services_when_required(django_db_setup, django_db_blocker):
    """CI sets REQUIRE_REAL_SERVICES=1: then the suite refuses to run on the embedded
    SQLite default rather than pass without having touched PostgreSQL."""
    if os.environ.get("REQUIRE_REAL_SERVICES") != "1":
        return
    with django_db_blocker.unblock():
        assert connection.vendor == "postgresql", f"CI must test on PostgreSQL, not {connection.vendor}"
    from django.conf import settings

    assert settings.REDIS_URL, "CI must set REDIS_URL"


@pytest.fixture
def reference_data(db):
    call_command("load_reference_data", stdout=open(os.devnull, "w"))  # noqa: SIM115


@pytest.fixture
def partner(db):
    return PartnerFactory(code="PARTNER001", name="WhatsApp Gateway")


@pytest.fixture
def api_key(partner):
    return ApiKeyFactory(partner=partner)


@pytest.fixture
def api_client(api_key) -> APIClient:
    """An API client that sends the partner's key on every request."""
    api_client = APIClient()
    api_client.credentials(HTTP_X_API_KEY=api_key.raw_key)
    return api_client


@pytest.fixture
def anonymous_client() -> APIClient:
    return APIClient()
