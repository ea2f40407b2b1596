"""`make run`: SQLite, the filesystem broker, DEBUG on, http and private webhook targets
allowed (a receiver on localhost)."""

import os

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("WEBHOOK_ALLOW_PRIVATE_TARGETS", "true")
os.environ.setdefault("WEBHOOK_ALLOW_HTTP", "true")

from config.settings.base import *  # noqa: F403
from config.settings.base import env_list

SECRET_KEY = SECRET_KEY or "local-development-only-not-secret"  # noqa: F405
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
