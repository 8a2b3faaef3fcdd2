"""Signing in: the local form, the company SSO button, MFA for admins, SSO identity linking."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from accessportal.oidc import PortalOIDCBackend, link_atlassian_accounts

pytestmark = pytest.mark.django_db


def totp_code(secret: str) -> str:
    """The current RFC 6238 code of a base32 secret (what an authenticator app shows)."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(
        key, struct.pack(">Q", int(time.time() // 30)), hashlib.sha1
    ).digest()
    offset = digest[-1] & 0x0F
    value = (
        struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    ) % 1_000_000
    return f"{value:06d}"


def sign_in(client, username: str) -> object:
    return client.post(
        reverse("account_login"), {"login": username, "password": f"pw-{username}"}
    )


def activate_totp(client, username: str) -> object:
    """Confirm the password (allauth asks again before MFA changes), then activate TOTP."""
    client.post(reverse("account_reauthenticate"), {"password": f"pw-{username}"})
    page = client.get(reverse("mfa_activate_totp"))
    secret = page.context["form"].secret
    client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    return page


def test_sign_in_page_offers_company_sso_when_configured(client, settings):
    settings.OIDC_ENABLED = True

    html = client.get(reverse("account_login")).content.decode()

    assert "Sign in with your company account" in html
    assert reverse("oidc_authentication_init") in html


def test_sign_in_page_hides_sso_when_not_configured(client, settings):
    settings.OIDC_ENABLED = False

    html = client.get(reverse("account_login")).content.decode()

    assert "Sign in with your company account" not in html
    assert 'name="password"' in html


def test_local_sign_in_reaches_the_dashboard(client, requester):
    response = sign_in(client, "requester")
    home = client.get(response["Location"])

    assert response.status_code == 302
    assert "Hello, Requester" in home.content.decode()


def test_wrong_password_says_so(client, requester):
    response = client.post(
        reverse("account_login"), {"login": "requester", "password": "nope"}
    )

    assert response.status_code == 200
    assert "not correct" in response.content.decode()


def test_failed_sso_is_explained_on_the_sign_in_page(client):
    html = client.get(reverse("account_login") + "?sso=failed").content.decode()

    assert "Company sign-in did not complete" in html


def test_admin_without_mfa_is_sent_to_set_it_up(client, admin, settings):
    settings.MFA_REQUIRED_FOR_ADMINS = True
    sign_in(client, "admin")

    response = client.get(reverse("catalog"))

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_people_who_are_not_admins_need_no_mfa(client, requester, settings):
    settings.MFA_REQUIRED_FOR_ADMINS = True
    sign_in(client, "requester")

    assert client.get(reverse("catalog")).status_code == 200


def test_admin_activates_totp_then_reaches_the_admin_site(client, admin, settings):
    settings.MFA_REQUIRED_FOR_ADMINS = True
    sign_in(client, "admin")

    page = activate_totp(client, "admin")

    assert "QR code for your authenticator app" in page.content.decode()
    assert Authenticator.objects.filter(user=admin, type="totp").exists()
    assert client.get(reverse("admin:index")).status_code == 200


def test_admin_with_totp_is_asked_for_a_code_at_sign_in(client, admin, settings):
    settings.MFA_REQUIRED_FOR_ADMINS = True
    sign_in(client, "admin")
    activate_totp(client, "admin")
    client.post(reverse("account_logout"))

    stage = sign_in(client, "admin")
    challenge = client.get(stage["Location"])

    assert stage["Location"] == reverse("mfa_authenticate")
    assert "authenticator code" in challenge.content.decode()


def test_sso_identity_is_linked_to_its_atlassian_account(requester, site):
    from connectors.models import Account

    account = Account.objects.create(
        application=site, account_id="557058:abc", email="REQUESTER@acme.example"
    )

    linked = link_atlassian_accounts(requester)

    account.refresh_from_db()
    assert linked == 1
    assert account.identity == requester


def test_sso_refuses_an_email_the_provider_has_not_verified():
    backend = PortalOIDCBackend()

    assert backend.verify_claims({"email": "x@acme.example", "email_verified": True})
    assert not backend.verify_claims(
        {"email": "x@acme.example", "email_verified": False}
    )
    assert not backend.verify_claims({"sub": "no-email"})


def test_error_pages_are_friendly(signed_in, requester):
    response = signed_in(requester).get("/no-such-page/")

    assert response.status_code == 404
    assert "We can't find that page" in response.content.decode()


def test_server_error_page_needs_no_context(rf):
    from django.views.defaults import server_error

    response = server_error(rf.get("/"))

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
