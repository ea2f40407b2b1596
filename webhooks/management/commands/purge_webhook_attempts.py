from django.conf import settings
from django.core.management.base import BaseCommand

from webhooks.retention import webhook_history_purge


class Command(BaseCommand):
    help = (
        "Delete webhook attempts and delivered deliveries past their retention "
        "(WEBHOOK_ATTEMPT_RETENTION_DAYS, WEBHOOK_DELIVERY_RETENTION_DAYS); beat does it daily."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would be deleted; delete nothing")

    def handle(self, *args, **options):
        purged = webhook_history_purge(dry_run=options["dry_run"])
        verb = "Would delete" if purged.dry_run else "Deleted"
        self.stdout.write(
            f"{verb} {purged.deliveries} delivered webhook deliveries older than "
            f"{settings.WEBHOOK_DELIVERY_RETENTION_DAYS} days and {purged.attempts} webhook attempts "
            f"(theirs, and others older than {settings.WEBHOOK_ATTEMPT_RETENTION_DAYS} days)."
        )
        if purged.dry_run:
            self.stdout.write("Dry run: nothing deleted.")
