from django.core.management.base import BaseCommand, CommandError

from apikeys.models import ApiKey
from apikeys.services import api_key_revoke


class Command(BaseCommand):
    help = "Revoke an API key by id or prefix; it answers 401 from then on."

    def add_arguments(self, parser):
        parser.add_argument("key", help="The key's id or prefix (see list_api_keys)")

    def handle(self, *args, **options):
        ident = options["key"]
        # A hex prefix may be all digits, so a number is tried as a prefix first.
        api_key = ApiKey.objects.filter(prefix=ident).first()
        if api_key is None and ident.isdigit():
            api_key = ApiKey.objects.filter(pk=int(ident)).first()
        if api_key is None:
            raise CommandError(f"No API key with id or prefix {ident!r}.")
        api_key_revoke(api_key=api_key)
        self.stdout.write(f"Revoked {api_key.name} ({api_key.prefix}) of {api_key.partner.code}.")
