"""schemathesis against the API's own schema: no 5xx, no response that breaks it.

Runs in process through the WSGI application with an admin token (the connector
resource API with its service account), a bounded number of examples per operation,
positive and negative (malformed) input alike.
"""

from __future__ import annotations

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from tests.api.conftest import SERVICE_PASSWORD, basic
from tests.api.test_schema import COMMITTED
from tests.factories import (
    AccountFactory,
    EntitlementFactory,
    GrantFactory,
    ProjectRoleFactory,
)

MAX_EXAMPLES = 10
METHODS = ("get", "post", "put", "patch", "delete")
POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE


def operations() -> list[tuple[str, str, GenerationMode]]:
    """Every operation with valid input; with malformed input where it takes any.

    (An integer path id alone cannot be malformed in a way the URL still carries.)
    """
    found = []
    for path, item in yaml.safe_load(COMMITTED.read_text())["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            found.append((method.upper(), path, POSITIVE))
            queries = [p for p in operation.get("parameters", []) if p["in"] == "query"]
            if queries or "requestBody" in operation:
                found.append((method.upper(), path, NEGATIVE))
    return found


@pytest.fixture(scope="module")
def loaded_schema():
    """The schema, loaded once: the committed file, which test_schema proves current."""
    from django.core.wsgi import get_wsgi_application

    schema = schemathesis.openapi.from_dict(yaml.safe_load(COMMITTED.read_text()))
    schema.app = get_wsgi_application()
    schema.location = "/api/schema/"
    return schema


@pytest.fixture
def api_schema(loaded_schema, application, admin, service_account):
    """The schema, with a small catalog behind the API.

    `application` routes every connector to the in-process simulator, so the
    operations that read Atlassian live never leave the process.
    """
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    group = EntitlementFactory(application=application)
    ProjectRoleFactory(application=application)
    AccountFactory(application=application, identity=admin)
    GrantFactory(beneficiary=admin, entitlement=group)
    # Like Django's test client: keep the test's connection (and transaction) open
    # across requests instead of closing it when each request finishes.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield loaded_schema
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def credentials(admin, service_account):
    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=admin)
    return {
        "api": f"Token {token.key}",
        "connector": basic(service_account.username, SERVICE_PASSWORD),
    }


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path", "mode"), operations())
def test_api_answers_within_its_schema(api_schema, credentials, method, path, mode):
    operation = api_schema[path][method]
    kind = "connector" if path.startswith("/api/v1/connector/") else "api"
    headers = {"Authorization": credentials[kind]}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(
            headers=headers,
            # Well-formed input may still be refused for business reasons (unknown
            # id, already requested): a documented 400/404/409, not a violation.
            excluded_checks=[schemathesis.checks.positive_data_acceptance],
        )

    check()
