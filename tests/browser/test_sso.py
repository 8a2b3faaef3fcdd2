"""Company SSO end to end: a real OpenID Connect provider process, a real browser."""

from __future__ import annotations

import pytest

from tests.browser.conftest import OpenIDProvider, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.oidc,
    pytest.mark.django_db(transaction=True),
]

DANA = {
    "sub": "emp-0042",
    "username": "dana",
    "password": "company-secret",
    "email": "dana.lee@acme.example",
    "name": "Dana Lee",
    "given_name": "Dana",
    "family_name": "Lee",
}


@pytest.fixture
def provider(live_server, tmp_path, settings):
    """The provider, with the portal registered as a client for the live server's callback."""
    client = {
        "client_id": "access-portal",
        "client_secret": "test-client-secret",
        "redirect_uris": [f"{live_server.url}/oidc/callback/"],
    }
    server = OpenIDProvider(
        clients=[client], users=[DANA], log_path=tmp_path / "op.log"
    )
    server.start()
    for name, value in server.portal_settings(client).items():
        setattr(settings, name, value)
    yield server
    server.stop()


@pytest.fixture
def atlassian_account(transactional_db):
    """Dana's Atlassian account, seen by reconciliation before her first sign-in."""
    from connectors.models import Account, Application

    application = Application.objects.create(
        name="Atlassian Cloud",
        site_url="https://acme.atlassian.net",
        admin_email="portal-bot@acme.example",
        scim_url="https://api.atlassian.com/scim/directory/d1",
        directory_id="d1",
        org_id="o1",
    )
    return Account.objects.create(
        application=application, account_id="557058:dana", email="Dana.Lee@acme.example"
    )


def test_first_sso_sign_in_creates_the_identity_and_links_its_atlassian_account(
    provider, atlassian_account, new_page
):
    from accessportal.models import IdentitySource, User

    page = new_page()
    page.goto("/catalog/")
    screenshot(page, "sign-in")
    page.get_by_role("link", name="Sign in with your company account").click()

    page.wait_for_url(f"{provider.issuer}/interaction/**")
    page.get_by_label("Username").fill("dana")
    page.get_by_label("Password").fill("company-secret")
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url("**/catalog/")
    assert page.get_by_role("heading", name="Catalog").is_visible()
    assert page.locator(".user-menu__name").inner_text() == "Dana Lee"
    dana = User.objects.get(email__iexact="dana.lee@acme.example")
    assert dana.source == IdentitySource.SSO
    atlassian_account.refresh_from_db()
    assert atlassian_account.identity == dana


def test_sso_signs_in_an_existing_identity_matched_by_email(
    provider, make_person, new_page
):
    existing = make_person(
        "dlee", email="DANA.LEE@acme.example", display_name="Dana L."
    )

    page = new_page()
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with your company account").click()
    page.get_by_label("Username").fill("dana")
    page.get_by_label("Password").fill("company-secret")
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(
        lambda url: "/accounts/login/" not in url and provider.issuer not in url
    )
    assert page.get_by_role("heading", name="Hello, Dana L.").is_visible()
    from accessportal.models import User

    assert User.objects.filter(email__iexact="dana.lee@acme.example").count() == 1
    assert existing.pk == User.objects.get(email__iexact="dana.lee@acme.example").pk
