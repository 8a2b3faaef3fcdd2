"""The catalog: search, filters, row status, who approves, the cart, query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.models import AccessRequest, ApprovalRule, Grant, GrantState, Policy

pytestmark = pytest.mark.django_db


def row_html(response, entitlement) -> str:
    """The catalog row of one entitlement."""
    html = response.content.decode()
    start = html.index(f'id="entitlement-{entitlement.pk}"')
    return html[start : html.index("</tr>", start)]


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("catalog"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_catalog_lists_requestable_entitlements_only(
    signed_in, requester, make_entitlement
):
    make_entitlement("Finance readers")
    make_entitlement("Retired group", is_requestable=False)

    response = signed_in(requester).get(reverse("catalog"))

    assert response.status_code == 200
    assert "Finance readers" in response.content.decode()
    assert "Retired group" not in response.content.decode()


def test_search_finds_by_project_name(
    signed_in, requester, developers, make_entitlement
):
    make_entitlement("Marketing")

    response = signed_in(requester).get(reverse("catalog"), {"q": "payments"})

    html = response.content.decode()
    assert "Payments · Developers" in html
    assert "Marketing" not in html
    assert "1 entitlement matching" in html


def test_filters_by_kind_and_space(
    signed_in, requester, developers, make_entitlement, make_resource
):
    handbook = make_resource("HB", "Handbook", kind="space")
    make_entitlement("Handbook · Editors", kind="space_permission", resource=handbook)
    make_entitlement("Handbook readers group")

    by_kind = signed_in(requester).get(reverse("catalog"), {"kind": "space_permission"})
    by_space = signed_in(requester).get(reverse("catalog"), {"space": handbook.pk})

    assert "Handbook · Editors" in by_kind.content.decode()
    assert "Payments · Developers" not in by_kind.content.decode()
    assert "Handbook · Editors" in by_space.content.decode()
    assert "Handbook readers group" not in by_space.content.decode()


def test_row_shows_who_approves_with_the_managers_name(
    signed_in, requester, developers
):
    response = signed_in(requester).get(reverse("catalog"))

    assert "Manager (manager)" in row_html(response, developers)


def test_row_shows_owner_policy_and_its_limit(signed_in, requester, owner, developers):
    developers.owner = owner
    developers.save()
    Policy.objects.create(
        name="Owners decide",
        entitlement=developers,
        rule=ApprovalRule.OWNER,
        max_duration_days=30,
    )

    row = row_html(signed_in(requester).get(reverse("catalog")), developers)

    assert "Owner (owner)" in row
    assert "up to 30 days" in row


def test_row_says_when_you_hold_it(signed_in, requester, developers):
    Grant.objects.create(
        beneficiary=requester, entitlement=developers, state=GrantState.ACTIVE
    )

    row = row_html(signed_in(requester).get(reverse("catalog")), developers)

    assert "You have it" in row
    assert "Add to cart" not in row


def test_access_through_a_group_counts_as_held(
    signed_in, requester, outsider, developers, make_entitlement, site
):
    from tests.factories import AccountFactory, AssignmentFactory

    backend = make_entitlement("Backend team")
    AssignmentFactory(entitlement=developers, account=None, holder_group=backend)
    for person in (requester, outsider):
        account = AccountFactory(application=site, identity=person)
        AssignmentFactory(entitlement=backend, account=account)
    AssignmentFactory(entitlement=developers, account=account)  # also directly

    row = row_html(signed_in(requester).get(reverse("catalog")), developers)
    detail = signed_in(requester).get(
        reverse("entitlement_detail", args=[developers.pk])
    )

    assert "You have it" in row
    assert "Held by</dt><dd>2 accounts" in detail.content.decode()


def test_row_says_when_you_asked_for_it(signed_in, requester, developers):
    AccessRequest.objects.create(
        requester=requester, beneficiary=requester, entitlement=developers
    )

    row = row_html(signed_in(requester).get(reverse("catalog")), developers)

    assert "Requested" in row
    assert "See request" in row


def test_add_to_cart_then_the_row_says_in_your_cart(signed_in, requester, developers):
    client = signed_in(requester)

    added = client.post(
        reverse("cart_add", args=[developers.pk]), {"next": reverse("catalog")}
    )
    row = row_html(client.get(reverse("catalog")), developers)

    assert added.status_code == 302
    assert "In your cart" in row


def test_htmx_add_to_cart_returns_the_row_and_the_new_count(
    signed_in, requester, developers
):
    response = signed_in(requester).post(
        reverse("cart_add", args=[developers.pk]), HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert f'id="entitlement-{developers.pk}"' in html
    assert 'id="cart-count" hx-swap-oob="true">1<' in html


def test_htmx_search_returns_only_the_results(signed_in, requester, developers):
    response = signed_in(requester).get(
        reverse("catalog"),
        {"q": "pay"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="catalog-results",
    )

    html = response.content.decode()
    assert html.lstrip().startswith("<section")
    assert "<html" not in html
    assert "Payments · Developers" in html


def test_catalog_pages_through_many_entitlements(
    signed_in, requester, make_entitlement
):
    for number in range(30):
        make_entitlement(f"Group {number:02d}")

    page_two = signed_in(requester).get(reverse("catalog"), {"page": 2})

    html = page_two.content.decode()
    assert "Page 2 of 2" in html
    assert "Group 29" in html
    assert "Group 00" not in html


def test_entitlement_detail_shows_parent_owner_policy_and_holders(
    signed_in, requester, owner, developers
):
    developers.owner = owner
    developers.save()
    Policy.objects.create(
        name="Payments policy", resource=developers.resource, max_duration_days=90
    )

    response = signed_in(requester).get(
        reverse("entitlement_detail", args=[developers.pk])
    )

    html = response.content.decode()
    assert "Work on the Payments backlog." in html
    assert "Payments" in html and "(PAY)" in html
    assert "Owner" in html and "Payments policy" in html
    assert "90 days" in html
    assert "Request access" in html


def test_removed_entitlement_detail_is_a_friendly_404(
    signed_in, requester, make_entitlement
):
    from django.utils import timezone

    gone = make_entitlement("Old group", removed_at=timezone.now())

    response = signed_in(requester).get(reverse("entitlement_detail", args=[gone.pk]))

    assert response.status_code == 404
    assert "We can't find that page" in response.content.decode()


def catalog_queries(client, make_entitlement, project, owner, count: int) -> int:
    """Queries to render the catalog with `count` rows, each with owner, parent and policy."""
    for number in range(count):
        entitlement = make_entitlement(
            f"Role {count}-{number}", kind="project_role", resource=project, owner=owner
        )
        if number % 3 == 0:
            Policy.objects.create(
                name=f"P{count}-{number}",
                entitlement=entitlement,
                rule=ApprovalRule.OWNER,
            )
    with CaptureQueriesContext(connection) as queries:
        response = client.get(
            reverse("catalog"), {"q": f"Role {count}-", "per_page": 50}
        )
    assert response.status_code == 200
    assert f"Role {count}-{count - 1}" in response.content.decode()
    return len(queries)


def test_catalog_query_count_does_not_grow_with_rows(
    signed_in, requester, make_entitlement, project, owner, settings
):
    client = signed_in(requester)
    with_five = catalog_queries(client, make_entitlement, project, owner, 5)
    with_fifty = catalog_queries(client, make_entitlement, project, owner, 50)

    assert with_five == with_fifty


def test_a_huge_result_is_not_counted_to_the_end(signed_in, requester, site):
    from connectors.models import Entitlement

    Entitlement.objects.bulk_create(
        Entitlement(
            application=site,
            kind="group",
            external_id=f"g{n}",
            name=f"g{n}",
            display_name=f"Team {n}",
        )
        for n in range(1001)
    )

    html = signed_in(requester).get(reverse("catalog"), {"q": "team"}).content.decode()

    assert "More than 1,000 entitlements matching “team”" in html
    assert "Page 1 of 40" in html
