"""Asking for access over the API: POST/GET /api/v1/requests/, cancel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from approvals.models import AccessRequest, ApprovalRule, RequestState
from tests.factories import PolicyFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/requests/"
STATES = {
    "pending",
    "approved",
    "denied",
    "cancelled",
    "expired",
    "provisioning",
    "active",
    "failed",
    "revoked",
    "ended",
}


def ask(client, **body):
    body.setdefault("justification", "I design the new onboarding screens")
    return client.post(URL, body, format="json")


def test_request_one_entitlement_gives_201_with_the_pending_request(
    requester, client_for, design_group
):
    response = ask(client_for(requester), entitlement=design_group.pk, duration_days=30)

    body = response.json()
    assert response.status_code == 201
    assert body["state"] == "pending"
    assert body["entitlement"]["id"] == design_group.pk
    assert body["beneficiary"]["username"] == "requester"
    assert body["duration_days"] == 30
    assert AccessRequest.objects.get(pk=body["id"]).requester == requester


def test_request_a_cart_gives_201_with_every_request_of_the_batch(
    requester, client_for, design_group, finance_group
):
    response = ask(
        client_for(requester), entitlements=[design_group.pk, finance_group.pk]
    )

    body = response.json()
    assert response.status_code == 201
    assert len(body["requests"]) == 2
    assert {r["batch"] for r in body["requests"]} == {body["batch"]}
    assert {r["state"] for r in body["requests"]} == {"pending"}


def test_auto_approved_entitlement_is_approved_at_once(
    requester, client_for, design_group
):
    PolicyFactory(entitlement=design_group, rule=ApprovalRule.AUTO)

    body = ask(client_for(requester), entitlement=design_group.pk).json()

    assert body["state"] == "approved"
    assert body["grant"]["state"] == "pending"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "entitlement"),
        ({"entitlement": 1, "entitlements": [2]}, "entitlement"),
        ({"entitlement": "design"}, "entitlement"),
        ({"entitlement": 999999}, "entitlement"),
        ({"entitlements": []}, "entitlements"),
        ({"entitlements": [999999]}, "entitlements"),
        ({"entitlement": 1, "duration_days": 0}, "duration_days"),
        ({"entitlement": 1, "duration_days": "soon"}, "duration_days"),
        ({"entitlement": 1, "ends_at": "yesterday"}, "ends_at"),
        ({"entitlement": 1, "beneficiary": 999999}, "beneficiary"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    requester, client_for, catalog, body, field
):
    response = client_for(requester).post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()


def test_end_in_the_past_is_refused(requester, client_for, design_group):
    past = (timezone.now() - timedelta(days=1)).isoformat()

    response = ask(client_for(requester), entitlement=design_group.pk, ends_at=past)

    assert response.status_code == 400
    assert "ends_at" in response.json()


def test_missing_justification_is_a_400_from_the_policy(
    requester, client_for, design_group
):
    response = ask(client_for(requester), entitlement=design_group.pk, justification="")

    assert response.status_code == 400
    assert "justification" in response.json()


def test_duration_over_the_policy_maximum_is_a_400(requester, client_for, design_group):
    PolicyFactory(entitlement=design_group, max_duration_days=7)

    response = ask(client_for(requester), entitlement=design_group.pk, duration_days=30)

    assert response.status_code == 400
    assert "duration_days" in response.json()


def test_asking_twice_for_the_same_access_is_a_400(requester, client_for, design_group):
    client = client_for(requester)
    ask(client, entitlement=design_group.pk)

    response = ask(client, entitlement=design_group.pk)

    assert response.status_code == 400
    assert "already requested" in str(response.json())


def test_manager_may_request_for_a_report(manager, requester, client_for, design_group):
    response = ask(
        client_for(manager), entitlement=design_group.pk, beneficiary=requester.pk
    )

    assert response.status_code == 201
    assert response.json()["beneficiary"]["username"] == "requester"


def test_requesting_for_someone_not_a_report_is_403(
    outsider, requester, client_for, design_group
):
    response = ask(
        client_for(outsider), entitlement=design_group.pk, beneficiary=requester.pk
    )

    assert response.status_code == 403


def test_list_shows_my_requests_and_not_others(
    requester, outsider, client_for, design_group, finance_group
):
    ask(client_for(requester), entitlement=design_group.pk)
    ask(client_for(outsider), entitlement=finance_group.pk)

    body = client_for(requester).get(URL).json()

    assert body["count"] == 1
    assert body["results"][0]["entitlement"]["id"] == design_group.pk


def test_admin_lists_every_request(
    requester, outsider, admin, client_for, design_group
):
    ask(client_for(requester), entitlement=design_group.pk)
    ask(client_for(outsider), entitlement=design_group.pk)

    assert client_for(admin).get(URL).json()["count"] == 2


def test_filter_by_state(requester, client_for, design_group, finance_group):
    client = client_for(requester)
    cancelled = ask(client, entitlement=design_group.pk).json()
    client.post(f"{URL}{cancelled['id']}/cancel/")
    ask(client, entitlement=finance_group.pk)

    body = client.get(URL, {"state": "cancelled"}).json()

    assert [r["id"] for r in body["results"]] == [cancelled["id"]]


def test_unknown_state_filter_is_a_400(requester, client_for, catalog):
    response = client_for(requester).get(URL, {"state": "lost"})

    assert response.status_code == 400
    assert "state" in response.json()


def test_detail_has_steps_timeline_and_my_allowed_actions(
    requester, client_for, design_group
):
    client = client_for(requester)
    made = ask(client, entitlement=design_group.pk).json()

    body = client.get(f"{URL}{made['id']}/").json()

    assert body["state"] in STATES
    assert body["steps"][0]["state"] == "open"
    assert [a["username"] for a in body["steps"][0]["approvers"]] == ["manager"]
    assert body["timeline"][0]["kind"] == "submitted"
    assert body["can_cancel"] is True
    assert body["can_decide"] is False


def test_someone_elses_request_is_404(requester, outsider, client_for, design_group):
    made = ask(client_for(requester), entitlement=design_group.pk).json()

    response = client_for(outsider).get(f"{URL}{made['id']}/")

    assert response.status_code == 404


def test_the_approver_may_read_the_request(
    requester, manager, client_for, design_group
):
    made = ask(client_for(requester), entitlement=design_group.pk).json()

    body = client_for(manager).get(f"{URL}{made['id']}/").json()

    assert body["can_decide"] is True


def test_requester_cancels_a_pending_request(requester, client_for, design_group):
    client = client_for(requester)
    made = ask(client, entitlement=design_group.pk).json()

    response = client.post(f"{URL}{made['id']}/cancel/")

    assert response.status_code == 200
    assert response.json()["state"] == "cancelled"
    assert response.json()["timeline"][-1]["kind"] == "cancelled"


def test_cancelling_twice_is_409(requester, client_for, design_group):
    client = client_for(requester)
    made = ask(client, entitlement=design_group.pk).json()
    client.post(f"{URL}{made['id']}/cancel/")

    response = client.post(f"{URL}{made['id']}/cancel/")

    assert response.status_code == 409
    assert response.json()["detail"]


def test_someone_else_cannot_cancel(requester, outsider, client_for, design_group):
    made = ask(client_for(requester), entitlement=design_group.pk).json()

    response = client_for(outsider).post(f"{URL}{made['id']}/cancel/")

    assert response.status_code == 403
    assert AccessRequest.objects.get(pk=made["id"]).state == RequestState.PENDING


def test_unknown_request_is_404_for_every_action(requester, client_for, catalog):
    client = client_for(requester)

    statuses = {
        client.get(f"{URL}999999/").status_code,
        client.post(f"{URL}999999/cancel/").status_code,
        client.post(f"{URL}999999/approve/", {}, format="json").status_code,
        client.post(f"{URL}999999/deny/", {}, format="json").status_code,
    }

    assert statuses == {404}


def test_form_encoded_bodies_are_refused_with_415(requester, client_for, design_group):
    response = client_for(requester).post(URL, {"entitlement": design_group.pk})

    assert response.status_code == 415
