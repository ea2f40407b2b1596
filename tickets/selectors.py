"""Reads that need authorisation. "Not yours" and "does not exist" are the same answer."""

from django.db.models import Prefetch, QuerySet

from tickets.models import Attachment, Comment, Ticket


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
