"""Priority rules of DESIGN.md: requested priority, amount or service floor, urgent bump."""

from decimal import Decimal

import pytest

from tickets.priority import PriorityInput, compute_priority

AMOUNT_BOUNDARIES = [
    (Decimal("0"), "LOW"),
    (Decimal("9999999"), "LOW"),
    (Decimal("9999999.99"), "LOW"),
    (Decimal("10000000"), "MEDIUM"),
    (Decimal("49999999.99"), "MEDIUM"),
    (Decimal("50000000"), "HIGH"),
    (Decimal("99999999"), "HIGH"),
    (Decimal("100000000"), "CRITICAL"),
    (Decimal("2500000000"), "CRITICAL"),
]
AMOUNT_RULED_SERVICES = ["CLAIM", "REIMBURSEMENT", "DISPUTE"]
HIGH_FLOOR_SERVICES = ["ATM_ISSUE", "ACCOUNT_ISSUE"]
OTHER_SERVICES = [
    "COMPLAINT",
    "INQUIRY",
    "FEEDBACK",
    "TECHNICAL_SUPPORT",
    "CARD_ISSUE",
    "MOBILE_BANKING",
    "INTERNET_BANKING",
    "GENERAL_REQUEST",
    "OTHER",
]
USD_RATE = {"USD": Decimal("16000")}


@pytest.mark.parametrize("service_type", AMOUNT_RULED_SERVICES)
@pytest.mark.parametrize(("amount", "expected"), AMOUNT_BOUNDARIES)
def test_amount_rule_replaces_the_medium_default_when_no_priority_is_requested(service_type, amount, expected):
    assert compute_priority(PriorityInput(service_type=service_type, amount=amount)) == expected


def test_claim_of_exactly_ten_million_is_medium():
    assert compute_priority(PriorityInput(service_type="CLAIM", amount=Decimal("10000000"))) == "MEDIUM"


def test_claim_just_under_ten_million_is_low():
    assert compute_priority(PriorityInput(service_type="CLAIM", amount=Decimal("9999999"))) == "LOW"


@pytest.mark.parametrize("service_type", AMOUNT_RULED_SERVICES)
@pytest.mark.parametrize(
    ("amount", "requested", "expected"),
    [
        (Decimal("500000"), "LOW", "LOW"),
        (Decimal("500000"), "MEDIUM", "MEDIUM"),
        (Decimal("500000"), "HIGH", "HIGH"),
        (Decimal("500000"), "CRITICAL", "CRITICAL"),
        (Decimal("20000000"), "HIGH", "HIGH"),
        (Decimal("60000000"), "CRITICAL", "CRITICAL"),
    ],
)
def test_requested_priority_at_or_above_the_amount_floor_is_kept(service_type, amount, requested, expected):
    data = PriorityInput(service_type=service_type, amount=amount, requested=requested)
    assert compute_priority(data) == expected


@pytest.mark.parametrize("service_type", AMOUNT_RULED_SERVICES)
@pytest.mark.parametrize(
    ("amount", "requested", "expected"),
    [
        (Decimal("10000000"), "LOW", "MEDIUM"),
        (Decimal("50000000"), "LOW", "HIGH"),
        (Decimal("50000000"), "MEDIUM", "HIGH"),
        (Decimal("100000000"), "LOW", "CRITICAL"),
        (Decimal("100000000"), "MEDIUM", "CRITICAL"),
        (Decimal("100000000"), "HIGH", "CRITICAL"),
    ],
)
def test_requested_priority_below_the_amount_floor_is_raised(service_type, amount, requested, expected):
    data = PriorityInput(service_type=service_type, amount=amount, requested=requested)
    assert compute_priority(data) == expected


@pytest.mark.parametrize("service_type", HIGH_FLOOR_SERVICES)
@pytest.mark.parametrize(
    ("requested", "expected"),
    [(None, "HIGH"), ("LOW", "HIGH"), ("MEDIUM", "HIGH"), ("HIGH", "HIGH"), ("CRITICAL", "CRITICAL")],
)
def test_atm_and_account_issues_are_at_least_high(service_type, requested, expected):
    assert compute_priority(PriorityInput(service_type=service_type, requested=requested)) == expected


@pytest.mark.parametrize("service_type", OTHER_SERVICES)
def test_other_service_types_default_to_medium(service_type):
    assert compute_priority(PriorityInput(service_type=service_type)) == "MEDIUM"


