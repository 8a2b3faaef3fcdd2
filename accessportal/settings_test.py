"""Settings for the test suite: the real settings with test-only isolation.

The database still comes from DATABASE_URL (SQLite by default, PostgreSQL in CI).
The SQLite test database is a file so that a real worker process can share it.
"""

from __future__ import annotations

import os

from accessportal.settings import *  # noqa: F403
from accessportal.settings import BROKER_DIR, CELERY_BROKER_URL, DATABASES, VAR_DIR

# One id per test session, inherited by the worker processes the tests start, so that
# two sessions in one checkout never share a test database or a broker folder.
TEST_RUN_ID = os.environ.setdefault(
    "ACCESSPORTAL_TEST_RUN_ID",
    f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}",
)

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {
        "NAME": str(VAR_DIR / f"test-{TEST_RUN_ID}.sqlite3")
    }

if CELERY_BROKER_URL.startswith("filesystem://"):
    # Keep test messages away from a `make run` worker sharing var/.
    TEST_BROKER_DIR = BROKER_DIR.parent / f"test-broker-{TEST_RUN_ID}"
    for sub in ("queue", "processed", "control"):
        (TEST_BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(TEST_BROKER_DIR / "queue"),
        "data_folder_out": str(TEST_BROKER_DIR / "queue"),
        "processed_folder": str(TEST_BROKER_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(TEST_BROKER_DIR / "control"),
    }

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
WHITENOISE_USE_FINDERS = True
# Most tests change the simulator's state directly, which its audit log never sees;
# the change-feed tests turn this on (tests/connectors/test_reconcile_changes.py).
RECONCILE_CHANGE_FEED = False
