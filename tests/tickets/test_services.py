import datetime

import pytest
from django.db import IntegrityError

from tests.factories import TicketFactory, UserFactory
from tickets import services
from tickets.actors import Actor
from tickets.errors import TicketFinal, TransitionNotAllowed
from tickets.models import Comment, EventKind, TicketEvent

STATUSES = ["OPEN", "IN_PROGRESS", "PENDING", "RESOLVED", "CLOSED", "CANCELLED"]
# DESIGN.md's status machine for the desk's side, written out in full.
AGENT_ALLOWED = {
    ("OPEN", "IN_PROGRESS"),
    ("OPEN", "PENDING"),
    ("OPEN", "RESOLVED"),
    ("OPEN", "CANCELLED"),
    ("IN_PROGRESS", "PENDING"),
    ("IN_PROGRESS", "RESOLVED"),
    ("IN_PROGRESS", "CANCELLED"),
    ("PENDING", "IN_PROGRESS"),
    ("PENDING", "RESOLVED"),
    ("PENDING", "CANCELLED"),
    ("RESOLVED", "CLOSED"),
    ("RESOLVED", "IN_PROGRESS"),
}


@pytest.mark.parametrize("current", STATUSES)
@pytest.mark.parametrize("target", STATUSES)
def test_agent_status_transitions(reference_data, current, target):
    agent = UserFactory()
    ticket = TicketFactory(status=current)

    if (current, target) in AGENT_ALLOWED:
        change = services.ticket_change_status(ticket=ticket, to_status=target, actor=Actor.for_agent(agent))
        ticket.refresh_from_db()
        assert (change.from_status, change.to_status, ticket.status) == (current, target, target)
        event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.STATUS_CHANGED)
        assert (event.kind, event.from_value, event.to_value, event.actor_user) == (
            EventKind.STATUS_CHANGED, current, target, agent,
        )  # fmt: skip
    else:
        with pytest.raises(TransitionNotAllowed):
            services.ticket_change_status(ticket=ticket, to_status=target, actor=Actor.for_agent(agent))
        ticket.refresh_from_db()
        assert ticket.status == current
        assert not TicketEvent.objects.filter(ticket=ticket).exists()


def test_resolving_and_reopening_sets_and_clears_resolved_at(reference_data):
    agent = Actor.for_agent(UserFactory())
    ticket = TicketFactory(status="IN_PROGRESS")
    at = ticket.created_at + datetime.timedelta(hours=2)

    services.ticket_change_status(ticket=ticket, to_status="RESOLVED", actor=agent, now=at)
    ticket.refresh_from_db()
    assert ticket.resolved_at == at

    services.ticket_change_status(ticket=ticket, to_status="IN_PROGRESS", actor=agent)
    ticket.refresh_from_db()
    assert ticket.resolved_at is None


def test_an_agents_first_public_reply_meets_the_response_target(reference_data):
    agent = Actor.for_agent(UserFactory())
    ticket = TicketFactory()
    first = ticket.created_at + datetime.timedelta(minutes=20)

    services.comment_add(ticket=ticket, body="Internal check", actor=agent, internal=True, now=first)
    ticket.refresh_from_db()
    assert ticket.first_response_at is None  # a note is not a response

    services.comment_add(ticket=ticket, body="We are on it", actor=agent, now=first)
    services.comment_add(ticket=ticket, body="Still on it", actor=agent, now=first + datetime.timedelta(hours=1))
    ticket.refresh_from_db()
    assert ticket.first_response_at == first
    assert list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True)) == [
        EventKind.NOTE_ADDED, EventKind.COMMENT_ADDED, EventKind.COMMENT_ADDED,
    ]  # fmt: skip


def test_partners_cannot_write_internal_notes(reference_data):
    ticket = TicketFactory()

    with pytest.raises(ValueError, match="internal notes"):
        services.comment_add(ticket=ticket, body="x", actor=Actor.for_partner(ticket.partner), internal=True)

    assert Comment.objects.count() == 0


def test_database_refuses_an_internal_note_from_a_customer(reference_data):
    ticket = TicketFactory()

    with pytest.raises(IntegrityError):
        Comment.objects.create(
            ticket=ticket,
            body="x",
            is_internal=True,
            author_type="CUSTOMER",
            author_name="C",
            created_at=ticket.created_at,
        )


def test_comments_on_final_tickets_are_refused(reference_data):
    ticket = TicketFactory(status="CLOSED")

    with pytest.raises(TicketFinal):
        services.comment_add(ticket=ticket, body="x", actor=Actor.for_agent(UserFactory()))


def test_ticket_events_are_append_only(reference_data):
    ticket = TicketFactory()
    services.ticket_change_status(ticket=ticket, to_status="CANCELLED", actor=Actor.system())
    event = TicketEvent.objects.get(kind=EventKind.STATUS_CHANGED)

    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        TicketEvent.objects.filter(pk=event.pk).update(to_value="OPEN")
    with pytest.raises(TypeError):
        TicketEvent.objects.all().delete()
    assert TicketEvent.objects.get(kind=EventKind.STATUS_CHANGED).to_value == "CANCELLED"
