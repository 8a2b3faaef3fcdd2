"""Shared fixtures: the cast of people, real servers and the simulated Atlassian."""

from __future__ import annotations

import os
import shutil

import pytest
from django.conf import settings

from tests.servers import (
    CelerySupervisor,
    database_url_for_subprocess,
    redis_available,
)

pytest_plugins = ["tests.atlassian_fixtures"]

NEEDS_SERVERS = {"redis", "worker", "browser", "postgres", "oidc"}


# --- markers: skip with a visible reason where a real server is absent ---------


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    reasons = {
        "redis": None
        if redis_available()
        else "no Redis: set CELERY_BROKER_URL=redis://...",
        "postgres": (
            None
            if settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
            else "no PostgreSQL: set DATABASE_URL=postgres://..."
        ),
        "browser": None
        if shutil.which("chromium")
        else "no /usr/bin/chromium (apt install chromium)",
        "oidc": None
        if shutil.which("node")
        else "no Node.js for the OpenID Connect provider",
    }
    for item in items:
        for marker, reason in reasons.items():
            if reason and item.get_closest_marker(marker):
                item.add_marker(pytest.mark.skip(reason=reason))


_skipped_server_tests: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and NEEDS_SERVERS & set(report.keywords):
        _skipped_server_tests.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI=true a skipped server test is a failure: CI must run them all."""
    broker_dir = getattr(settings, "TEST_BROKER_DIR", None)
    if broker_dir:  # this session's own folder (see settings_test.TEST_RUN_ID)
        shutil.rmtree(broker_dir, ignore_errors=True)
    if os.environ.get("CI") == "true" and _skipped_server_tests:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line(
                f"CI=true but {len(_skipped_server_tests)} tests that need real servers "
                "were skipped:",
                red=True,
            )
            for nodeid in _skipped_server_tests:
                reporter.write_line(f"  {nodeid}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# --- the cast -----------------------------------------------------------------


@pytest.fixture
def make_person(db):
    """Make an identity with a readable name."""
    from accessportal.models import User

    def make(username: str, **fields: object) -> User:
        fields.setdefault("email", f"{username}@acme.example")
        fields.setdefault("display_name", username.replace("_", " ").title())
        return User.objects.create_user(
            username=username, password="pw-" + username, **fields
        )

    return make


@pytest.fixture
def manager(make_person):
    return make_person(
        "manager", department="Engineering", job_title="Engineering Manager"
    )


@pytest.fixture
def requester(make_person, manager):
    return make_person("requester", department="Engineering", manager=manager)


@pytest.fixture
def owner(make_person):
    return make_person("owner", department="IT")


@pytest.fixture
def admin(make_person):
    return make_person("admin", is_staff=True, is_superuser=True)


@pytest.fixture
def outsider(make_person):
    return make_person("outsider", department="Sales")


# --- a real Celery worker -------------------------------------------------------


@pytest.fixture
def celery_worker(transactional_db, tmp_path):
    """A real `celery worker` process consuming the configured broker.

    It shares the test database (committed data only: use transactional_db) and
    the secret key, so it reads what the test wrote.
    """
    supervisor = CelerySupervisor(
        log_path=tmp_path / "worker.log",
        database_url=database_url_for_subprocess(),
    )
    supervisor.start()
    yield supervisor
    supervisor.stop()
