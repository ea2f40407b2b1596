from django.core.management.base import BaseCommand
from django.db import transaction

from tickets import roles
from tickets.models import Branch, Customer, Service, SlaPolicy, SupportGroup
from tickets.reference_data import BRANCHES, SERVICES, SLA_TARGETS, SUPPORT_GROUPS, TEST_CUSTOMER


class Command(BaseCommand):
    help = (
        "Create the service types, support groups, branch 001, the default SLA policies, the "
        "spec's test customer and the roles Agent, Supervisor and Administrator. Safe to run "
        "again: it adds what is missing and leaves what admins have edited (names, groups, SLA "
        "targets) alone; the roles' permissions are reset to these."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        created = {"support groups": 0, "services": 0, "branches": 0, "SLA policies": 0, "customers": 0}
        groups = {}
        for name, email in SUPPORT_GROUPS.items():
            groups[name], was_created = SupportGroup.objects.get_or_create(name=name, defaults={"email": email})
            created["support groups"] += was_created
        for service_type, (name, group_name) in SERVICES.items():
            service, was_created = Service.objects.get_or_create(
                service_type=service_type, defaults={"name": name, "support_group": groups[group_name]}
            )
            created["services"] += was_created
            for priority, (response_minutes, resolution_minutes) in SLA_TARGETS.items():
                _, was_created = SlaPolicy.objects.get_or_create(
                    service=service,
                    priority=priority,
                    defaults={"response_minutes": response_minutes, "resolution_minutes": resolution_minutes},
                )
                created["SLA policies"] += was_created
        branches = {}
        for code, name in BRANCHES.items():
            branches[code], was_created = Branch.objects.get_or_create(code=code, defaults={"name": name})
            created["branches"] += was_created
        _, was_created = Customer.objects.get_or_create(
            identifier=TEST_CUSTOMER["identifier"],
            defaults={"name": TEST_CUSTOMER["name"], "branch": branches[TEST_CUSTOMER["branch_code"]]},
        )
        created["customers"] += was_created
        created["roles"] = len(roles.ensure_roles())
        summary = ", ".join(f"{count} {what}" for what, count in created.items())
        self.stdout.write(f"Reference data loaded: created {summary}.")
