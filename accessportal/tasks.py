"""Tasks of the project itself."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="accessportal.tasks.ping")
def ping(value: str) -> str:
    """Answer with the value: proves a worker consumes the broker and can reply."""
    return f"pong:{value}"
