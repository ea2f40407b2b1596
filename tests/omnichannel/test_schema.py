"""Real responses, errors included, checked against our own OpenAPI schema."""

import pytest
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from rest_framework.test import APIClient

from tests.factories import ApiKeyFactory, PartnerFactory, TicketFactory
from tests.payloads import attachment, create_body, minimal_body

TICKETS = "/api/omnichannel/tickets"


@pytest.fixture
def openapi(db) -> OpenAPI:
    response = APIClient().get("/api/omnichannel/schema/", {"format": "json"})
    assert response.status_code == 200
    return OpenAPI.from_dict(response.json())


def check(openapi: OpenAPI, response, expected_status: int) -> None:
    """The response's status and body must be what the schema says for that operation."""
    assert response.status_code == expected_status, response.content
    wsgi = response.wsgi_request
    request = MockRequest("http://testserver", wsgi.method.lower(), wsgi.path, args=wsgi.GET)
    openapi.validate_response(
        request,
        MockResponse(response.content, status_code=response.status_code, content_type=response["Content-Type"]),
    )


def test_schema_describes_the_spec_paths(openapi):
    paths = openapi.spec / "paths"
    assert set(paths.keys()) == {"/api/omnichannel/tickets", "/api/omnichannel/tickets/{ticketNumber}"}
    assert set((paths / "/api/omnichannel/tickets").keys()) == {"get", "post"}
    assert set((paths / "/api/omnichannel/tickets/{ticketNumber}").keys()) == {"get", "patch"}
    schemes = openapi.spec / "components" / "securitySchemes" / "ApiKeyAuth"
    assert (schemes["type"], schemes["in"], schemes["name"]) == ("apiKey", "header", "X-API-Key")


def test_swagger_ui_is_served(client, db):
    response = client.get("/api/omnichannel/docs/")

    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_successful_responses_match_the_schema(openapi, api_client, reference_data, partner):
    created = api_client.post(TICKETS, create_body(), format="json")
    check(openapi, created, 201)
    number = created.json()["ticketNumber"]

    check(
        openapi, api_client.patch(f"{TICKETS}/{number}", {"action": "ADD_COMMENT", "comment": "Hi"}, format="json"), 200
    )
    check(
        openapi,
        api_client.patch(
            f"{TICKETS}/{number}", {"action": "ADD_ATTACHMENT", "attachments": [attachment()]}, format="json"
        ),
        200,
    )
    check(openapi, api_client.get(f"{TICKETS}/{number}"), 200)
    check(openapi, api_client.get(TICKETS, {"ticketNumber": [number, "INC-2024-0404"], "status": "OPEN"}), 200)
    check(
        openapi,
        api_client.patch(f"{TICKETS}/{number}", {"action": "UPDATE_STATUS", "status": "CANCELLED"}, format="json"),
        200,
    )


def test_error_responses_match_the_schema(openapi, api_client, reference_data, partner, settings):
    read_only = APIClient()
    read_only.credentials(HTTP_X_API_KEY=ApiKeyFactory(partner=partner, permissions=["omnichannel:read"]).raw_key)
    theirs = TicketFactory(partner=PartnerFactory(code="OTHER"))
    resolved_closed = TicketFactory(partner=partner, status="CLOSED")

    check(openapi, api_client.post(TICKETS, minimal_body(channel="FAX"), format="json"), 400)
    check(openapi, APIClient().post(TICKETS, minimal_body(), format="json"), 401)
    check(openapi, read_only.post(TICKETS, minimal_body(), format="json"), 403)
    check(openapi, api_client.post(TICKETS, "plain", content_type="text/plain"), 415)
    check(openapi, api_client.get(f"{TICKETS}/{theirs.number}"), 404)
    check(openapi, api_client.get(TICKETS, {"status": "DONE"}), 400)
    check(
        openapi,
        api_client.patch(f"{TICKETS}/{theirs.number}", {"action": "ADD_COMMENT", "comment": "x"}, format="json"),
        404,
    )
    check(
        openapi,
        api_client.patch(
            f"{TICKETS}/{resolved_closed.number}", {"action": "UPDATE_STATUS", "status": "OPEN"}, format="json"
        ),
        409,
    )
    settings.OMNICHANNEL_MAX_BODY_BYTES = 100
    check(openapi, api_client.post(TICKETS, create_body(), format="json"), 413)
