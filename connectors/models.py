"""The catalog: what reconciliation last saw in a connected Atlassian organization."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from accessportal.crypto import EncryptedTextField
from connectors.base import AccountStatus, EntitlementKind, EntitlementRef, ResourceKind


class DriftPolicy(models.TextChoices):
    """What to do when Atlassian and the portal's grants disagree."""

    REPORT = "report", "Report only"
    CORRECT = "correct", "Correct (re-grant missing, revoke unmanaged)"


class Application(models.Model):
    """A connected Atlassian organization and site, with its encrypted credentials."""

    name = models.CharField(max_length=200, unique=True)
    is_enabled = models.BooleanField(default=True)
    site_url = models.URLField(
        help_text="https://<site>.atlassian.net (Jira and Confluence)"
    )
    admin_email = models.EmailField(
        help_text="Service account for Jira/Confluence basic auth"
    )
    api_token = EncryptedTextField(blank=True, help_text="That account's API token")
    scim_url = models.URLField(
        help_text="https://api.atlassian.com/scim/directory/<id>"
    )
    directory_id = models.CharField(max_length=100)
    directory_api_key = EncryptedTextField(
        blank=True, help_text="SCIM directory bearer key"
    )
    admin_api_url = models.URLField(default="https://api.atlassian.com")
    org_id = models.CharField(max_length=100)
    org_api_key = EncryptedTextField(blank=True, help_text="Organization API key")
    default_groups = models.JSONField(
        default=list, blank=True, help_text="Product groups new accounts join"
    )
    max_concurrency = models.PositiveSmallIntegerField(default=8)
    is_trusted_source = models.BooleanField(
        default=True,
        help_text="Create and update portal identities from Atlassian accounts",
    )
    drift_policy = models.CharField(
        max_length=20, choices=DriftPolicy.choices, default=DriftPolicy.REPORT
    )
    adopts_existing_access = models.BooleanField(
        "Adopt existing access at the first drift check",
        default=False,
        help_text=(
            "Take what Atlassian already holds as the starting point: the first drift "
            "check after a complete reconciliation adopts every open unmanaged finding "
            "as a portal grant (no provisioning, nothing revoked). Switched on after "
            "earlier checks, it applies to the next check, once. Findings it cannot "
            "adopt (accounts without an identity, deactivated people) stay open; that "
            "check corrects nothing automatically, later checks flag new drift as "
            "usual. One baseline per Application: to adopt again later, use Drift "
            "findings → Adopt."
        ),
    )
    baseline_taken_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a drift check adopted the existing access as the baseline",
    )
    baseline_adopted = models.PositiveIntegerField(
        null=True, blank=True, help_text="How many findings the baseline adopted"
    )
    sync_state = models.JSONField(
        default=dict, blank=True, help_text="Incremental reconciliation bookmarks"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name


class Resource(models.Model):
    """A Jira project, Confluence space or site that entitlements belong to."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE)
    kind = models.CharField(
        max_length=20, choices=[(k.value, k.name.title()) for k in ResourceKind]
    )
    external_id = models.CharField(max_length=255)
    key = models.CharField(max_length=255)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    attributes = models.JSONField(default=dict, blank=True)
    first_seen = models.DateTimeField(default=now)
    last_seen = models.DateTimeField(default=now)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["application", "kind", "external_id"], name="resource_unique"
            )
        ]
        indexes = [models.Index(fields=["application", "kind", "key"])]

    def __str__(self) -> str:
        return f"{self.key} · {self.name}"


class AccountQuerySet(models.QuerySet["Account"]):
    """Named queries on accounts."""

    def present(self) -> AccountQuerySet:
        """Accounts that reconciliation still finds in Atlassian."""
        return self.filter(removed_at__isnull=True)


class Account(models.Model):
    """A user account in Atlassian, linked to a portal identity when matched."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE)
    account_id = models.CharField(max_length=128, help_text="Atlassian accountId")
    scim_id = models.CharField(max_length=128, blank=True)
    identity = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="atlassian_accounts",
    )
    email = models.EmailField(blank=True)
    display_name = models.CharField(max_length=255, blank=True)
    user_name = models.CharField(max_length=255, blank=True)
    given_name = models.CharField(max_length=200, blank=True)
    family_name = models.CharField(max_length=200, blank=True)
    nickname = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=200, blank=True)
    department = models.CharField(max_length=200, blank=True)
    organization = models.CharField(max_length=200, blank=True)
    timezone = models.CharField(max_length=64, blank=True)
    manager_account_id = models.CharField(max_length=128, blank=True)
    account_type = models.CharField(max_length=20, default="atlassian")
    status = models.CharField(
        max_length=20,
        choices=[(s.value, s.name.title()) for s in AccountStatus],
        default=AccountStatus.ACTIVE,
    )
    is_managed = models.BooleanField(default=True, help_text="False = external user")
    last_active = models.DateTimeField(null=True, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    first_seen = models.DateTimeField(default=now)
    last_seen = models.DateTimeField(default=now)
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = AccountQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["application", "account_id"], name="account_unique"
            )
        ]
        indexes = [models.Index(fields=["application", "email"])]

    def __str__(self) -> str:
        return self.display_name or self.email or self.account_id


