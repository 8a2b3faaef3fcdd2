"""Credentials per family: wrong or missing ones are 401 in the family's error body."""

from __future__ import annotations

import httpx

from connectors.simulator import Simulator
from tests.connectors.simulator.conftest import API, SITE


def raw(sim: Simulator) -> httpx.Client:
    """A client without credentials."""
    return httpx.Client(transport=sim.transport())


def test_scim_without_key_is_401_scim_error(sim: Simulator) -> None:
    response = raw(sim).get(f"{sim.config.scim_url}/Users")

    assert response.status_code == 401
    body = response.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert body["status"] == "401"


def test_scim_rejects_the_org_key(sim: Simulator) -> None:
    headers = {"Authorization": f"Bearer {sim.config.org_api_key}"}

    response = raw(sim).get(f"{sim.config.scim_url}/Users", headers=headers)

    assert response.status_code == 401


def test_scim_unknown_directory_is_404(sim: Simulator) -> None:
    headers = {"Authorization": f"Bearer {sim.config.directory_api_key}"}

    response = raw(sim).get(f"{API}/scim/directory/nope/Users", headers=headers)

    assert response.status_code == 404
    assert response.json()["status"] == "404"


def test_admin_with_wrong_key_is_401_admin_error(sim: Simulator) -> None:
    response = raw(sim).get(
        f"{API}/admin/v1/orgs", headers={"Authorization": "Bearer nope"}
    )

    assert response.status_code == 401
    error = response.json()["errors"][0]
    assert set(error) == {"id", "status", "code", "title", "detail"}
    assert error["status"] == "401"


def test_admin_unknown_org_is_404(sim: Simulator) -> None:
    headers = {"Authorization": f"Bearer {sim.config.org_api_key}"}

    response = raw(sim).get(f"{API}/admin/v1/orgs/other-org/users", headers=headers)

    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "ORG_NOT_FOUND"


def test_user_manage_api_needs_the_org_key(sim: Simulator) -> None:
    response = raw(sim).get(
        f"{API}/users/x/manage",
        headers={"Authorization": f"Bearer {sim.config.directory_api_key}"},
    )

    assert response.status_code == 401
    assert "errors" in response.json()


def test_jira_with_wrong_token_is_401_jira_error(sim: Simulator) -> None:
    response = raw(sim).get(
        f"{SITE}/rest/api/3/myself", auth=(sim.config.admin_email, "wrong")
    )

    assert response.status_code == 401
    assert set(response.json()) == {"errorMessages", "errors", "status"}


def test_jira_without_credentials_is_401(sim: Simulator) -> None:
    response = raw(sim).get(f"{SITE}/rest/api/3/myself")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_jira_rejects_bearer_tokens(sim: Simulator) -> None:
    response = raw(sim).get(
        f"{SITE}/rest/api/3/myself",
        headers={"Authorization": f"Bearer {sim.config.api_token}"},
    )

    assert response.status_code == 401


def test_confluence_v1_401_has_the_v1_body(sim: Simulator) -> None:
    response = raw(sim).get(
        f"{SITE}/wiki/rest/api/space",
        auth=("someone@acme.example", sim.config.api_token),
    )

    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"statusCode", "data", "message", "reason"}
    assert body["statusCode"] == 401


def test_confluence_v2_401_has_the_v2_body(sim: Simulator) -> None:
    response = raw(sim).get(f"{SITE}/wiki/api/v2/spaces")

    assert response.status_code == 401
    error = response.json()["errors"][0]
    assert set(error) == {"status", "code", "title", "detail"}
    assert error["code"] == "UNAUTHORIZED"


def test_email_match_is_case_insensitive(sim: Simulator) -> None:
    response = raw(sim).get(
        f"{SITE}/rest/api/3/myself",
        auth=(sim.config.admin_email.upper(), sim.config.api_token),
    )

    assert response.status_code == 200


def test_unknown_path_is_404_and_wrong_method_405(sim: Simulator) -> None:
    c = httpx.Client(
        transport=sim.transport(), auth=(sim.config.admin_email, sim.config.api_token)
    )

    missing = c.get(f"{SITE}/rest/api/3/nothing-here")
    wrong = c.patch(f"{SITE}/rest/api/3/group/bulk")

    assert missing.status_code == 404
    assert wrong.status_code == 405


def test_tenant_info_needs_no_auth(sim: Simulator) -> None:
    response = raw(sim).get(f"{SITE}/_edge/tenant_info")

    assert response.json() == {"cloudId": sim.config.cloud_id}
