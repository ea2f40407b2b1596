from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from apikeys.models import Partner
from apikeys.services import InvalidKeySettings, webhook_secret_rotate


class Command(BaseCommand):
    help = "Give a partner a new webhook secret (printed once); the old one keeps signing for the overlap."

    def add_arguments(self, parser):
        parser.add_argument("partner", help="The partner's code, e.g. PARTNER001")
        parser.add_argument(
            "--overlap-hours",
            type=float,
            default=24,
            help="How long the old secret keeps signing next to the new one (0: drop it now, for a leaked secret)",
        )

    def handle(self, *args, **options):
        partner = Partner.objects.filter(code=options["partner"]).first()
        if partner is None:
            raise CommandError(f"No partner with code {options['partner']!r}.")
        try:
            secret = webhook_secret_rotate(partner=partner, overlap=timedelta(hours=options["overlap_hours"]))
        except InvalidKeySettings as exc:
            raise CommandError(str(exc)) from None
        partner.refresh_from_db()
        self.stdout.write(f"New webhook secret for {partner.code} (shown once):\n  {secret}")
        if partner.webhook_secret_previous_until:
            self.stdout.write(
                f"The old secret keeps signing until {partner.webhook_secret_previous_until:%Y-%m-%d %H:%M %Z}."
            )
        else:
            self.stdout.write("The old secret no longer signs.")
