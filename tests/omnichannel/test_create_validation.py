"""POST /api/omnichannel/tickets: every way a create request can be wrong.

Each rejection is the spec's envelope with an exact status, `code` and set of dotted
`errors` keys, and leaves nothing behind: no ticket, no customer row, no attachment row
and no file under MEDIA_ROOT."""

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest

from omnichannel.serializers import METADATA_MAX_BYTES
from tests.payloads import (
    HTML_BYTES,
    JPEG_BYTES,
    PDF_BYTES,
    SVG_BYTES,
    attachment,
    b64,
    create_body,
    minimal_body,
)
from tickets.attachments import ALLOWED_MIME_TYPES
from tickets.models import Attachment, Channel, Customer, Language, Priority, ServiceType, Ticket
from tickets.reference_data import TEST_CUSTOMER

URL = "/api/omnichannel/tickets"


@pytest.fixture(autouse=True)
def _answer_500_as_a_response(api_client):
    # A server error must show up as the partner sees it (a 500 answer), not as an
    # exception re-raised into the test.
    api_client.raise_request_exception = False


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path, reference_data) -> Path:
    """Every test here can create tickets (reference data loaded) and stores attachment
    files in its own folder, so that "no file was written" can be checked."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


# ---------------------------------------------------------------- helpers


def post(client, body):
    return client.post(URL, body, format="json")


def post_raw(client, raw: bytes | str, content_type: str = "application/json"):
    return client.post(URL, data=raw, content_type=content_type)


def assert_error(response, *, status: int, code: str, keys: set[str]) -> dict[str, str]:
    """The envelope with this status, code and exactly these `errors` keys; returns `errors`."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"success", "error", "code", "errors"}, body
    assert body["success"] is False
    assert isinstance(body["error"], str) and body["error"]
    assert body["code"] == code, body
    assert set(body["errors"]) == keys, body["errors"]
    assert all(isinstance(message, str) and message for message in body["errors"].values()), body["errors"]
    return body["errors"]


def assert_validation_error(response, *keys: str) -> dict[str, str]:
    return assert_error(response, status=400, code="validation_error", keys=set(keys))


def assert_nothing_created(media_root: Path) -> None:
    assert Ticket.objects.count() == 0
    # The reference data's test customer is the only customer there may be.
    assert Customer.objects.exclude(identifier=TEST_CUSTOMER["identifier"]).count() == 0
    assert Attachment.objects.count() == 0
    assert [path for path in media_root.rglob("*") if path.is_file()] == []


def assert_created(response) -> Ticket:
    assert response.status_code == 201, response.content
    assert response.json()["success"] is True
    return Ticket.objects.get(number=response.json()["ticketNumber"])


def set_path(body: dict, dotted_path: str, value) -> dict:
    """A deep copy of body with the value at dotted_path (list items by index) replaced."""
    body = copy.deepcopy(body)
    *parents, last = dotted_path.split(".")
    node = body
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return body


def drop_path(body: dict, dotted_path: str) -> dict:
    body = copy.deepcopy(body)
    *parents, last = dotted_path.split(".")
    node = body
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        del node[int(last)]
    else:
        del node[last]
    return body


def claim_body(amount) -> dict:
    return set_path(create_body(), "ticket.metadata.claimAmount", amount)


def raw_claim_body(amount_json_text: str) -> str:
    """The spec's body as JSON text with claimAmount written verbatim (numbers json.dumps
    cannot produce)."""
    text = json.dumps(claim_body("__AMOUNT__"))
    assert text.count('"__AMOUNT__"') == 1
    return text.replace('"__AMOUNT__"', amount_json_text)


def allowed_values_message(bad_value: str, allowed: list[str]) -> str:
    return f'"{bad_value}" is not valid. Allowed values: {", ".join(allowed)}.'


# ---------------------------------------------------------------- enums


@pytest.mark.parametrize(
    ("path", "bad_value", "allowed"),
    [
        ("channel", "FAX", Channel.values),
        ("serviceType", "LOAN", ServiceType.values),
        ("ticket.priority", "URGENT", Priority.values),
        ("customer.preferredLanguage", "fr", Language.values),
    ],
)
def test_enum_value_outside_the_spec_lists_the_allowed_values(api_client, media_root, path, bad_value, allowed):
    response = post(api_client, set_path(create_body(), path, bad_value))

    errors = assert_validation_error(response, path)
    assert errors[path] == allowed_values_message(bad_value, allowed)
    assert_nothing_created(media_root)


