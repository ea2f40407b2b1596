from django.apps import AppConfig


class OmnichannelConfig(AppConfig):
    name = "omnichannel"
    verbose_name = "Omnichannel partner API"

    def ready(self) -> None:
        from omnichannel import schema  # noqa: F401 - registers the OpenAPI auth extension
