import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tickets.retention import RetentionPeriodNotOver, ticket_purge_closed


def parse_date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--closed-before takes a date as YYYY-MM-DD, not {text!r}.") from None


class Command(BaseCommand):
    help = (
        "Delete CLOSED and CANCELLED tickets closed before a date, with their comments, events, "
        "attachments (and files), webhook deliveries, and the customers left with no ticket. "
        "See docs/operations.md before running it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--closed-before",
            required=True,
            metavar="YYYY-MM-DD",
            help="Purge tickets closed or cancelled before the start of this day (the desk's time zone)",
        )
        parser.add_argument("--dry-run", action="store_true", help="Count what would be deleted; delete nothing")

    def handle(self, *args, **options):
        closed_before = parse_date(options["closed_before"])
        dry_run = options["dry_run"]
        try:
            purge = ticket_purge_closed(closed_before_date=closed_before, dry_run=dry_run)
        except RetentionPeriodNotOver as exc:
            raise CommandError(str(exc)) from exc
        zone = timezone.get_default_timezone_name()
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(
            f"{verb} {purge.tickets} tickets closed or cancelled before {closed_before} ({zone}), with "
            f"{purge.comments} comments, {purge.events} events, {purge.attachments} attachments, "
            f"{purge.sla_pauses} SLA pauses, {purge.webhook_deliveries} webhook deliveries and "
            f"{purge.webhook_attempts} webhook attempts; {purge.customers} customers left with no ticket."
        )
        if dry_run:
            self.stdout.write("Dry run: nothing deleted.")
            return
        self.stdout.write(f"Removed {purge.files_removed} attachment files from storage.")
        if purge.files_failed:
            self.stderr.write(
                f"{purge.files_failed} attachment files could not be removed: their names are in the log; "
                "delete them by hand."
            )
