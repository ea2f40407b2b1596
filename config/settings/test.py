"""Tests: the embedded default unless DATABASE_URL / REDIS_URL point at real services
(CI sets both and REQUIRE_REAL_SERVICES=1, see .ci/run)."""

import tempfile

from config.settings.base import *  # noqa: F403

SECRET_KEY = "test-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = tempfile.mkdtemp(prefix="servicedesk-test-media-")
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", True)  # noqa: F405
WEBHOOK_ALLOW_HTTP = env_bool("WEBHOOK_ALLOW_HTTP", True)  # noqa: F405
if not REDIS_URL:  # noqa: F405
    # Without Redis, tasks published by tests go to an in-memory broker rather than into
    # the queue folder that `make run`'s worker reads.
    CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = False
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
