from types import SimpleNamespace

import django_ratelimit.core
import pytest
from django.urls import reverse

from tests.factories import CommentFactory, CustomerFactory, TicketFactory
from tickets.models import AuthorType
from tickets.tracking import tracking_token


def url_of(ticket, token=None) -> str:
    token = token or tracking_token(number=ticket.number, public_id=ticket.public_id)
    return reverse("tracking-page", args=[ticket.number, token])


@pytest.fixture
def ticket(reference_data):
    ticket = TicketFactory(customer=CustomerFactory(name="John Doe", email="john.doe@email.com"), status="IN_PROGRESS")
    CommentFactory(ticket=ticket, body="We have retrieved your card", author_name="jane.tech@banksulutgo.co.id")
    CommentFactory(ticket=ticket, body="INTERNAL: check CCTV first", is_internal=True)
    CommentFactory(ticket=ticket, body="Thank you!", author_type=AuthorType.CUSTOMER, author_name="Customer")
    return ticket


def test_a_valid_link_shows_the_ticket(client, ticket):
    response = client.get(url_of(ticket))

    page = response.content.decode()
    assert response.status_code == 200
    assert ticket.number in page
    assert "General Inquiries" in page
    assert "We have retrieved your card" in page
    assert "Thank you!" in page
    assert "J*** D**" in page


def test_internal_notes_agent_emails_and_customer_details_never_appear(client, ticket):
    page = client.get(url_of(ticket)).content.decode()

    assert "INTERNAL" not in page
    assert "CCTV" not in page
    assert "jane.tech@banksulutgo.co.id" not in page
    assert "John Doe" not in page
    assert "john.doe@email.com" not in page


def test_altered_token_other_tickets_token_and_unknown_number_give_the_same_404(client, ticket):
    other = TicketFactory(partner=ticket.partner)
    good_token = tracking_token(number=ticket.number, public_id=ticket.public_id)

    altered = client.get(url_of(ticket, token=good_token[:-1] + ("A" if good_token[-1] != "A" else "B")))
    borrowed = client.get(url_of(ticket, token=tracking_token(number=other.number, public_id=other.public_id)))
    unknown = client.get(reverse("tracking-page", args=["INC-1999-0001", good_token]))

    assert altered.status_code == borrowed.status_code == unknown.status_code == 404
    assert altered.content == borrowed.content == unknown.content


def test_the_page_is_in_the_customers_language_with_a_switch(client, ticket):
    ticket.preferred_language = "id"
    ticket.save(update_fields=["preferred_language"])

    indonesian = client.get(url_of(ticket)).content.decode()
    english = client.get(url_of(ticket) + "?lang=en").content.decode()

    assert '<html lang="id">' in indonesian
    assert "Sedang diproses" in indonesian
    assert "Pembaruan terakhir" in indonesian
    assert 'href="?lang=en"' in indonesian
    assert '<html lang="en">' in english
    assert "In progress" in english
    assert "Last update" in english
    assert "Sedang diproses" not in english


def test_english_customers_get_english_and_unknown_languages_fall_back_to_indonesian(client, ticket):
    ticket.preferred_language = "en"
    ticket.save(update_fields=["preferred_language"])

    preferred = client.get(url_of(ticket)).content.decode()
    fallback = client.get(url_of(ticket) + "?lang=fr").content.decode()

    assert "In progress" in preferred
    assert "In progress" in fallback  # an unknown ?lang keeps the customer's own language


@pytest.mark.parametrize(
    ("status", "done"),
    [("OPEN", 1), ("IN_PROGRESS", 2), ("PENDING", 2), ("RESOLVED", 3), ("CLOSED", 3)],
)
def test_the_step_indicator_follows_the_status(client, reference_data, status, done):
    ticket = TicketFactory(status=status)

    page = client.get(url_of(ticket) + "?lang=en").content.decode()

    assert page.count('<li class="done">') == done


def test_a_cancelled_ticket_says_so(client, reference_data):
    ticket = TicketFactory(status="CANCELLED")

    page = client.get(url_of(ticket) + "?lang=en").content.decode()

    assert "This ticket was cancelled." in page
    assert 'class="steps"' not in page


def test_security_headers_are_set(client, ticket):
    response = client.get(url_of(ticket))

    assert response["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "no-store"


def test_the_stylesheet_is_served_from_the_site_itself(client, db):
    response = client.get(reverse("tracking-stylesheet"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert b".steps" in response.content


def test_the_page_is_rate_limited_per_client_address(client, ticket, settings, monkeypatch):
    # the counters' clock stands still, so the four requests share one window
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: 1_800_000_000.0))
    settings.TRACKING_RATE_LIMIT = "3/m"
    url = url_of(ticket)

    statuses = [client.get(url, REMOTE_ADDR="203.0.113.9").status_code for _ in range(4)]
    other_address = client.get(url, REMOTE_ADDR="203.0.113.10").status_code

    assert statuses == [200, 200, 200, 429]
    assert other_address == 200