class EntitlementQuerySet(models.QuerySet["Entitlement"]):
    """Named queries on the catalog."""

    def requestable(self) -> EntitlementQuerySet:
        """Entitlements people may ask for: present in Atlassian and marked requestable."""
        return self.filter(removed_at__isnull=True, is_requestable=True)

    def present(self) -> EntitlementQuerySet:
        """Entitlements that reconciliation still finds in Atlassian."""
        return self.filter(removed_at__isnull=True)

    def matching(self, term: str) -> EntitlementQuerySet:
        """Entitlements whose names or description, or whose project's or space's key
        or name, contain `term` (any case).

        Matching projects and spaces are found first (a small table) and given as ids:
        no join, and PostgreSQL can answer the rest from its text search indexes.
        """
        parents = Resource.objects.filter(
            Q(key__icontains=term) | Q(name__icontains=term)
        ).values_list("pk", flat=True)
        return self.filter(
            Q(display_name__icontains=term)
            | Q(name__icontains=term)
            | Q(description__icontains=term)
            | Q(resource__in=list(parents))
        )


class Entitlement(models.Model):
    """A requestable piece of access: a group, a project role, a space permission."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE)
    kind = models.CharField(
        max_length=20,
        choices=[(k.value, k.name.replace("_", " ").title()) for k in EntitlementKind],
    )
    external_id = models.CharField(max_length=255)
    resource = models.ForeignKey(
        Resource,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="entitlements",
    )
    name = models.CharField(max_length=255)
    display_name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_entitlements",
    )
    is_requestable = models.BooleanField(default=True)
    is_managed_externally = models.BooleanField(
        default=False,
        help_text="Synced from an identity provider; read-only outside SCIM",
    )
    attributes = models.JSONField(default=dict, blank=True)
    first_seen = models.DateTimeField(default=now)
    last_seen = models.DateTimeField(default=now)
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = EntitlementQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["application", "kind", "external_id"], name="entitlement_unique"
            )
        ]
        indexes = [
            models.Index(fields=["application", "kind", "name"]),
            models.Index(fields=["display_name"]),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def ref(self) -> EntitlementRef:
        """The connector's address of this entitlement."""
        return EntitlementRef(
            kind=EntitlementKind(self.kind),
            external_id=self.external_id,
            resource_key=self.resource.key if self.resource_id else None,
        )


class AssignmentOrigin(models.TextChoices):
    """How the portal learned of an assignment."""

    RECONCILED = "reconciled", "Found by reconciliation"
    PROVISIONED = "provisioned", "Provisioned by the portal"