def test_enum_values_are_case_sensitive(api_client, media_root):
    response = post(api_client, set_path(create_body(), "channel", "whatsapp"))

    assert_validation_error(response, "channel")
    assert_nothing_created(media_root)


# ---------------------------------------------------------------- required fields


@pytest.mark.parametrize("field", ["channel", "serviceType", "customer", "ticket"])
def test_missing_top_level_field_is_required(api_client, media_root, field):
    response = post(api_client, drop_path(minimal_body(), field))

    errors = assert_validation_error(response, field)
    assert errors[field] == "This field is required."
    assert_nothing_created(media_root)


@pytest.mark.parametrize("path", ["ticket.title", "ticket.description"])
def test_missing_ticket_text_is_required(api_client, media_root, path):
    response = post(api_client, drop_path(create_body(), path))

    errors = assert_validation_error(response, path)
    assert errors[path] == "This field is required."
    assert_nothing_created(media_root)


@pytest.mark.parametrize("path", ["ticket.title", "ticket.description"])
def test_blank_ticket_text_is_refused(api_client, media_root, path):
    response = post(api_client, set_path(create_body(), path, "   "))

    assert_validation_error(response, path)
    assert_nothing_created(media_root)


@pytest.mark.parametrize(
    "customer",
    [
        {},
        {"branchCode": "001", "department": "Retail Banking", "preferredLanguage": "id"},
        {"name": "", "email": "", "phone": "", "identifier": ""},
        {"name": None, "email": None, "phone": None, "identifier": None},
    ],
    ids=["empty", "only-optional-fields", "all-blank", "all-null"],
)
def test_customer_without_name_email_phone_or_identifier_is_refused(api_client, media_root, customer):
    response = post(api_client, minimal_body(customer=customer))

    errors = assert_validation_error(response, "customer")
    assert errors["customer"] == "At least one of name, email, phone or identifier is required."
    assert_nothing_created(media_root)


@pytest.mark.parametrize("contact", [{"name": "A"}, {"email": "a@example.com"}, {"phone": "+6281234567890"}])
def test_customer_with_one_way_to_reach_them_is_enough_for_an_inquiry(api_client, contact):
    response = post(api_client, minimal_body(customer=contact))

    assert_created(response)


# ---------------------------------------------------------------- service-specific requirements

SERVICE_REQUIREMENTS = {
    "CLAIM": {"customer.name", "customer.email", "ticket.metadata.claimType", "ticket.metadata.claimAmount"},
    "DISPUTE": {"customer.name", "customer.identifier", "ticket.metadata.transactionId"},
    "ATM_ISSUE": {"customer.name", "ticket.metadata.atmId"},
    "ACCOUNT_ISSUE": {"customer.name", "customer.identifier"},
}

COMPLETE_METADATA = {
    "CLAIM": {"claimType": "ATM_CARD_RETAINED", "claimAmount": 500000},
    "DISPUTE": {"transactionId": "TRX123456789"},
    "ATM_ISSUE": {"atmId": "ATM-TEST-001"},
    "ACCOUNT_ISSUE": {},
}


def complete_body(service_type: str) -> dict:
    """The smallest body that satisfies the spec's requirements for service_type."""
    return minimal_body(
        service_type,
        customer={"name": "John Doe", "email": "john.doe@email.com", "identifier": "CIF123456"},
        ticket={
            "title": "Problem",
            "description": "Customer reports a problem",
            "metadata": copy.deepcopy(COMPLETE_METADATA[service_type]),
        },
    )


@pytest.mark.parametrize("service_type", sorted(SERVICE_REQUIREMENTS))
def test_service_type_names_every_missing_required_field(api_client, media_root, service_type):
    # given a customer known only by phone and a ticket without metadata
    body = minimal_body(
        service_type,
        customer={"phone": "+6281234567890"},
        ticket={"title": "Problem", "description": "Customer reports a problem"},
    )

    response = post(api_client, body)

    errors = assert_validation_error(response, *SERVICE_REQUIREMENTS[service_type])
    assert all(message.endswith(f"is required for {service_type} tickets") for message in errors.values())
    assert_nothing_created(media_root)


