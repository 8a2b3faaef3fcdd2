"""The Celery application: one worker pool does all talking to Atlassian."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accessportal.settings")

app = Celery("accessportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
