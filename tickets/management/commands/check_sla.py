from django.core.management.base import BaseCommand
from django.utils import timezone

from tickets.models import Ticket
from tickets.sla_notifications import notify_at_risk
from tickets.sla_sweep import sweep


class Command(BaseCommand):
    help = "Run the SLA sweep now: mark breached tickets and warn about those at risk (beat does it every minute)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Show what would be marked; change nothing")

    def handle(self, *args, **options):
        dry_run = options["dry_run"]
        result = sweep(now=timezone.now(), dry_run=dry_run)
        numbers = dict(
            Ticket.objects.filter(
                pk__in=result.response_breached + result.resolution_breached + result.at_risk
            ).values_list("pk", "number")
        )
        verb = "would be marked" if dry_run else "marked"
        for label, ids in [
            ("response breached", result.response_breached),
            ("resolution breached", result.resolution_breached),
            ("at risk", result.at_risk),
        ]:
            listed = ", ".join(sorted(numbers[pk] for pk in ids))
            self.stdout.write(f"{len(ids)} {verb} {label}{': ' + listed if listed else ''}")
        if not dry_run:
            sent = notify_at_risk(result.at_risk)
            self.stdout.write(f"{sent} at-risk warning(s) sent.")
