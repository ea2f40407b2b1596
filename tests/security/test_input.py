"""Hostile input to the partner API: bodies too big to read, too many attachments, base64
bombs, NUL bytes and numbers too big for any column. Each is refused with an exact status,
the envelope and the field's dotted path, before the expensive work, and stores nothing.
(Nesting, bad UTF-8, amounts, lying sizes, HTML or SVG declared as PNG and path filenames:
tests/omnichannel/test_create_validation.py, listed in docs/security.md.)"""

import json
from pathlib import Path

import pytest

from omnichannel import serializers
from omnichannel.serializers import MAX_BASE64_CHARS
from tests.factories import TicketFactory
from tests.payloads import JPEG_BYTES, attachment, create_body, minimal_body
from tests.security import database_rows
from tickets.models import Ticket

URL = "/api/omnichannel/tickets"
HUNDRED_MB = 100 * 1024 * 1024


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path, reference_data) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture(autouse=True)
def _answer_500_as_a_response(api_client):
    api_client.raise_request_exception = False


@pytest.fixture
def unchanged(media_root):
    """unchanged() once the test's own rows exist; unchanged() again after the request
    asserts that no row and no file changed since."""
    before = []

    def snapshot():
        return database_rows(ignore_columns=frozenset({"last_used_at"})), sorted(media_root.rglob("*"))

    def check():
        if not before:
            before.append(snapshot())
        else:
            assert snapshot() == before[0]

    return check


@pytest.fixture
def calls_to(monkeypatch):
    """calls_to("decode_base64") records the calls of that name in omnichannel.serializers."""

    def spy(name: str) -> list:
        calls = []
        real = getattr(serializers, name)

        def recording(*args, **kwargs):
            calls.append(1)
            return real(*args, **kwargs)

        monkeypatch.setattr(serializers, name, recording)
        return calls

    return spy


def assert_envelope(response, *, status: int, code: str, errors: dict[str, str] | set[str]) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"success", "error", "code", "errors"}
    assert (body["success"], body["code"]) == (False, code), body
    assert body["error"]
    if isinstance(errors, set):
        assert set(body["errors"]) == errors, body["errors"]
    else:
        assert body["errors"] == errors


class CountingBody:
    """A request body of `size` bytes made on demand, which counts what the server reads."""

    def __init__(self, size: int):
        self.size = size
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        left = self.size - self.bytes_read
        size = left if size is None or size < 0 else min(size, left)
        self.bytes_read += size
        return b" " * size

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


# ---------------------------------------------------------------- body size


def send_declared_100_mb(api_client, method: str, path: str) -> tuple:
    body = CountingBody(HUNDRED_MB)
    response = api_client.generic(
        method, path, data=b"{}", content_type="application/json",
        CONTENT_LENGTH=str(HUNDRED_MB), **{"wsgi.input": body},
    )  # fmt: skip
    return response, body


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_declared_100_mb_body_is_refused_before_a_byte_is_read(api_client, partner, unchanged, method):
    path = URL if method == "POST" else f"{URL}/{TicketFactory(partner=partner).number}"
    unchanged()

    response, body = send_declared_100_mb(api_client, method, path)

    assert body.bytes_read == 0
    assert response.status_code >= 400
    assert set(response.json()) == {"success", "error", "code", "errors"}
    unchanged()


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_declared_100_mb_body_is_answered_413_request_too_large(api_client, partner, method):
    path = URL if method == "POST" else f"{URL}/{TicketFactory(partner=partner).number}"

    response, _ = send_declared_100_mb(api_client, method, path)

    assert response.status_code == 413
    assert response.json() == {
        "success": False,
        "error": "Request body is larger than 31457280 bytes.",
        "code": "request_too_large",
        "errors": {},
    }


def test_a_body_without_a_content_length_is_never_read(api_client, unchanged):
    # Chunked uploads reach Django without CONTENT_LENGTH; it reads them as empty, so they
    # cannot slip past the size check.
    body = CountingBody(HUNDRED_MB)
    unchanged()

    response = api_client.generic("POST", URL, data=b"", content_type="application/json", **{"wsgi.input": body})

    required = {"channel", "serviceType", "customer", "ticket"}
    assert_envelope(response, status=400, code="validation_error", errors=required)
    assert body.bytes_read == 0
    unchanged()


# ---------------------------------------------------------------- attachments


def ten_thousand_attachments() -> list[dict]:
    return [attachment(filename=f"receipt{n}.jpg") for n in range(10_000)]


def test_ten_thousand_attachments_on_create_are_refused_before_any_is_decoded(api_client, unchanged, calls_to):
    decoded = calls_to("decode_base64")
    unchanged()

    response = api_client.post(URL, create_body(attachments=ten_thousand_attachments()), format="json")

    assert_envelope(
        response, status=400, code="validation_error",
        errors={"attachments": "Ensure this field has no more than 10 elements."},
    )  # fmt: skip
    assert decoded == []
    unchanged()


def test_ten_thousand_attachments_on_update_are_refused_before_any_is_decoded(api_client, partner, unchanged, calls_to):
    ticket = TicketFactory(partner=partner)
    decoded = calls_to("decode_base64")
    unchanged()

    response = api_client.patch(
        f"{URL}/{ticket.number}", {"action": "ADD_ATTACHMENT", "attachments": ten_thousand_attachments()}, format="json"
    )

    assert_envelope(
        response, status=400, code="validation_error",
        errors={"attachments": "Ensure this field has no more than 10 elements."},
    )  # fmt: skip
    assert decoded == []
    unchanged()


