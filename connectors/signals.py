"""Signals of the catalog: a finished reconciliation, new Applications' defaults."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import Signal, receiver

from connectors.models import Application, AttributeMapping

# Sent with run=<ReconciliationRun> after a run SUCCEEDED (on commit). approvals.drift
# listens and compares assignments with grants; connectors never import approvals.
reconciliation_finished = Signal()
# Sent with identity=<User>, application=<Application> when the trusted source
# deactivated an identity (its Atlassian account is suspended, deactivated or closed).
# approvals listens to run its leaver flow.
identity_deactivated = Signal()
# Sent with application=<Application>, created=[identity ids], changed={identity id:
# {field: previous value}} after reconciliation created or updated identities from the
# trusted source (once per batch). approvals.birthright listens (joiners and movers).
identities_changed = Signal()


@receiver(post_save, sender=Application, dispatch_uid="application_default_mappings")
def add_default_attribute_mappings(
    sender: type[Application], *, instance: Application, created: bool, **kwargs: Any
) -> None:
    """A new Application starts with the default attribute mapping (issue 5's table)."""
    if created and not kwargs.get("raw"):
        AttributeMapping.objects.ensure_defaults(instance)