class AssignmentQuerySet(models.QuerySet["Assignment"]):
    """Named queries on assignments."""

    def current(self) -> AssignmentQuerySet:
        """Assignments that still hold."""
        return self.filter(ended_at__isnull=True)

    def for_application(self, application: Application | int) -> AssignmentQuerySet:
        """Assignments in one Application."""
        return self.filter(application=application)

    def direct(self) -> AssignmentQuerySet:
        """Held by an account itself (not as a whole group): what a Grant gives."""
        return self.filter(account__isnull=False)

    def held_by_groups(self) -> AssignmentQuerySet:
        """Held by a whole group (a group actor of a role, a group's space permission)."""
        return self.filter(holder_group__isnull=False)

    def reconciled(self) -> AssignmentQuerySet:
        """Found in Atlassian by reconciliation (not put there by the portal)."""
        return self.filter(origin=AssignmentOrigin.RECONCILED)

    def of_identity(self, identity: object) -> AssignmentQuerySet:
        """Held by any Atlassian account linked to a portal identity."""
        return self.filter(account__identity=identity)

    def reaching(self, accounts: models.QuerySet[Account]) -> AssignmentQuerySet:
        """What gives these accounts access: their own assignments (memberships
        included) and what the groups they currently belong to hold.

        Access through a group is not stored as rows of its own (a large organization
        would have millions): a group holding here stands for every member. Its
        `holder_group` is the group the access comes through.
        """
        groups = Assignment.objects.current().filter(account__in=accounts)
        return self.filter(
            Q(account__in=accounts)
            | Q(holder_group__in=groups.values("entitlement_id"))
        )

    def reaching_identity(self, identity: object) -> AssignmentQuerySet:
        """`reaching` the Atlassian accounts linked to a portal identity."""
        return self.reaching(Account.objects.filter(identity=identity))

    def holders_of(self, entitlement: Entitlement | int) -> models.QuerySet[Account]:
        """Accounts holding the entitlement now, directly or through a group."""
        current = self.current().filter(entitlement=entitlement)
        groups = current.filter(holder_group__isnull=False).values("holder_group_id")
        members = Assignment.objects.current().filter(entitlement__in=groups)
        return Account.objects.filter(
            Q(pk__in=current.filter(account__isnull=False).values("account_id"))
            | Q(pk__in=members.filter(account__isnull=False).values("account_id"))
        )

    def started_during(self, run: ReconciliationRun) -> AssignmentQuerySet:
        """First seen by this run (new in Atlassian, or provisioned while it ran)."""
        return self.filter(
            application_id=run.application_id,
            first_seen__gte=run.started_at,
            first_seen__lte=run.finished_at or now(),
        )

    def ended_during(self, run: ReconciliationRun) -> AssignmentQuerySet:
        """Ended while this run ran: mostly what the run's sweep found vanished."""
        return self.filter(
            application_id=run.application_id,
            ended_at__gte=run.started_at,
            ended_at__lte=run.finished_at or now(),
        )

    def with_holders(self) -> AssignmentQuerySet:
        """Join what a list of assignments shows: entitlement, holder and identity."""
        return self.select_related(
            "entitlement__resource", "account__identity", "holder_group"
        )


class Assignment(models.Model):
    """An account (or a whole group) holds an entitlement.

    Exactly one holder: `account` or `holder_group`. Access an account holds only
    because a group it is in holds it is not a row: see `AssignmentQuerySet.reaching`.
    """

    # Millions of rows: only the indexes the queries use (see Meta.indexes and the
    # partial unique constraints), not one per foreign key; each costs every insert.
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, db_index=False
    )
    entitlement = models.ForeignKey(
        Entitlement,
        on_delete=models.CASCADE,
        related_name="assignments",
        db_index=False,
    )
    account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    holder_group = models.ForeignKey(
        Entitlement,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="held_assignments",
        db_index=False,
        help_text="A group that holds the entitlement as a whole",
    )
    origin = models.CharField(
        max_length=20,
        choices=AssignmentOrigin.choices,
        default=AssignmentOrigin.RECONCILED,
    )
    first_seen = models.DateTimeField(default=now)
    last_seen = models.DateTimeField(default=now)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(account__isnull=False, holder_group__isnull=True)
                | Q(account__isnull=True, holder_group__isnull=False),
                name="assignment_one_holder",
            ),
            models.UniqueConstraint(
                fields=["account", "entitlement"],
                condition=Q(ended_at__isnull=True, account__isnull=False),
                name="assignment_direct_unique",
            ),
            models.UniqueConstraint(
                fields=["holder_group", "entitlement"],
                condition=Q(ended_at__isnull=True, holder_group__isnull=False),
                name="assignment_group_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["entitlement", "ended_at"]),
            # Ended rows are history and few per run: finding what ended lately is cheap.
            models.Index(
                fields=["ended_at"],
                condition=Q(ended_at__isnull=False),
                name="assignment_ended",
            ),
        ]

    def __str__(self) -> str:
        holder = self.account or self.holder_group
        return f"{holder} → {self.entitlement}"


