"""The Postman collection partners import: made from the live OpenAPI schema, valid
against the official Postman Collection v2.1.0 schema, and served without a key.

`postman_collection_v2.1.0.json` is the schema published at
https://schema.getpostman.com/json/collection/v2.1.0/collection.json (JSON Schema draft 4,
every `$ref` internal), copied byte for byte from NeuraLegion/bright-cli,
`schemas/postman/draft-04/v2.1.0/collection.json` at commit
6b2742410a5a96f551e7d65bb0cc987117d57041, because the tests run offline and Postman's own
repository (postmanlabs/schemas) holds only the sources the published file is compiled
from. It agrees with those sources (`schemas/draft-04/v2.1.0/`) where compared: the root, and
`certificate`, down to the published typo `"item"` for `"items"` under `matches`; its
indentation may not be the published file's. Do not edit it: to move to a newer schema, replace the file and say here
where it came from. The schema lets unknown keys through, as Postman ignores them.
"""

import copy
import io
import json
import re
from pathlib import Path

import jsonschema
import pytest
from django.core.management import call_command
from django.urls import reverse
from jsonschema.exceptions import best_match
from rest_framework.test import APIClient

from omnichannel.postman import HTTP_METHODS, POSTMAN_SCHEMA_URL, collection_from_openapi
from omnichannel.postman_views import FILENAME, collection_json
from tickets.models import Channel, TicketStatus

COLLECTION_SCHEMA = json.loads((Path(__file__).parent / "postman_collection_v2.1.0.json").read_text(encoding="utf-8"))
PREFIX = "/api/omnichannel"
BASE_URL = "https://servicedesk.example.test/api/omnichannel"


@pytest.fixture
def openapi_schema(db) -> dict:
    response = APIClient().get(f"{PREFIX}/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def exported(tmp_path) -> dict:
    output = tmp_path / "collection.json"
    call_command("export_postman", output=str(output), base_url=BASE_URL, stdout=io.StringIO())
    return json.loads(output.read_text(encoding="utf-8"))


def requests_of(collection: dict) -> list[dict]:
    """Every request item, folders flattened."""
    found = []
    for item in collection["item"]:
        found.extend(requests_of(item) if "item" in item else [item])
    return found


def request_named(collection: dict, name: str) -> dict:
    (item,) = [item for item in requests_of(collection) if item["name"] == name]
    return item["request"]


def schema_errors(collection: dict) -> list[str]:
    """Each violation as "path: message", naming the deepest failing part of a oneOf."""
    validator = jsonschema.Draft4Validator(COLLECTION_SCHEMA)
    errors = [best_match([error]) for error in validator.iter_errors(collection)]
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in errors]


def refs_in(schema) -> list[str]:
    if isinstance(schema, dict):
        return [ref for key, value in schema.items() for ref in ([value] if key == "$ref" else refs_in(value))]
    if isinstance(schema, list):
        return [ref for value in schema for ref in refs_in(value)]
    return []


