"""Fixtures for the approval tests: a catalog without network, and submitting helpers."""

from __future__ import annotations

import pytest

from approvals import workflow
from approvals.models import ApprovalRule
from tests.factories import ApplicationFactory, EntitlementFactory, PolicyFactory


@pytest.fixture
def offline_application(db):
    """An Application whose connector is never called in these tests."""
    return ApplicationFactory(name="Offline Atlassian")


@pytest.fixture
def group(offline_application, owner):
    """A requestable group owned by `owner`; the default policy (manager) applies."""
    return EntitlementFactory(
        application=offline_application,
        name="web-team",
        display_name="Web team",
        owner=owner,
    )


@pytest.fixture
def other_group(offline_application, owner):
    return EntitlementFactory(
        application=offline_application,
        name="ops-team",
        display_name="Ops team",
        owner=owner,
    )


@pytest.fixture
def submit(requester):
    """Submit one request for the requester (or as given) with a justification."""

    def submit_one(entitlement, **kwargs):
        kwargs.setdefault("requester", requester)
        kwargs.setdefault("justification", "I build the web site")
        return workflow.submit_requests(entitlements=[entitlement], **kwargs)[0]

    return submit_one


@pytest.fixture
def auto_policy(db):
    """A default policy that approves everything automatically."""
    return PolicyFactory(name="Auto", is_default=True, rule=ApprovalRule.AUTO)