def test_a_huge_base64_content_is_refused_by_its_length_before_it_is_decoded(api_client, unchanged, calls_to):
    # 15.4 million base64 characters, about 11.5 MB once decoded: the body is under the
    # 30 MB limit, the content over the 10 MB per file.
    decoded = calls_to("decode_base64")
    item = attachment(content="A" * 15_400_000, size=None)
    unchanged()

    response = api_client.post(URL, create_body(attachments=[item]), format="json")

    assert_envelope(
        response, status=400, code="validation_error",
        errors={"attachments.0.content": f"Ensure this field has no more than {MAX_BASE64_CHARS} characters."},
    )  # fmt: skip
    assert decoded == []
    unchanged()


@pytest.mark.parametrize("filename", ["photo\x00.php.jpg", "../../etc/passwd\x00.jpg", "\x00"], ids=repr)
def test_a_nul_in_an_attachment_filename_is_refused_under_its_path(api_client, unchanged, filename):
    unchanged()

    response = api_client.post(URL, create_body(attachments=[attachment(filename=filename)]), format="json")

    assert_envelope(
        response, status=400, code="validation_error",
        errors={"attachments.0.filename": "Null characters are not allowed."},
    )  # fmt: skip
    unchanged()


# ---------------------------------------------------------------- NUL bytes and huge numbers


@pytest.mark.parametrize(
    "raw",
    [
        json.dumps(minimal_body()).replace("Siti Rahma", "Siti\x00Rahma").encode(),
        json.dumps(minimal_body()).encode() + b"\x00",
        b"\x00" + json.dumps(minimal_body()).encode(),
    ],
    ids=["raw-nul-in-a-string", "raw-nul-after-the-document", "raw-nul-before-the-document"],
)
def test_a_raw_nul_byte_in_the_body_is_a_parse_error(api_client, unchanged, raw):
    unchanged()

    response = api_client.post(URL, data=raw, content_type="application/json")

    assert_envelope(response, status=400, code="parse_error", errors={})
    unchanged()


def body_with(literal: str, *, at: str) -> str:
    """The spec's create body as JSON text with the JSON string `at` replaced by `literal`
    written verbatim (numbers that json.dumps cannot produce)."""
    text = json.dumps(create_body(integration={}))
    assert text.count(at) == 1, at
    return text.replace(at, literal)


TEN_TO_THE_400 = "1" + "0" * 400


@pytest.mark.parametrize(
    ("literal", "at", "path"),
    [
        (TEN_TO_THE_400, "500000", "ticket.metadata.claimAmount"),
        ("-" + TEN_TO_THE_400, "500000", "ticket.metadata.claimAmount"),
        ("1e400", '"ATM Card Claim Request"', "ticket.title"),
        (TEN_TO_THE_400, '"WHATSAPP"', "channel"),
        (TEN_TO_THE_400, '"ATM001"', "ticket.metadata.atmId"),
        ("1e400", '"Yes"', "ticket.metadata.customFields.witnessPresent"),
        (TEN_TO_THE_400, '"001"', "customer.branchCode"),
        (TEN_TO_THE_400, f'"size": {len(JPEG_BYTES)}', "attachments.0.size"),
        ("1" + "0" * 5000, f'"size": {len(JPEG_BYTES)}', "attachments.0.size"),
    ],
    ids=[
        "amount-10**400",
        "amount-minus-10**400",
        "title-1e400",
        "channel-10**400",
        "atmId-10**400",
        "customField-1e400",
        "branchCode-10**400",
        "size-10**400",
        "size-10**5000",
    ],
)
def test_a_huge_number_is_a_400_under_its_path(api_client, unchanged, literal, at, path):
    if at.startswith('"size"'):
        literal = f'"size": {literal}'
    unchanged()

    response = api_client.post(URL, data=body_with(literal, at=at), content_type="application/json")

    assert_envelope(response, status=400, code="validation_error", errors={path})
    unchanged()


def test_a_huge_number_in_free_form_metadata_is_kept_as_text_and_reads_back(api_client):
    # Metadata keys the desk does not know are kept as sent; a number no column could hold
    # is kept as its text, never as a float (inf) and never a 500 when read back.
    raw = body_with('"loyaltyPoints": 1e400, "claimReason"', at='"claimReason"')

    response = api_client.post(URL, data=raw, content_type="application/json")

    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(number=response.json()["ticketNumber"])
    assert ticket.metadata["loyaltyPoints"] == "1E+400"
    assert api_client.get(f"{URL}/{ticket.number}").status_code == 200


@pytest.mark.parametrize(
    ("page_size", "status"), [("²", 400), ("1" * 4301, 200)], ids=["superscript-two", "4301-digits"]
)
def test_a_page_size_python_cannot_read_as_an_int_is_not_a_500(api_client, page_size, status):
    # "²".isdigit() is True but int("²") fails; more than 4,300 digits exceed Python's
    # int-from-text limit. docs/api.md: a whole number above 100 reads as 100, anything else is a 400.
    response = api_client.get(URL, {"pageSize": page_size})

    assert response.status_code == status, response.content
    if status == 400:
        assert response.json()["errors"] == {"pageSize": "Must be a whole number from 1 to 100."}
