"""`make up`: the product as it runs in production, on this machine. PostgreSQL and Redis
(DATABASE_URL, REDIS_URL), production settings, the release step (create the database if
it is missing, migrate, collectstatic, load_reference_data), then web, worker and beat from
the Procfile under honcho. Ctrl-C (or SIGTERM to honcho) stops all three.

Production settings with what plain-http local use needs: no HTTPS redirect, no Secure
cookies, a SECRET_KEY kept in var/ so sessions survive a restart. Everything can be
overridden from the environment, WEBHOOK_ALLOW_HTTP / WEBHOOK_ALLOW_PRIVATE_TARGETS
included (false unless set, as in production)."""

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import redis
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
VENV_BIN = Path(PYTHON).parent
DEFAULTS = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/servicedesk_up",
    "REDIS_URL": "redis://127.0.0.1:6379/2",
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "ALLOWED_HOSTS": "localhost,127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_COOKIES": "false",
    "PORT": "8000",
}


def secret_key() -> str:
    path = ROOT / "var" / "up-secret-key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


def environment() -> dict[str, str]:
    env = {**DEFAULTS, **{name: value for name, value in os.environ.items() if value != ""}}
    env.setdefault("SECRET_KEY", secret_key())
    env.setdefault("SITE_URL", f"http://127.0.0.1:{env['PORT']}")
    # gunicorn's workers add up their request metrics in files here (config/metrics.py).
    env.setdefault("PROMETHEUS_MULTIPROC_DIR", str(ROOT / "var" / "prometheus"))
    # The Procfile names gunicorn and celery bare, as a platform would find them on PATH.
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def create_database(database_url: str) -> None:
    """Create the database of DATABASE_URL when it does not exist, connecting to the
    server's `postgres` database with the same credentials."""
    name = psycopg.conninfo.conninfo_to_dict(database_url)["dbname"]
    try:
        with psycopg.connect(database_url, dbname="postgres", autocommit=True, connect_timeout=5) as connection:
            if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                return
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as error:
        raise SystemExit(f"make up: PostgreSQL at DATABASE_URL cannot be reached: {error}") from None
    print(f"make up: created database {name}", flush=True)


def check_redis(redis_url: str) -> None:
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=5).ping()
    except redis.RedisError as error:
        raise SystemExit(f"make up: Redis at REDIS_URL cannot be reached: {error}") from None


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def main() -> None:
    (ROOT / "var").mkdir(exist_ok=True)
    env = environment()
    create_database(env["DATABASE_URL"])
    check_redis(env["REDIS_URL"])
    # The release step: what a deployment runs once, before starting the new processes.
    manage(env, "migrate", "--no-input")
    manage(env, "collectstatic", "--no-input", "--verbosity", "0")
    manage(env, "load_reference_data")
    # Files of processes that are gone would be added to the new ones' figures.
    metrics_dir = Path(env["PROMETHEUS_MULTIPROC_DIR"])
    metrics_dir.mkdir(parents=True, exist_ok=True)
    for stale in metrics_dir.glob("*.db"):
        stale.unlink()
    print(f"make up: serving http://127.0.0.1:{env['PORT']}/ (web, worker, beat); Ctrl-C stops them", flush=True)
    honcho = shutil.which("honcho", path=env["PATH"])
    if honcho is None:
        raise SystemExit("make up: honcho is not installed (make install)")
    # exec: honcho takes this process's place, so a signal to it reaches it directly.
    command = [honcho, "start", "--procfile", str(ROOT / "Procfile"), "--app-root", str(ROOT)]
    os.execve(honcho, command, env)  # noqa: S606 - a fixed program and arguments


if __name__ == "__main__":
    main()
