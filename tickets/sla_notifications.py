"""Telling supervisors that tickets of their support group are at risk of breaching."""

import logging
from collections import defaultdict

from django.conf import settings
from django.core.mail import send_mass_mail
from django.urls import reverse
from django.utils import timezone

from tickets.models import Ticket

logger = logging.getLogger(__name__)


def recipients(group) -> list[str]:
    """The group's active supervisors with an e-mail address; else the group's address."""
    addresses = sorted(
        {user.email for user in group.supervisors.all() if user.is_active and user.email},
    )
    if not addresses and group.email:
        addresses = [group.email]
    return addresses


def at_risk_messages(ticket_ids: list[int]) -> list[tuple[str, str, str, list[str]]]:
    """One message per support group, listing its tickets that crossed 75% of their time."""
    tickets = (
        Ticket.objects.filter(pk__in=ticket_ids)
        .select_related("support_group")
        .prefetch_related("support_group__supervisors")
        .order_by("resolution_deadline")
    )
    by_group = defaultdict(list)
    for ticket in tickets:
        by_group[ticket.support_group].append(ticket)
    messages = []
    for group, group_tickets in by_group.items():
        to = recipients(group)
        if not to:
            logger.warning("%s tickets of %s at risk; the group has no supervisor e-mail", len(group_tickets), group)
            continue
        lines = [
            f"- {ticket.number} {ticket.title} ({ticket.priority}): resolution due "
            f"{timezone.localtime(ticket.resolution_deadline):%Y-%m-%d %H:%M %Z}\n"
            f"  {settings.SITE_URL}{reverse('admin:tickets_ticket_change', args=[ticket.pk])}"
            for ticket in group_tickets
        ]
        subject = f"[ServiceDesk] {len(group_tickets)} ticket(s) of {group.name} at risk of breaching the SLA"
        body = f"These tickets of {group.name} have used 75% of their resolution time:\n\n" + "\n".join(lines) + "\n"
        messages.append((subject, body, settings.DEFAULT_FROM_EMAIL, to))
    return messages


def notify_at_risk(ticket_ids: list[int]) -> int:
    """Send the warnings; returns how many messages went out. A mail server that fails is
    logged, never raised: the tickets stay marked and the agents' list shows them."""
    if not ticket_ids:
        return 0
    messages = at_risk_messages(ticket_ids)
    try:
        return send_mass_mail(messages, fail_silently=False)
    except OSError:
        logger.exception("at-risk warnings for %s tickets could not be sent", len(ticket_ids))
        return 0
