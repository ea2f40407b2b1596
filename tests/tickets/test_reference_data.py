from io import StringIO

from django.core.management import call_command

from tickets.models import Branch, Customer, Service, SlaPolicy, SupportGroup

SERVICE_TYPES = [
    "CLAIM", "REIMBURSEMENT", "DISPUTE", "COMPLAINT", "INQUIRY", "FEEDBACK", "TECHNICAL_SUPPORT",
    "ACCOUNT_ISSUE", "CARD_ISSUE", "ATM_ISSUE", "MOBILE_BANKING", "INTERNET_BANKING", "GENERAL_REQUEST", "OTHER",
]  # fmt: skip


def load() -> str:
    out = StringIO()
    call_command("load_reference_data", stdout=out)
    return out.getvalue()


def test_reference_data_creates_the_desk(db):
    output = load()

    assert sorted(Service.objects.values_list("service_type", flat=True)) == sorted(SERVICE_TYPES)
    assert Service.objects.get(service_type="CLAIM").support_group.name == "Transaction Claims Support"
    assert Service.objects.get(service_type="ATM_ISSUE").support_group.name == "Card & ATM Support"
    assert Branch.objects.get(code="001").name == "Cabang Utama"
    assert Customer.objects.get(identifier="TEST-CIF-001").branch.code == "001"
    assert SlaPolicy.objects.count() == 14 * 4
    targets = {
        p.priority: (p.response_minutes, p.resolution_minutes)
        for p in SlaPolicy.objects.filter(service__service_type="CLAIM")
    }
    assert targets == {"CRITICAL": (15, 120), "HIGH": (60, 240), "MEDIUM": (240, 1440), "LOW": (480, 4320)}
    assert "created 6 support groups, 14 services, 1 branches, 56 SLA policies, 1 customers" in output


def test_reference_data_is_safe_to_run_again_and_keeps_admins_edits(db):
    load()
    SlaPolicy.objects.filter(service__service_type="CLAIM", priority="HIGH").update(resolution_minutes=180)
    Service.objects.filter(service_type="OTHER").update(name="Lain-lain")

    output = load()

    assert "created 0 support groups, 0 services, 0 branches, 0 SLA policies, 0 customers" in output
    assert Service.objects.count() == 14
    assert SupportGroup.objects.count() == 6
    assert SlaPolicy.objects.get(service__service_type="CLAIM", priority="HIGH").resolution_minutes == 180
    assert Service.objects.get(service_type="OTHER").name == "Lain-lain"
