"""Deciding over the API: the inbox, approve, deny, overrides, bulk decisions."""

from __future__ import annotations

import pytest

from approvals.models import ApprovalDecision, AuditEvent, RequestState

pytestmark = pytest.mark.django_db


def submitted(client, entitlement, **body):
    body = {"entitlement": entitlement.pk, "justification": "Design work", **body}
    response = client.post("/api/v1/requests/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def test_inbox_lists_what_waits_for_me(requester, manager, client_for, design_group):
    request_id = submitted(client_for(requester), design_group)

    body = client_for(manager).get("/api/v1/approvals/").json()

    assert [r["id"] for r in body["results"]] == [request_id]


def test_inbox_of_someone_not_asked_is_empty(
    requester, outsider, client_for, design_group
):
    submitted(client_for(requester), design_group)

    body = client_for(outsider).get("/api/v1/approvals/").json()

    assert body["count"] == 0


def test_manager_approves_with_a_comment(requester, manager, client_for, design_group):
    request_id = submitted(client_for(requester), design_group)

    response = client_for(manager).post(
        f"/api/v1/requests/{request_id}/approve/",
        {"comment": "Go ahead"},
        format="json",
    )

    body = response.json()
    assert response.status_code == 200
    assert body["state"] == "approved"
    assert body["steps"][0]["decisions"][0]["comment"] == "Go ahead"
    assert body["grant"]["state"] == "pending"


def test_second_decision_is_409(requester, manager, client_for, design_group):
    request_id = submitted(client_for(requester), design_group)
    client = client_for(manager)
    client.post(f"/api/v1/requests/{request_id}/approve/", {}, format="json")

    response = client.post(f"/api/v1/requests/{request_id}/deny/", {}, format="json")

    assert response.status_code == 409
    assert "approved" in response.json()["detail"].lower()


def test_requester_cannot_approve_own_request(requester, client_for, design_group):
    request_id = submitted(client_for(requester), design_group)

    response = client_for(requester).post(
        f"/api/v1/requests/{request_id}/approve/", {}, format="json"
    )

    assert response.status_code == 403
    assert "your own" in response.json()["detail"]


def test_admin_cannot_approve_own_request_either(admin, client_for, design_group):
    request_id = submitted(client_for(admin), design_group)

    response = client_for(admin).post(
        f"/api/v1/requests/{request_id}/approve/", {"comment": "me"}, format="json"
    )

    assert response.status_code == 403


def test_deciding_outside_ones_scope_is_403(
    requester, outsider, client_for, design_group
):
    request_id = submitted(client_for(requester), design_group)

    response = client_for(outsider).post(
        f"/api/v1/requests/{request_id}/approve/", {}, format="json"
    )

    assert response.status_code == 403
    assert request_state(request_id) == RequestState.PENDING


def test_admin_override_needs_a_reason(requester, admin, client_for, design_group):
    request_id = submitted(client_for(requester), design_group)

    response = client_for(admin).post(
        f"/api/v1/requests/{request_id}/approve/", {"comment": ""}, format="json"
    )

    assert response.status_code == 400
    assert "comment" in response.json()


def test_admin_override_is_recorded_with_its_reason(
    requester, admin, client_for, design_group
):
    request_id = submitted(client_for(requester), design_group)

    response = client_for(admin).post(
        f"/api/v1/requests/{request_id}/approve/",
        {"comment": "Manager on leave; urgent launch"},
        format="json",
    )

    assert response.json()["state"] == "approved"
    decision = ApprovalDecision.objects.get(step__request_id=request_id)
    assert decision.is_override
    assert decision.comment == "Manager on leave; urgent launch"
    assert AuditEvent.objects.filter(
        action="request.override", request_id=request_id
    ).exists()


def test_manager_denies(requester, manager, client_for, design_group):
    request_id = submitted(client_for(requester), design_group)

    response = client_for(manager).post(
        f"/api/v1/requests/{request_id}/deny/", {"comment": "Not needed"}, format="json"
    )

    assert response.json()["state"] == "denied"
    assert response.json()["can_cancel"] is False


def test_overlong_comment_is_a_400(requester, manager, client_for, design_group):
    request_id = submitted(client_for(requester), design_group)

    response = client_for(manager).post(
        f"/api/v1/requests/{request_id}/approve/",
        {"comment": "x" * 5000},
        format="json",
    )

    assert response.status_code == 400
    assert "comment" in response.json()


def test_bulk_decision_reports_each_request(
    requester, outsider, manager, client_for, design_group, finance_group
):
    mine = submitted(client_for(requester), design_group)
    other = submitted(client_for(outsider), finance_group)

    response = client_for(manager).post(
        "/api/v1/approvals/decide/",
        {"requests": [mine, other, 999999], "decision": "approve", "comment": "ok"},
        format="json",
    )

    results = {r["id"]: r for r in response.json()["results"]}
    assert response.status_code == 200
    assert results[mine]["ok"] is True
    assert results[mine]["state"] == "approved"
    assert (results[other]["ok"], results[other]["status"]) == (False, 403)
    assert (results[999999]["ok"], results[999999]["status"]) == (False, 404)


def test_bulk_decision_with_unknown_decision_is_a_400(manager, client_for, catalog):
    response = client_for(manager).post(
        "/api/v1/approvals/decide/",
        {"requests": [1], "decision": "maybe"},
        format="json",
    )

    assert response.status_code == 400
    assert "decision" in response.json()


def request_state(request_id: int) -> str:
    from approvals.models import AccessRequest

    return AccessRequest.objects.get(pk=request_id).state
