"""The tracking page in a real browser (Debian's Chromium driven by Playwright) at a
phone's size. .ci/run installs Chromium; elsewhere the test is skipped without it."""

import os
import shutil
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import CommentFactory, TicketFactory
from tickets.tracking import tracking_token

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OUTPUT = Path(__file__).resolve().parent.parent.parent / "test-output"

# CI (REQUIRE_REAL_SERVICES=1) never skips: there a missing browser is a failure.
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and os.environ.get("REQUIRE_REAL_SERVICES") != "1",
    reason="needs Debian's chromium (apt-get install chromium)",
)


def test_the_link_opens_on_a_phone_with_status_and_last_reply_visible(live_server, reference_data):
    from playwright.sync_api import sync_playwright

    ticket = TicketFactory(status="IN_PROGRESS", preferred_language="id")
    CommentFactory(ticket=ticket, body="Kartu Anda sudah kami ambil dan siap diambil besok")
    url = live_server.url + reverse(
        "tracking-page", args=[ticket.number, tracking_token(number=ticket.number, public_id=ticket.public_id)]
    )
    OUTPUT.mkdir(exist_ok=True)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"],
        )  # fmt: skip
        try:
            page = browser.new_page(viewport={"width": 360, "height": 740}, java_script_enabled=False)
            response = page.goto(url)
            status = page.locator("#status li.done").last
            reply = page.locator("article.message").last
            page.screenshot(path=str(OUTPUT / "tracking-page-360x740.png"), full_page=True)

            assert response.status == 200
            assert status.is_visible()
            assert status.inner_text().strip() == "Sedang diproses"
            assert reply.is_visible()
            assert "Kartu Anda sudah kami ambil" in reply.inner_text()
            # readable without zoom: nothing wider than the phone's screen
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
            # the stylesheet loaded (from the site itself, as the CSP allows)
            assert page.locator("header").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(11, 61, 102)"
        finally:
            browser.close()
