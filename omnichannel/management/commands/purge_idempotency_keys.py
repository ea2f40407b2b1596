from django.core.management.base import BaseCommand

from omnichannel import idempotency


class Command(BaseCommand):
    help = "Delete idempotency records past their 24 hours (the hourly beat task does the same)."

    def handle(self, *args, **options):
        deleted = idempotency.purge_expired()
        self.stdout.write(f"Deleted {deleted} expired idempotency record(s).")
