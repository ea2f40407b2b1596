"""The agent console in a real browser (Debian's Chromium driven by Playwright) against
gunicorn, with a real Celery worker delivering the partner's webhooks to a real receiver.
PostgreSQL and Redis only: the server, the worker and the test share the database.
.ci/run installs Chromium; elsewhere the test is skipped without it."""

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group

from tests.celery_worker import purge_queue, running_worker
from tests.factories import UserFactory
from tests.live_server import _database_url, needs_real_services, running_gunicorn
from tests.payloads import create_body
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_end_to_end import FAST, wait_until
from tickets import roles
from tickets.models import Ticket, TicketStatus
from webhooks.models import Delivery, DeliveryStatus

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OUTPUT = Path(__file__).resolve().parent.parent.parent / "test-output"
URL = "/api/omnichannel/tickets"
CIF = "CIF-BROWSER-77"
PASSWORD = "console-test-password"
REPLY = "Kartu ATM Anda sudah kami ambil dari mesin dan bisa diambil di cabang besok pagi."

pytestmark = [
    needs_real_services,
    # CI (REQUIRE_REAL_SERVICES=1) never skips: there a missing browser is a failure.
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and os.environ.get("REQUIRE_REAL_SERVICES") != "1",
        reason="needs Debian's chromium (apt-get install chromium)",
    ),
]


def create_ticket(api_client, webhook_url: str) -> Ticket:
    body = create_body(channelReferenceId="WA-BROWSER-77")
    body["customer"] = {**body["customer"], "identifier": CIF}
    body["integration"] = {**body["integration"], "webhookUrl": webhook_url, "requestId": "REQ-BROWSER-77"}
    response = api_client.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    return Ticket.objects.select_related("support_group").get(number=response.json()["ticketNumber"])


def agent_of(ticket: Ticket):
    agent = UserFactory(username="console.agent", first_name="Maria", last_name="Lumowa", is_staff=True)
    agent.set_password(PASSWORD)
    agent.save(update_fields=["password"])
    agent.groups.add(Group.objects.get(name=roles.AGENT))
    ticket.support_group.agents.add(agent)
    return agent


def test_an_agent_finds_a_ticket_by_cif_replies_and_resolves_it_and_the_partner_hears_both(
    transactional_db, reference_data, api_client
):
    from playwright.sync_api import expect, sync_playwright

    purge_queue()
    OUTPUT.mkdir(exist_ok=True)
    # Connections are not kept, so the test database can be dropped at the end.
    server_env = {"DATABASE_URL": _database_url(), "REDIS_URL": settings.REDIS_URL, "DATABASE_CONN_MAX_AGE": "0"}

    with Receiver() as receiver, running_worker(FAST), running_gunicorn(server_env) as base_url:
        # given a partner's ticket and an agent of its support group
        ticket = create_ticket(api_client, receiver.url)
        agent = agent_of(ticket)

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                      "--disable-component-update", "--disable-sync"],
            )  # fmt: skip
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})

                # when the agent logs in, finds the ticket by the customer's CIF, replies and resolves it
                page.goto(f"{base_url}/admin/login/?next=/admin/tickets/ticket/")
                page.fill("#id_username", agent.username)
                page.fill("#id_password", PASSWORD)
                page.click("input[type=submit]")
                page.wait_for_url("**/admin/tickets/ticket/")

                page.fill("#searchbar", CIF)
                page.press("#searchbar", "Enter")
                page.wait_for_url(re.compile(rf"/admin/tickets/ticket/\?q={CIF}$"))
                results = page.locator("#result_list tbody tr")
                expect(results).to_have_count(1)
                results.get_by_role("link", name=ticket.number).click()
                page.wait_for_url(re.compile(rf"/admin/tickets/ticket/{ticket.pk}/change/"))

                customer = page.locator(".sd-card", has=page.locator("h2", has_text="Customer"))
                expect(customer.locator("tr", has_text="Name").locator("td")).to_have_text("John Doe")
                expect(customer.locator("tr", has_text="CIF").locator("td")).to_have_text(CIF)

                page.fill("#id_body", REPLY)
                page.click("input[name=send]")
                expect(page.locator(".messagelist")).to_contain_text("Reply sent.")

                page.click("input[name=to_resolved]")
                expect(page.locator(".messagelist")).to_contain_text(f"{ticket.number}: OPEN → RESOLVED.")

                # then the partner's receiver gets the reply and the resolution, after the creation
                received = receiver.wait_for(3)
                # The ORM cannot run inside Playwright's event loop: the page tells instead.
                delivered = page.locator("#timeline li.webhook", has_text=": delivered,")

                def all_three_shown_delivered() -> bool:
                    page.reload()
                    return delivered.count() == 3

                wait_until(all_three_shown_delivered, what="the page showing three deliveries delivered")
                # The page as the agent sees it once the partner has heard: kept for CI.
                page.screenshot(path=str(OUTPUT / "agent-console-ticket-page.png"), full_page=True)

                expect(page.locator("#content .sd-badge").first).to_have_text("Resolved")
                public_replies = page.locator("#timeline li.reply")
                expect(public_replies).to_have_count(1)
                expect(public_replies.locator(".sd-body")).to_have_text(REPLY)
                expect(public_replies.locator(".sd-meta")).to_contain_text("Maria Lumowa · public reply")
                # a resolved ticket is no longer offered resolving, but reopening and closing
                expect(page.locator("input[name=to_resolved]")).to_have_count(0)
                expect(page.locator("input[name=to_in_progress]")).to_have_value("Reopen")
                expect(page.locator("input[name=to_closed]")).to_have_value("Close")
                # the admin's stylesheet loaded (WhiteNoise under gunicorn), so the screenshot shows the real page
                assert (
                    page.locator("#header").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(65, 118, 144)"
                )
            finally:
                browser.close()

    bodies = [json.loads(request.body) for request in received]
    assert [(body["sequence"], body["event"]) for body in bodies] == [
        (1, "TICKET_CREATED"),
        (2, "COMMENT_ADDED"),
        (3, "TICKET_RESOLVED"),
    ]
    assert {body["ticketNumber"] for body in bodies} == {ticket.number}
    assert bodies[1]["data"]["comment"] == REPLY
    assert bodies[1]["data"]["author"] == "Maria Lumowa"
    assert bodies[2]["data"] == {"oldStatus": "OPEN", "newStatus": "RESOLVED", "comment": ""}
    # nothing more was sent: no second delivery of any event, no other event
    assert len(receiver.received) == 3
    assert list(Delivery.objects.filter(ticket=ticket).order_by("sequence").values_list("event", "status")) == [
        ("TICKET_CREATED", DeliveryStatus.DELIVERED),
        ("COMMENT_ADDED", DeliveryStatus.DELIVERED),
        ("TICKET_RESOLVED", DeliveryStatus.DELIVERED),
    ]
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED
    assert ticket.first_response_at is not None
