"""An administrator is made to set up an authenticator app, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in
from tests.ui.test_sign_in import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_sets_up_totp_before_reaching_the_admin_site(admin, settings, new_page):
    settings.MFA_REQUIRED_FOR_ADMINS = True
    page = new_page()

    sign_in(page, "admin", "pw-admin")
    page.goto("/admin/")
    expect(page.locator(".alert--warning")).to_contain_text("must use two-factor")
    expect(page.get_by_role("heading", name="Confirm Access")).to_be_visible()
    page.get_by_label("Password").fill("pw-admin")
    page.get_by_role("button", name="Confirm").click()
    expect(
        page.get_by_role("heading", name="Activate Authenticator App")
    ).to_be_visible()
    secret = page.locator("#authenticator_secret").input_value()
    page.locator("#authenticator_secret").evaluate(
        "el => el.value = 'XXXX XXXX XXXX XXXX'"
    )
    screenshot(page, "mfa-setup")  # without the (throwaway) secret
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    page.get_by_role("button", name="Activate").click()

    page.goto("/admin/")
    expect(page.locator("#site-name")).to_be_visible()
