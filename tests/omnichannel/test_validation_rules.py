"""The spec's "Service-Specific Requirements" and the flattening of DRF's nested errors
into the envelope's {"dotted.path": "message"}."""

import copy

import pytest
from rest_framework.exceptions import ValidationError

from omnichannel.errors import flatten_errors
from omnichannel.validation import missing_service_fields

# Required fields, copied from spec/omnichannel-api.md "Service-Specific Requirements".
SPEC_REQUIRED = {
    "CLAIM": {"customer.name", "customer.email", "ticket.metadata.claimType", "ticket.metadata.claimAmount"},
    "DISPUTE": {"customer.name", "customer.identifier", "ticket.metadata.transactionId"},
    "ATM_ISSUE": {"customer.name", "ticket.metadata.atmId"},
    "ACCOUNT_ISSUE": {"customer.name", "customer.identifier"},
}
COMPLETE = {
    "serviceType": "CLAIM",
    "customer": {"name": "John Doe", "email": "john.doe@email.com", "identifier": "CIF123456"},
    "ticket": {
        "title": "ATM Card Claim Request",
        "description": "Card retained by ATM",
        "metadata": {
            "claimType": "ATM_CARD_RETAINED",
            "claimAmount": 500000,
            "transactionId": "TRX123456789",
            "atmId": "ATM001",
        },
    },
}


def _without(data: dict, dotted_path: str) -> dict:
    data = copy.deepcopy(data)
    *parents, leaf = dotted_path.split(".")
    node = data
    for part in parents:
        node = node[part]
    del node[leaf]
    return data


def _with(data: dict, dotted_path: str, value) -> dict:
    data = copy.deepcopy(data)
    *parents, leaf = dotted_path.split(".")
    node = data
    for part in parents:
        node = node[part]
    node[leaf] = value
    return data


@pytest.mark.parametrize("service_type", SPEC_REQUIRED)
@pytest.mark.parametrize(
    "data",
    [
        {},
        {"customer": {}, "ticket": {}},
        {"customer": {}, "ticket": {"metadata": {}}},
        {"customer": {"phone": "+6281234567890"}, "ticket": {"title": "t", "metadata": {"note": "x"}}},
    ],
    ids=["no-blocks", "empty-blocks", "empty-metadata", "only-optional-fields"],
)
def test_every_required_field_missing_gives_exactly_the_spec_paths(service_type, data):
    assert set(missing_service_fields(service_type, data)) == SPEC_REQUIRED[service_type]


@pytest.mark.parametrize(
    ("service_type", "path"),
    [(service_type, path) for service_type, paths in SPEC_REQUIRED.items() for path in sorted(paths)],
)
def test_one_missing_required_field_gives_only_its_path(service_type, path):
    errors = missing_service_fields(service_type, _without(COMPLETE, path))

    assert list(errors) == [path]
    assert "is required" in errors[path]


@pytest.mark.parametrize(
    ("service_type", "path"),
    [(service_type, path) for service_type, paths in SPEC_REQUIRED.items() for path in sorted(paths)],
)
@pytest.mark.parametrize("blank", ["", "   ", "\t\n"], ids=["empty", "spaces", "whitespace"])
def test_blank_string_counts_as_missing(service_type, path, blank):
    assert list(missing_service_fields(service_type, _with(COMPLETE, path, blank))) == [path]


@pytest.mark.parametrize(
    ("service_type", "path"),
    [(service_type, path) for service_type, paths in SPEC_REQUIRED.items() for path in sorted(paths)],
)
def test_null_counts_as_missing(service_type, path):
    assert list(missing_service_fields(service_type, _with(COMPLETE, path, None))) == [path]


@pytest.mark.parametrize("service_type", SPEC_REQUIRED)
def test_complete_data_has_no_missing_fields(service_type):
    assert missing_service_fields(service_type, COMPLETE) == {}


def test_missing_claim_amount_message_reads_as_in_the_spec_example():
    errors = missing_service_fields("CLAIM", _without(COMPLETE, "ticket.metadata.claimAmount"))

    assert errors["ticket.metadata.claimAmount"].startswith("Claim amount is required")


@pytest.mark.parametrize("data", [{}, {"customer": {}, "ticket": {"metadata": {}}}])
@pytest.mark.parametrize("service_type", ["INQUIRY", "COMPLAINT", "FEEDBACK", "REIMBURSEMENT", "OTHER"])
def test_services_without_spec_requirements_require_nothing(service_type, data):
    assert missing_service_fields(service_type, data) == {}


def test_nested_dict_errors_become_dotted_paths():
    detail = ValidationError(
        {
            "customer": {"email": ["Enter a valid email address."]},
            "ticket": {"metadata": {"claimAmount": ["A valid number is required."]}},
        }
    ).detail

    assert flatten_errors(detail) == {
        "customer.email": "Enter a valid email address.",
        "ticket.metadata.claimAmount": "A valid number is required.",
    }


def test_list_items_are_addressed_by_index():
    detail = ValidationError(
        {"attachments": [{}, {"content": ["Content is not valid base64."], "size": ["Must be positive."]}]}
    ).detail

    assert flatten_errors(detail) == {
        "attachments.1.content": "Content is not valid base64.",
        "attachments.1.size": "Must be positive.",
    }


def test_top_level_non_field_errors_go_to_body():
    detail = ValidationError({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}).detail

    assert flatten_errors(detail) == {"body": "Invalid data. Expected a dictionary, but got list."}


def test_nested_non_field_errors_go_to_the_parents_path():
    detail = ValidationError(
        {
            "customer": {"non_field_errors": ["Give an email or a phone."], "name": ["This field is required."]},
            "attachments": [{"non_field_errors": ["Declared size does not match."]}],
        }
    ).detail

    assert flatten_errors(detail) == {
        "customer": "Give an email or a phone.",
        "customer.name": "This field is required.",
        "attachments.0": "Declared size does not match.",
    }


def test_django_all_key_is_treated_like_non_field_errors():
    assert flatten_errors({"__all__": ["Bad request."], "ticket": {"__all__": ["Bad ticket."]}}) == {
        "body": "Bad request.",
        "ticket": "Bad ticket.",
    }


def test_several_messages_for_one_field_are_joined_with_a_space():
    detail = ValidationError({"ticket": {"title": ["This field may not be blank.", "Too short."]}}).detail

    assert flatten_errors(detail) == {"ticket.title": "This field may not be blank. Too short."}


@pytest.mark.parametrize(
    ("detail", "expected"),
    [
        ("Malformed JSON.", {"body": "Malformed JSON."}),
        (["First.", "Second."], {"body": "First. Second."}),
        ({}, {}),
    ],
    ids=["string", "list", "empty"],
)
def test_top_level_detail_without_a_field_goes_to_body(detail, expected):
    assert flatten_errors(ValidationError(detail).detail if detail else detail) == expected