def test_collection_schema_is_the_official_draft_4_schema_with_only_internal_refs():
    jsonschema.Draft4Validator.check_schema(COLLECTION_SCHEMA)

    assert COLLECTION_SCHEMA["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert COLLECTION_SCHEMA["id"] + "collection.json" == POSTMAN_SCHEMA_URL
    refs = refs_in(COLLECTION_SCHEMA)
    assert refs  # the check below means nothing on a schema without references
    # a $ref leaving the file would make validation reach for the network, or fail offline
    assert {ref.removeprefix("#/definitions/") for ref in refs} <= COLLECTION_SCHEMA["definitions"].keys()


def test_export_is_a_valid_postman_v2_1_collection(exported):
    assert schema_errors(exported) == []
    assert exported["info"]["schema"] == POSTMAN_SCHEMA_URL
    assert exported["info"]["name"] == "Bank SulutGo ServiceDesk Omnichannel API"


@pytest.mark.parametrize(
    ("break_it", "error"),
    [
        (lambda c: c["info"].pop("schema"), "info: 'schema' is a required property"),
        (lambda c: c["item"][0]["item"][0].pop("request"), "item/0/item/0: "),
        (lambda c: c["item"][0]["item"][1]["request"]["header"][0].pop("value"), "'value' is a required property"),
        (lambda c: c["item"][0]["item"][0]["request"]["url"].update(query="page=1"), "'page=1' is not of type 'array'"),
        (lambda c: c["auth"].update(type="api-key"), "auth/type: 'api-key' is not one of"),
        (lambda c: c["variable"][0].pop("key"), "variable/0: "),
        (lambda c: c["item"][0]["item"][1]["request"]["body"].update(mode="json"), "'json' is not one of"),
    ],
    ids=[
        "no info.schema",
        "no request",
        "header without value",
        "query as text",
        "auth type",
        "no key",
        "body mode",
    ],
)
def test_collection_schema_rejects_broken_collections(exported, break_it, error):
    broken = copy.deepcopy(exported)
    break_it(broken)

    (message,) = schema_errors(broken)
    assert error in message


def test_every_operation_appears_once_with_its_method_and_path(openapi_schema, exported):
    operations = [
        (method.upper(), re.sub(r"\{(\w+)\}", r":\1", path.removeprefix(PREFIX)), operation["summary"])
        for path, path_item in openapi_schema["paths"].items()
        for method, operation in path_item.items()
        if method in HTTP_METHODS
    ]
    requests = [
        (item["request"]["method"], "/" + "/".join(item["request"]["url"]["path"]), item["name"])
        for item in requests_of(exported)
    ]

    assert operations  # the comparison below means nothing on an empty schema
    assert sorted(requests) == sorted(operations)
    for item in requests_of(exported):
        url = item["request"]["url"]
        assert url["host"] == ["{{baseUrl}}"]
        assert url["raw"] == "{{baseUrl}}/" + "/".join(url["path"])
    assert [folder["name"] for folder in exported["item"]] == ["tickets"]


def test_path_parameter_is_a_postman_variable_and_optional_query_parameters_are_not_sent(exported):
    detail = request_named(exported, "Status of one ticket")["url"]
    batch = request_named(exported, "Status of several tickets")["url"]

    assert detail["path"] == ["tickets", ":ticketNumber"]
    (variable,) = detail["variable"]
    assert variable["key"] == "ticketNumber"
    assert variable["value"]
    assert {parameter["key"] for parameter in batch["query"]} == {
        "ticketNumber",
        "channelReferenceId",
        "status",
        "updatedSince",
        "page",
        "pageSize",
    }
    assert all(parameter["disabled"] is True for parameter in batch["query"])
    assert {parameter["key"]: parameter["value"] for parameter in batch["query"]}["status"] in TicketStatus.values
    assert batch["raw"] == "{{baseUrl}}/tickets"


def test_collection_authenticates_with_the_api_key_header(exported):
    auth = exported["auth"]

    assert auth["type"] == "apikey"
    assert {attribute["key"]: attribute["value"] for attribute in auth["apikey"]} == {
        "key": "X-API-Key",
        "value": "{{apiKey}}",
        "in": "header",
    }
    variables = {variable["key"]: variable for variable in exported["variable"]}
    assert variables["baseUrl"]["value"] == BASE_URL
    assert variables["apiKey"]["value"] == ""
    assert variables["apiKey"]["description"]
    for item in requests_of(exported):
        assert "auth" not in item["request"]  # every request inherits the collection's key
        assert "x-api-key" not in {header["key"].lower() for header in item["request"]["header"]}


def test_create_ticket_body_is_json_with_ticket_customer_and_channel(exported):
    request = request_named(exported, "Create a ticket")

    assert request["body"]["mode"] == "raw"
    assert request["body"]["options"] == {"raw": {"language": "json"}}
    body = json.loads(request["body"]["raw"])
    assert {"ticket", "customer", "channel"} <= body.keys()
    assert body["channel"] in Channel.values
    assert {"title", "description"} <= body["ticket"].keys()
    headers = {header["key"]: header for header in request["header"]}
    assert headers["Content-Type"]["value"] == "application/json"
    assert headers["Idempotency-Key"]["value"] == "{{$guid}}"
    assert "disabled" not in headers["Idempotency-Key"]


def test_only_writes_send_an_idempotency_key(exported):
    sends_key = {
        item["request"]["method"]
        for item in requests_of(exported)
        if any(header["key"] == "Idempotency-Key" for header in item["request"]["header"])
    }

    assert sends_key == {"POST", "PATCH"}
    update = request_named(exported, "Comment on, change the status of, or attach files to a ticket")
    assert json.loads(update["body"]["raw"])["action"] == "ADD_COMMENT"


def test_command_writes_to_stdout_by_default_with_site_url_as_base(settings, db):
    settings.SITE_URL = "https://servicedesk.example.test/"
    stdout = io.StringIO()

    call_command("export_postman", stdout=stdout)

    variables = {variable["key"]: variable["value"] for variable in json.loads(stdout.getvalue())["variable"]}
    assert variables["baseUrl"] == "https://servicedesk.example.test/api/omnichannel"


def test_command_writes_the_same_collection_as_the_view(anonymous_client, settings, tmp_path, db):
    # needs the omnichannel:postman route
    settings.SITE_URL = "https://servicedesk.example.test"
    output = tmp_path / "collection.json"
    call_command("export_postman", output=str(output), base_url=BASE_URL + "/", stdout=io.StringIO())
    collection_json.cache_clear()  # the view makes its own, rather than handing out the command's

    response = anonymous_client.get(reverse("omnichannel:postman"))

    assert response.status_code == 200
    assert response.content.decode() == output.read_text(encoding="utf-8")


def test_view_serves_the_collection_as_an_attachment_without_an_api_key(
    anonymous_client, openapi_schema, django_assert_num_queries
):
    # needs the omnichannel:postman route
    url = reverse("omnichannel:postman")

    with django_assert_num_queries(0):
        response = anonymous_client.get(url)

    assert url == f"{PREFIX}/docs/postman.json"
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="{FILENAME}"'
    collection = json.loads(response.content)
    assert schema_errors(collection) == []
    assert url not in openapi_schema["paths"]  # a download beside the API, not an operation of it


def test_view_answers_a_wrong_method_with_the_api_error_envelope(anonymous_client, db):
    # needs the omnichannel:postman route
    response = anonymous_client.post(reverse("omnichannel:postman"))

    assert response.status_code == 405
    assert response.json()["success"] is False


# The converter on its own, with the parts of OpenAPI our schema does not (yet) use.

RECURSIVE_DOCUMENT = {
    "openapi": "3.0.3",
    "info": {"title": "Categories", "version": "2"},
    "paths": {
        "/v2/categories/{categoryId}": {
            "parameters": [{"$ref": "#/components/parameters/CategoryId"}],
            "put": {
                "operationId": "replaceCategory",
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Category"}}}},
            },
            "delete": {"summary": "Delete a category", "tags": ["categories"]},
        },
        "/v2/categories": {
            "post": {
                "operationId": "createCategory",
                "tags": ["categories"],
                "requestBody": {"$ref": "#/components/requestBodies/Category"},
            }
        },
        "/v2/ping": {"get": {"operationId": "ping", "security": []}},
    },
    "components": {
        "requestBodies": {
            "Category": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Category"}}}}
        },
        "parameters": {
            "CategoryId": {"name": "categoryId", "in": "path", "required": True, "schema": {"type": "integer"}}
        },
        "schemas": {
            "Category": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer", "readOnly": True},
                    "name": {"type": "string", "maxLength": 3},
                    "kind": {"$ref": "#/components/schemas/Kind"},
                    "owner": {"type": "string", "format": "email"},
                    "openedAt": {"type": "string", "format": "date-time"},
                    "parent": {"nullable": True, "allOf": [{"$ref": "#/components/schemas/Category"}]},
                    "children": {"type": "array", "items": {"$ref": "#/components/schemas/Category"}},
                    "tags": {"type": "array", "items": {"type": "string", "format": "uri"}},
                },
            },
            "Kind": {"type": "string", "enum": ["LEAF", "BRANCH"]},
        },
    },
}


