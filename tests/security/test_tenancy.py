"""A hostile partner with a valid key, aiming at another partner's ticket: every endpoint
answers exactly as for a number that does not exist, and not one row changes anywhere
(no comment, status, attachment, event, webhook delivery or idempotency record)."""

from pathlib import Path

import pytest

from tests.factories import AttachmentFactory, CommentFactory, PartnerFactory, TicketFactory
from tests.payloads import attachment
from tests.security import database_rows

URL = "/api/omnichannel/tickets"
UNKNOWN_NUMBER = "INC-1999-0001"
NOT_FOUND = {"success": False, "error": "Ticket not found.", "code": "not_found", "errors": {}}
# Each would succeed on a RESOLVED ticket of one's own.
PATCH_BODIES = {
    "ADD_COMMENT": {"action": "ADD_COMMENT", "comment": "Give me this ticket"},
    "UPDATE_STATUS-CLOSED": {"action": "UPDATE_STATUS", "status": "CLOSED"},
    "UPDATE_STATUS-OPEN": {"action": "UPDATE_STATUS", "status": "OPEN"},
    "UPDATE_STATUS-CANCELLED": {"action": "UPDATE_STATUS", "status": "CANCELLED", "comment": "mine now"},
    "ADD_ATTACHMENT": {"action": "ADD_ATTACHMENT", "attachments": [attachment()]},
}


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def theirs(reference_data, partner, media_root):
    """Another partner's RESOLVED ticket, with a public comment and an attachment, sharing
    its channel reference with one of ours."""
    ticket = TicketFactory(partner=PartnerFactory(code="OTHER"), status="RESOLVED", channel_reference_id="SHARED-REF")
    CommentFactory(ticket=ticket, is_internal=False)
    AttachmentFactory(ticket=ticket)
    return ticket


def snapshot():
    # last_used_at is the caller's own key being touched: bookkeeping, not a change to the ticket.
    return database_rows(ignore_columns=frozenset({"last_used_at"}))


def files_under(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


@pytest.mark.parametrize("path_suffix", ["", "/"], ids=["no-slash", "trailing-slash"])
def test_get_of_another_partners_ticket_is_the_unknown_number_answer(api_client, theirs, path_suffix):
    before = snapshot()

    response = api_client.get(f"{URL}/{theirs.number}{path_suffix}")
    unknown = api_client.get(f"{URL}/{UNKNOWN_NUMBER}{path_suffix}")

    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert (unknown.status_code, unknown.json()) == (404, NOT_FOUND)
    assert snapshot() == before


@pytest.mark.parametrize("idempotency_key", [None, "retry-1"], ids=["plain", "with-idempotency-key"])
@pytest.mark.parametrize("body", list(PATCH_BODIES.values()), ids=list(PATCH_BODIES))
def test_patch_of_another_partners_ticket_is_404_and_changes_no_row(
    api_client, theirs, media_root, body, idempotency_key
):
    headers = {"HTTP_IDEMPOTENCY_KEY": idempotency_key} if idempotency_key else {}
    files_before = files_under(media_root)
    before = snapshot()

    response = api_client.patch(f"{URL}/{theirs.number}", body, format="json", **headers)

    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert snapshot() == before
    assert files_under(media_root) == files_before


def test_a_refused_patch_leaves_the_idempotency_key_free_for_a_real_request(api_client, theirs, partner):
    # Had the 404 been kept under the key, the partner's own retry would replay it.
    ours = TicketFactory(partner=partner)
    body = {"action": "ADD_COMMENT", "comment": "Hello"}
    refused = api_client.patch(f"{URL}/{theirs.number}", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    own = api_client.patch(f"{URL}/{ours.number}", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert refused.status_code == 404
    assert own.status_code == 200
    assert "Idempotent-Replayed" not in own


@pytest.mark.parametrize(
    "query",
    [
        {"ticketNumber": "THEIRS"},
        {"ticketNumber": ["THEIRS", UNKNOWN_NUMBER]},
        {"channelReferenceId": "SHARED-REF"},
        {"ticketNumber": "THEIRS", "channelReferenceId": "SHARED-REF"},
        {"status": "RESOLVED"},
        {},
    ],
    ids=["by-number", "by-numbers", "by-channel-reference", "by-both", "by-status", "no-filter"],
)
def test_batch_never_answers_another_partners_ticket(api_client, partner, theirs, query):
    ours = TicketFactory(partner=partner, status="RESOLVED", channel_reference_id="SHARED-REF")
    query = {name: _their_number(value, theirs) for name, value in query.items()}
    if "ticketNumber" in query:
        query["ticketNumber"] = [*_as_list(query["ticketNumber"]), ours.number]
    before = snapshot()

    response = api_client.get(URL, query)

    assert response.status_code == 200, response.content
    assert [result["ticketNumber"] for result in response.json()["results"]] == [ours.number]
    assert response.json()["count"] == 1
    assert theirs.number not in response.content.decode()
    assert theirs.public_id not in response.content.decode()
    assert snapshot() == before


def _their_number(value, theirs):
    if isinstance(value, list):
        return [theirs.number if item == "THEIRS" else item for item in value]
    return theirs.number if value == "THEIRS" else value


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]
