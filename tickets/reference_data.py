"""The reference data every installation starts with: service types and their support
groups, the head-office branch, DESIGN.md's SLA defaults, and the spec's test values."""

from tickets.models import Priority, ServiceType
from tickets.sla import DEFAULT_TARGETS

SUPPORT_GROUPS = {
    "Transaction Claims Support": "claims@banksulutgo.co.id",
    "Customer Care": "customercare@banksulutgo.co.id",
    "Card & ATM Support": "cards@banksulutgo.co.id",
    "Digital Banking Support": "digital@banksulutgo.co.id",
    "Account Services": "accounts@banksulutgo.co.id",
    "IT Service Desk": "itsd@banksulutgo.co.id",
}

# service type → (display name, support group)
SERVICES = {
    ServiceType.CLAIM: ("Financial Claims", "Transaction Claims Support"),
    ServiceType.REIMBURSEMENT: ("Reimbursements", "Transaction Claims Support"),
    ServiceType.DISPUTE: ("Transaction Disputes", "Transaction Claims Support"),
    ServiceType.COMPLAINT: ("Customer Complaints", "Customer Care"),
    ServiceType.INQUIRY: ("General Inquiries", "Customer Care"),
    ServiceType.FEEDBACK: ("Customer Feedback", "Customer Care"),
    ServiceType.TECHNICAL_SUPPORT: ("Technical Support", "IT Service Desk"),
    ServiceType.ACCOUNT_ISSUE: ("Account Access", "Account Services"),
    ServiceType.CARD_ISSUE: ("Card Services", "Card & ATM Support"),
    ServiceType.ATM_ISSUE: ("ATM Services", "Card & ATM Support"),
    ServiceType.MOBILE_BANKING: ("Mobile Banking", "Digital Banking Support"),
    ServiceType.INTERNET_BANKING: ("Internet Banking", "Digital Banking Support"),
    ServiceType.GENERAL_REQUEST: ("General Service Requests", "Customer Care"),
    ServiceType.OTHER: ("Other Requests", "Customer Care"),
}

BRANCHES = {"001": "Cabang Utama"}

SLA_TARGETS = {Priority(level): targets for level, targets in DEFAULT_TARGETS.items()}

# The spec's "Test Data": customer TEST-CIF-001 at branch 001 (ATM-TEST-001 is free-form
# metadata and needs no row).
TEST_CUSTOMER = {"identifier": "TEST-CIF-001", "name": "Test Customer", "branch_code": "001"}
