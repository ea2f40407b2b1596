from pathlib import Path

from django.core.management.base import BaseCommand

from omnichannel.postman_views import collection_json, default_base_url


class Command(BaseCommand):
    help = (
        "Write the partner API as a Postman Collection v2.1 (JSON), the same document "
        "/api/omnichannel/docs/postman.json serves."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", metavar="PATH", help="File to write (default: standard output).")
        parser.add_argument(
            "--base-url",
            metavar="URL",
            help="The collection's baseUrl (default: SITE_URL followed by /api/omnichannel).",
        )

    def handle(self, *args, output: str | None, base_url: str | None, **options):
        text = collection_json(base_url=(base_url or default_base_url()).rstrip("/"))
        if output is None:
            self.stdout.write(text, ending="")
            return
        Path(output).write_text(text, encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"Wrote the Postman collection to {output}."))