@pytest.mark.parametrize(
    ("service_type", "path"),
    [(service_type, path) for service_type, paths in sorted(SERVICE_REQUIREMENTS.items()) for path in sorted(paths)],
)
def test_each_service_specific_field_is_required_on_its_own(api_client, media_root, service_type, path):
    response = post(api_client, drop_path(complete_body(service_type), path))

    assert_validation_error(response, path)
    assert_nothing_created(media_root)


@pytest.mark.parametrize(
    ("service_type", "path"),
    [
        ("CLAIM", "customer.email"),
        ("CLAIM", "ticket.metadata.claimType"),
        ("DISPUTE", "customer.identifier"),
        ("ATM_ISSUE", "ticket.metadata.atmId"),
    ],
)
def test_blank_service_specific_field_counts_as_missing(api_client, media_root, service_type, path):
    response = post(api_client, set_path(complete_body(service_type), path, "  "))

    assert_validation_error(response, path)
    assert_nothing_created(media_root)


def test_missing_claim_amount_uses_the_spec_wording(api_client, media_root):
    response = post(api_client, drop_path(create_body(), "ticket.metadata.claimAmount"))

    errors = assert_validation_error(response, "ticket.metadata.claimAmount")
    assert errors["ticket.metadata.claimAmount"].startswith("Claim amount is required")
    assert_nothing_created(media_root)


@pytest.mark.parametrize("service_type", sorted(SERVICE_REQUIREMENTS))
def test_complete_body_for_each_service_type_is_accepted(api_client, service_type):
    response = post(api_client, complete_body(service_type))

    ticket = assert_created(response)
    assert ticket.service.service_type == service_type


@pytest.mark.parametrize("service_type", ["INQUIRY", "COMPLAINT", "REIMBURSEMENT", "CARD_ISSUE", "OTHER"])
def test_service_types_without_requirements_need_only_one_contact(api_client, service_type):
    body = minimal_body(
        service_type,
        customer={"phone": "+6281234567890"},
        ticket={"title": "Problem", "description": "Customer reports a problem"},
    )

    assert_created(post(api_client, body))


# ---------------------------------------------------------------- formats


@pytest.mark.parametrize("email", ["not-an-email", "john.doe@", "@email.com", "john doe@email.com"])
def test_invalid_email_is_refused(api_client, media_root, email):
    response = post(api_client, set_path(create_body(), "customer.email", email))

    assert_validation_error(response, "customer.email")
    assert_nothing_created(media_root)


@pytest.mark.parametrize(
    "phone",
    [
        "081234567890",
        "+0812",
        "+62 812",
        "6281234567890",
        "+62-812-3456-7890",
        "+62812345678901234",
        "+\u0666\u0662\u0668\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668",  # Arabic-Indic digits
    ],
    ids=repr,
)
def test_phone_not_in_e164_is_refused(api_client, media_root, phone):
    response = post(api_client, set_path(create_body(), "customer.phone", phone))

    errors = assert_validation_error(response, "customer.phone")
    if len(phone) <= 16:
        assert "E.164" in errors["customer.phone"]
    assert_nothing_created(media_root)


def test_phone_in_e164_is_accepted_and_stored(api_client):
    response = post(api_client, set_path(create_body(), "customer.phone", "+6281234567890"))

    ticket = assert_created(response)
    assert ticket.customer.phone == "+6281234567890"


@pytest.mark.parametrize("claim_date", ["15/01/2024", "2024-13-45T10:30:00Z", "yesterday", "2024-01-15T25:00:00Z"])
def test_claim_date_not_in_iso_8601_is_refused(api_client, media_root, claim_date):
    response = post(api_client, set_path(create_body(), "ticket.metadata.claimDate", claim_date))

    assert_validation_error(response, "ticket.metadata.claimDate")
    assert_nothing_created(media_root)


@pytest.mark.parametrize("claim_date", ["2024-01-15T10:30:00Z", "2024-01-15T18:30:00+08:00"])
def test_claim_date_in_iso_8601_is_accepted(api_client, claim_date):
    response = post(api_client, set_path(create_body(), "ticket.metadata.claimDate", claim_date))

    assert_created(response)


# ---------------------------------------------------------------- amounts


