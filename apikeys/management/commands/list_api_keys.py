from django.core.management.base import BaseCommand
from django.utils import timezone

from apikeys.models import ApiKey


class Command(BaseCommand):
    help = "List API keys (prefixes only; raw keys are never stored)."

    def add_arguments(self, parser):
        parser.add_argument("--partner", help="Only this partner's keys")

    def handle(self, *args, **options):
        keys = ApiKey.objects.select_related("partner").order_by("partner__code", "created_at")
        if options["partner"]:
            keys = keys.filter(partner__code=options["partner"])
        now = timezone.now()
        self.stdout.write(f"{'ID':>5}  {'PARTNER':<16} {'PREFIX':<10} {'STATE':<8} {'LAST USED':<25} NAME")
        for key in keys:
            state = "revoked" if key.is_revoked else "expired" if key.is_expired(now) else "active"
            last_used = key.last_used_at.isoformat(timespec="seconds") if key.last_used_at else "never"
            self.stdout.write(
                f"{key.pk:>5}  {key.partner.code:<16} {key.prefix:<10} {state:<8} {last_used:<25} {key.name}"
            )
