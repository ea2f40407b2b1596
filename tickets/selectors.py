"""Reads that need authorisation. "Not yours" and "does not exist" are the same answer."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet

from tickets import roles, sla
from tickets.models import SLA_RUNNING, Attachment, Comment, SupportGroup, Ticket


def _with_status_details(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Everything the status answer shows, in a fixed number of queries."""
    return tickets.select_related("service", "support_group", "branch", "assignee").prefetch_related(
        Prefetch(
            "comments",
            queryset=Comment.objects.filter(is_internal=False).order_by("created_at", "pk"),
            to_attr="public_comments",
        ),
        Prefetch("attachments", queryset=Attachment.objects.order_by("uploaded_at", "pk"), to_attr="attachment_list"),
    )


def ticket_get_for_partner(*, partner, number: str, with_details: bool = True) -> Ticket:
    """The partner's ticket with this number; Ticket.DoesNotExist otherwise, whoever owns it."""
    tickets = Ticket.objects.filter(partner=partner, number=number)
    if with_details:
        tickets = _with_status_details(tickets)
    return tickets.get()


def tickets_for_partner(*, partner) -> QuerySet[Ticket]:
    """The partner's tickets, ready for the status answer; filter and paginate on top."""
    return _with_status_details(Ticket.objects.filter(partner=partner)).order_by("-created_at", "-pk")


def tickets_visible_to(user) -> QuerySet[Ticket]:
    """The tickets a member of the bank's staff may see and work: all for administrators,
    else those of the support groups they belong to or supervise."""
    if roles.sees_every_ticket(user):
        return Ticket.objects.all()
    return Ticket.objects.filter(support_group_id__in=_groups_of(user).values("pk"))


def _groups_of(user) -> QuerySet[SupportGroup]:
    """The support groups `user` belongs to or supervises."""
    return SupportGroup.objects.filter(Q(agents=user) | Q(supervisors=user))


def groups_visible_to(user) -> QuerySet[SupportGroup]:
    """The support groups whose tickets `user` sees: what the group filter may offer."""
    groups = SupportGroup.objects.all() if roles.sees_every_ticket(user) else _groups_of(user).distinct()
    return groups.order_by("name")


def agents_visible_to(user) -> QuerySet:
    """The active agents of the support groups `user` sees (every group for administrators):
    whose names the assignee filter may offer. An agent does not learn who works in
    another team's queue."""
    agents = get_user_model().objects.filter(is_active=True)
    if roles.sees_every_ticket(user):
        agents = agents.filter(support_groups__isnull=False)
    else:
        agents = agents.filter(support_groups__in=_groups_of(user).values("pk"))
    return agents.distinct().order_by("first_name", "username")


def assignable_agents(ticket: Ticket) -> QuerySet:
    """Who a ticket can be assigned to: the active agents of its support group."""
    return ticket.support_group.agents.filter(is_active=True).order_by("first_name", "last_name", "username")


def sla_state_condition(state: sla.SlaState, *, now: datetime) -> Q:
    """Tickets in an SLA state as a filter, agreeing with sla.state(): the marks the sweep
    and the services set, plus running tickets whose deadline the sweep has yet to see."""
    running = Q(status__in=SLA_RUNNING)
    breached = (
        Q(response_breached_at__isnull=False)
        | Q(resolution_breached_at__isnull=False)
        | (running & Q(first_response_at__isnull=True, response_deadline__lte=now))
        | (running & Q(resolution_deadline__lte=now))
    )
    if state is sla.SlaState.BREACHED:
        return breached
    if state is sla.SlaState.PAUSED:
        return Q(sla_paused_at__isnull=False) & ~breached
    # `resolution_deadline > now` follows from "running and not breached"; said outright,
    # it lets the list's deadline-ordered index start at now instead of walking past
    # every breached ticket first.
    unbreached_running = running & Q(resolution_deadline__gt=now) & ~breached
    if state is sla.SlaState.AT_RISK:
        return unbreached_running & Q(resolution_at_risk_at__lte=now)
    return unbreached_running & Q(resolution_at_risk_at__gt=now)
