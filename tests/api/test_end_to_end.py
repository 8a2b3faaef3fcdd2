"""Done when: with tokens, a script requests access, a manager approves it, it becomes
active, it is revoked — through a live portal, a real Celery worker and the simulated
Atlassian over HTTP, which reflects each step. The script is docs/api_example.py.
"""

from __future__ import annotations

import importlib.util
import io

import pytest
from django.core.management import call_command

from approvals.models import ProvisioningJob
from tests.servers import PROJECT_DIR

pytestmark = [
    pytest.mark.worker,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

ALICE = "alice.requester@acme.example"
BOB = "bob.manager@acme.example"
ROLE = "WEB · Release Manager"


def load_example():
    spec = importlib.util.spec_from_file_location(
        "api_example", PROJECT_DIR / "docs" / "api_example.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def token_of(email: str) -> str:
    """A token made as an operator would: `manage.py drf_create_token USERNAME`."""
    from accessportal.models import User

    out = io.StringIO()
    call_command(
        "drf_create_token", User.objects.with_email(email).get().username, stdout=out
    )
    return out.getvalue().split()[2]


@pytest.fixture
def demo_org(served_application):
    """The simulated organization reconciled over HTTP, as `make run` does."""
    from connectors.reconcile import execute_run, start_run

    run = execute_run(start_run(served_application).pk)
    assert run.status == "succeeded", run.error
    return served_application


def test_script_requests_approves_uses_and_revokes_access(
    demo_org, celery_worker, live_server, simulator
):
    example = load_example()
    seen: dict[str, dict] = {}
    project, role = "WEB", "Release Manager"
    alice_id = simulator.state.user_by_email(ALICE).account_id

    def check(step: str, data: dict) -> None:
        seen[step] = data
        holders = simulator.state.project_role_actors(project, role)
        if step in ("found", "requested", "approved"):
            assert alice_id not in holders, f"granted too early, at {step}"
        if step == "active":
            assert alice_id in holders
        if step == "revoked":
            assert alice_id not in holders

    with (
        example.client(live_server.url, token_of(ALICE)) as alice,
        example.client(live_server.url, token_of(BOB)) as bob,
    ):
        try:
            revoked = example.run(
                alice, bob, search="WEB Release Manager", timeout=300, on_step=check
            )
        except example.PortalError as error:
            jobs = list(
                ProvisioningJob.objects.values("id", "kind", "status", "last_error")
            )
            raise AssertionError(
                f"{error}\njobs: {jobs}\n{celery_worker.log()[-3000:]}"
            ) from error

    assert seen["found"]["display_name"] == ROLE
    assert seen["requested"]["state"] == "pending"
    assert seen["approved"]["state"] in ("approved", "provisioning", "active")
    assert seen["active"]["state"] == "active"
    assert revoked["state"] == "revoked"
