"""Settings come from the environment, with clear errors and safe defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]


def run_manage(*args: str, env: dict[str, str], cwd: Path = PROJECT_DIR):
    """Run manage.py in a fresh process with exactly this environment on top of PATH."""
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=cwd,
        env=base | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_bad_database_url_is_refused_with_a_clear_message(tmp_path):
    result = run_manage(
        "check",
        env={
            "DATABASE_URL": "mongodb://nowhere/db",
            "ACCESSPORTAL_VAR_DIR": str(tmp_path),
        },
    )

    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr
    assert "postgres://" in result.stderr


def test_production_without_secret_key_refuses_to_start(tmp_path):
    result = run_manage(
        "check",
        env={"DJANGO_ENV": "production", "ACCESSPORTAL_VAR_DIR": str(tmp_path)},
    )

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DJANGO_ENV=production" in result.stderr


def test_development_secret_key_is_generated_once_and_kept(tmp_path):
    env = {"ACCESSPORTAL_VAR_DIR": str(tmp_path)}

    run_manage("check", env=env)
    first = (tmp_path / "secret_key").read_text()
    run_manage("check", env=env)

    assert len(first) > 40
    assert (tmp_path / "secret_key").read_text() == first
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"


def test_embedded_defaults_need_no_server(tmp_path):
    result = run_manage(
        "shell",
        "--verbosity=0",
        "-c",
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.DEBUG, s.TIME_ZONE)",
        env={"ACCESSPORTAL_VAR_DIR": str(tmp_path)},
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "filesystem://",
        "False",
        "UTC",
    ]


def test_secret_may_come_from_a_file(tmp_path):
    secret_file = tmp_path / "token"
    secret_file.write_text("from-a-file\n")

    result = run_manage(
        "shell",
        "--verbosity=0",
        "-c",
        "from django.conf import settings as s; print(s.ATLASSIAN_API_TOKEN == 'from-a-file')",
        env={
            "ACCESSPORTAL_VAR_DIR": str(tmp_path),
            "ATLASSIAN_API_TOKEN_FILE": str(secret_file),
        },
    )

    assert result.stdout.strip() == "True", result.stderr


def test_system_checks_are_clean(tmp_path):
    result = run_manage(
        "check", "--fail-level", "WARNING", env={"ACCESSPORTAL_VAR_DIR": str(tmp_path)}
    )

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("bad_cron", ["every hour", "0 * * *"])
def test_bad_schedule_is_refused(tmp_path, bad_cron):
    result = run_manage(
        "check",
        env={"ACCESSPORTAL_VAR_DIR": str(tmp_path), "RECONCILE_FULL_CRON": bad_cron},
    )

    assert result.returncode != 0
    assert "Not a five-field cron expression" in result.stderr


def test_deploy_checks_are_clean_with_production_settings(tmp_path):
    env = {
        "ACCESSPORTAL_VAR_DIR": str(tmp_path),
        "DJANGO_ENV": "production",
        "SECRET_KEY": "x" * 20
        + "a-long-production-secret-key-that-is-random-enough-1234",
        "ALLOWED_HOSTS": "portal.example.com",
        "CSRF_TRUSTED_ORIGINS": "https://portal.example.com",
    }

    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stdout + result.stderr
