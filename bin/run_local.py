"""`make run`: the whole product on the embedded default (SQLite, kombu's filesystem
broker), a Celery worker beside the web server. Ctrl-C stops both."""

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
ADDRESS = os.environ.get("RUN_ADDRESS", "127.0.0.1:8000")


def manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, check=True)


def _stop(signum, frame):
    raise KeyboardInterrupt  # the same clean-up as Ctrl-C


def main() -> int:
    signal.signal(signal.SIGTERM, _stop)
    for folder in ("var", "var/media", "var/celery/queue", "var/celery/processed", "var/celery/control"):
        (ROOT / folder).mkdir(parents=True, exist_ok=True)
    manage("migrate", "--no-input", "-v", "0")
    manage("load_reference_data")
    manage("demo_setup", "--base-url", f"http://{ADDRESS}")
    worker = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--beat",
            "--loglevel",
            "INFO",
            "--pool",
            "solo",
            "--schedule",
            str(ROOT / "var" / "celerybeat-schedule"),
        ],
        cwd=ROOT,
    )
    web = subprocess.Popen([PYTHON, "manage.py", "runserver", ADDRESS, "--noreload"], cwd=ROOT)
    try:
        # Whichever stops first takes the other with it.
        while worker.poll() is None and web.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                web.wait(timeout=1)
    except KeyboardInterrupt:
        pass
    finally:
        for process in (web, worker):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in (web, worker):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    return web.returncode or 0


if __name__ == "__main__":
    sys.exit(main())
