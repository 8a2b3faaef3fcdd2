"""After `make run`'s setup_demo, each demo login signs in and reaches its pages."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(simulator_server, settings):
    settings.ATLASSIAN_SITE_URL = simulator_server.url
    call_command("setup_demo", "--skip-reconcile", "--wait", "10", stdout=io.StringIO())


@pytest.mark.parametrize(
    ("username", "pages"),
    [
        ("alice", ["home", "catalog", "my_requests", "my_access", "cart"]),
        ("bob", ["home", "inbox", "catalog"]),
        ("carol", ["home", "inbox", "admin:index"]),
    ],
)
def test_demo_login_reaches_its_pages(demo, client, username, pages):
    signed_in = client.post(
        reverse("account_login"), {"login": username, "password": "access-demo"}
    )

    assert signed_in.status_code == 302, "the demo password does not work"
    for page in pages:
        assert client.get(reverse(page)).status_code == 200, page


def test_sign_in_page_shows_the_demo_logins(demo, client):
    html = client.get(reverse("account_login")).content.decode()

    assert "<code>alice</code> (requester)" in html
    assert "<code>access-demo</code>" in html
