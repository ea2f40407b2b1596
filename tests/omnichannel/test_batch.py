import datetime

from django.utils import timezone

from tests.factories import AttachmentFactory, CommentFactory, PartnerFactory, TicketFactory

URL = "/api/omnichannel/tickets"


def numbers(response) -> list[str]:
    return [result["ticketNumber"] for result in response.json()["results"]]


def test_batch_by_ticket_numbers_answers_those_tickets(api_client, reference_data, partner):
    wanted = TicketFactory.create_batch(3, partner=partner)
    TicketFactory(partner=partner)  # not asked for

    response = api_client.get(URL, {"ticketNumber": [t.number for t in wanted]})

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["count"] == 3
    assert body["next"] is None
    assert body["previous"] is None
    assert sorted(numbers(response)) == sorted(t.number for t in wanted)
    assert set(body["results"][0]) >= {"ticketNumber", "status", "sla", "comments", "attachments", "lastComment"}


def test_batch_by_channel_reference_id(api_client, reference_data, partner):
    ticket = TicketFactory(partner=partner, channel_reference_id="WA-2024-001-XYZ")
    TicketFactory(partner=partner, channel_reference_id="WA-OTHER")

    response = api_client.get(URL, {"channelReferenceId": "WA-2024-001-XYZ"})

    assert numbers(response) == [ticket.number]


def test_batch_numbers_and_references_together_answer_both(api_client, reference_data, partner):
    by_number = TicketFactory(partner=partner)
    by_reference = TicketFactory(partner=partner, channel_reference_id="CHAT-7")
    TicketFactory(partner=partner)

    response = api_client.get(URL, {"ticketNumber": by_number.number, "channelReferenceId": "CHAT-7"})

    assert sorted(numbers(response)) == sorted([by_number.number, by_reference.number])


def test_batch_filters_by_status_and_updated_since(api_client, reference_data, partner):
    now = timezone.now()
    fresh_open = TicketFactory(partner=partner, status="OPEN", created_at=now)
    TicketFactory(partner=partner, status="OPEN", created_at=now - datetime.timedelta(days=3))
    TicketFactory(partner=partner, status="RESOLVED", created_at=now)
    since = (now - datetime.timedelta(hours=1)).isoformat()

    response = api_client.get(URL, {"status": "OPEN", "updatedSince": since})

    assert numbers(response) == [fresh_open.number]


def test_batch_never_returns_another_partners_tickets(api_client, reference_data, partner):
    mine = TicketFactory(partner=partner, channel_reference_id="SHARED-REF")
    theirs = TicketFactory(partner=PartnerFactory(code="OTHER"), channel_reference_id="SHARED-REF")

    by_reference = api_client.get(URL, {"channelReferenceId": "SHARED-REF"})
    by_number = api_client.get(URL, {"ticketNumber": [mine.number, theirs.number]})
    everything = api_client.get(URL)

    assert numbers(by_reference) == [mine.number]
    assert numbers(by_number) == [mine.number]
    assert numbers(everything) == [mine.number]


def test_batch_refuses_more_than_100_values(api_client, reference_data):
    response = api_client.get(URL, {"ticketNumber": [f"INC-2024-{i:04d}" for i in range(60)],
                                    "channelReferenceId": [f"REF-{i}" for i in range(41)]})  # fmt: skip

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "Validation failed",
        "code": "validation_error",
        "errors": {"query": "At most 100 ticketNumber and channelReferenceId values together; got 101."},
    }


def test_batch_accepts_exactly_100_values(api_client, reference_data, partner):
    tickets = TicketFactory.create_batch(2, partner=partner)
    values = [t.number for t in tickets] + [f"INC-2024-{i:04d}" for i in range(98)]

    response = api_client.get(URL, {"ticketNumber": values})

    assert response.status_code == 200
    assert response.json()["count"] == 2


