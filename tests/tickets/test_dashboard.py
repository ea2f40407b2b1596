"""The admin front page's figures: the open queue of the tickets the user may see."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.utils import timezone

from tests.factories import TicketFactory, UserFactory
from tickets.dashboard import dashboard_for
from tickets.models import Service, SupportGroup


@pytest.fixture(autouse=True)
def _no_cached_figures():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def agent(reference_data):
    user = UserFactory(username="dash.agent")
    user.groups.add(Group.objects.get(name="Agent"))
    SupportGroup.objects.get(name="Customer Care").agents.add(user)
    return user


def make_queue(agent):
    now = timezone.now()
    TicketFactory(status="OPEN", assignee=agent)  # on track, mine
    TicketFactory(status="OPEN")  # on track, unassigned
    TicketFactory(status="IN_PROGRESS", assignee=agent, resolution_deadline=now - timedelta(minutes=5))  # breached
    TicketFactory(
        status="IN_PROGRESS",
        resolution_at_risk_at=now - timedelta(minutes=1),
        resolution_deadline=now + timedelta(hours=1),
    )  # at risk, unassigned
    TicketFactory(status="PENDING", sla_paused_at=now - timedelta(hours=1))  # paused, unassigned
    TicketFactory(status="RESOLVED", resolved_at=now, sla_paused_at=now)  # not in the queue
    card_group = SupportGroup.objects.get(name="Card & ATM Support")
    TicketFactory(service=Service.objects.get(service_type="ATM_ISSUE"), support_group=card_group)  # not visible


def test_an_agent_sees_the_figures_of_their_groups_queue(agent):
    make_queue(agent)

    figures = dashboard_for(agent)

    assert figures["totals"] == {
        "open": 2,
        "in_progress": 2,
        "pending": 1,
        "breached": 1,
        "at_risk": 1,
        "mine": 2,
        "unassigned": 3,
    }
    assert figures["groups"] == [{"support_group__name": "Customer Care", "open": 5, "unassigned": 3, "breached": 1}]


def test_the_admin_front_page_shows_them_and_keeps_them_a_minute(client, agent):
    make_queue(agent)
    client.force_login(agent)

    first = client.get("/admin/").content.decode()
    TicketFactory(status="OPEN", assignee=agent)
    again = client.get("/admin/").content.decode()
    cache.clear()
    fresh = client.get("/admin/").content.decode()

    assert '<strong id="dash-mine">2</strong>' in first
    assert '<strong id="dash-breached">1</strong>' in first
    assert '<strong id="dash-mine">2</strong>' in again  # counted at most once a minute
    assert '<strong id="dash-mine">3</strong>' in fresh


def test_a_user_without_ticket_permission_sees_no_figures(client, reference_data):
    clerk = UserFactory(username="clerk")
    client.force_login(clerk)

    page = client.get("/admin/").content.decode()

    assert 'id="desk-dashboard"' not in page
