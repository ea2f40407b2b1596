from cryptography.fernet import Fernet
from django.core.management.base import BaseCommand

from apikeys.services import webhook_secrets_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt the partners' webhook secrets under the first key of "
        "WEBHOOK_SECRET_ENCRYPTION_KEYS (run after putting a new key in front). "
        "--new-key prints a fresh key and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--new-key", action="store_true", help="Print a new encryption key and exit")

    def handle(self, *args, **options):
        if options["new_key"]:
            self.stdout.write(Fernet.generate_key().decode("ascii"))
            return
        count = webhook_secrets_reencrypt()
        self.stdout.write(f"Re-encrypted the webhook secrets of {count} partner(s) under the newest key.")
