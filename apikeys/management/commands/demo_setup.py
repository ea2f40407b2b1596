import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apikeys.models import ApiKey, Permission
from apikeys.services import api_key_create, webhook_secret_rotate

DEMO_PARTNER = "DEMO"
DEMO_KEY_NAME = "make run demo key"


class Command(BaseCommand):
    help = "Local runs only: a fresh demo API key and admin password, printed with a curl example."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo_setup prints credentials and runs only with DEBUG on (make run).")
        # Each run hands out a new key; the previous demo keys stop working.
        ApiKey.objects.filter(partner__code=DEMO_PARTNER, name=DEMO_KEY_NAME, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        issued = api_key_create(
            partner_code=DEMO_PARTNER,
            partner_name="Demo partner",
            name=DEMO_KEY_NAME,
            permissions=list(Permission.values),
        )
        # The demo partner's webhook secret is new each run too, so that it can be printed.
        webhook_secret = webhook_secret_rotate(partner=issued.api_key.partner, overlap=timedelta(0))
        password = secrets.token_urlsafe(12)
        user_model = get_user_model()
        admin, _ = user_model.objects.get_or_create(username="admin", defaults={"is_staff": True, "is_superuser": True})
        admin.is_staff = admin.is_superuser = True
        admin.set_password(password)
        admin.save()
        base = options["base_url"].rstrip("/")
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "=" * 72,
                    f"  API:    {base}/api/omnichannel/tickets   (docs: {base}/api/omnichannel/docs/)",
                    f"  Admin:  {base}/admin/   user admin, password {password}",
                    f"  Demo partner {DEMO_PARTNER}, API key:",
                    f"    export KEY={issued.raw_key}",
                    "  Its webhook secret (for examples/webhook_receiver.py):",
                    f"    export WEBHOOK_SECRET={webhook_secret}",
                    "  Then try the curl example in README.md.",
                    "=" * 72,
                    "",
                ]
            )
        )