@pytest.mark.parametrize(
    "amount",
    [-1, -500000, 0, "0", "0.00", "abc", "", "five hundred", True, False, 100.123, "100.123", [500000], {"v": 1}],
    ids=repr,
)
def test_claim_amount_that_is_not_a_positive_amount_is_refused(api_client, media_root, amount):
    response = post(api_client, claim_body(amount))

    assert_validation_error(response, "ticket.metadata.claimAmount")
    assert_nothing_created(media_root)


@pytest.mark.parametrize(
    "amount_json_text",
    ["1e400", "-1e400", "1E+30", "1" + "0" * 4999, "0.001", "500000.005", "1e-400", "10000000000000000"],
    ids=["1e400", "-1e400", "1e30", "5000-digit-integer", "0.001", "three-decimals", "1e-400", "17-digit-integer"],
)
def test_claim_amount_out_of_range_as_raw_json_is_refused(api_client, media_root, amount_json_text):
    response = post_raw(api_client, raw_claim_body(amount_json_text))

    assert_validation_error(response, "ticket.metadata.claimAmount")
    assert_nothing_created(media_root)


@pytest.mark.parametrize(
    ("amount", "stored"),
    [
        ("500000.50", Decimal("500000.50")),
        (500000, Decimal("500000")),
        ("500000", Decimal("500000")),
        ("0.01", Decimal("0.01")),
    ],
)
def test_claim_amount_as_number_or_numeric_string_is_accepted(api_client, amount, stored):
    response = post(api_client, claim_body(amount))

    ticket = assert_created(response)
    assert ticket.amount == stored


@pytest.mark.parametrize("amount", ["9999999999999.99", "1234567890123.45"])
def test_largest_claim_amounts_are_stored_exactly_and_can_be_read_back(api_client, amount):
    # SQLite keeps decimals as REAL: the largest amount accepted (15 digits) must still come
    # back exact, and the ticket must stay readable through the API.
    response = post(api_client, claim_body(amount))

    assert response.status_code == 201, response.content
    number = response.json()["ticketNumber"]
    assert api_client.get(f"{URL}/{number}").status_code == 200
    assert Ticket.objects.values_list("amount", flat=True).get(number=number) == Decimal(amount)


@pytest.mark.parametrize("amount", ["10000000000000.00", "9999999999999999.99"])
def test_claim_amounts_beyond_fifteen_digits_are_refused(api_client, media_root, amount):
    response = post(api_client, claim_body(amount))

    assert_validation_error(response, "ticket.metadata.claimAmount")
    assert_nothing_created(media_root)


def test_claim_amount_with_two_decimals_in_raw_json_keeps_its_exact_value(api_client):
    response = post_raw(api_client, raw_claim_body("500000.50"))

    ticket = assert_created(response)
    assert ticket.amount == Decimal("500000.50")


# ---------------------------------------------------------------- wrong types


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("ticket", "ATM Card Claim Request"),
        ("ticket", ["ATM Card Claim Request"]),
        ("customer", ["John Doe", "john.doe@email.com"]),
        ("customer", "John Doe"),
        ("attachments", {"filename": "atm_receipt.jpg"}),
        ("attachments", "atm_receipt.jpg"),
        ("integration", "PARTNER001"),
        ("ticket.title", 12345),
        ("ticket.title", 123.45),
        ("ticket.title", {"text": "ATM Card Claim Request"}),
        ("ticket.title", ["ATM Card Claim Request"]),
        ("ticket.title", True),
        ("ticket.description", {"text": "retained"}),
        ("ticket.metadata", "claim"),
        ("ticket.metadata", [1, 2]),
        ("ticket.metadata.urgent", "yes"),
        ("ticket.metadata.urgent", 1),
        ("ticket.metadata.escalated", "true"),
        ("ticket.metadata.customFields", ["retentionTime"]),
        ("ticket.metadata.customFields", "retentionTime"),
        ("customer.name", ["John", "Doe"]),
        ("customer.email", {"address": "john.doe@email.com"}),
        ("attachments.0", "atm_receipt.jpg"),
        ("attachments.0.size", "large"),
        ("attachments.0.content", ["aGVsbG8="]),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 40 else type(value).__name__,
)
def test_value_of_the_wrong_type_is_refused_under_its_path(api_client, media_root, path, value):
    response = post(api_client, set_path(create_body(), path, value))

    assert_validation_error(response, path)
    assert_nothing_created(media_root)


def test_urgent_flag_accepts_json_booleans(api_client):
    response = post(api_client, set_path(create_body(), "ticket.metadata.urgent", True))

    assert_created(response)


