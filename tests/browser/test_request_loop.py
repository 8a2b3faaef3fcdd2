"""The whole loop in a real browser: request → approve → a real worker provisions → active.

The catalog and the people come from reconciling the simulated Atlassian organization
over HTTP, as `make run` does; a real Celery worker process grants the access there.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "demo-password-1"
ALICE = "alice.requester@acme.example"
BOB = "bob.manager@acme.example"
ROLE = "WEB · Release Manager"


@pytest.fixture
def demo_org(served_application):
    """Reconcile the simulated organization, then give Alice and Bob a password."""
    from accessportal.models import User
    from connectors.reconcile import execute_run, start_run

    run = execute_run(start_run(served_application).pk)
    assert run.status == "succeeded", run.error
    people = {}
    for email in (ALICE, BOB):
        person = User.objects.with_email(email).get()
        person.set_password(PASSWORD)
        person.save()
        people[email] = person
    assert people[ALICE].manager == people[BOB]
    return people


def wait_for_state(page, url: str, selector: str, timeout: float = 90.0) -> None:
    """Reload until the page shows `selector` (the worker runs in its own process)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page.goto(url)
        if page.locator(selector).count():
            return
        time.sleep(1.0)
    raise AssertionError(f"{url} never showed {selector}")


def request_role_as_alice(page) -> None:
    sign_in(page, ALICE, PASSWORD)
    expect(page.get_by_role("heading", name="Hello, Alice Carter")).to_be_visible()
    screenshot(page, "dashboard")
    page.get_by_role("link", name="Catalog", exact=True).click()
    page.get_by_label("Kind").select_option("project_role")
    page.get_by_label("Search").fill("Release Manager")
    row = page.locator("tr", has_text=ROLE)
    expect(row).to_contain_text("Bob Nguyen (manager)")
    row.get_by_role("button", name=f"Add {ROLE} to cart").click()
    expect(row).to_contain_text("In your cart")
    expect(page.locator("#cart-count")).to_have_text("1")
    screenshot(page, "catalog")
    page.locator("#cart-link").click()
    page.get_by_label("Why do you need this access?").fill(
        "I run the next Website release."
    )
    page.get_by_label("For how many days").fill("30")
    screenshot(page, "request-form")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator(".alert--success")).to_contain_text("Request sent")
    expect(page.locator('[data-state="pending"]')).to_be_visible()


def approve_as_bob(page) -> None:
    sign_in(page, BOB, PASSWORD)
    page.get_by_role("link", name="Approvals").click()
    card = page.locator("li.inbox-card", has_text=ROLE)
    expect(card).to_contain_text("I run the next Website release.")
    expect(card).to_contain_text("30 days")
    screenshot(page, "approvals-inbox")
    card.get_by_label("Comment").fill("Go ahead, thanks for taking it on.")
    card.get_by_role("button", name=f"Approve {ROLE} for Alice Carter").click()
    expect(page.locator(".alert--success")).to_contain_text("Approved")


def test_request_approve_and_provision_in_the_browser(
    demo_org, celery_worker, simulator, new_page
):
    from approvals.models import AccessRequest

    alice_page = new_page()
    request_role_as_alice(alice_page)
    screenshot(alice_page, "my-requests")
    approve_as_bob(new_page())

    wait_for_state(alice_page, "/access/", '[data-state="active"]')
    expect(alice_page.locator("tr", has_text=ROLE)).to_contain_text("Active")
    screenshot(alice_page, "my-access")
    made = AccessRequest.objects.get(beneficiary=demo_org[ALICE])
    alice_page.goto(f"/requests/{made.pk}/")
    expect(alice_page.locator("#request-state")).to_have_text("Active")
    expect(alice_page.locator(".timeline")).to_contain_text("Go ahead")
    screenshot(alice_page, "request-detail")
    with simulator.lock:
        alice_id = simulator.state.user_by_email(ALICE).account_id
        assert alice_id in simulator.state.project_role_actors("WEB", "Release Manager")


def test_pages_work_on_a_phone_sized_screen(demo_org, new_page):
    page = new_page(width=390, height=844)

    sign_in(page, ALICE, PASSWORD)
    page.goto("/catalog/?q=Release+Manager")

    expect(page.locator("tr", has_text=ROLE)).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the catalog scrolls sideways on a phone"
    screenshot(page, "catalog-phone")


UNLABELLED_CONTROLS = """
() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
  .filter((el) => {
    const named = el.labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
    const text = el.tagName === 'BUTTON' && el.textContent.trim();
    return !named && !text;
  })
  .map((el) => el.outerHTML.slice(0, 120))
"""


def test_pages_are_usable_with_the_keyboard_and_labelled(demo_org, new_page):
    page = new_page()
    sign_in(page, ALICE, PASSWORD)

    page.keyboard.press("Tab")
    assert (
        page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    )
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    for path in ("/", "/catalog/", "/cart/", "/requests/", "/access/", "/approvals/"):
        page.goto(path)
        assert page.evaluate(UNLABELLED_CONTROLS) == [], path
        assert page.locator("h1").count() == 1, path
