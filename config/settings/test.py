"""Tests: the embedded default unless DATABASE_URL / REDIS_URL point at real services
(CI sets both and REQUIRE_REAL_SERVICES=1, see .ci/run)."""

import tempfile

from config.settings.base import *  # noqa: F403

SECRET_KEY = "test-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = tempfile.mkdtemp(prefix="servicedesk-test-media-")
WEBHOOK_ALLOW_PRIVATE_TARGETS = True
CELERY_TASK_ALWAYS_EAGER = False
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