# ---------------------------------------------------------------- sizes


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("ticket.title", "T" * 201),
        ("ticket.description", "D" * 20001),
        ("channelReferenceId", "R" * 129),
        ("customer.name", "N" * 201),
        ("integration.requestId", "Q" * 129),
        ("ticket.metadata.claimReason", "C" * 1001),
    ],
    ids=["title-201", "description-20001", "channelReferenceId-129", "name-201", "requestId-129", "claimReason-1001"],
)
def test_text_longer_than_its_limit_is_refused(api_client, media_root, path, value):
    response = post(api_client, set_path(create_body(), path, value))

    assert_validation_error(response, path)
    assert_nothing_created(media_root)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("ticket.title", "T" * 200),
        ("ticket.description", "D" * 20000),
        ("channelReferenceId", "R" * 128),
    ],
    ids=["title-200", "description-20000", "channelReferenceId-128"],
)
def test_text_at_its_limit_is_accepted(api_client, path, value):
    response = post(api_client, set_path(create_body(), path, value))

    assert_created(response)


def test_more_than_ten_attachments_are_refused(api_client, media_root):
    body = create_body(attachments=[attachment(filename=f"receipt{n}.jpg") for n in range(11)])

    response = post(api_client, body)

    assert_validation_error(response, "attachments")
    assert_nothing_created(media_root)


def test_ten_attachments_are_accepted(api_client):
    body = create_body(attachments=[attachment(filename=f"receipt{n}.jpg") for n in range(10)])

    ticket = assert_created(post(api_client, body))

    assert ticket.attachments.count() == 10


def test_metadata_with_20_kb_of_extra_keys_is_refused(api_client, media_root):
    body = create_body()
    body["ticket"]["metadata"].update({f"extra{n}": "x" * 1000 for n in range(20)})
    assert len(json.dumps(body["ticket"]["metadata"])) > METADATA_MAX_BYTES

    response = post(api_client, body)

    assert_validation_error(response, "ticket.metadata")
    assert_nothing_created(media_root)


def test_metadata_extra_keys_within_the_limit_are_kept(api_client):
    body = create_body()
    body["ticket"]["metadata"]["loyaltyTier"] = "GOLD"

    ticket = assert_created(post(api_client, body))

    assert ticket.metadata["loyaltyTier"] == "GOLD"


# ---------------------------------------------------------------- branch


@pytest.mark.parametrize("branch_code", ["999", "ABC", "0001"])
def test_unknown_branch_code_is_refused(api_client, media_root, branch_code):
    response = post(api_client, set_path(create_body(), "customer.branchCode", branch_code))

    assert_validation_error(response, "customer.branchCode")
    assert_nothing_created(media_root)


def test_known_branch_code_links_the_branch(api_client):
    ticket = assert_created(post(api_client, create_body()))

    assert ticket.branch.code == "001"


# ---------------------------------------------------------------- attachments


@pytest.mark.parametrize(
    ("item", "field"),
    [
        (attachment(content="this is not base64!"), "content"),
        (attachment(content="aGVsbG8"), "content"),  # missing padding
        (attachment(size=len(JPEG_BYTES) + 1), "size"),
        (attachment(size=10), "size"),
        (attachment(HTML_BYTES, filename="photo.png", mime_type="image/png"), "content"),
        (attachment(SVG_BYTES, filename="photo.png", mime_type="image/png"), "content"),
        (attachment(PDF_BYTES, filename="photo.jpg", mime_type="image/jpeg"), "content"),
        (attachment(HTML_BYTES, filename="page.html", mime_type="text/html"), "mimeType"),
        (attachment(SVG_BYTES, filename="logo.svg", mime_type="image/svg+xml"), "mimeType"),
        (attachment(JPEG_BYTES, filename="run.exe", mime_type="application/x-msdownload"), "mimeType"),
        (attachment(content=""), "content"),
        (attachment(filename="../"), "filename"),
        (attachment(size=-1), "size"),
        (attachment(size=10**30), "size"),
        (attachment(filename="...."), "filename"),
        (attachment(filename="\x01\x02"), "filename"),
    ],
    ids=[
        "not-base64",
        "unpadded-base64",
        "size-too-big",
        "size-too-small",
        "html-as-png",
        "svg-as-png",
        "pdf-as-jpeg",
        "text-html",
        "svg-mime",
        "exe-mime",
        "empty-content",
        "filename-only-path",
        "negative-size",
        "huge-size",
        "filename-only-dots",
        "filename-only-control-characters",
    ],
)
def test_bad_attachment_is_refused_under_its_field(api_client, media_root, item, field):
    response = post(api_client, create_body(attachments=[item]))

    assert_validation_error(response, f"attachments.0.{field}")
    assert_nothing_created(media_root)


