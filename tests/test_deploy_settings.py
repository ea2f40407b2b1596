import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.test import Client

ROOT = Path(__file__).resolve().parent.parent


def test_production_settings_pass_check_deploy_with_no_warning():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": "postgres://servicedesk@db.internal:5432/servicedesk",
        "REDIS_URL": "redis://redis.internal:6379/0",
        "ALLOWED_HOSTS": "servicedesk.banksulutgo.co.id",
    }
    env.pop("SECURE_SSL_REDIRECT", None)

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_probes_answer_plain_http_while_everything_else_is_redirected_to_https(db, settings):
    settings.SECURE_SSL_REDIRECT = True
    client = Client()

    probe = client.get("/healthz")
    api = client.get("/api/omnichannel/tickets")

    assert probe.status_code == 200
    assert api.status_code == 301
    assert api["Location"] == "https://testserver/api/omnichannel/tickets"