def test_batch_rejects_invalid_filters_with_the_field_named(api_client, reference_data):
    bad_status = api_client.get(URL, {"status": "DONE"})
    bad_date = api_client.get(URL, {"updatedSince": "yesterday"})
    empty_date = api_client.get(URL, {"updatedSince": ""})

    assert bad_status.status_code == 400
    assert list(bad_status.json()["errors"]) == ["status"]
    assert bad_date.status_code == 400
    assert list(bad_date.json()["errors"]) == ["updatedSince"]
    assert empty_date.status_code == 400
    assert empty_date.json()["errors"] == {"updatedSince": "Enter an ISO-8601 date-time, e.g. 2024-01-15T10:30:00Z."}


def test_batch_paginates(api_client, reference_data, partner):
    TicketFactory.create_batch(5, partner=partner)

    first = api_client.get(URL, {"pageSize": 2})
    last = api_client.get(URL, {"pageSize": 2, "page": 3})
    beyond = api_client.get(URL, {"pageSize": 2, "page": 4})

    assert first.json()["count"] == 5
    assert len(first.json()["results"]) == 2
    assert first.json()["next"] == "http://testserver/api/omnichannel/tickets?page=2&pageSize=2"
    assert len(last.json()["results"]) == 1
    assert last.json()["next"] is None
    assert beyond.status_code == 404
    assert beyond.json()["code"] == "not_found"


def test_batch_of_100_tickets_query_count(api_client, reference_data, partner, django_assert_max_num_queries):
    tickets = TicketFactory.create_batch(100, partner=partner)
    for ticket in tickets[:10]:
        CommentFactory.create_batch(3, ticket=ticket)
        AttachmentFactory(ticket=ticket)

    with django_assert_max_num_queries(8):
        response = api_client.get(URL, {"ticketNumber": [t.number for t in tickets], "pageSize": 100})

    assert response.status_code == 200
    assert response.json()["count"] == 100
    assert len(response.json()["results"]) == 100


def test_batch_page_size_must_be_a_positive_whole_number(api_client, reference_data, partner):
    TicketFactory.create_batch(3, partner=partner)

    answers = {value: api_client.get(URL, {"pageSize": value}) for value in ("abc", "0", "-5", "1.5", "500")}

    for value in ("abc", "0", "-5", "1.5"):
        assert answers[value].status_code == 400
        assert answers[value].json()["errors"] == {"pageSize": "Must be a whole number from 1 to 100."}
    assert answers["500"].status_code == 200  # more than 100 is read as 100
    assert answers["500"].json()["count"] == 3


def test_updated_since_with_any_iso_offset_is_compared_in_utc(api_client, reference_data, partner):
    # found by schemathesis: PostgreSQL refuses offsets past ±15:59, ISO-8601 allows ±23:59
    ticket = TicketFactory(partner=partner)

    far_east = api_client.get(URL, {"updatedSince": "0888-12-18T06:26:11.03311+18:37"})
    edge = api_client.get(URL, {"updatedSince": "0001-01-01T00:00:00+05:00"})
    future = api_client.get(URL, {"updatedSince": "9999-12-31T23:59:59-18:00"})

    assert far_east.status_code == 200
    assert numbers(far_east) == [ticket.number]
    assert edge.status_code == 400
    assert edge.json()["errors"] == {"updatedSince": "Date-time out of range."}
    assert future.status_code == 400


def test_values_the_database_cannot_compare_are_refused_not_a_500(api_client, reference_data, partner):
    # found by schemathesis: a NUL byte in a query value reached PostgreSQL
    nul_reference = api_client.get(URL, {"channelReferenceId": "WA\x00REF"})
    nul_number = api_client.get(URL, {"ticketNumber": "INC\x00"})
    nul_path = api_client.get(URL + "/INC%00-2024-0001")

    assert nul_reference.status_code == 400
    assert list(nul_reference.json()["errors"]) == ["channelReferenceId"]
    assert nul_number.status_code == 400
    assert nul_path.status_code == 404
    assert nul_path.json()["code"] == "not_found"