def test_disallowed_mime_type_names_the_accepted_ones(api_client, media_root):
    item = attachment(HTML_BYTES, filename="page.html", mime_type="text/html")

    errors = assert_validation_error(post(api_client, create_body(attachments=[item])), "attachments.0.mimeType")

    assert all(mime_type in errors["attachments.0.mimeType"] for mime_type in ALLOWED_MIME_TYPES)


@pytest.mark.parametrize("field", ["filename", "mimeType", "content"])
def test_attachment_without_a_required_field_is_refused(api_client, media_root, field):
    response = post(api_client, create_body(attachments=[drop_path(attachment(), field)]))

    assert_validation_error(response, f"attachments.0.{field}")
    assert_nothing_created(media_root)


@pytest.mark.parametrize(
    "filename", ["../../../etc/passwd.jpg", "..\\..\\windows\\passwd.jpg", "/var/www/passwd.jpg", "a/b/../passwd.jpg"]
)
def test_attachment_filename_with_a_path_is_stored_as_its_last_component(api_client, media_root, filename):
    response = post(api_client, create_body(attachments=[attachment(filename=filename)]))

    ticket = assert_created(response)
    stored = ticket.attachments.get()
    assert stored.filename == "passwd.jpg"
    # The file itself is under MEDIA_ROOT with a name of our own, never the partner's.
    stored_path = Path(stored.file.path).resolve()
    assert stored_path.is_relative_to(media_root.resolve())
    assert "passwd" not in stored_path.name
    assert stored_path.read_bytes() == JPEG_BYTES


@pytest.mark.parametrize(
    ("second", "field"),
    [
        (attachment(content="%%%not base64%%%"), "content"),
        (attachment(size=1), "size"),
        (attachment(HTML_BYTES, filename="x.png", mime_type="image/png"), "content"),
        (attachment(HTML_BYTES, filename="x.html", mime_type="text/html"), "mimeType"),
    ],
    ids=["content", "size", "sniffed-content", "mimeType"],
)
def test_bad_second_attachment_refuses_the_whole_ticket(api_client, media_root, second, field):
    body = create_body(attachments=[attachment(), second])

    response = post(api_client, body)

    assert_validation_error(response, f"attachments.1.{field}")
    assert_nothing_created(media_root)


def test_valid_attachments_of_each_kind_are_accepted(api_client, media_root):
    body = create_body(
        attachments=[
            attachment(),
            attachment(PDF_BYTES, filename="statement.pdf", mime_type="application/pdf"),
            attachment(b"retention time 10:30\n", filename="note.txt", mime_type="text/plain"),
        ]
    )

    ticket = assert_created(post(api_client, body))

    assert sorted(ticket.attachments.values_list("mime_type", flat=True)) == [
        "application/pdf",
        "image/jpeg",
        "text/plain",
    ]
    assert len([path for path in media_root.rglob("*") if path.is_file()]) == 3


def test_attachment_content_with_line_breaks_is_accepted(api_client):
    encoded = b64(PDF_BYTES)
    wrapped = "\n".join(encoded[i : i + 20] for i in range(0, len(encoded), 20))
    item = attachment(PDF_BYTES, filename="statement.pdf", mime_type="application/pdf", content=wrapped)

    assert_created(post(api_client, create_body(attachments=[item])))


# ---------------------------------------------------------------- malformed bodies


def deep_in_a_field(depth: int) -> str:
    text = json.dumps(create_body())
    return text.replace('"WA-2024-001-XYZ"', "[" * depth + "]" * depth, 1)


