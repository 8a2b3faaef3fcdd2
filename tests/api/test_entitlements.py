"""The catalog over the API: GET /api/v1/entitlements/."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from approvals.models import ApprovalRule, Policy

pytestmark = pytest.mark.django_db

URL = "/api/v1/entitlements/"


def test_anonymous_call_gets_401_with_a_token_challenge(catalog):
    response = APIClient().get(URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_wrong_token_gets_401(catalog):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = client.get(URL)

    assert response.status_code == 401


def test_list_is_paginated_with_count_next_previous_results(
    catalog, requester, client_for
):
    response = client_for(requester).get(URL, {"page_size": 10})

    body = response.json()
    assert response.status_code == 200
    assert body["count"] > 10
    assert len(body["results"]) == 10
    assert body["next"].endswith("page=2&page_size=10")
    assert body["previous"] is None


def test_filter_by_kind(catalog, requester, client_for):
    response = client_for(requester).get(URL, {"kind": "group", "page_size": 500})

    kinds = {item["kind"] for item in response.json()["results"]}
    assert kinds == {"group"}


def test_filter_by_project_key_gives_that_projects_roles(
    catalog, requester, client_for
):
    response = client_for(requester).get(URL, {"project": "api"})

    results = response.json()["results"]
    assert results
    assert {r["resource"]["key"] for r in results} == {"API"}
    assert {r["kind"] for r in results} == {"project_role"}


def test_filter_by_space_key(catalog, requester, client_for):
    from connectors.models import Resource

    space = Resource.objects.filter(kind="space").first()

    response = client_for(requester).get(URL, {"space": space.key})

    results = response.json()["results"]
    assert results
    assert {(r["resource"]["kind"], r["resource"]["key"]) for r in results} == {
        ("space", space.key)
    }


def test_search_matches_every_word(catalog, requester, client_for):
    response = client_for(requester).get(URL, {"search": "api member"})

    names = [item["display_name"] for item in response.json()["results"]]
    assert names
    assert all("api" in n.lower() and "member" in n.lower() for n in names)


def test_unknown_kind_is_a_400_with_the_field(catalog, requester, client_for):
    response = client_for(requester).get(URL, {"kind": "printer"})

    assert response.status_code == 400
    assert "kind" in response.json()


def test_entitlement_shows_parent_owner_policy_and_request_form(
    catalog, requester, client_for
):
    from connectors.models import Entitlement

    role = Entitlement.objects.filter(kind="project_role", resource__key="API").first()
    Policy.objects.create(
        name="API roles: owner approves",
        resource=role.resource,
        rule=ApprovalRule.OWNER,
        max_duration_days=90,
        default_duration_days=30,
    )

    body = client_for(requester).get(f"{URL}{role.pk}/").json()

    assert body["id"] == role.pk
    assert body["kind"] == "project_role"
    assert body["type"] == "Jira project role"
    assert body["name"] == role.name
    assert body["display_name"] == role.display_name
    assert body["resource"] == {
        "kind": "project",
        "key": "API",
        "name": role.resource.name,
    }
    assert body["policy"]["name"] == "API roles: owner approves"
    assert body["policy"]["max_duration_days"] == 90
    assert "owner" in body["policy"]["approvers"]
    duration = next(f for f in body["form"] if f["name"] == "duration_days")
    assert (duration["default"], duration["maximum"]) == (30, 90)


def test_policy_summary_names_my_manager(catalog, requester, client_for, design_group):
    body = client_for(requester).get(f"{URL}{design_group.pk}/").json()

    assert body["policy"]["approvers"] == "Manager (manager)"


def test_unknown_id_is_404(catalog, requester, client_for):
    response = client_for(requester).get(f"{URL}999999/")

    assert response.status_code == 404


def test_entitlement_not_requestable_is_not_in_the_catalog(
    catalog, requester, client_for, design_group
):
    design_group.is_requestable = False
    design_group.save()

    listed = client_for(requester).get(URL, {"kind": "group", "page_size": 500})
    detail = client_for(requester).get(f"{URL}{design_group.pk}/")

    assert design_group.pk not in {e["id"] for e in listed.json()["results"]}
    assert detail.status_code == 404


def test_listing_a_page_takes_a_bounded_number_of_queries(
    catalog, requester, client_for, django_assert_max_num_queries
):
    client = client_for(requester)

    with django_assert_max_num_queries(12):
        response = client.get(URL, {"page_size": 100})

    assert len(response.json()["results"]) == 100
