"""Real server processes for integration tests: a Celery worker, Redis checks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

PROJECT_DIR = Path(__file__).resolve().parent.parent


def redis_available() -> bool:
    """Whether the broker is a reachable Redis server."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis"):
        return False
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False
    return True


def database_url_for_subprocess() -> str:
    """A DATABASE_URL that points another process at the test database."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "localhost"
    port = db.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{db['NAME']}"


class CelerySupervisor:
    """Start, kill and restart a real Celery worker process."""

    def __init__(
        self, *, log_path: Path, database_url: str, concurrency: int = 2
    ) -> None:
        self.log_path = log_path
        self.database_url = database_url
        self.concurrency = concurrency
        self.process: subprocess.Popen[bytes] | None = None

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE=os.environ.get(
                "DJANGO_SETTINGS_MODULE", "accessportal.settings_test"
            ),
            DATABASE_URL=self.database_url,
            SECRET_KEY=settings.SECRET_KEY,
            CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
            CELERY_TASK_ALWAYS_EAGER="false",
            PYTHONUNBUFFERED="1",
        )
        return env

    def start(self, timeout: float = 60.0) -> None:
        """Start the worker and wait until it says it is ready."""
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "accessportal",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                str(self.concurrency),
                "--without-gossip",
                "--without-mingle",
                "--hostname",
                f"test-{os.getpid()}-{time.monotonic_ns()}@%h",
            ],
            cwd=PROJECT_DIR,
            env=self.environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Celery worker exited early:\n{self.log()[-4000:]}")
            if b" ready." in self.log_path.read_bytes()[offset:]:
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(
            f"Celery worker not ready in {timeout}s:\n{self.log()[-4000:]}"
        )

    def kill(self) -> None:
        """Kill the worker and its children at once, as a crash would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """Stop the worker gracefully, or kill it after a while."""
        if not self.process or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def log(self) -> str:
        """What the worker printed."""
        return (
            self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        )