@pytest.mark.parametrize(
    "raw",
    [
        b"this is not json",
        b'{"channel": "WHATSAPP", "serviceType": "CLAIM", "customer": {"name": "John"',
        b"{'channel': 'WHATSAPP'}",
        b'{"channel": "WHATSAPP",}',
        b'{"channel": "WHATSAPP"}{"channel": "EMAIL"}',
        b'{"channel": "\xff\xfe WHATSAPP"}',
        b'\xc3\x28{"channel": "WHATSAPP"}',
        json.dumps(claim_body("__N__")).replace('"__N__"', "NaN").encode(),
        json.dumps(claim_body("__N__")).replace('"__N__"', "Infinity").encode(),
        json.dumps(claim_body("__N__")).replace('"__N__"', "-Infinity").encode(),
        ("[" * 1000 + "]" * 1000).encode(),
        deep_in_a_field(1000).encode(),
        ('{"a":' * 1000 + "1" + "}" * 1000).encode(),
    ],
    ids=[
        "not-json",
        "truncated",
        "single-quotes",
        "trailing-comma",
        "two-documents",
        "invalid-utf8",
        "invalid-utf8-lead",
        "NaN",
        "Infinity",
        "-Infinity",
        "nested-1000-top-level",
        "nested-1000-in-a-field",
        "nested-1000-objects",
    ],
)
def test_malformed_json_is_a_parse_error(api_client, media_root, raw):
    response = post_raw(api_client, raw)

    assert_error(response, status=400, code="parse_error", keys=set())
    assert_nothing_created(media_root)


@pytest.mark.parametrize("raw", ["[]", json.dumps([create_body()]), '"a string"', "42", "null", "true"])
def test_json_that_is_not_an_object_is_refused(api_client, media_root, raw):
    response = post_raw(api_client, raw)

    assert_validation_error(response, "body")
    assert_nothing_created(media_root)


def test_empty_body_names_every_required_field(api_client, media_root):
    response = post_raw(api_client, b"")

    assert_validation_error(response, "channel", "serviceType", "customer", "ticket")
    assert_nothing_created(media_root)


def test_empty_object_names_every_required_field(api_client, media_root):
    response = post_raw(api_client, b"{}")

    assert_validation_error(response, "channel", "serviceType", "customer", "ticket")
    assert_nothing_created(media_root)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data; boundary=x"],
)
def test_body_that_is_not_declared_json_is_unsupported_media_type(api_client, media_root, content_type):
    response = post_raw(api_client, json.dumps(create_body()), content_type=content_type)

    assert_error(response, status=415, code="unsupported_media_type", keys=set())
    assert_nothing_created(media_root)


def test_json_with_charset_parameter_is_accepted(api_client):
    response = post_raw(api_client, json.dumps(create_body()), content_type="application/json; charset=utf-8")

    assert_created(response)


def test_body_over_the_size_limit_is_refused_with_413(api_client, media_root, settings):
    settings.OMNICHANNEL_MAX_BODY_BYTES = 1000
    body = set_path(create_body(), "ticket.description", "D" * 2000)

    response = post(api_client, body)

    assert_error(response, status=413, code="request_too_large", keys=set())
    assert_nothing_created(media_root)


def test_body_just_under_the_size_limit_is_accepted(api_client, settings):
    body = minimal_body()
    settings.OMNICHANNEL_MAX_BODY_BYTES = len(json.dumps(body).encode()) + 10

    assert_created(post(api_client, body))


@pytest.mark.parametrize(
    "path",
    [
        "ticket.title",
        "customer.name",
        "channel",
        "serviceType",
        "ticket.priority",
        "customer.preferredLanguage",
        "customer.branchCode",
        "attachments.0.filename",
        "attachments.0.mimeType",
    ],
)
@pytest.mark.parametrize("text", ["\ud800", "before \udfff after"], ids=["high-surrogate", "low-surrogate"])
def test_lone_surrogate_escape_is_refused_under_its_path(api_client, media_root, path, text):
    # Valid JSON syntax but no Unicode text: it can be neither stored nor echoed back as UTF-8.
    raw = json.dumps(set_path(create_body(), path, text))

    response = post_raw(api_client, raw)

    assert_validation_error(response, path)
    assert_nothing_created(media_root)


