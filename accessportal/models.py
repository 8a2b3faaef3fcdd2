"""Identities: the people the portal knows, with the profile that approvals need."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower


class IdentitySource(models.TextChoices):
    """Where an identity came from."""

    LOCAL = "local", "Local account"
    ATLASSIAN = "atlassian", "Atlassian (trusted source)"
    SSO = "sso", "Company SSO"


class IdentityQuerySet(models.QuerySet["User"]):
    """Named queries on identities."""

    def with_email(self, email: str) -> IdentityQuerySet:
        """Identities whose email matches, case-insensitively (the recon key)."""
        return self.filter(email__iexact=email.strip())

    def reports_of(self, manager: User) -> IdentityQuerySet:
        """The direct reports of a manager."""
        return self.filter(manager=manager)


class IdentityManager(UserManager.from_queryset(IdentityQuerySet)):  # type: ignore[misc]
    """Default manager with the named queries."""


class User(AbstractUser):
    """An identity: a person who may request, approve or hold access.

    Django's user with the profile that approvals need (manager, department, title),
    filled from the trusted source by reconciliation or from SSO claims.
    """

    display_name = models.CharField(max_length=200, blank=True)
    department = models.CharField(max_length=200, blank=True)
    job_title = models.CharField(max_length=200, blank=True)
    organization_name = models.CharField(max_length=200, blank=True)
    nickname = models.CharField(max_length=100, blank=True)
    timezone = models.CharField(max_length=64, blank=True)
    manager = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    source = models.CharField(
        max_length=20, choices=IdentitySource.choices, default=IdentitySource.LOCAL
    )
    deactivated_at = models.DateTimeField(null=True, blank=True)

    objects = IdentityManager()

    class Meta:
        verbose_name = "identity"
        verbose_name_plural = "identities"
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="identity_email_unique_ci",
                violation_error_message="Another identity already has this email.",
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """What people read: display name, else full name, else username."""
        return self.display_name or self.get_full_name() or self.username

    @property
    def is_admin(self) -> bool:
        """Portal administrators may decide any request and run the system."""
        return self.is_superuser or self.is_staff
