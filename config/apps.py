from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    """Not a domain app: it sets up structlog and the Celery task log lines once per
    process (web, worker, beat, manage.py), after LOGGING is in force."""

    name = "config"
    label = "observability"
    verbose_name = "Logs and metrics"

    def ready(self) -> None:
        from config import logs

        logs.configure_structlog()
        logs.connect_celery_signals()
