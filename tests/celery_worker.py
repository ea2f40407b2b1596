"""A real Celery worker process (optionally with beat) on the test database and Redis,
for tests of what happens after commit: webhook deliveries, retries, a killed worker."""

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from config.celery import app
from tests.live_server import ROOT, _database_url


class WorkerProcess:
    def __init__(self, process: subprocess.Popen, log_path: Path) -> None:
        self.process = process
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, nothing acknowledged or cleaned up."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


def purge_queue() -> None:
    """Drop tasks that earlier tests left in the broker."""
    app.control.purge()


@contextlib.contextmanager
def running_worker(env_overrides: dict[str, str] | None = None, *, beat: bool = False):
    """A worker with the solo pool (the task runs in the process that a SIGKILL kills)."""
    from django.conf import settings

    workdir = Path(tempfile.mkdtemp(prefix="servicedesk-worker-"))
    log_path = workdir / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        # Connections are not kept, so the test database can be dropped at the end.
        "DATABASE_CONN_MAX_AGE": "0",
        **(env_overrides or {}),
    }
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO",
        "--without-gossip", "--without-mingle", "--hostname", f"test-{uuid.uuid4().hex[:8]}@%h",
    ]  # fmt: skip
    if beat:
        command += ["--beat", "--schedule", str(workdir / "beat-schedule")]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    worker = WorkerProcess(process, log_path)
    try:
        deadline = time.monotonic() + 60
        while "ready." not in worker.log():
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"the Celery worker did not start:\n{worker.log()}")
            time.sleep(0.2)
        yield worker
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