@pytest.mark.parametrize("requested", ["LOW", "MEDIUM", "HIGH", "CRITICAL"])
def test_other_service_types_keep_the_requested_priority(requested):
    assert compute_priority(PriorityInput(service_type="INQUIRY", requested=requested)) == requested


def test_an_amount_on_a_service_without_an_amount_rule_is_ignored():
    data = PriorityInput(service_type="COMPLAINT", amount=Decimal("500000000"))
    assert compute_priority(data) == "MEDIUM"


@pytest.mark.parametrize("service_type", AMOUNT_RULED_SERVICES)
def test_amount_ruled_service_without_an_amount_defaults_to_medium(service_type):
    assert compute_priority(PriorityInput(service_type=service_type)) == "MEDIUM"


def test_dispute_without_a_dispute_amount_is_medium():
    assert compute_priority(PriorityInput(service_type="DISPUTE", amount=None)) == "MEDIUM"


@pytest.mark.parametrize(
    ("urgent", "escalated"),
    [(True, False), (False, True), (True, True)],
    ids=["urgent", "escalated", "urgent-and-escalated"],
)
@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PriorityInput(service_type="INQUIRY"), "HIGH"),
        (PriorityInput(service_type="INQUIRY", requested="LOW"), "MEDIUM"),
        (PriorityInput(service_type="CLAIM", amount=Decimal("500000")), "MEDIUM"),
        (PriorityInput(service_type="DISPUTE", amount=Decimal("50000000")), "CRITICAL"),
        (PriorityInput(service_type="ATM_ISSUE"), "CRITICAL"),
        (PriorityInput(service_type="ACCOUNT_ISSUE", requested="LOW"), "CRITICAL"),
        (PriorityInput(service_type="INQUIRY", requested="CRITICAL"), "CRITICAL"),
        (PriorityInput(service_type="CLAIM", amount=Decimal("100000000")), "CRITICAL"),
    ],
    ids=[
        "default-medium",
        "requested-low",
        "claim-low-amount",
        "dispute-high-amount",
        "atm-floor",
        "account-floor-over-requested-low",
        "requested-critical",
        "claim-critical-amount",
    ],
)
def test_urgent_or_escalated_raises_exactly_one_level_at_most_to_critical(data, expected, urgent, escalated):
    flagged = PriorityInput(
        service_type=data.service_type,
        requested=data.requested,
        amount=data.amount,
        currency=data.currency,
        urgent=urgent,
        escalated=escalated,
    )
    assert compute_priority(flagged) == expected


@pytest.mark.parametrize("service_type", AMOUNT_RULED_SERVICES)
def test_foreign_currency_without_a_rate_skips_the_amount_rule(service_type):
    data = PriorityInput(service_type=service_type, amount=Decimal("250000000"), currency="USD")
    assert compute_priority(data) == "MEDIUM"
    assert compute_priority(data, {"SGD": Decimal("12000")}) == "MEDIUM"


def test_foreign_currency_without_a_rate_keeps_the_requested_priority():
    data = PriorityInput(service_type="CLAIM", amount=Decimal("250000000"), currency="USD", requested="LOW")
    assert compute_priority(data) == "LOW"


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Decimal("624.99"), "LOW"),  # 9,999,840 IDR
        (Decimal("625"), "MEDIUM"),  # 10,000,000 IDR
        (Decimal("3124.99"), "MEDIUM"),  # 49,999,840 IDR
        (Decimal("3125"), "HIGH"),  # 50,000,000 IDR
        (Decimal("6250"), "CRITICAL"),  # 100,000,000 IDR
    ],
)
@pytest.mark.parametrize("service_type", AMOUNT_RULED_SERVICES)
def test_foreign_currency_with_a_rate_is_converted_to_idr_first(service_type, amount, expected):
    data = PriorityInput(service_type=service_type, amount=amount, currency="USD")
    assert compute_priority(data, USD_RATE) == expected


def test_foreign_currency_code_is_matched_case_insensitively_against_the_rates():
    data = PriorityInput(service_type="CLAIM", amount=Decimal("6250"), currency="usd")
    assert compute_priority(data, USD_RATE) == "CRITICAL"


def test_idr_amount_ignores_the_configured_rates():
    data = PriorityInput(service_type="CLAIM", amount=Decimal("9999999"), currency="IDR")
    assert compute_priority(data, {"IDR": Decimal("1000")}) == "LOW"
