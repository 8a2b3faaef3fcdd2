"""Fixtures for the web pages: a small catalog and signed-in clients."""

from __future__ import annotations

import itertools

import pytest

_serial = itertools.count(1)


@pytest.fixture
def site(db):
    """An Application (no network needed: the pages only read the catalog)."""
    from connectors.models import Application

    return Application.objects.create(
        name="Atlassian Cloud",
        site_url="https://acme.atlassian.net",
        admin_email="portal-bot@acme.example",
        scim_url="https://api.atlassian.com/scim/directory/d1",
        directory_id="d1",
        org_id="o1",
    )


@pytest.fixture
def make_resource(site):
    """Make a Jira project or Confluence space."""
    from connectors.models import Resource

    def make(key: str, name: str, kind: str = "project", **fields: object) -> Resource:
        return Resource.objects.create(
            application=site,
            kind=kind,
            external_id=f"r-{next(_serial)}",
            key=key,
            name=name,
            **fields,
        )

    return make


@pytest.fixture
def make_entitlement(site):
    """Make a requestable entitlement."""
    from connectors.models import Entitlement

    def make(display_name: str, kind: str = "group", **fields: object) -> Entitlement:
        fields.setdefault("name", display_name.lower().replace(" ", "-"))
        return Entitlement.objects.create(
            application=site,
            kind=kind,
            external_id=f"e-{next(_serial)}",
            display_name=display_name,
            **fields,
        )

    return make


@pytest.fixture
def project(make_resource):
    return make_resource("PAY", "Payments")


@pytest.fixture
def developers(make_entitlement, project):
    """The Developers role of the Payments project."""
    return make_entitlement(
        "Payments · Developers",
        kind="project_role",
        resource=project,
        name="Developers",
        description="Work on the Payments backlog.",
    )


@pytest.fixture
def signed_in(client):
    """Sign a person in on the test client and return the client."""

    def sign_in(person):
        client.force_login(person)
        return client

    return sign_in