@pytest.mark.parametrize(
    "path",
    [
        "ticket.title",
        "ticket.description",
        "customer.name",
        "channelReferenceId",
        "ticket.metadata.claimReason",
        "ticket.metadata.customFields.witnessPresent",
    ],
)
def test_nul_character_in_text_is_refused_under_its_path(api_client, media_root, path):
    # PostgreSQL stores no NUL in text or jsonb: it must be a 400, never a database error.
    response = post(api_client, set_path(create_body(), path, "before\x00after"))

    assert_validation_error(response, path)
    assert_nothing_created(media_root)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("ticket.metadata.loyaltyTier", "before\x00after"),
        ("ticket.metadata.notes", {"inner": ["before\x00after"]}),
        ("ticket.metadata.customFields", {"key\x00with-nul": "value"}),
        ("ticket.metadata.loyaltyTier", "before\ud800after"),
        ("ticket.metadata.customFields", {"key\udfffwith-surrogate": "value"}),
        ("ticket.metadata.customFields.witnessPresent", "before\ud800after"),
    ],
    ids=[
        "nul-extra-key-value",
        "nul-nested-extra-value",
        "nul-custom-field-name",
        "surrogate-extra-key-value",
        "surrogate-custom-field-name",
        "surrogate-custom-field-value",
    ],
)
def test_unstorable_text_in_free_form_metadata_is_refused(api_client, media_root, path, value):
    # Free-form metadata goes to a JSON column as it is: what PostgreSQL's jsonb cannot hold
    # (NUL, lone surrogates) must be a 400 there too, never a database error.
    response = post_raw(api_client, json.dumps(set_path(create_body(), path, value)))

    assert response.status_code == 400, response.content
    payload = response.json()
    assert payload["code"] == "validation_error"
    assert payload["errors"]
    assert all(key.startswith("ticket.metadata") for key in payload["errors"]), payload["errors"]
    assert_nothing_created(media_root)


# ---------------------------------------------------------------- tenancy


@pytest.mark.parametrize("partner_id", ["PARTNER002", "partner001", "PARTNER0011"])
def test_partner_id_of_another_partner_is_forbidden(api_client, media_root, partner_id):
    response = post(api_client, set_path(create_body(), "integration.partnerId", partner_id))

    assert_error(response, status=403, code="partner_mismatch", keys=set())
    assert_nothing_created(media_root)


@pytest.mark.parametrize("integration", [{"partnerId": "PARTNER001"}, {}, {"partnerId": ""}, {"partnerId": None}])
def test_own_or_absent_partner_id_is_accepted(api_client, integration):
    ticket = assert_created(post(api_client, create_body(integration=integration)))

    assert ticket.partner.code == "PARTNER001"


# ---------------------------------------------------------------- sweep: never a 500

SWEEP_PATHS = [
    "channel",
    "channelReferenceId",
    "serviceType",
    "customer",
    "customer.name",
    "customer.email",
    "customer.phone",
    "customer.identifier",
    "customer.branchCode",
    "customer.preferredLanguage",
    "ticket",
    "ticket.title",
    "ticket.description",
    "ticket.priority",
    "ticket.category",
    "ticket.metadata",
    "ticket.metadata.claimType",
    "ticket.metadata.claimAmount",
    "ticket.metadata.claimCurrency",
    "ticket.metadata.claimDate",
    "ticket.metadata.customFields",
    "ticket.metadata.customFields.retentionTime",
    "attachments",
    "attachments.0",
    "attachments.0.filename",
    "attachments.0.mimeType",
    "attachments.0.size",
    "attachments.0.content",
    "integration",
    "integration.webhookUrl",
    "integration.partnerId",
    "integration.requestId",
]
SWEEP_MUTATIONS = {
    "dropped": None,
    "null": None,
    "number": 7,
    "list": ["x"],
    "object": {"x": 1},
    "nul-char": "x\x00y",
}


@pytest.mark.parametrize("mutation", list(SWEEP_MUTATIONS))
@pytest.mark.parametrize("path", SWEEP_PATHS)
def test_mutated_spec_body_never_answers_500(api_client, media_root, path, mutation):
    body = (
        drop_path(create_body(), path)
        if mutation == "dropped"
        else set_path(create_body(), path, SWEEP_MUTATIONS[mutation])
    )

    response = post(api_client, body)

    assert response.status_code in {201, 400, 403}, response.content
    if response.status_code == 201:
        assert Ticket.objects.count() == 1
        return
    payload = response.json()
    assert set(payload) == {"success", "error", "code", "errors"}
    assert payload["success"] is False
    if response.status_code == 400:
        assert payload["code"] == "validation_error"
        assert payload["errors"], payload
        assert all(isinstance(key, str) and key for key in payload["errors"])
    else:
        assert payload["code"] == "partner_mismatch"
    assert_nothing_created(media_root)
