"""The figures on the admin's front page: the open queue of the tickets a user may see,
in two queries (one pass for the totals, one grouped by support group)."""

from django.db.models import Count, Q
from django.utils import timezone

from tickets import sla
from tickets.models import TicketStatus
from tickets.selectors import sla_state_condition, tickets_visible_to

QUEUE = [TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.PENDING]


def dashboard_for(user, *, now=None) -> dict:
    now = now or timezone.now()
    queue = tickets_visible_to(user).filter(status__in=QUEUE)
    totals = queue.aggregate(
        open=Count("pk", filter=Q(status=TicketStatus.OPEN)),
        in_progress=Count("pk", filter=Q(status=TicketStatus.IN_PROGRESS)),
        pending=Count("pk", filter=Q(status=TicketStatus.PENDING)),
        breached=Count("pk", filter=sla_state_condition(sla.SlaState.BREACHED, now=now)),
        at_risk=Count("pk", filter=sla_state_condition(sla.SlaState.AT_RISK, now=now)),
        mine=Count("pk", filter=Q(assignee=user)),
        unassigned=Count("pk", filter=Q(assignee__isnull=True)),
    )
    groups = list(
        queue.values("support_group__name")
        .annotate(
            open=Count("pk"),
            unassigned=Count("pk", filter=Q(assignee__isnull=True)),
            breached=Count("pk", filter=sla_state_condition(sla.SlaState.BREACHED, now=now)),
        )
        .order_by("support_group__name")
    )
    return {"totals": totals, "groups": groups}
