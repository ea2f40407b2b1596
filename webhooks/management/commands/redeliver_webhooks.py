import re
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Exists, OuterRef
from django.utils import timezone

from webhooks.models import Attempt, Delivery, DeliveryStatus
from webhooks.services import redeliver

_DURATION = re.compile(r"(?P<amount>[0-9]+)(?P<unit>[smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> timedelta:
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise CommandError(f"--since takes a duration such as 90s, 30m, 2h or 7d, not {text!r}.")
    try:
        return timedelta(**{_UNITS[match["unit"]]: int(match["amount"])})
    except OverflowError:
        raise CommandError(f"--since {text!r} is too long ago.") from None


class Command(BaseCommand):
    help = "Send webhook deliveries again (same event id and body, a fresh retry window)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--status",
            choices=[DeliveryStatus.FAILED.lower(), DeliveryStatus.DELIVERED.lower()],
            default="failed",
            help="Which deliveries: failed (the default) or delivered",
        )
        parser.add_argument(
            "--since",
            required=True,
            help="Deliveries that failed (or were delivered) in this last period: 90s, 30m, 2h, 7d",
        )
        parser.add_argument("--partner", help="Only this partner's (its code)")
        parser.add_argument("--dry-run", action="store_true", help="List what would be sent, send nothing")

    def handle(self, *args, **options):
        since = timezone.now() - parse_duration(options["since"])
        status = options["status"].upper()
        # When it ended, not when its event was raised: after an outage "--since 2h" must
        # also take the events whose 24 hours of retries ran out in those two hours.
        if status == DeliveryStatus.DELIVERED:
            deliveries = Delivery.objects.filter(status=status, delivered_at__gte=since)
        else:
            tried_lately = Attempt.objects.filter(delivery=OuterRef("pk"), started_at__gte=since)
            deliveries = Delivery.objects.filter(Exists(tried_lately), status=status)
        if options["partner"]:
            deliveries = deliveries.filter(partner__code=options["partner"])
        rows = list(deliveries.select_related("ticket", "partner").order_by("ticket_id", "sequence"))
        for delivery in rows:
            self.stdout.write(
                f"{delivery.event_id} {delivery.event} {delivery.ticket.number} #{delivery.sequence} "
                f"to {delivery.partner.code}: {delivery.last_status_code or '-'} {delivery.last_error}".rstrip()
            )
        if options["dry_run"]:
            self.stdout.write(f"{len(rows)} deliveries would be sent again (dry run: nothing sent).")
            return
        sent = redeliver(deliveries=Delivery.objects.filter(pk__in=[d.pk for d in rows]))
        self.stdout.write(f"{len(sent)} deliveries queued again.")
