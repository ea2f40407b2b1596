"""Settings shared by every run. Everything that differs between machines comes from
the environment; every variable is listed in README.md."""

import ipaddress
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
# Earlier SECRET_KEYs still accepted for signatures (and webhook secrets) while rotating.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1")
# Base of the customer-facing trackingUrl handed to partners.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "apikeys",
    "webhooks",
    "tickets",
    "omnichannel",
    "config.apps.ObservabilityConfig",  # structlog and the Celery task log lines
    "axes",  # admin login throttling
]

MIDDLEWARE = [
    "config.health.HealthCheckMiddleware",  # first: probes skip the host check and redirects
    # /metrics likewise (a scraper uses the instance's address); probes and scrapes are
    # neither logged nor measured, everything after is.
    "config.metrics.MetricsEndpointMiddleware",
    "config.request_logging.RequestLogMiddleware",
    "config.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: answers a locked-out login
]

# Admin login throttling (django-axes): 5 failed logins for one username from one address
# lock that pair out for AXES_COOLOFF_MINUTES; a success resets the count. Locking by the
# pair, not the username alone, keeps an attacker from locking a real agent out.
# Messages (a new API key or webhook secret is shown once through one) live in the
# session, server-side, not in a cookie the browser keeps.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

AUTHENTICATION_BACKENDS = ["axes.backends.AxesBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "apikeys.permissions.client_address"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# The embedded default is SQLite in the project folder, so `make run` needs no server.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
# The bank's head office is in Manado (WITA); ticket numbering years follow this zone.
TIME_ZONE = "Asia/Makassar"
USE_I18N = True
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
# WhiteNoise serves the admin's CSS and JS: from STATIC_ROOT (`collectstatic`, run by
# `make up` and the deployment) in production, straight from the apps elsewhere.
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", True)
if WHITENOISE_USE_FINDERS:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing root
# Attachments live here; no URL serves this folder (agents download through a checked view).
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["apikeys.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["apikeys.permissions.HasApiKey"],
    "DEFAULT_PARSER_CLASSES": ["omnichannel.parsers.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "omnichannel.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_CLASSES": [],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Bank SulutGo ServiceDesk Omnichannel API",
    "DESCRIPTION": (
        "Open and follow service-desk tickets from WhatsApp, e-mail, chat and social "
        "gateways and the web portal. Authenticate with the `X-API-Key` header."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/omnichannel",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "tickets.models.TicketStatus",
        "PriorityEnum": "tickets.models.Priority",
        "ChannelEnum": "tickets.models.Channel",
        "ServiceTypeEnum": "tickets.models.ServiceType",
        "LanguageEnum": "tickets.models.Language",
        "UpdateActionEnum": "omnichannel.serializers.UPDATE_ACTIONS",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "omnichannel.schema.spec_paths",
    ],
}

# Celery: Redis in production and CI; with no REDIS_URL, kombu's filesystem transport,
# a broker that needs no server, under var/celery.
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
# A publish (a webhook task sent after a ticket change commits) does not retry connecting:
# with the broker down, kombu's default retries would hold each partner request for about
# 6 s, while the outbox row is already safe and the sweep sends it. The worker's own
# connection retries are Celery's (broker_connection_max_retries), not these.
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 0}
if not REDIS_URL:
    _celery_dir = BASE_DIR / "var" / "celery"
    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        "data_folder_in": str(_celery_dir / "queue"),
        "data_folder_out": str(_celery_dir / "queue"),
        "processed_folder": str(_celery_dir / "processed"),
        # Broadcast (remote control) exchanges; kombu's default is ./control in the cwd.
        "control_folder": str(_celery_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE

# Partner API limits. Bodies are refused with 413 before they are parsed.
OMNICHANNEL_MAX_BODY_BYTES = int(os.environ.get("OMNICHANNEL_MAX_BODY_BYTES", str(30 * 1024 * 1024)))
OMNICHANNEL_MAX_ATTACHMENTS_PER_REQUEST = 10
OMNICHANNEL_BATCH_MAX_VALUES = 100
# How many reverse proxies in front of the app append to X-Forwarded-For; 0 trusts none
# and uses the socket's address for API keys' IP allow-lists.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
# IDR per unit of a foreign claim currency; without a rate the amount rule is skipped.
CURRENCY_RATES_TO_IDR: dict[str, str] = {}

# Fernet keys for the partners' webhook secrets at rest, newest first (apikeys/secret_box.py);
# keys derived from SECRET_KEY and its fallbacks are tried after them, and encrypt when none
# is set. Generate one with `manage.py reencrypt_webhook_secrets --new-key`.
WEBHOOK_SECRET_ENCRYPTION_KEYS = env_list("WEBHOOK_SECRET_ENCRYPTION_KEYS")
# Webhooks (webhooks/, docs/webhooks.md). Targets must be https on a public address
# unless these allow otherwise (tests and `make run`).
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)
WEBHOOK_ALLOW_HTTP = env_bool("WEBHOOK_ALLOW_HTTP", False)
WEBHOOK_CONNECT_TIMEOUT = float(os.environ.get("WEBHOOK_CONNECT_TIMEOUT", "3"))
WEBHOOK_READ_TIMEOUT = float(os.environ.get("WEBHOOK_READ_TIMEOUT", "10"))
WEBHOOK_MAX_RESPONSE_BYTES = 64 * 1024  # read from the answer; the first 1 KB is kept
# Retries: RETRY_BASE_SECONDS, doubling after each failure up to RETRY_MAX_DELAY_SECONDS,
# each with +/-20% jitter, for RETRY_WINDOW_SECONDS after the event.
WEBHOOK_RETRY_BASE_SECONDS = float(os.environ.get("WEBHOOK_RETRY_BASE_SECONDS", "30"))
WEBHOOK_RETRY_MAX_DELAY_SECONDS = float(os.environ.get("WEBHOOK_RETRY_MAX_DELAY_SECONDS", str(4 * 60 * 60)))
WEBHOOK_RETRY_WINDOW_SECONDS = float(os.environ.get("WEBHOOK_RETRY_WINDOW_SECONDS", str(24 * 60 * 60)))
# A worker holds a delivery this long per attempt; it must outlast the timeouts above.
WEBHOOK_LEASE_SECONDS = float(os.environ.get("WEBHOOK_LEASE_SECONDS", "60"))
# How often beat re-queues deliveries that are due but not running (broker down at
# commit, worker lost, retry later than a queued countdown is kept for).
WEBHOOK_SWEEP_SECONDS = float(os.environ.get("WEBHOOK_SWEEP_SECONDS", "30"))
WEBHOOK_FAILING_AFTER = timedelta(hours=24)

# Logs (config/logs.py): one JSON object a line, or text for people with LOG_FORMAT=console,
# the default when DEBUG is on (`make run`). The line per request (servicedesk.requests)
# and per task (servicedesk.tasks) is at INFO: LOG_LEVEL=WARNING leaves them out.
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOG_FORMAT = os.environ.get("LOG_FORMAT") or ("console" if DEBUG else "json")
if LOG_FORMAT not in ("json", "console"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or console, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "config.logs.json_formatter"},
        "console": {"()": "config.logs.console_formatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT},
        "null": {"class": "logging.NullHandler"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's default handlers: the console one would print its records a second
        # time; mail_admins would e-mail a request's details (there are no ADMINS anyway).
        # Its level too: Django's own default config set it to INFO, whatever the root's.
        "django": {"handlers": [], "propagate": True, "level": LOG_LEVEL},
        # runserver's access line holds the query string; the request line replaces it.
        "django.server": {"handlers": ["null"], "propagate": False},
        # Celery's "received" and "succeeded" lines repeat the task line (failures still show).
        "celery.app.trace": {"level": "WARNING"},
        "celery.worker.strategy": {"level": "WARNING"},
    },
}
# Django's own cap on request.body, kept in line with the partner API's.
DATA_UPLOAD_MAX_MEMORY_SIZE = OMNICHANNEL_MAX_BODY_BYTES

# Idempotency (omnichannel/idempotency.py): records live 24 hours; a duplicate waits this
# long for the first request to finish before answering 409 with Retry-After.
IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60
IDEMPOTENCY_WAIT_SECONDS = float(os.environ.get("IDEMPOTENCY_WAIT_SECONDS", "5"))

# Requests per minute per API key; an API key's own rate_limit_* fields override these.
OMNICHANNEL_RATE_LIMITS = {"create": 100, "read": 500, "update": 200}

CELERY_BEAT_SCHEDULE = {
    "purge-idempotency-records": {"task": "omnichannel.tasks.purge_idempotency_records", "schedule": 60 * 60},
    "dispatch-due-webhooks": {"task": "webhooks.tasks.dispatch_due_deliveries", "schedule": WEBHOOK_SWEEP_SECONDS},
    "sweep-sla": {"task": "tickets.tasks.sweep_sla", "schedule": 60},
    "purge-webhook-history": {
        "task": "webhooks.retention.purge_webhook_history",
        "schedule": crontab(hour=2, minute=30),
    },
}
# Task modules beyond the <app>/tasks.py that Celery's autodiscovery imports.
CELERY_IMPORTS = ["webhooks.retention"]

# Data lifecycle (docs/operations.md): webhook history is purged daily by beat; tickets only
# by hand (`purge_tickets`), never less than TICKET_RETENTION_YEARS after they closed.
WEBHOOK_ATTEMPT_RETENTION_DAYS = int(os.environ.get("WEBHOOK_ATTEMPT_RETENTION_DAYS", "90"))
WEBHOOK_DELIVERY_RETENTION_DAYS = int(os.environ.get("WEBHOOK_DELIVERY_RETENTION_DAYS", "90"))
TICKET_RETENTION_YEARS = int(os.environ.get("TICKET_RETENTION_YEARS", "10"))

# A new ticket goes to the least-loaded active agent of its support group.
AUTO_ASSIGN_TICKETS = env_bool("AUTO_ASSIGN_TICKETS", True)

# E-mail (SLA at-risk warnings to supervisors). Without EMAIL_HOST, messages are printed
# to the console (make run) rather than sent.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "servicedesk@banksulutgo.co.id")

# The public tracking page (tickets/tracking_views.py): requests per client address.
TRACKING_RATE_LIMIT = os.environ.get("TRACKING_RATE_LIMIT", "60/m")

# Metrics at /metrics (config/metrics.py), for callers from these networks (CIDR, comma-
# separated; the address as TRUSTED_PROXY_COUNT reads it) or presenting METRICS_TOKEN as
# `Authorization: Bearer <token>` (empty: no token is accepted). Anyone else gets a 404.
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128")
for _network in METRICS_ALLOWED_NETWORKS:
    ipaddress.ip_network(_network, strict=False)  # a typo fails at start, not at every scrape
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
