"""Operations through a REAL Celery worker: asked over the API, run against the
simulator over HTTP, polled until done — with one create's answer lost on the way."""

from __future__ import annotations

import time

import pytest
from rest_framework.test import APIClient

from approvals.models import JobStatus
from connectors.base import ResourceKind
from connectors.models import Account, Resource
from connectors.simulator import LostAnswer

pytestmark = [pytest.mark.worker, pytest.mark.timeout(300)]

DEADLINE = 180.0  # generous: the machine is shared
FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED)


@pytest.fixture
def quick_retries(monkeypatch):
    """The worker retries a transient failure after about a second, not minutes."""
    monkeypatch.setenv("PROVISIONING_BACKOFF_BASE_SECONDS", "0.5")
    monkeypatch.setenv("PROVISIONING_BACKOFF_MAX_SECONDS", "2")


@pytest.fixture
def worker(quick_retries, celery_worker):
    return celery_worker


@pytest.fixture
def api(admin):
    client = APIClient()
    client.force_authenticate(admin)
    return client


@pytest.fixture
def lead(served_application, make_person, simulator):
    """Alice, whose Atlassian account the catalog knows: she can lead a project."""
    person = make_person("alice", email="alice.requester@acme.example")
    user = simulator.state.user_by_email(person.email)
    Account.objects.create(
        application=served_application,
        account_id=user.account_id,
        email=person.email,
        identity=person,
    )
    return person


@pytest.fixture
def eng_space(served_application, simulator):
    space = simulator.state.space_by_key["ENG"]
    return Resource.objects.create(
        application=served_application,
        kind=ResourceKind.SPACE,
        external_id=str(space.id),
        key="ENG",
        name=space.name,
    )


def finished(api, response, worker):
    """Poll the job the API queued until the worker has finished it."""
    assert response.status_code == 202, response.json()
    url = response["Location"]
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        job = api.get(url).json()
        if job["status"] in FINISHED:
            return job
        time.sleep(0.5)
    pytest.fail(f"Job {url} did not finish; worker log:\n{worker.log()[-3000:]}")


def test_a_real_worker_creates_a_project_and_a_page_once_despite_a_lost_answer(
    api, worker, simulator, lead, eng_space
):
    simulator.knobs.lost_answers.append(LostAnswer("POST", r"/rest/api/3/project"))

    project = finished(
        api,
        api.post(
            "/api/v1/ops/projects/create/",
            {"key": "NEWP", "name": "New Project", "project_type": "software"}
            | {"lead": lead.pk},
            format="json",
        ),
        worker,
    )
    page = finished(
        api,
        api.post(
            "/api/v1/ops/pages/create/",
            {"space": "ENG", "title": "Runbook", "body": "<p>v1</p>"},
            format="json",
        ),
        worker,
    )

    with simulator.lock:
        made = simulator.state.project_by_key.get("NEWP")
        pages = [
            c.id
            for c in simulator.state.content.values()
            if c.type == "page" and c.title == "Runbook"
        ]
    assert (project["status"], project["attempts"]) == ("succeeded", 2), project
    assert project["result"]["how"] == "adopted"
    assert made is not None and project["result"]["project_id"] == str(made.id)
    assert page["status"] == "succeeded", page
    assert [str(i) for i in pages] == [page["result"]["page_id"]]