class RunStatus(models.TextChoices):
    """Lifecycle of a reconciliation run."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class RunTrigger(models.TextChoices):
    """Who started a reconciliation run."""

    CLI = "cli", "Command line"
    ADMIN = "admin", "Admin site"
    API = "api", "REST API"
    SCHEDULE = "schedule", "Schedule"


class ReconciliationRunQuerySet(models.QuerySet["ReconciliationRun"]):
    """Named queries on reconciliation runs."""

    def active(self) -> ReconciliationRunQuerySet:
        """Runs queued or running (at most one per Application)."""
        return self.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING])

    def succeeded(self) -> ReconciliationRunQuerySet:
        """Runs that finished without error, newest first."""
        return self.filter(status=RunStatus.SUCCEEDED).order_by("-finished_at")


class ReconciliationRun(models.Model):
    """One reconciliation of an Application: what it fetched, wrote and hit."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="runs"
    )
    is_incremental = models.BooleanField(default=False)
    only = models.JSONField(
        default=list, blank=True, help_text="accounts, groups, projects, spaces"
    )
    scope = models.JSONField(
        default=dict, blank=True, help_text="Limited reconciliation filter"
    )
    status = models.CharField(
        max_length=20, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    trigger = models.CharField(
        max_length=20, choices=RunTrigger.choices, default=RunTrigger.CLI
    )
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    phase = models.CharField(max_length=50, blank=True)
    progress = models.JSONField(
        default=dict, blank=True, help_text="phase → {done, total}"
    )
    counts = models.JSONField(
        default=dict,
        blank=True,
        help_text="kind → {created, updated, unchanged, removed}",
    )
    api_calls = models.JSONField(default=dict, blank=True, help_text="family → calls")
    errors = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life while running"
    )

    objects = ReconciliationRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(status__in=["queued", "running"]),
                name="one_active_run_per_application",
                violation_error_message="A reconciliation is already running for this application.",
            )
        ]

    def __str__(self) -> str:
        kind = "incremental" if self.is_incremental else "full"
        return f"{self.application} {kind} run #{self.pk} ({self.status})"

    @property
    def duration_seconds(self) -> float | None:
        """Seconds from start to finish (or to now while running)."""
        if not self.started_at:
            return None
        end = self.finished_at or now()
        return (end - self.started_at).total_seconds()


class SyncDirection(models.TextChoices):
    """Which way an attribute flows between Atlassian and the portal identity."""

    BOTH = "both", "Bi-directional"
    TO_PORTAL = "to_portal", "Atlassian → portal"
    TO_ATLASSIAN = "to_atlassian", "Portal → Atlassian"
    NONE = "none", "None"