def test_converter_builds_bodies_from_refs_enums_formats_and_stops_at_recursive_refs():
    collection = collection_from_openapi(RECURSIVE_DOCUMENT, base_url="https://api.example.test/", path_prefix="/v2")

    assert schema_errors(collection) == []
    replace = request_named(collection, "replaceCategory")
    assert json.loads(replace["body"]["raw"]) == {
        "name": "str",
        "kind": "LEAF",
        "owner": "customer@example.com",
        "openedAt": "2024-01-31T09:30:00+08:00",
        "children": [],
        "tags": ["https://partner.example.com/webhooks/servicedesk"],
    }
    assert replace["url"]["raw"] == "{{baseUrl}}/categories/:categoryId"
    assert replace["url"]["variable"] == [{"key": "categoryId", "value": "0"}]
    assert "Idempotency-Key" not in {header["key"] for header in replace["header"]}
    create = request_named(collection, "createCategory")
    assert create["body"] == replace["body"]
    assert {header["key"]: header["value"] for header in create["header"]} == {
        "Idempotency-Key": "{{$guid}}",  # the document does not declare it; every POST and PATCH gets one
        "Content-Type": "application/json",
    }
    assert {variable["key"]: variable["value"] for variable in collection["variable"]}["baseUrl"] == (
        "https://api.example.test"
    )


def test_converter_prefers_the_schemas_example_and_keeps_untagged_and_public_operations():
    document = copy.deepcopy(RECURSIVE_DOCUMENT)
    media = document["paths"]["/v2/categories/{categoryId}"]["put"]["requestBody"]["content"]["application/json"]
    media["examples"] = {"leaf": {"value": {"name": "ATM", "kind": "LEAF"}}}

    collection = collection_from_openapi(document, base_url="https://api.example.test", path_prefix="/v2")

    assert json.loads(request_named(collection, "replaceCategory")["body"]["raw"]) == {"name": "ATM", "kind": "LEAF"}
    assert [item["name"] for item in collection["item"]] == ["categories", "replaceCategory", "ping"]
    assert request_named(collection, "ping")["auth"] == {"type": "noauth"}
    assert "auth" not in collection  # the document declares no API-key scheme
