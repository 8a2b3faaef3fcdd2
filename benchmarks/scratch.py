"""A scratch database and environment for a benchmark's child processes.

SQLite under a temporary directory by default; with DATABASE_URL=postgres://… a scratch
database on that server, dropped afterwards (even while a child still holds it open).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


def scratch_database(workdir: Path, prefix: str) -> tuple[str, Callable[[], None]]:
    """A DATABASE_URL for the benchmark and a function that removes the database."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{workdir / 'bench.sqlite3'}", lambda: None
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{url.rpartition('/')[0]}/{name}", drop


@contextmanager
def scratch_environment(prefix: str) -> Iterator[dict[str, str]]:
    """Environment variables for child processes working on a scratch database."""
    with tempfile.TemporaryDirectory(prefix=f"{prefix}-") as workdir:
        database_url, drop = scratch_database(Path(workdir), prefix)
        env = dict(
            os.environ,
            ACCESSPORTAL_VAR_DIR=workdir,
            DEBUG="false",
            DJANGO_SETTINGS_MODULE="accessportal.settings",
            DATABASE_URL=database_url,
        )
        try:
            yield env
        finally:
            drop()


def os_load() -> str:
    """The machine's load, which inflates wall times on a shared machine."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} on {os.cpu_count()} CPUs"
