"""The status machine of DESIGN.md, checked against a table written out by hand (not read
back from the module's own dicts), for agents and for partners."""

import pytest

from tickets.transitions import agent_may, allowed_for_agent, allowed_for_partner, is_final, partner_may

STATUSES = ["OPEN", "IN_PROGRESS", "PENDING", "RESOLVED", "CLOSED", "CANCELLED"]

# Rows: from. Columns: to, in the order of STATUSES. X = allowed, . = refused.
#                      OPEN  IN_PROGRESS  PENDING  RESOLVED  CLOSED  CANCELLED
AGENT_TABLE = {
    "OPEN":        "      .        X         X        X        .        X",
    "IN_PROGRESS": "      .        .         X        X        .        X",
    "PENDING":     "      .        X         .        X        .        X",
    "RESOLVED":    "      .        X         .        .        X        .",
    "CLOSED":      "      .        .         .        .        .        .",
    "CANCELLED":   "      .        .         .        .        .        .",
}  # fmt: skip
PARTNER_TABLE = {
    "OPEN":        "      .        .         .        .        .        X",
    "IN_PROGRESS": "      .        .         .        .        .        X",
    "PENDING":     "      .        .         .        .        .        X",
    "RESOLVED":    "      X        .         .        .        X        X",
    "CLOSED":      "      .        .         .        .        .        .",
    "CANCELLED":   "      .        .         .        .        .        .",
}  # fmt: skip


def _pairs(table: dict[str, str]) -> list[tuple[str, str, bool]]:
    pairs = []
    for current, row in table.items():
        marks = row.split()
        assert len(marks) == len(STATUSES), current
        pairs += [(current, target, mark == "X") for target, mark in zip(STATUSES, marks, strict=True)]
    return pairs


@pytest.mark.parametrize(("current", "target", "allowed"), _pairs(AGENT_TABLE))
def test_agent_may_make_exactly_the_transitions_of_the_design(current, target, allowed):
    assert agent_may(current, target) is allowed


@pytest.mark.parametrize(("current", "target", "allowed"), _pairs(PARTNER_TABLE))
def test_partner_may_make_exactly_the_transitions_of_the_design(current, target, allowed):
    assert partner_may(current, target) is allowed


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        ("OPEN", ["IN_PROGRESS", "PENDING", "RESOLVED", "CANCELLED"]),
        ("IN_PROGRESS", ["PENDING", "RESOLVED", "CANCELLED"]),
        ("PENDING", ["IN_PROGRESS", "RESOLVED", "CANCELLED"]),
        ("RESOLVED", ["IN_PROGRESS", "CLOSED"]),
        ("CLOSED", []),
        ("CANCELLED", []),
    ],
)
def test_allowed_for_agent_lists_targets_in_declared_status_order(current, expected):
    assert allowed_for_agent(current) == expected


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        ("OPEN", ["CANCELLED"]),
        ("IN_PROGRESS", ["CANCELLED"]),
        ("PENDING", ["CANCELLED"]),
        ("RESOLVED", ["OPEN", "CLOSED", "CANCELLED"]),
        ("CLOSED", []),
        ("CANCELLED", []),
    ],
)
def test_allowed_for_partner_lists_targets_in_declared_status_order(current, expected):
    assert allowed_for_partner(current) == expected


@pytest.mark.parametrize(
    ("status", "final"),
    [
        ("OPEN", False),
        ("IN_PROGRESS", False),
        ("PENDING", False),
        ("RESOLVED", False),
        ("CLOSED", True),
        ("CANCELLED", True),
    ],
)
def test_only_closed_and_cancelled_are_final(status, final):
    assert is_final(status) is final


def test_agent_reopens_a_resolved_ticket_into_progress_not_back_to_open():
    assert agent_may("RESOLVED", "IN_PROGRESS") is True
    assert agent_may("RESOLVED", "OPEN") is False


def test_partner_reopens_a_resolved_ticket_back_to_open_not_into_progress():
    assert partner_may("RESOLVED", "OPEN") is True
    assert partner_may("RESOLVED", "IN_PROGRESS") is False
