"""Priority rules of DESIGN.md. Pure: values in, values out.

1. Start from the requested priority, or MEDIUM when none was sent.
2. Raise it to the rule floor: CLAIM and REIMBURSEMENT by claimAmount, DISPUTE by
   disputeAmount (for these the amount rule replaces the MEDIUM default); ATM_ISSUE and
   ACCOUNT_ISSUE floor HIGH.
3. urgent or escalated raises one level, CRITICAL at most.
"""

from dataclasses import dataclass
from decimal import Decimal

from tickets.models import Priority, ServiceType

LEVELS = list(Priority.values)  # LOW, MEDIUM, HIGH, CRITICAL

AMOUNT_FLOORS = (
    (Decimal("100000000"), Priority.CRITICAL),
    (Decimal("50000000"), Priority.HIGH),
    (Decimal("10000000"), Priority.MEDIUM),
)
AMOUNT_FIELD_BY_SERVICE = {
    ServiceType.CLAIM: "claimAmount",
    ServiceType.REIMBURSEMENT: "claimAmount",
    ServiceType.DISPUTE: "disputeAmount",
}
CURRENCY_FIELD_BY_SERVICE = {
    ServiceType.CLAIM: "claimCurrency",
    ServiceType.REIMBURSEMENT: "claimCurrency",
    ServiceType.DISPUTE: "disputeCurrency",
}
HIGH_FLOOR_SERVICES = frozenset({ServiceType.ATM_ISSUE, ServiceType.ACCOUNT_ISSUE})


@dataclass(frozen=True)
class PriorityInput:
    service_type: str
    requested: str | None = None
    amount: Decimal | None = None
    currency: str = "IDR"
    urgent: bool = False
    escalated: bool = False


def level_for_amount_idr(amount_idr: Decimal) -> str:
    for threshold, level in AMOUNT_FLOORS:
        if amount_idr >= threshold:
            return level
    return Priority.LOW


def amount_in_idr(amount: Decimal, currency: str, rates_to_idr: dict[str, Decimal]) -> Decimal | None:
    """The amount in IDR, or None when the currency has no configured rate."""
    currency = (currency or "IDR").upper()
    if currency == "IDR":
        return amount
    rate = rates_to_idr.get(currency)
    return None if rate is None else amount * Decimal(rate)


def _max(a: str, b: str) -> str:
    return a if LEVELS.index(a) >= LEVELS.index(b) else b


def compute_priority(data: PriorityInput, rates_to_idr: dict[str, Decimal] | None = None) -> str:
    floor: str | None = None
    if data.service_type in AMOUNT_FIELD_BY_SERVICE and data.amount is not None:
        amount_idr = amount_in_idr(data.amount, data.currency, rates_to_idr or {})
        if amount_idr is not None:
            floor = level_for_amount_idr(amount_idr)
    if data.service_type in HIGH_FLOOR_SERVICES:
        floor = Priority.HIGH

    if data.requested:
        level = data.requested if floor is None else _max(data.requested, floor)
    else:
        level = floor or Priority.MEDIUM

    if data.urgent or data.escalated:
        level = LEVELS[min(LEVELS.index(level) + 1, len(LEVELS) - 1)]
    return level
