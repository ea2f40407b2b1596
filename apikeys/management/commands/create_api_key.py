import datetime
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from apikeys.services import InvalidKeySettings, api_key_create


def parse_rate_limits(text: str) -> dict[str, int]:
    limits = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        kind, _, value = item.partition("=")
        if not value.strip().isdigit():
            raise InvalidKeySettings(f"Rate limit {item!r} is not kind=number.")
        limits[kind.strip()] = int(value)
    return limits


class Command(BaseCommand):
    help = "Create an API key for a partner (created if new) and print the raw key once."

    def add_arguments(self, parser):
        parser.add_argument("--partner", required=True, help="Partner code, e.g. PARTNER001")
        parser.add_argument("--partner-name", help="Display name when the partner is new")
        parser.add_argument("--name", required=True, help='What the key is for, e.g. "WhatsApp gateway"')
        parser.add_argument(
            "--permissions",
            default="omnichannel:create,omnichannel:read,omnichannel:update",
            help="Comma-separated: omnichannel:create,omnichannel:read,omnichannel:update",
        )
        parser.add_argument("--webhook-url", help="The partner's default webhook URL")
        parser.add_argument("--expires-at", help="ISO-8601 date-time after which the key stops working")
        parser.add_argument("--allow", default="", help="Comma-separated IPs or CIDR ranges the key may be used from")
        parser.add_argument(
            "--rate-limits",
            default="",
            help="Per-minute overrides, e.g. create=1000,read=5000,update=2000 (default: the desk's limits)",
        )
        parser.add_argument("--json", action="store_true", help="Print exactly one JSON object on stdout")

    def handle(self, *args, **options):
        expires_at = None
        if options["expires_at"]:
            expires_at = parse_datetime(options["expires_at"])
            if expires_at is None or expires_at.tzinfo is None:
                raise CommandError("--expires-at must be an ISO-8601 date-time with a time zone.")
            expires_at = expires_at.astimezone(datetime.UTC)  # PostgreSQL takes offsets up to ±15:59 only
        try:
            rate_limits = parse_rate_limits(options["rate_limits"])
            issued = api_key_create(
                partner_code=options["partner"],
                partner_name=options["partner_name"],
                name=options["name"],
                permissions=[p.strip() for p in options["permissions"].split(",") if p.strip()],
                webhook_url=options["webhook_url"],
                expires_at=expires_at,
                allowed_networks=options["allow"].split(","),
                rate_limits=rate_limits,
            )
        except InvalidKeySettings as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "id": issued.api_key.pk,
                        "key": issued.raw_key,
                        "webhookSecret": issued.webhook_secret,
                        "partner": issued.api_key.partner.code,
                    }
                )
            )
            return
        self.stdout.write(f"API key for {issued.api_key.partner.code} ({issued.api_key.name}), id {issued.api_key.pk}:")
        self.stdout.write(f"  {issued.raw_key}")
        if issued.webhook_secret:
            self.stdout.write(f"Partner webhook secret:\n  {issued.webhook_secret}")
        self.stdout.write("Store them now: neither is shown again.")
