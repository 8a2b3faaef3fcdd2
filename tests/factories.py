"""factory_boy factories for the portal's models; set only what a test is about.

    entitlement = EntitlementFactory(owner=owner)
    access_request = AccessRequestFactory(requester=requester, entitlement=entitlement)
    grant = GrantFactory(beneficiary=requester, state="active")

Requests made by AccessRequestFactory are bare rows (no approval steps). To get a
request in its real shape, go through `approvals.workflow.submit_requests`.
"""

from __future__ import annotations

import factory
from django.conf import settings
from django.utils import timezone

from accessportal.models import User
from approvals.models import (
    AccessRequest,
    ApprovalRule,
    Grant,
    GrantState,
    JobKind,
    Policy,
    ProvisioningJob,
    RequestState,
)
from connectors.models import Account, Application, Assignment, Entitlement, Resource


class UserFactory(factory.django.DjangoModelFactory):
    """An active identity with an email at acme.example."""

    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"person{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@acme.example")
    first_name = factory.LazyAttribute(lambda o: o.username.title())
    last_name = "Example"
    display_name = factory.LazyAttribute(lambda o: f"{o.first_name} {o.last_name}")
    password = factory.django.Password("pw")


class ApplicationFactory(factory.django.DjangoModelFactory):
    """An Application pointing at a fake Atlassian (no network unless routed)."""

    class Meta:
        model = Application
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Atlassian {n}")
    site_url = "https://acme.atlassian.net"
    admin_email = factory.LazyFunction(lambda: settings.ATLASSIAN_ADMIN_EMAIL)
    api_token = "test-api-token"
    scim_url = "https://api.atlassian.com/scim/directory/test"
    directory_id = "test-directory"
    directory_api_key = "test-directory-key"
    admin_api_url = "https://api.atlassian.com"
    org_id = "test-org"
    org_api_key = "test-org-key"
    default_groups = factory.LazyFunction(
        lambda: ["jira-software-users", "confluence-users"]
    )


class ResourceFactory(factory.django.DjangoModelFactory):
    """A Jira project (kind="space" for a Confluence space)."""

    class Meta:
        model = Resource

    application = factory.SubFactory(ApplicationFactory)
    kind = "project"
    external_id = factory.Sequence(lambda n: str(10000 + n))
    key = factory.Sequence(lambda n: f"P{n}")
    name = factory.LazyAttribute(lambda o: f"Project {o.key}")


class EntitlementFactory(factory.django.DjangoModelFactory):
    """A requestable group by default."""

    class Meta:
        model = Entitlement

    application = factory.SubFactory(ApplicationFactory)
    kind = "group"
    external_id = factory.Sequence(lambda n: f"group-{n:04d}")
    name = factory.Sequence(lambda n: f"team-{n}")
    display_name = factory.LazyAttribute(lambda o: o.name)
    description = "A group people may ask to join"


class ProjectRoleFactory(EntitlementFactory):
    """A Jira project role under a project resource."""

    kind = "project_role"
    resource = factory.SubFactory(
        ResourceFactory, application=factory.SelfAttribute("..application")
    )
    external_id = factory.LazyAttributeSequence(
        lambda o, n: f"{o.resource.external_id}:{10100 + n}"
    )
    name = "Member"
    display_name = factory.LazyAttribute(lambda o: f"{o.resource.key} · {o.name}")


class AccountFactory(factory.django.DjangoModelFactory):
    """An Atlassian account, linked to an identity when `identity` is given."""

    class Meta:
        model = Account

    application = factory.SubFactory(ApplicationFactory)
    account_id = factory.Sequence(
        lambda n: f"712020:{n:08d}-0000-4000-8000-000000000000"
    )
    email = factory.LazyAttribute(
        lambda o: (
            o.identity.email if o.identity else f"{o.account_id[-8:]}@acme.example"
        )
    )
    display_name = factory.LazyAttribute(
        lambda o: o.identity.label if o.identity else o.email
    )
    identity = None


class AssignmentFactory(factory.django.DjangoModelFactory):
    """An account holds an entitlement directly, as reconciliation found it."""

    class Meta:
        model = Assignment

    entitlement = factory.SubFactory(EntitlementFactory)
    application = factory.SelfAttribute("entitlement.application")
    account = factory.SubFactory(
        AccountFactory, application=factory.SelfAttribute("..application")
    )


class PolicyFactory(factory.django.DjangoModelFactory):
    """A policy; attach it with entitlement=, resource=, kind= or is_default=True."""

    class Meta:
        model = Policy
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Policy {n}")
    rule = ApprovalRule.MANAGER
    justification_required = True

    @factory.post_generation
    def approvers(
        self, create: bool, extracted: list[User] | None, **kwargs: object
    ) -> None:
        if create and extracted:
            self.approvers.set(extracted)


class AccessRequestFactory(factory.django.DjangoModelFactory):
    """A bare request row (no steps): for lists and queries, not for deciding."""

    class Meta:
        model = AccessRequest

    requester = factory.SubFactory(UserFactory)
    beneficiary = factory.SelfAttribute("requester")
    entitlement = factory.SubFactory(EntitlementFactory)
    justification = "Needed for my work"
    state = RequestState.PENDING


class GrantFactory(factory.django.DjangoModelFactory):
    """Access held by a beneficiary (active by default), with its approved request."""

    class Meta:
        model = Grant

    beneficiary = factory.SubFactory(UserFactory)
    entitlement = factory.SubFactory(EntitlementFactory)
    request = factory.SubFactory(
        AccessRequestFactory,
        requester=factory.SelfAttribute("..beneficiary"),
        entitlement=factory.SelfAttribute("..entitlement"),
        state=RequestState.ACTIVE,
    )
    state = GrantState.ACTIVE
    activated_at = factory.LazyFunction(timezone.now)


class ProvisioningJobFactory(factory.django.DjangoModelFactory):
    """A pending grant job row (not enqueued: the sweeper finds it)."""

    class Meta:
        model = ProvisioningJob

    kind = JobKind.GRANT
    grant = factory.SubFactory(
        GrantFactory, state=GrantState.PENDING, activated_at=None
    )
    application = factory.SelfAttribute("grant.entitlement.application")
    entitlement = factory.SelfAttribute("grant.entitlement")
    identity = factory.SelfAttribute("grant.beneficiary")
    reason = "Test job"