ATLASSIAN_ATTRIBUTES = (
    "department",
    "displayName",
    "email",
    "familyName",
    "givenName",
    "title",
    "nickName",
    "organization",
    "timezone",
    "userName",
    "id",
    "manager",
)
PORTAL_ATTRIBUTES = (
    "department",
    "displayName",
    "email",
    "lastName",
    "firstName",
    "jobTitle",
    "nickName",
    "organizationName",
    "timezone",
    "login",
    "accountId",
    "manager",
)
# (atlassian, portal, direction, required, visible, recon key, read-only), per issue 5.
DEFAULT_ATTRIBUTE_MAPPINGS = (
    ("department", "department", SyncDirection.BOTH, False, True, False, False),
    ("displayName", "displayName", SyncDirection.BOTH, True, True, False, False),
    ("email", "email", SyncDirection.BOTH, True, True, True, False),
    ("familyName", "lastName", SyncDirection.BOTH, False, True, False, False),
    ("givenName", "firstName", SyncDirection.BOTH, False, True, False, False),
    ("title", "jobTitle", SyncDirection.BOTH, False, True, False, False),
    ("nickName", "nickName", SyncDirection.BOTH, False, False, False, False),
    ("organization", "organizationName", SyncDirection.BOTH, False, True, False, False),
    ("timezone", "timezone", SyncDirection.BOTH, False, False, False, False),
    # Logins are set once, when reconciliation creates the identity; never renamed.
    ("userName", "login", SyncDirection.NONE, True, True, False, False),
    ("id", "accountId", SyncDirection.TO_PORTAL, True, True, False, True),
    ("manager", "manager", SyncDirection.TO_PORTAL, False, True, False, False),
)


class AttributeMappingQuerySet(models.QuerySet["AttributeMapping"]):
    """Named queries on attribute mappings."""

    def ensure_defaults(self, application: Application) -> None:
        """Create the default mapping rows an Application lacks; idempotent."""
        existing = set(
            self.filter(application=application).values_list(
                "atlassian_attribute", flat=True
            )
        )
        self.bulk_create(
            [
                AttributeMapping(
                    application=application,
                    atlassian_attribute=atlassian,
                    portal_attribute=portal,
                    direction=direction,
                    is_required=required,
                    is_visible=visible,
                    is_recon_key=recon_key,
                    is_read_only=read_only,
                    position=position,
                )
                for position, (
                    atlassian,
                    portal,
                    direction,
                    required,
                    visible,
                    recon_key,
                    read_only,
                ) in enumerate(DEFAULT_ATTRIBUTE_MAPPINGS)
                if atlassian not in existing
            ]
        )

    def to_portal(self) -> AttributeMappingQuerySet:
        """Mappings whose values reconciliation copies onto identities."""
        return self.filter(direction__in=[SyncDirection.BOTH, SyncDirection.TO_PORTAL])


class AttributeMapping(models.Model):
    """How one Atlassian account attribute maps to a portal identity attribute."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="attribute_mappings"
    )
    atlassian_attribute = models.CharField(
        max_length=40, choices=[(a, a) for a in ATLASSIAN_ATTRIBUTES]
    )
    portal_attribute = models.CharField(
        max_length=40, choices=[(a, a) for a in PORTAL_ATTRIBUTES]
    )
    direction = models.CharField(
        max_length=20, choices=SyncDirection.choices, default=SyncDirection.TO_PORTAL
    )
    is_required = models.BooleanField(default=False)
    is_visible = models.BooleanField(default=True)
    is_recon_key = models.BooleanField(
        default=False, help_text="Matches accounts to identities (case-insensitive)"
    )
    is_read_only = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    objects = AttributeMappingQuerySet.as_manager()

    class Meta:
        ordering = ["application", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "atlassian_attribute"],
                name="attribute_mapping_unique",
                violation_error_message="This Atlassian attribute is already mapped.",
            ),
            models.UniqueConstraint(
                fields=["application", "portal_attribute"],
                name="attribute_mapping_portal_unique",
                violation_error_message="This portal attribute is already mapped.",
            ),
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(is_recon_key=True),
                name="attribute_mapping_one_recon_key",
                violation_error_message="An Application has one reconciliation key.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.atlassian_attribute} → {self.portal_attribute}"

    def clean(self) -> None:
        """Reconciliation matches accounts by email or login only."""
        if self.is_recon_key and self.portal_attribute not in ("email", "login"):
            raise ValidationError(
                {
                    "is_recon_key": "The reconciliation key must be the email or the login."
                }
            )
