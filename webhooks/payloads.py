"""The JSON bodies partners receive (docs/webhooks.md): the spec's envelope (`event`,
`ticketNumber`, `channelReferenceId`, `timestamp`, `data`) plus `eventId`, `sequence`
and `ticketId`, so a receiver can drop duplicates and order the events of a ticket."""

import json
from datetime import UTC, datetime

from webhooks.models import EventType


def utc_iso(moment: datetime) -> str:
    """The API's time format: UTC with a Z, to the second."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def render(*, event_id: str, event: str, sequence: int, ticket, at: datetime, data: dict) -> str:
    """The body as it will be signed and sent, compact and in a fixed key order."""
    payload = {
        "eventId": event_id,
        "event": event,
        "sequence": sequence,
        "ticketNumber": ticket.number,
        "ticketId": ticket.public_id,
        "channelReferenceId": ticket.channel_reference_id,
        "timestamp": utc_iso(at),
        "data": data,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def created_data(ticket) -> dict:
    return {
        "status": ticket.status,
        "priority": ticket.priority,
        "serviceType": ticket.service.service_type,
        "supportGroup": ticket.support_group.name,
        "estimatedResolution": utc_iso(ticket.resolution_deadline),
    }


def status_event(to_status: str) -> str:
    """One change is one event: resolving and closing have their own names, with the same
    data as any other status change."""
    return {
        "RESOLVED": EventType.TICKET_RESOLVED,
        "CLOSED": EventType.TICKET_CLOSED,
    }.get(to_status, EventType.STATUS_CHANGED)


def status_data(*, old_status: str, new_status: str, comment: str) -> dict:
    return {"oldStatus": old_status, "newStatus": new_status, "comment": comment}


def comment_data(comment) -> dict:
    return {
        "commentId": str(comment.public_id),
        "comment": comment.body,
        "author": comment.author_name,
        "createdAt": utc_iso(comment.created_at),
    }
