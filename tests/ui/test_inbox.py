"""The approvers' inbox: what waits, approve, deny, bulk decisions, scope, query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals import workflow
from approvals.models import Grant, GrantState, RequestState

pytestmark = pytest.mark.django_db


def submit(requester, entitlement, justification="Joining the Payments team"):
    (made,) = workflow.submit_requests(
        requester=requester, entitlements=[entitlement], justification=justification
    )
    return made


def test_manager_sees_the_request_with_context(
    signed_in, manager, requester, developers, make_entitlement
):
    held = make_entitlement("Engineering wiki")
    Grant.objects.create(
        beneficiary=requester, entitlement=held, state=GrantState.ACTIVE
    )
    made = submit(requester, developers)

    html = signed_in(manager).get(reverse("inbox")).content.decode()

    assert f'id="inbox-{made.pk}"' in html
    assert "Requester" in html
    assert "Joining the Payments team" in html
    assert "Engineering wiki" in html  # the requester's current access
    assert "1 waiting" in html


def test_requester_does_not_see_their_own_request(signed_in, requester, developers):
    submit(requester, developers)

    html = signed_in(requester).get(reverse("inbox")).content.decode()

    assert "Nothing waits for you." in html


def test_manager_approves_with_a_comment(signed_in, manager, requester, developers):
    made = submit(requester, developers)
    client = signed_in(manager)

    response = client.post(
        reverse("decide", args=[made.pk]), {"decision": "approve", "comment": "Welcome"}
    )

    made.refresh_from_db()
    assert response.status_code == 302
    assert made.state in (
        RequestState.APPROVED,
        RequestState.PROVISIONING,
        RequestState.ACTIVE,
    )
    assert "Access is being set up" in client.get(reverse("inbox")).content.decode()


def test_manager_denies(signed_in, manager, requester, developers):
    made = submit(requester, developers)

    signed_in(manager).post(
        reverse("decide", args=[made.pk]),
        {"decision": "deny", "comment": "Not this quarter"},
    )

    made.refresh_from_db()
    assert made.state == RequestState.DENIED


def test_outsider_cannot_decide(signed_in, outsider, requester, developers):
    made = submit(requester, developers)
    client = signed_in(outsider)

    client.post(reverse("decide", args=[made.pk]), {"decision": "approve"})

    made.refresh_from_db()
    assert made.state == RequestState.PENDING
    assert 'class="alert alert--error"' in client.get(reverse("inbox")).content.decode()


def test_second_decision_says_already_decided(
    signed_in, manager, requester, developers
):
    made = submit(requester, developers)
    workflow.deny(made.pk, approver=manager)
    client = signed_in(manager)

    client.post(reverse("decide", args=[made.pk]), {"decision": "approve"})

    made.refresh_from_db()
    assert made.state == RequestState.DENIED
    assert 'class="alert alert--error"' in client.get(reverse("inbox")).content.decode()


def test_bulk_approval_decides_every_selected_request(
    signed_in, manager, requester, developers, make_entitlement
):
    first = submit(requester, developers)
    second = submit(requester, make_entitlement("Finance readers"))
    client = signed_in(manager)

    client.post(
        reverse("decide_many"),
        {"request_ids": [first.pk, second.pk], "decision": "approve", "comment": "ok"},
    )

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state != RequestState.PENDING
    assert second.state != RequestState.PENDING
    assert "Approved 2 requests." in client.get(reverse("inbox")).content.decode()


def test_bulk_decision_reports_the_ones_that_failed(
    signed_in, manager, requester, developers
):
    made = submit(requester, developers)
    workflow.deny(made.pk, approver=manager)
    client = signed_in(manager)

    client.post(
        reverse("decide_many"), {"request_ids": [made.pk], "decision": "approve"}
    )

    assert f"Request #{made.pk}:" in client.get(reverse("inbox")).content.decode()


def test_bulk_decision_without_a_selection_asks_for_one(signed_in, manager):
    client = signed_in(manager)

    client.post(reverse("decide_many"), {"decision": "approve"})

    assert (
        "Select at least one request first."
        in client.get(reverse("inbox")).content.decode()
    )


def inbox_queries(client, manager, make_person, make_entitlement, count: int) -> int:
    """Queries to render the inbox with `count` requests from different reports."""
    for number in range(count):
        person = make_person(f"report{count}_{number}", manager=manager)
        held = make_entitlement(f"Held {count}-{number}")
        Grant.objects.create(
            beneficiary=person, entitlement=held, state=GrantState.ACTIVE
        )
        submit(person, make_entitlement(f"Wanted {count}-{number}"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("inbox"), {"per_page": 50})
    assert response.status_code == 200
    assert f"Wanted {count}-{count - 1}" in response.content.decode()
    return len(queries)


def test_inbox_query_count_does_not_grow_with_rows(
    signed_in, manager, make_person, make_entitlement
):
    client = signed_in(manager)

    with_five = inbox_queries(client, manager, make_person, make_entitlement, 5)
    with_fifty = inbox_queries(client, manager, make_person, make_entitlement, 45)

    assert with_five == with_fifty
