"""The status machine of DESIGN.md. Pure: values in, values out.

OPEN → IN_PROGRESS, PENDING, RESOLVED, CANCELLED
IN_PROGRESS ↔ PENDING; IN_PROGRESS/PENDING → RESOLVED, CANCELLED
RESOLVED → CLOSED, or back to IN_PROGRESS (an agent reopens)
CLOSED and CANCELLED are final.

Partners may only cancel (from any non-final state), close (from RESOLVED: the customer
confirms) and reopen (RESOLVED → OPEN: the ticket goes back to the queue as new work).
RESOLVED → OPEN exists for partners only; an agent who reopens takes it IN_PROGRESS.
"""

from tickets.models import TicketStatus as S

FINAL_STATUSES = frozenset({S.CLOSED, S.CANCELLED})

AGENT_TRANSITIONS: dict[str, frozenset[str]] = {
    S.OPEN: frozenset({S.IN_PROGRESS, S.PENDING, S.RESOLVED, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.PENDING, S.RESOLVED, S.CANCELLED}),
    S.PENDING: frozenset({S.IN_PROGRESS, S.RESOLVED, S.CANCELLED}),
    S.RESOLVED: frozenset({S.CLOSED, S.IN_PROGRESS}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}

PARTNER_TRANSITIONS: dict[str, frozenset[str]] = {
    S.OPEN: frozenset({S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.CANCELLED}),
    S.PENDING: frozenset({S.CANCELLED}),
    S.RESOLVED: frozenset({S.CLOSED, S.OPEN, S.CANCELLED}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}

_ORDER = list(S.values)


def _sorted(statuses: frozenset[str]) -> list[str]:
    return sorted(statuses, key=_ORDER.index)


def allowed_for_agent(current: str) -> list[str]:
    return _sorted(AGENT_TRANSITIONS[current])


def allowed_for_partner(current: str) -> list[str]:
    return _sorted(PARTNER_TRANSITIONS[current])


def agent_may(current: str, target: str) -> bool:
    return target in AGENT_TRANSITIONS[current]


def partner_may(current: str, target: str) -> bool:
    return target in PARTNER_TRANSITIONS[current]


def is_final(status: str) -> bool:
    return status in FINAL_STATUSES
