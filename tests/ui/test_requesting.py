"""Requesting through the pages: the cart, validation, my requests, cancelling, my access."""

from __future__ import annotations

import pytest
from django.urls import reverse

from approvals import workflow
from approvals.models import (
    AccessRequest,
    Grant,
    GrantOrigin,
    GrantState,
    Policy,
    RequestState,
)

pytestmark = pytest.mark.django_db


def fill_cart(client, *entitlements) -> None:
    for entitlement in entitlements:
        client.post(reverse("cart_add", args=[entitlement.pk]))


def test_cart_sends_one_request_per_item_and_empties(
    signed_in, requester, developers, make_entitlement
):
    readers = make_entitlement("Finance readers")
    client = signed_in(requester)
    fill_cart(client, developers, readers)

    response = client.post(
        reverse("cart"),
        {"justification": "New on the Payments team", "duration_days": ""},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("my_requests")
    made = AccessRequest.objects.filter(requester=requester)
    assert {r.entitlement_id for r in made} == {developers.pk, readers.pk}
    assert len({r.batch for r in made}) == 1
    assert "0" in client.get(reverse("cart")).content.decode()
    assert "Your cart is empty." in client.get(reverse("cart")).content.decode()


def test_cart_without_justification_explains_what_is_missing(
    signed_in, requester, developers
):
    client = signed_in(requester)
    fill_cart(client, developers)

    response = client.post(reverse("cart"), {"justification": ""})

    assert response.status_code == 200
    assert "needs a justification" in response.content.decode()
    assert not AccessRequest.objects.exists()


def test_cart_refuses_a_duration_over_the_policy_limit(
    signed_in, requester, developers
):
    Policy.objects.create(
        name="Short access", entitlement=developers, max_duration_days=30
    )
    client = signed_in(requester)
    fill_cart(client, developers)

    response = client.post(
        reverse("cart"), {"justification": "Audit", "duration_days": "90"}
    )

    html = response.content.decode()
    assert "at most 30 days" in html
    assert 'id="id_duration_days_error"' in html


def test_cart_refuses_both_a_duration_and_an_end_date(signed_in, requester, developers):
    client = signed_in(requester)
    fill_cart(client, developers)

    response = client.post(
        reverse("cart"),
        {"justification": "x", "duration_days": "5", "ends_on": "2099-01-01"},
    )

    assert "not both" in response.content.decode()


def test_manager_requests_for_a_report(signed_in, manager, requester, developers):
    client = signed_in(manager)
    fill_cart(client, developers)

    client.post(
        reverse("cart"),
        {"justification": "Joining Payments", "beneficiary": requester.pk},
    )

    made = AccessRequest.objects.get()
    assert made.beneficiary == requester
    assert made.requester == manager


def test_people_without_reports_are_not_offered_someone_else(
    signed_in, requester, developers
):
    client = signed_in(requester)
    fill_cart(client, developers)

    html = client.get(reverse("cart")).content.decode()

    assert "Request for" not in html


def submit(requester, entitlement, justification="For the project") -> AccessRequest:
    (made,) = workflow.submit_requests(
        requester=requester, entitlements=[entitlement], justification=justification
    )
    return made


def test_my_requests_shows_state_and_who_decides(signed_in, requester, developers):
    made = submit(requester, developers)

    html = signed_in(requester).get(reverse("my_requests")).content.decode()

    assert f'id="request-{made.pk}"' in html
    assert "Pending approval" in html
    assert "Waiting for <strong>Manager</strong>" in html


def test_requester_cancels_a_pending_request(signed_in, requester, developers):
    made = submit(requester, developers)
    client = signed_in(requester)

    response = client.post(reverse("request_cancel", args=[made.pk]))

    made.refresh_from_db()
    assert response.status_code == 302
    assert made.state == RequestState.CANCELLED
    assert "is cancelled" in client.get(reverse("my_requests")).content.decode()


def test_cancelling_a_decided_request_is_explained(
    signed_in, requester, manager, developers
):
    made = submit(requester, developers)
    workflow.deny(made.pk, approver=manager, comment="Not now")
    client = signed_in(requester)

    client.post(reverse("request_cancel", args=[made.pk]))

    html = client.get(reverse("my_requests") + "?show=closed").content.decode()
    assert 'class="alert alert--error"' in html
    assert "Denied" in html


def test_request_detail_tells_the_story(signed_in, requester, manager, developers):
    made = submit(requester, developers, "Payments on-call")
    workflow.deny(made.pk, approver=manager, comment="Ask again next quarter")

    html = (
        signed_in(requester)
        .get(reverse("request_detail", args=[made.pk]))
        .content.decode()
    )

    assert "Payments on-call" in html
    assert "Ask again next quarter" in html
    assert 'class="timeline"' in html
    assert "Requested" in html


def test_timeline_partial_loads_for_the_list(signed_in, requester, developers):
    made = submit(requester, developers)

    response = signed_in(requester).get(
        reverse("request_timeline", args=[made.pk]), HTTP_HX_REQUEST="true"
    )

    assert response.content.decode().lstrip().startswith("<ol")


def test_outsider_cannot_read_someone_elses_request(
    signed_in, requester, outsider, developers
):
    made = submit(requester, developers)

    response = signed_in(outsider).get(reverse("request_detail", args=[made.pk]))

    assert response.status_code == 403
    assert "You can't open this page" in response.content.decode()


def test_my_access_lists_grants_with_their_end(signed_in, requester, developers):
    from django.utils import timezone

    Grant.objects.create(
        beneficiary=requester,
        entitlement=developers,
        state=GrantState.ACTIVE,
        ends_at=timezone.now() + timezone.timedelta(days=3),
    )

    html = signed_in(requester).get(reverse("my_access")).content.decode()

    assert "Payments · Developers" in html
    assert "Active" in html
    assert "badge badge--pending" in html  # ends within the reminder window
    assert "Extend" in html


def test_my_access_says_which_access_was_adopted(signed_in, requester, developers):
    Grant.objects.create(
        beneficiary=requester,
        entitlement=developers,
        state=GrantState.ACTIVE,
        origin=GrantOrigin.ADOPTED,
    )

    html = signed_in(requester).get(reverse("my_access")).content.decode()

    assert "Payments · Developers" in html
    assert "Adopted from existing access" in html


def test_my_access_shows_what_atlassian_holds_beyond_the_grants(
    signed_in, requester, developers, make_entitlement, site
):
    from tests.factories import AccountFactory, AssignmentFactory

    Grant.objects.create(
        beneficiary=requester, entitlement=developers, state=GrantState.ACTIVE
    )
    account = AccountFactory(application=site, identity=requester)
    AssignmentFactory(entitlement=developers, account=account)
    AssignmentFactory(entitlement=make_entitlement("Old wiki editors"), account=account)

    html = signed_in(requester).get(reverse("my_access")).content.decode()

    also = html.split("Also in Atlassian", 1)[1]
    assert "Old wiki editors" in also
    assert "Payments · Developers" not in also  # the grant explains it


def test_my_access_shows_access_through_a_group(
    signed_in, requester, developers, make_entitlement, site
):
    from tests.factories import AccountFactory, AssignmentFactory

    backend = make_entitlement("Backend team")
    account = AccountFactory(application=site, identity=requester)
    AssignmentFactory(entitlement=backend, account=account)
    AssignmentFactory(entitlement=developers, account=None, holder_group=backend)

    html = signed_in(requester).get(reverse("my_access")).content.decode()

    also = html.split("Also in Atlassian", 1)[1]
    assert 'Payments · Developers <span class="muted">via Backend team</span>' in also


def test_my_access_marks_a_grant_whose_extension_is_pending(
    signed_in, requester, developers
):
    from django.utils import timezone

    grant = Grant.objects.create(
        beneficiary=requester,
        entitlement=developers,
        state=GrantState.ACTIVE,
        ends_at=timezone.now() + timezone.timedelta(days=2),
    )
    extension = workflow.request_extension(
        grant.pk, requester=requester, justification="Longer", duration_days=30
    )

    html = signed_in(requester).get(reverse("my_access")).content.decode()

    assert reverse("request_detail", args=[extension.pk]) in html
    assert "Extension requested" in html


def test_holder_removes_access(signed_in, requester, developers, site):
    grant = Grant.objects.create(
        beneficiary=requester, entitlement=developers, state=GrantState.ACTIVE
    )

    response = signed_in(requester).post(
        reverse("grant_revoke", args=[grant.pk]), {"reason": "Left the team"}
    )

    grant.refresh_from_db()
    assert response.status_code == 302
    assert grant.state in (GrantState.REVOKING, GrantState.REVOKED)


def test_someone_else_cannot_remove_my_access(
    signed_in, requester, outsider, developers
):
    grant = Grant.objects.create(
        beneficiary=requester, entitlement=developers, state=GrantState.ACTIVE
    )
    client = signed_in(outsider)

    client.post(reverse("grant_revoke", args=[grant.pk]))

    grant.refresh_from_db()
    assert grant.state == GrantState.ACTIVE


def test_extension_request_is_sent_for_approval(signed_in, requester, developers):
    from django.utils import timezone

    grant = Grant.objects.create(
        beneficiary=requester,
        entitlement=developers,
        state=GrantState.ACTIVE,
        ends_at=timezone.now() + timezone.timedelta(days=2),
    )

    response = signed_in(requester).post(
        reverse("grant_extend", args=[grant.pk]),
        {"justification": "Project runs longer", "duration_days": "30"},
    )

    extension = AccessRequest.objects.get(extends_grant=grant)
    assert response["Location"] == reverse("request_detail", args=[extension.pk])
    assert extension.state == RequestState.PENDING


def test_outsider_cannot_open_the_extend_page(
    signed_in, requester, outsider, developers
):
    grant = Grant.objects.create(
        beneficiary=requester, entitlement=developers, state=GrantState.ACTIVE
    )

    response = signed_in(outsider).get(reverse("grant_extend", args=[grant.pk]))

    assert response.status_code == 403


def my_requests_queries(client, requester, make_entitlement, count: int) -> int:
    for number in range(count):
        submit(requester, make_entitlement(f"Group {count}-{number}"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("my_requests"), {"per_page": 50})
    assert f"Group {count}-{count - 1}" in response.content.decode()
    return len(queries)


def test_my_requests_query_count_does_not_grow_with_rows(
    signed_in, requester, make_entitlement
):
    client = signed_in(requester)

    with_five = my_requests_queries(client, requester, make_entitlement, 5)
    with_fifty = my_requests_queries(client, requester, make_entitlement, 45)

    assert with_five == with_fifty
