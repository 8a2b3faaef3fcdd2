"""The production topology in docker-compose.yml is consistent with the project."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import yaml

PROJECT_DIR = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((PROJECT_DIR / "docker-compose.yml").read_text())


def test_compose_has_the_production_services():
    services = compose()["services"]

    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)


def test_every_service_command_exists_in_the_project():
    for name, service in compose()["services"].items():
        command = service.get("command")
        if not command or "build" not in service:
            continue
        program = command[0]
        if program == "python":
            assert (PROJECT_DIR / command[1]).exists(), name
        elif program == "gunicorn":
            module, _, attribute = command[1].partition(":")
            assert hasattr(
                importlib.import_module(module), attribute or "application"
            ), name
        elif program == "celery":
            app_module = command[command.index("-A") + 1]
            assert importlib.import_module(app_module).celery_app, name
        else:
            raise AssertionError(f"{name}: unknown program {program}")
        assert (
            shutil.which(program) or (PROJECT_DIR / ".venv/bin" / program).exists()
        ), name


def test_procfile_runs_the_same_programs():
    lines = (PROJECT_DIR / "Procfile").read_text().splitlines()
    processes = dict(line.split(": ", 1) for line in lines if line.strip())

    assert set(processes) == {"simulator", "web", "worker", "beat"}
    assert "gunicorn accessportal.wsgi" in processes["web"]
    assert processes["worker"].startswith("celery -A accessportal worker")


def test_image_runs_as_a_non_root_user():
    dockerfile = (PROJECT_DIR / "Dockerfile").read_text()

    assert "\nUSER portal\n" in dockerfile
    assert dockerfile.index("USER portal") > dockerfile.index("RUN pip install")


def test_env_example_documents_the_atlassian_connection():
    example = (PROJECT_DIR / ".env.example").read_text()
    for name in (
        "ATLASSIAN_SITE_URL",
        "ATLASSIAN_ADMIN_EMAIL",
        "ATLASSIAN_API_TOKEN",
        "ATLASSIAN_SCIM_URL",
        "ATLASSIAN_DIRECTORY_ID",
        "ATLASSIAN_DIRECTORY_API_KEY",
        "ATLASSIAN_ADMIN_API_URL",
        "ATLASSIAN_ORG_ID",
        "ATLASSIAN_ORG_API_KEY",
        "ATLASSIAN_DEFAULT_GROUPS",
    ):
        assert f"\n{name}=" in example, name
