"""Grants over the API, with provisioning run in process against the simulator."""

from __future__ import annotations

import pytest
from django.utils import timezone

from approvals.models import GrantOrigin, GrantState
from tests.factories import GrantFactory

pytestmark = pytest.mark.django_db


def approved_grant(requester, manager, client_for, entitlement) -> int:
    made = client_for(requester).post(
        "/api/v1/requests/",
        {"entitlement": entitlement.pk, "justification": "Design work"},
        format="json",
    )
    request_id = made.json()["id"]
    decided = client_for(manager).post(
        f"/api/v1/requests/{request_id}/approve/", {}, format="json"
    )
    return decided.json()["grant"]["id"]


def test_approved_access_becomes_active_in_atlassian(
    requester, manager, client_for, design_group, run_jobs, simulator
):
    grant_id = approved_grant(requester, manager, client_for, design_group)

    run_jobs()

    grant = client_for(requester).get(f"/api/v1/grants/{grant_id}/").json()
    request = client_for(requester).get(f"/api/v1/requests/{grant['request']}/").json()
    assert (grant["state"], grant["origin"]) == ("active", "request")
    assert request["state"] == "active"
    assert simulator.state.is_group_member("design", grant["account_id"])


def test_revoked_access_leaves_atlassian(
    requester, manager, client_for, design_group, run_jobs, simulator
):
    grant_id = approved_grant(requester, manager, client_for, design_group)
    run_jobs()

    response = client_for(requester).post(
        f"/api/v1/grants/{grant_id}/revoke/", {"reason": "Project done"}, format="json"
    )
    run_jobs()

    grant = client_for(requester).get(f"/api/v1/grants/{grant_id}/").json()
    assert response.status_code == 200
    assert response.json()["state"] == "revoking"
    assert grant["state"] == "revoked"
    assert grant["end_reason"] == "Project done"
    assert not simulator.state.is_group_member("design", grant["account_id"])


def test_mine_lists_only_the_grants_i_hold(admin, requester, client_for, catalog):
    mine = GrantFactory(beneficiary=admin)
    GrantFactory(beneficiary=requester)

    everything = client_for(admin).get("/api/v1/grants/").json()
    only_mine = client_for(admin).get("/api/v1/grants/", {"mine": "true"}).json()

    assert everything["count"] == 2
    assert [g["id"] for g in only_mine["results"]] == [mine.pk]


def test_adopted_access_shows_where_it_came_from(admin, requester, client_for, catalog):
    adopted = GrantFactory(
        beneficiary=requester,
        request=None,
        origin=GrantOrigin.ADOPTED,
        adopted_by=admin,
        adopted_at=timezone.now(),
    )
    GrantFactory(beneficiary=requester)

    body = client_for(admin).get("/api/v1/grants/", {"origin": "adopted"}).json()

    [grant] = body["results"]
    assert (grant["id"], grant["origin"], grant["request"]) == (
        adopted.pk,
        "adopted",
        None,
    )
    assert grant["adopted_by"]["username"] == admin.username
    assert grant["adopted_at"] is not None


def test_people_see_only_their_own_grants(requester, outsider, client_for, catalog):
    GrantFactory(beneficiary=outsider)
    mine = GrantFactory(beneficiary=requester)

    body = client_for(requester).get("/api/v1/grants/").json()

    assert [g["id"] for g in body["results"]] == [mine.pk]


def test_someone_else_cannot_revoke(requester, outsider, client_for, catalog):
    grant = GrantFactory(beneficiary=requester)

    response = client_for(outsider).post(
        f"/api/v1/grants/{grant.pk}/revoke/", {}, format="json"
    )

    grant.refresh_from_db()
    assert response.status_code == 403
    assert grant.state == GrantState.ACTIVE


def test_revoking_an_ended_grant_is_409(requester, client_for, catalog):
    grant = GrantFactory(beneficiary=requester, state=GrantState.REVOKED)

    response = client_for(requester).post(
        f"/api/v1/grants/{grant.pk}/revoke/", {}, format="json"
    )

    assert response.status_code == 409


def test_unknown_grant_is_404(requester, client_for, catalog):
    client = client_for(requester)

    assert client.get("/api/v1/grants/999999/").status_code == 404
    assert (
        client.post("/api/v1/grants/999999/revoke/", {}, format="json").status_code
        == 404
    )


def test_extension_is_a_new_pending_request(
    requester, manager, client_for, design_group, run_jobs
):
    grant_id = approved_grant(requester, manager, client_for, design_group)
    run_jobs()

    response = client_for(requester).post(
        f"/api/v1/grants/{grant_id}/extend/",
        {"justification": "The launch slipped", "duration_days": 14},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["state"] == "pending"
    assert response.json()["extends_grant"] == grant_id


def test_a_boolean_filter_refuses_anything_but_true_or_false(
    requester, client_for, catalog
):
    response = client_for(requester).get("/api/v1/grants/", {"mine": "perhaps"})

    assert response.status_code == 400
    assert "mine" in response.json()


def test_a_manager_may_ask_to_extend_a_reports_grant(
    requester, manager, client_for, catalog
):
    grant = GrantFactory(beneficiary=requester)

    response = client_for(manager).post(
        f"/api/v1/grants/{grant.pk}/extend/",
        {"justification": "Still on the project", "duration_days": 10},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["beneficiary"]["username"] == "requester"


def test_an_outsider_may_not_extend_someone_elses_grant(
    requester, outsider, client_for, catalog
):
    grant = GrantFactory(beneficiary=requester)

    response = client_for(outsider).post(
        f"/api/v1/grants/{grant.pk}/extend/", {"justification": "x"}, format="json"
    )

    assert response.status_code == 403
